// The shared-world view: a full-bleed player, three choices, the key dialog and a live storyboard.
//
// A ready branch plays at once. An unexplored one is claimed with POST /worlds/{id}/scenes; the
// first claim generates it for everyone. The player's own key (if the world's provider needs one)
// lives in this browser's localStorage under the seed's name and is sent only with a claim.
import { api, listen, $, h, toast } from "./api.js";

export const KEY_NAME = "sora_shared_world_api_key";
const ACTIVE = new Set(["queued", "generating"]);

const state = {
  worldId: null,
  world: null,
  path: "",
  scene: null,
  tree: null,
  closeEvents: null,
  poll: null,
  refreshTimer: null,
  visible: false,
};

const enc = encodeURIComponent;
const sceneUrl = (path) => `/worlds/${enc(state.worldId)}/scenes?path=${enc(path)}`;
const go = (path) => { location.hash = `#/world/${enc(state.worldId)}${path ? `?path=${path}` : ""}`; };

export function initWorld() {
  $("#world-restart").addEventListener("click", () => go(""));
  $("#world-replay").addEventListener("click", () => {
    const v = $("#world-video");
    if (v.src) { v.currentTime = 0; playVideo(v); }
  });
  $("#world-video").addEventListener("ended", () => {
    const first = document.querySelector("#choices .choice:not(:disabled)");
    if (first) first.focus({ preventScroll: true });
  });
  document.addEventListener("keydown", (e) => {
    if (!state.visible || e.target.closest("input, textarea, dialog, select")) return;
    if (["1", "2", "3"].includes(e.key)) {
      const btn = document.querySelectorAll("#choices .choice")[Number(e.key) - 1];
      if (btn && !btn.disabled) btn.click();
    } else if (e.key === "r" || e.key === "R") go("");
  });
}

export function hideWorld() {
  state.visible = false;
  if (state.closeEvents) { state.closeEvents(); state.closeEvents = null; }
  clearInterval(state.poll);
  state.poll = null;
  const v = $("#world-video");
  if (v) v.pause();
}

export async function showWorld(worldId, path) {
  state.visible = true;
  if (!worldId) {
    let id = "default";
    try {
      const list = await api("/worlds");
      const worlds = Array.isArray(list) ? list : (list && list.worlds) || [];
      if (worlds.length && !worlds.some((w) => w.id === "default")) id = worlds[0].id;
    } catch { /* the default world */ }
    location.replace(`#/world/${enc(id)}`);
    return;
  }
  if (worldId !== state.worldId || !state.world) {
    state.worldId = worldId;
    try {
      state.world = await api(`/worlds/${enc(worldId)}`);
    } catch (e) {
      $("#world-title").textContent = "World not available";
      $("#world-sub").textContent = e.message;
      return;
    }
    $("#world-title").textContent = state.world.title || state.world.id;
    subscribe();
  }
  state.path = path;
  await loadScene({ autoplay: true });
  loadTree();
}

function subscribe() {
  if (state.closeEvents) state.closeEvents();
  state.closeEvents = listen(`/worlds/${enc(state.worldId)}/events`, {
    events: ["scene"],
    onMessage: onSceneEvent,
    onEnd: () => { state.closeEvents = null; },
  });
  // a slow poll as well, so progress shows even if a proxy buffers the event stream
  clearInterval(state.poll);
  state.poll = setInterval(() => {
    if (state.visible && (isActive(state.scene) || anyActive(state.tree))) scheduleRefresh();
  }, 2000);
}

/** A branch changed somewhere in the world: show progress at once, refetch when a status changed. */
function onSceneEvent(ev) {
  if (!ev || typeof ev.path !== "string") { scheduleRefresh(); return; }
  const node = findNode(state.tree, ev.path);
  const known = ev.path === state.path && state.scene ? state.scene.status : node ? node.status : null;
  if (node) node.progress = ev.progress || 0;
  if (ev.path === state.path && state.scene && ACTIVE.has(ev.status)) {
    state.scene.progress = ev.progress || 0;
    state.scene.progressMessage = ev.message || state.scene.progressMessage;
    renderProgress(state.scene);
  }
  const pct = document.querySelector(`#tree button[data-path="${CSS.escape(ev.path)}"] .pct`);
  if (pct && ACTIVE.has(ev.status)) pct.textContent = `${Math.round((ev.progress || 0) * 100)}%`;
  if (known !== ev.status) scheduleRefresh();
}

