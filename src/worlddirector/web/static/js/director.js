// The director view: prompt → live stage progress → video, scores, 3D world, agents, revision.
import { api, maybeJson, listen, $, h, toast, timeAgo, fmtPct } from "./api.js";
import { renderScorecard, renderChart, label } from "./charts.js";
import { wordDiff, renderDiff } from "./diff.js";
import { WorldViewer } from "./viewer.js";
import { Waveform } from "./waveform.js";

const STAGES = ["generate", "analyze", "reconstruct", "simulate", "revise"];
const STAGE_LABEL = { generate: "Generate", analyze: "Analyze", reconstruct: "Reconstruct", simulate: "Simulate", revise: "Revise" };
const pad = (n) => String(n).padStart(2, "0");

const state = {
  config: null,
  runId: null,
  detail: null,
  iter: null,        // selected iteration number
  iterData: null,    // artifacts of the selected iteration
  closeEvents: null,
  viewer: null,
  wave: null,        // audio waveform under the video
  refreshTimer: null,
  loadedKey: "",     // which files of the selected iteration are on screen
};

const fileUrl = (rel) => `/api/runs/${state.runId}/files/${rel}`;

export async function initDirector() {
  buildStages();
  bindForm();
  bindViewerControls();
  bindRevision();
  try {
    state.config = await api("/api/config");
    fillChoices(state.config);
  } catch (e) {
    showFormError(`Cannot load settings: ${e.message}`);
  }
  await loadHistory();
}

/** Called by the router with the run id from the URL (or null). */
export async function showDirector(runId) {
  if (runId && runId !== state.runId) await openRun(runId);
  if (!runId && state.runId) resetRunView();
  if (state.viewer) state.viewer.resize();
}

// ---- form ---------------------------------------------------------------------------------

function fillChoices(cfg) {
  const prov = $("#provider");
  prov.replaceChildren(...cfg.providers.map((p) =>
    h("option", { value: p.name, title: p.ready ? "" : p.reason }, p.ready ? p.name : `${p.name} (needs set-up)`)));
  prov.value = cfg.default_provider in Object.fromEntries(cfg.providers.map((p) => [p.name, 1])) ? cfg.default_provider : "procedural";
  const llm = $("#llm");
  llm.replaceChildren(...cfg.llms.map((n) => h("option", { value: n }, n)));
  llm.value = cfg.llms.includes(cfg.default_llm) ? cfg.default_llm : cfg.llms[0];
  $("#iterations").value = cfg.defaults.iterations;
  $("#target").value = cfg.defaults.target;
  const keyNeeded = () => {
    const p = cfg.providers.find((x) => x.name === prov.value);
    $("#key-wrap").hidden = !((p && !p.ready) || llm.value !== "offline");
  };
  prov.addEventListener("change", keyNeeded);
  llm.addEventListener("change", keyNeeded);
  keyNeeded();
}

function showFormError(msg) {
  const el = $("#form-error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

function bindForm() {
  const form = $("#prompt-form");
  $("#prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showFormError("");
    const prompt = $("#prompt").value.trim();
    if (!prompt) { showFormError("Write a prompt first."); $("#prompt").focus(); return; }
    const body = {
      prompt,
      provider: $("#provider").value,
      llm: $("#llm").value,
      iterations: Number($("#iterations").value) || undefined,
      seed: Math.max(0, Math.floor(Number($("#seed").value) || 0)),
    };
    const target = Number($("#target").value);
    if (target > 0 && target <= 1) body.target = target;
    const key = $("#api-key").value.trim();
    if (key && !$("#key-wrap").hidden) body.apiKey = key;
    await startAndOpen(() => api("/api/runs", { method: "POST", body }), $("#generate"));
  });
  $("#use-sample").addEventListener("click", () =>
    startAndOpen(() => api("/api/samples", { method: "POST", body: { llm: $("#llm").value, iterations: 1 } }), $("#use-sample")));
  const input = $("#upload-input");
  $("#upload-label").addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const max = state.config ? state.config.upload_max_bytes : Infinity;
    if (file.size > max) {
      showFormError(`${file.name} is larger than the upload limit (${Math.round(max / 1048576)} MB).`);
      input.value = "";
      return;
    }
    const form = new FormData();
    form.append("file", file);
    form.append("prompt", $("#prompt").value.trim());
    form.append("llm", $("#llm").value);
    form.append("iterations", "1");
    await startAndOpen(() => api("/api/uploads", { method: "POST", form }), $("#upload-label"));
    input.value = "";
  });
}

