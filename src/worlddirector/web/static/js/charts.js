// Score card bars and the across-iterations chart, drawn as plain DOM/SVG (no chart library).
import { h, fmtPct } from "./api.js";

/** What each metric means, shown as a tooltip on its bar. */
export const METRIC_INFO = {
  score: "The loop's quality score: the pixel metrics combined with the physics findings. The director stops when it reaches the target.",
  overall: "Weighted combination of the pixel metrics below (no physics).",
  physics: "1 / (1 + weighted severity of the agents' findings): 1 means the agents found nothing wrong.",
  temporal_flickering: "Brightness stability from frame to frame; 1 means no flicker.",
  dynamic_degree: "How much moves in the clip; a near-static clip scores low.",
  motion_smoothness: "How smoothly things move; jitter and sudden jumps lower it.",
  subject_consistency: "Whether the main subject keeps its look across the clip.",
  background_consistency: "Whether the background stays the same place across the clip.",
  identity_persistence: "Whether tracked objects keep existing with the same identity (no popping in or out).",
  path_realism: "Whether tracked paths have plausible speed and acceleration (no teleports).",
  imaging_quality: "Sharpness, exposure and noise of the frames.",
  intent_similarity: "How close the revised prompt stays to what you asked for (text-embedding cosine).",
  av_sync: "Share of visual events (impacts, footfalls) with a sound onset within ±2 frames; the waveform under the video shows both.",
};

const LABELS = {
  temporal_flickering: "Flicker-free",
  dynamic_degree: "Dynamics",
  motion_smoothness: "Motion smoothness",
  subject_consistency: "Subject consistency",
  background_consistency: "Background consistency",
  identity_persistence: "Identity persistence",
  path_realism: "Path realism",
  imaging_quality: "Imaging quality",
  overall: "Pixels overall",
  physics: "Physics",
  score: "Score",
  intent_similarity: "Intent kept",
  av_sync: "A/V sync",
  av_desync: "A/V desync",
};

export const label = (k) => LABELS[k] || k.replace(/_/g, " ");

/** Bars per metric, each focusable with a tooltip (hover or keyboard focus shows it). */
export function renderScorecard(el, metrics) {
  el.replaceChildren();
  const keys = Object.keys(metrics).filter((k) => metrics[k] !== undefined);
  if (!keys.length) {
    el.append(h("p", { class: "empty" }, "Scores appear after analysis."));
    return;
  }
  const order = ["score", "physics", "overall"];
  keys.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  for (const k of keys) {
    const v = metrics[k];
    const cls = v === null ? "" : v < 0.5 ? "low" : v < 0.75 ? "mid" : "high";
    const tipId = `tip-${k}`;
    el.append(
      h("div", { class: `metric ${cls} ${order.includes(k) ? "overall" : ""}`, tabindex: "0", "aria-describedby": tipId, "data-metric": k },
        h("span", { class: "name" }, label(k)),
        h("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": v === null ? "" : String(Math.round(v * 100)), "aria-label": label(k) },
          h("span", { style: { width: `${v === null ? 0 : Math.max(2, v * 100)}%` } })),
        h("span", { class: "v" }, fmtPct(v)),
        h("span", { class: "tip", role: "tooltip", id: tipId }, METRIC_INFO[k] || "A measured quality metric (higher is better)."),
      ),
    );
  }
}

/** Score per iteration (line) and violations per iteration (bars), with the target as a dashed line. */
export function renderChart(el, iterations, { target = null, onPick = null } = {}) {
  el.replaceChildren();
  if (!iterations.length) {
    el.append(h("p", { class: "empty" }, "The chart fills in as iterations finish."));
    return;
  }
  const W = 420, H = 140, L = 28, R = 28, T = 10, B = 22;
  const n = iterations.length;
  const x = (i) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (1 - v) * (H - T - B);
  const maxV = Math.max(1, ...iterations.map((it) => it.violations || 0));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Score and violations per iteration");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), class: "axis" });
  for (const v of [0, 0.5, 1]) add("text", { x: 2, y: y(v) + 3 }, v.toFixed(1));
  add("text", { x: W - R + 4, y: T + 8 }, String(maxV));
  if (target !== null && target !== undefined) {
    add("line", { x1: L, y1: y(target), x2: W - R, y2: y(target), stroke: "#3ddc97", "stroke-dasharray": "4 4", "stroke-width": 1, opacity: 0.6 });
  }
  const bw = Math.min(26, (W - L - R) / (n * 2.2));
  iterations.forEach((it, i) => {
    const v = it.violations || 0;
    const hgt = (v / maxV) * (H - T - B);
    const r = add("rect", { x: x(i) - bw / 2, y: y(0) - hgt, width: bw, height: hgt, fill: "#ff4d5e", opacity: 0.35, rx: 2 });
    r.append(Object.assign(document.createElementNS(ns, "title"), { textContent: `iteration ${it.index}: ${v} violations` }));
    add("text", { x: x(i) - 4, y: H - 6 }, String(it.index));
  });
  const pts = iterations.map((it, i) => [i, it.score]).filter(([, s]) => typeof s === "number");
  if (pts.length) {
    add("polyline", { points: pts.map(([i, s]) => `${x(i)},${y(s)}`).join(" "), fill: "none", stroke: "#8b7bff", "stroke-width": 2 });
    for (const [i, s] of pts) {
      const c = add("circle", { cx: x(i), cy: y(s), r: 4, fill: "#8b7bff", stroke: "#0b0d12", "stroke-width": 2, style: onPick ? "cursor:pointer" : "" });
      c.append(Object.assign(document.createElementNS(ns, "title"), { textContent: `iteration ${iterations[i].index}: score ${s.toFixed(3)}` }));
      if (onPick) c.addEventListener("click", () => onPick(iterations[i].index));
    }
  }
  el.append(svg);
}