const isActive = (s) => !!s && ACTIVE.has(s.status);
const anyActive = (n) => !!n && (ACTIVE.has(n.status) || (n.children || []).some(anyActive));

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(async () => {
    if (!state.visible) return;
    await loadScene({ autoplay: true, quiet: true });
    loadTree();
  }, 120);
}

async function loadScene({ autoplay = false, quiet = false } = {}) {
  let scene;
  try {
    scene = await api(sceneUrl(state.path));
  } catch (e) {
    if (!quiet) {
      toast(e.message, { bad: true });
      if (state.path) go("");
    }
    return;
  }
  const before = state.scene;
  state.scene = scene;
  renderScene(scene, before, autoplay);
}

function renderScene(s, before, autoplay) {
  $("#world-path").textContent = s.path ? `path ${s.path}` : "opening scene";
  $("#world-prompt").textContent = s.status === "ready" ? s.prompt || "" : "";
  $("#world-prompt").title = s.stateSummary ? `Story so far: ${s.stateSummary}` : "";
  const v = $("#world-video");
  const video = s.media && s.media.video;
  const changed = !before || before.path !== s.path || (before.media && before.media.video) !== video;
  if (s.status === "ready" && video) {
    $("#world-empty").hidden = true;
    if (changed || !v.getAttribute("src")) {
      v.src = video;
      v.dataset.path = s.path;
      if (autoplay) playVideo(v);
    }
  } else {
    v.pause();
    v.removeAttribute("src");
    v.removeAttribute("data-path");
    v.load();
    $("#world-empty").hidden = false;
    $("#world-sub").textContent = s.status === "failed"
      ? `This branch failed: ${(s.failure && s.failure.message) || "generation failed"}.`
      : isActive(s) ? "Generating this branch for everyone…"
        : s.path === "" ? "The opening scene has not been generated yet." : "This branch has not been generated yet.";
  }
  renderProgress(s);
  renderChoices(s);
}

function renderProgress(s) {
  const prog = $("#world-progress");
  prog.hidden = !isActive(s);
  if (isActive(s)) {
    const pct = Math.round((s.progress || 0) * 100);
    prog.querySelector(".bar span").style.width = `${pct}%`;
    prog.dataset.progress = String(pct);
    prog.querySelector("p").textContent = `${s.status} · ${pct}%${s.progressMessage ? ` · ${s.progressMessage}` : ""}`;
  }
}

async function playVideo(v) {
  try {
    await v.play();
  } catch {
    v.muted = true; // browsers allow muted autoplay; the person can unmute with the video's own controls
    try { await v.play(); } catch { /* user will press play */ }
  }
}

function choiceStatusText(st, pct) {
  switch (st) {
    case "ready": return "ready · plays instantly";
    case "queued": return "queued…";
    case "generating": return `generating ${pct}%`;
    case "failed": return "failed · try again";
    default: return "unexplored · generate it";
  }
}

function renderChoices(s) {
  const box = $("#choices");
  if (s.status !== "ready") {
    // the scene itself is not there yet: offer to generate it (the opening scene, or a failed branch)
    const canClaim = s.status === "pending" || s.status === "failed";
    box.replaceChildren(canClaim
      ? h("button", {
        type: "button", class: `choice ${s.status}`, "data-path": s.path,
        onclick: () => claimFlow({ path: s.path, label: s.path ? s.choiceLabel || "this branch" : "the opening scene", status: s.status }),
      }, h("span", { class: "k" }, s.path ? "branch" : "begin"),
      h("span", { class: "l" }, s.path ? s.choiceLabel || "Generate this branch" : "Begin the story"),
      h("span", { class: "s" }, choiceStatusText(s.status)))
      : []);
    return;
  }
  if (s.isEnding || !(s.choices || []).length) {
    box.replaceChildren(h("p", { class: "muted" }, "The end of this path. Restart to explore another."));
    return;
  }
  const kids = new Map(((state.tree && findNode(state.tree, s.path)) || { children: [] }).children.map((c) => [c.path, c]));
  box.replaceChildren(...s.choices.map((c, i) => {
    const st = c.status || "pending";
    const pct = Math.round(((kids.get(c.path) || {}).progress || 0) * 100);
    return h("button", {
      type: "button", class: `choice ${st}`, "data-path": c.path, "data-status": st,
      title: c.label, onclick: () => onChoice(c),
    }, h("span", { class: "k" }, `${i + 1}`), h("span", { class: "l" }, c.short || c.label), h("span", { class: "s" }, choiceStatusText(st, pct)));
  }));
}