async function startAndOpen(request, button) {
  showFormError("");
  const old = button.textContent;
  button.setAttribute("aria-busy", "true");
  if ("disabled" in button) button.disabled = true;
  try {
    const res = await request();
    location.hash = `#/director/${res.id}`;
    await loadHistory();
  } catch (e) {
    showFormError(e.message);
  } finally {
    button.removeAttribute("aria-busy");
    if ("disabled" in button) button.disabled = false;
    if (button.textContent !== old && !button.querySelector("input")) button.textContent = old;
  }
}

// ---- history --------------------------------------------------------------------------------

async function loadHistory() {
  let runs = [];
  try { runs = (await api("/api/runs")).runs; } catch { return; }
  const ul = $("#history");
  if (!runs.length) { ul.replaceChildren(h("li", { class: "empty" }, "No runs yet.")); return; }
  ul.replaceChildren(...runs.map((r) => h("li", {},
    h("button", {
      type: "button", class: r.id === state.runId ? "current" : "", "data-run": r.id,
      onclick: () => { location.hash = `#/director/${r.id}`; },
    },
    h("span", { class: "p", title: r.prompt }, r.prompt || r.id),
    h("span", { class: `pill ${r.status}` }, r.status),
    h("span", { class: "meta" }, `${r.iterations} iteration${r.iterations === 1 ? "" : "s"} · best ${fmtPct(r.best_score)} · ${r.source} · ${timeAgo(r.created)}`)))));
}

// ---- stage progress ---------------------------------------------------------------------------

function buildStages() {
  $("#stages").replaceChildren(...STAGES.map((s) => h("li", { class: "stage-row", "data-stage": s },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", {}, STAGE_LABEL[s]),
    h("div", { class: "bar", role: "progressbar", "aria-label": `${STAGE_LABEL[s]} progress`, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, h("span")),
    h("span", { class: "msg" }, ""))));
}

function resetStages() {
  for (const row of document.querySelectorAll(".stage-row")) {
    row.className = "stage-row";
    row.querySelector(".bar span").style.width = "0";
    row.querySelector(".bar").setAttribute("aria-valuenow", "0");
    row.querySelector(".msg").textContent = "";
  }
}

function setRunStatus(status) {
  const pill = $("#run-status");
  pill.textContent = status || "idle";
  pill.className = `pill ${status || ""}`;
  const active = status === "queued" || status === "running";
  $("#stop-run").hidden = !active;
  $("#regenerate").disabled = active || !state.runId;
  $("#auto-run").disabled = active || !state.runId;
}

let currentIterEvent = null;

/** For runs with no event log (made with the CLI), show the last iteration's stages from run.json. */
function stagesFromRun(run) {
  const its = (run && run.iterations) || [];
  const last = its[its.length - 1];
  if (!last || !last.stages) return;
  $("#progress-iter").textContent = `Iteration ${last.index} · ${last.status}${run.stop_reason ? ` · ${run.stop_reason.replace(/_/g, " ")}` : ""}`;
  for (const [name, rec] of Object.entries(last.stages)) {
    const row = document.querySelector(`.stage-row[data-stage="${name}"]`);
    if (!row) continue;
    const st = rec.status === "running" ? "started" : rec.status;
    row.className = `stage-row ${st}`;
    const pct = rec.status === "finished" || rec.status === "skipped" ? 100 : 0;
    row.querySelector(".bar span").style.width = `${pct}%`;
    row.querySelector(".msg").textContent = rec.error || (rec.seconds != null ? `${rec.status} in ${rec.seconds.toFixed(1)} s` : rec.status);
  }
}

function onEvent(ev) {
  if (ev.type === "iteration") {
    const n = ev.iteration ?? ev.index;
    if (n && n !== currentIterEvent && (ev.status === "started" || ev.status === undefined)) {
      currentIterEvent = n;
      resetStages();
    }
    $("#progress-iter").textContent = `Iteration ${n}${ev.status ? ` · ${ev.status}` : ""}${ev.overall != null ? ` · score ${fmtPct(ev.overall)}` : ""}`;
    scheduleRefresh();
    return;
  }
  if (ev.type === "stage") {
    if (ev.iteration && ev.iteration !== currentIterEvent) {
      currentIterEvent = ev.iteration;
      resetStages();
    }
    $("#progress-iter").textContent = `Iteration ${ev.iteration ?? "?"} · ${STAGE_LABEL[ev.stage] || ev.stage}`;
    const row = document.querySelector(`.stage-row[data-stage="${ev.stage}"]`);
    if (!row) return;
    row.className = `stage-row ${ev.status}`;
    const pct = ev.status === "finished" ? 100 : Math.round((ev.progress || 0) * 100);
    row.querySelector(".bar span").style.width = `${pct}%`;
    row.querySelector(".bar").setAttribute("aria-valuenow", String(pct));
    if (ev.message) row.querySelector(".msg").textContent = ev.message;
    if (ev.status === "started" && state.detail && !["queued", "running"].includes(state.detail.job.status)) setRunStatus("running");
    if (ev.status === "finished" || ev.status === "failed") scheduleRefresh();
    return;
  }
  if (ev.type === "run") {
    if (ev.status === "failed") toast(`Run stopped: ${ev.message || ev.stop_reason || "failed"}`, { bad: true, ms: 8000 });
    else if (ev.stop_reason) $("#progress-iter").textContent = `Finished: ${ev.stop_reason}`;
    scheduleRefresh();
  }
}

function follow(runId) {
  if (state.closeEvents) state.closeEvents();
  currentIterEvent = null;
  resetStages();
  state.closeEvents = listen(`/api/runs/${runId}/events`, {
    onMessage: (ev) => { if (state.runId === runId) onEvent(ev); },
    onEnd: () => { if (state.runId === runId) { state.closeEvents = null; refresh(); loadHistory(); } },
  });
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, 150);
}

// ---- run --------------------------------------------------------------------------------------

function resetRunView() {
  if (state.closeEvents) state.closeEvents();
  state.runId = null;
  state.detail = null;
  state.iter = null;
  state.loadedKey = "";
  $("#run-title").textContent = "Direct a world";
  $("#iter-tabs").replaceChildren();
  $("#report-link").hidden = true;
  setRunStatus(null);
  resetStages();
  $("#progress-iter").textContent = "No run yet.";
  clearIteration();
}

async function openRun(runId) {
  resetRunView();
  state.runId = runId;
  await refresh();
  if (!state.detail) return;
  $("#prompt").value = state.detail.prompt || "";
  follow(runId);
  loadHistory();
}

async function refresh() {
  if (!state.runId) return;
  const runId = state.runId;
  let d;
  try {
    d = await api(`/api/runs/${runId}`);
  } catch (e) {
    toast(e.message, { bad: true });
    if (e.status === 404) { location.hash = "#/director"; }
    return;
  }
  if (state.runId !== runId) return;
  state.detail = d;
  if (currentIterEvent === null && d.run) stagesFromRun(d.run);
  $("#run-title").textContent = d.prompt || d.id;
  $("#run-title").title = d.prompt || d.id;
  setRunStatus(d.job.status || (d.run ? d.run.status : null));
  if (d.job.status === "failed" || d.job.status === "interrupted") $("#progress-iter").textContent = d.job.error || d.job.status;
  const rep = $("#report-link");
  rep.hidden = !d.report;
  rep.href = `/api/runs/${runId}/files/report.html`;
  const iters = d.iterations.filter((i) => i.files.length);
  const runIters = (d.run && d.run.iterations) || [];
  const best = d.run ? d.run.best_iteration : null;
  $("#iter-tabs").replaceChildren(...iters.map((i) => h("button", {
    type: "button", role: "tab", "aria-selected": String(i.n === state.iter), "data-iter": i.n,
    onclick: () => selectIteration(i.n),
  }, `Iteration ${i.n}`, i.n === best ? h("span", { class: "best", title: "best iteration" }, "★") : null)));
  renderChart($("#chart"), runIters.map((it) => ({ index: it.index, score: it.overall, violations: it.violations })), {
    target: d.run && d.run.params ? d.run.params.target : null, onPick: selectIteration,
  });
  // follow the newest iteration while running; otherwise keep the person's choice
  const newest = iters.length ? iters[iters.length - 1].n : null;
  const active = ["queued", "running"].includes(d.job.status);
  if (newest && (state.iter === null || (active && state.iter !== newest))) state.iter = newest;
  if (state.iter) await selectIteration(state.iter, { soft: true });
}