function onChoice(c) {
  const st = c.status || "pending";
  if (st === "ready" || ACTIVE.has(st)) { go(c.path); return; }
  claimFlow({ path: c.path, label: c.short || c.label, status: st });
}

/** Ask for the key (unless this browser already has one), then claim; cancel changes nothing. */
async function claimFlow({ path, label, status }) {
  let key = localStorage.getItem(KEY_NAME);
  if (key === null) {
    const res = await askKey(label);
    if (res === null) return; // cancelled: back to the choices
    key = res;
  }
  try {
    const body = { path };
    if (key) body.apiKey = key;
    const url = status === "failed"
      ? `/worlds/${enc(state.worldId)}/scenes/${path.split("/").map(enc).join("/")}/retry`
      : `/worlds/${enc(state.worldId)}/scenes`;
    const res = await api(url, { method: "POST", body: status === "failed" ? (key ? { apiKey: key } : {}) : body });
    if (res && res.status === "failed") toast((res.scene && res.scene.failure && res.scene.failure.message) || "generation failed", { bad: true });
    if (path === state.path) await loadScene({ autoplay: true });
    else go(path);
    loadTree();
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      localStorage.removeItem(KEY_NAME); // a rejected key is not kept
      toast(`${e.message}`, { bad: true, ms: 7000 });
    } else toast(e.message, { bad: true, ms: 7000 });
  }
}

function askKey(label) {
  const dlg = $("#key-dialog");
  $("#key-choice").textContent = `“${label}”`;
  const input = $("#key-input");
  input.value = "";
  const needsKey = state.world && state.world.videoProvider && state.world.videoProvider !== "procedural";
  input.placeholder = needsKey ? "sk-…" : "not needed for the offline generator";
  return new Promise((resolve) => {
    const onClose = () => {
      dlg.removeEventListener("close", onClose);
      if (dlg.returnValue !== "ok") { resolve(null); return; }
      const key = input.value.trim();
      if (key && $("#key-remember").checked) localStorage.setItem(KEY_NAME, key);
      resolve(key);
    };
    dlg.returnValue = "";
    dlg.addEventListener("close", onClose);
    dlg.showModal();
    input.focus();
  });
}

function findNode(n, path) {
  if (!n) return null;
  if (n.path === path) return n;
  for (const c of n.children || []) {
    const f = findNode(c, path);
    if (f) return f;
  }
  return null;
}

async function loadTree() {
  try {
    state.tree = await api(`/worlds/${enc(state.worldId)}/tree`);
  } catch {
    $("#tree").replaceChildren(h("p", { class: "empty" }, "Nothing explored yet."));
    return;
  }
  const node = (n) => h("li", {},
    h("button", {
      type: "button", class: n.path === state.path ? "here" : "", "data-path": n.path, "data-status": n.status,
      title: n.label || "Opening scene", onclick: () => go(n.path),
      "aria-current": n.path === state.path ? "true" : null,
    },
    h("span", { class: `st ${n.status}`, "aria-hidden": "true" }),
    h("span", { class: "lbl" }, n.path === "" ? "Opening" : `${n.path} · ${n.short || n.label || ""}`),
    ACTIVE.has(n.status) ? h("span", { class: "pct" }, `${Math.round((n.progress || 0) * 100)}%`) : h("span", { class: "pct idle" }, n.status === "ready" ? "" : n.status)),
    (n.children || []).length ? h("ul", {}, ...n.children.map(node)) : null);
  $("#tree").replaceChildren(h("ul", {}, node(state.tree)));
  if (state.scene && state.scene.status === "ready") renderChoices(state.scene);
}