function clearIteration() {
  const v = $("#video");
  v.removeAttribute("src");
  v.load();
  $("#video-empty").hidden = false;
  if (state.wave) state.wave.clear();
  renderScorecard($("#scorecard"), {});
  renderChart($("#chart"), []);
  $("#violations").replaceChildren();
  $("#revision").replaceChildren(h("p", { class: "empty" }, "After the agents report, the revised prompt and the reasons appear here."));
  $("#viewer-empty").hidden = false;
  if (state.viewer) state.viewer.clear();
  state.iterData = null;
}

async function selectIteration(n, { soft = false } = {}) {
  state.iter = n;
  for (const b of document.querySelectorAll("#iter-tabs button")) b.setAttribute("aria-selected", String(Number(b.dataset.iter) === n));
  const info = state.detail.iterations.find((i) => i.n === n);
  if (!info) return;
  const dir = info.dir;
  const files = new Set(info.files);
  const key = `${state.runId}/${dir}/${[...files].sort().join(",")}`;
  if (soft && key === state.loadedKey) {
    renderScores(n, state.iterData ? state.iterData.analysis : null);
    return;
  }
  const prevKey = state.loadedKey;
  state.loadedKey = key;
  const sameIter = prevKey.startsWith(`${state.runId}/${dir}/`);
  const [analysis, report, world, revision, generation] = await Promise.all([
    files.has("analysis.json") ? maybeJson(fileUrl(`${dir}/analysis.json`)) : null,
    files.has("agent_report.json") ? maybeJson(fileUrl(`${dir}/agent_report.json`)) : null,
    files.has("world.json") ? maybeJson(fileUrl(`${dir}/world.json`)) : null,
    files.has("revision.json") ? maybeJson(fileUrl(`${dir}/revision.json`)) : null,
    files.has("generation.json") ? maybeJson(fileUrl(`${dir}/generation.json`)) : null,
  ]);
  if (state.iter !== n) return;
  const prev = state.iterData;
  state.iterData = { dir, analysis, report, world, revision, generation };
  // video (only reload when it changed, so playback is not interrupted)
  const v = $("#video");
  const vurl = files.has("video.mp4") ? fileUrl(`${dir}/video.mp4`) : null;
  if (vurl && v.getAttribute("src") !== vurl) {
    v.src = vurl;
    v.play().catch(() => {});
  } else if (!vurl) { v.removeAttribute("src"); v.load(); }
  $("#video-empty").hidden = !!vurl;
  if (vurl) {
    state.wave = state.wave || new Waveform(v);
    state.wave.load(state.runId, `${dir}/video.mp4`, analysis);
  } else if (state.wave) state.wave.clear();
  renderScores(n, analysis);
  // 3D world: reload when the world or the agent report arrived or changed
  const worldChanged = !sameIter || !prev || (!!world !== !!prev.world) || (!!report !== !!prev.report);
  if (worldChanged && (files.has("world.glb") || world || report)) {
    ensureViewer();
    $("#viewer-empty").hidden = true;
    const drawn = await state.viewer.load({
      glbUrl: files.has("world.glb") ? fileUrl(`${dir}/world.glb`) : null,
      plyUrl: files.has("points.ply") ? fileUrl(`${dir}/points.ply`) : null,
      report, world,
    });
    $("#viewer").dataset.loaded = `${dir}:${drawn.mesh ? "mesh" : ""}:${drawn.agents}:${drawn.markers}`;
    setupScrubber();
  } else if (!files.has("world.glb") && !world) {
    $("#viewer-empty").hidden = false;
    if (state.viewer) state.viewer.clear();
  }
  renderViolations(report);
  renderRevision(revision);
}

function renderScores(n, analysis) {
  const it = ((state.detail.run && state.detail.run.iterations) || []).find((x) => x.index === n) || {};
  const metrics = {};
  if (it.overall != null) metrics.score = it.overall; // the loop's score: pixels and physics together
  if (it.physics != null) metrics.physics = it.physics;
  const m = (analysis && analysis.metrics) || it.metrics || {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) metrics[k] = v;
  if (it.intent_similarity != null) metrics.intent_similarity = it.intent_similarity;
  renderScorecard($("#scorecard"), metrics);
}

// ---- violations ------------------------------------------------------------------------------

function videoFps() {
  const d = state.iterData || {};
  return (d.analysis && d.analysis.video && d.analysis.video.fps) || (d.generation && d.generation.parameters && d.generation.parameters.fps) || 24;
}

/** Jump the video to the frames a violation was seen in (paused there so it can be inspected). */
function jumpTo(v) {
  const video = $("#video");
  const t = v.frames && v.frames.length ? v.frames[0] / videoFps() : Number(v.time || 0);
  const dur = Number.isFinite(video.duration) ? video.duration : Infinity;
  video.pause();
  video.currentTime = Math.max(0, Math.min(t, dur - 0.01));
  video.dataset.jumped = String(t);
  if (state.viewer) {
    state.viewer.highlight(v.id);
    state.viewer.togglePlay(false);
    state.viewer.setTick(Math.round(Number(v.time || 0) * state.viewer.hz));
  }
  for (const el of document.querySelectorAll(".vio")) el.setAttribute("aria-current", String(el.dataset.violation === v.id));
  video.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function renderViolations(report) {
  const box = $("#violations");
  const vs = (report && report.violations) || [];
  if (!report) { box.replaceChildren(); return; }
  if (!vs.length) { box.replaceChildren(h("p", { class: "empty" }, "The agents found no violations in this world.")); return; }
  const byType = {};
  for (const v of vs) byType[v.type] = (byType[v.type] || 0) + 1;
  const summary = Object.entries(byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${label(t)}`).join(", ");
  box.replaceChildren(h("p", { class: "vio-head" }, `${vs.length} violation${vs.length === 1 ? "" : "s"}: ${summary}. Click one (or its red marker) to see it in the video.`), ...vs.map((v, i) => h("button", { type: "button", class: "vio", "data-violation": v.id, onclick: () => jumpTo(v) },
    h("div", { class: "t" }, `${i + 1}. ${label(v.type)} · ${Number(v.time || 0).toFixed(1)} s${v.frames && v.frames.length ? ` · frames ${v.frames[0]}–${v.frames[v.frames.length - 1]}` : ""} · severity ${Math.round((v.severity || 0) * 100)}%`),
    h("div", { class: "e" }, v.evidence || ""))));
}

// ---- viewer ------------------------------------------------------------------------------------

function ensureViewer() {
  if (state.viewer) return state.viewer;
  state.viewer = new WorldViewer($("#world-canvas"), $("#markers"), { onMarker: jumpTo });
  state.viewer.setPointsVisible($("#toggle-points").checked);
  state.viewer.setMeshVisible($("#toggle-mesh").checked);
  state.viewer.onTick = (i, t) => {
    $("#scrubber").value = String(i);
    $("#replay-time").textContent = `${t.toFixed(1)} s`;
  };
  state.viewer.onPlayState = (on) => {
    $("#replay-play").textContent = on ? "❚❚" : "▶";
    $("#replay-play").setAttribute("aria-label", on ? "Pause agent replay" : "Play agent replay");
  };
  window.__wdViewer = state.viewer; // for debugging in the console
  return state.viewer;
}

function setupScrubber() {
  const s = $("#scrubber");
  s.max = String(Math.max(0, state.viewer.ticks - 1));
  s.value = "0";
  s.disabled = state.viewer.ticks < 2;
  $("#replay-play").disabled = state.viewer.ticks < 2;
}

function bindViewerControls() {
  $("#toggle-points").addEventListener("change", (e) => state.viewer && state.viewer.setPointsVisible(e.target.checked));
  $("#toggle-mesh").addEventListener("change", (e) => state.viewer && state.viewer.setMeshVisible(e.target.checked));
  const setMode = (mode) => {
    $("#mode-orbit").classList.toggle("active", mode === "orbit");
    $("#mode-walk").classList.toggle("active", mode === "walk");
    $("#mode-orbit").setAttribute("aria-checked", String(mode === "orbit"));
    $("#mode-walk").setAttribute("aria-checked", String(mode === "walk"));
    if (state.viewer) state.viewer.setMode(mode);
  };
  $("#mode-orbit").addEventListener("click", () => setMode("orbit"));
  $("#mode-walk").addEventListener("click", () => setMode("walk"));
  $("#reset-view").addEventListener("click", () => { setMode("orbit"); state.viewer && state.viewer.resetView(); });
  $("#scrubber").addEventListener("input", (e) => state.viewer && (state.viewer.togglePlay(false), state.viewer.setTick(Number(e.target.value))));
  $("#replay-play").addEventListener("click", () => state.viewer && state.viewer.togglePlay());
  $("#stop-run").addEventListener("click", async () => {
    try { await api(`/api/runs/${state.runId}/stop`, { method: "POST" }); } catch (e) { toast(e.message, { bad: true }); }
    refresh();
  });
}

// ---- revision ----------------------------------------------------------------------------------

function renderRevision(rev) {
  const box = $("#revision");
  if (!rev) {
    box.replaceChildren(h("p", { class: "empty" }, "After the agents report, the revised prompt and the reasons appear here."));
    return;
  }
  const ops = Array.isArray(rev.diff) && rev.diff.length ? rev.diff : wordDiff(rev.prompt || "", rev.revised_prompt || "");
  const changes = rev.changes || [];
  box.replaceChildren(
    h("p", { class: "small muted" }, `Iteration ${rev.iteration} → next prompt (${rev.reviser || "reviser"}${rev.intent_similarity != null ? `, intent kept ${fmtPct(rev.intent_similarity)}%` : ""})`),
    renderDiff(ops),
    changes.length
      ? h("ul", { class: "reasons" }, ...changes.map((c) => h("li", {},
        h("strong", {}, c.action ? `${c.action}: ` : ""), c.edit || "",
        h("span", { class: "why" }, ` — ${c.reason || ""}`),
        (c.violation_ids || []).length ? h("span", { class: "why mono small" }, ` [${c.violation_ids.join(", ")}]`) : null)))
      : h("p", { class: "empty" }, "No changes were needed."),
  );
}

function bindRevision() {
  const go = async (n, btn) => {
    if (!state.runId) return;
    btn.disabled = true;
    try {
      const res = await api(`/api/runs/${state.runId}/continue`, { method: "POST", body: { iterations: n } });
      if (res.id !== state.runId) { // an uploaded/sample clip: a new run from its revised prompt
        toast("Generating a new clip from the revised prompt");
        location.hash = `#/director/${res.id}`;
        loadHistory();
        return;
      }
      setRunStatus("queued");
      follow(state.runId);
      await refresh();
      loadHistory();
    } catch (e) {
      toast(e.message, { bad: true });
      btn.disabled = false;
    }
  };
  $("#regenerate").addEventListener("click", (e) => go(1, e.currentTarget));
  $("#auto-run").addEventListener("click", (e) => go(Math.max(1, Math.min(20, Number($("#auto-n").value) || 1)), e.currentTarget));
}

export { pad };
