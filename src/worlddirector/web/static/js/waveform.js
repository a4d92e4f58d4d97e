// The clip's sound under the video: waveform (from the server's envelope), ticks for the visual
// events and audio onsets the analysis found, av_sync and the median offset beside it (issue 10).
import { api, h } from "./api.js";

const HEIGHT = 72;           // CSS px
const COLORS = { wave: "#8b7bff", visual: "#ffb347", onset: "#4cc2ff", head: "#e6e8ee", mid: "#232938" };

/** Adds the waveform block under `video` (once) and returns its parts. */
function ensureDom(video) {
  let box = document.getElementById("waveform");
  if (box) return box;
  box = h("div", { id: "waveform", class: "waveform", hidden: "" },
    h("canvas", { id: "waveform-canvas", role: "img", "aria-label": "Audio waveform with event ticks", tabindex: "0" }),
    h("div", { class: "wave-info" },
      h("span", { class: "wave-legend" },
        h("span", { class: "key visual" }, "visual event"),
        h("span", { class: "key onset" }, "sound onset")),
      h("span", { id: "waveform-sync", class: "mono small" }, "")));
  const card = video.closest(".video-card") || video.parentElement;
  card.classList.add("has-wave");
  video.after(box);
  return box;
}

export class Waveform {
  constructor(video) {
    this.video = video;
    this.box = ensureDom(video);
    this.canvas = this.box.querySelector("canvas");
    this.info = this.box.querySelector("#waveform-sync");
    this.data = null;
    this.key = "";
    const seek = (e) => {
      if (!this.data || !this.data.duration) return;
      const r = this.canvas.getBoundingClientRect();
      const t = ((e.clientX - r.left) / r.width) * this.duration();
      if (Number.isFinite(t)) this.video.currentTime = Math.max(0, t);
    };
    this.canvas.addEventListener("click", seek);
    this.canvas.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        this.video.currentTime = Math.max(0, this.video.currentTime + (e.key === "ArrowRight" ? 0.5 : -0.5));
      }
    });
    for (const ev of ["timeupdate", "seeked"]) video.addEventListener(ev, () => this.draw());
    window.addEventListener("resize", () => this.draw());
  }

  duration() {
    const v = Number.isFinite(this.video.duration) && this.video.duration > 0 ? this.video.duration : 0;
    return v || (this.data ? this.data.duration : 0) || 1;
  }

  clear() {
    this.key = "";
    this.data = null;
    this.box.hidden = true;
    this.canvas.dataset.drawn = "";
  }

  /** Load the envelope of `rel` (run file) and the analysis' sound details; redraw. */
  async load(runId, rel, analysis) {
    const key = `${runId}/${rel}/${analysis ? "a" : ""}`;
    if (key === this.key) return;
    this.key = key;
    let env;
    try {
      env = await api(`/api/runs/${runId}/waveform/${rel}?bins=800`);
    } catch (e) {
      env = { has_audio: false, peaks: [], error: e.message };
    }
    if (this.key !== key) return;
    const det = (analysis && analysis.metric_details && analysis.metric_details.av_sync) || {};
    const sync = analysis && analysis.metrics ? analysis.metrics.av_sync : null;
    this.data = {
      ...env,
      visual: (det.visual_events || []).map((e) => ({ t: Number(e.time), kind: e.kind })).filter((e) => Number.isFinite(e.t)),
      onsets: (det.audio_onsets || []).map(Number).filter(Number.isFinite),
    };
    this.box.hidden = false;
    if (!env.has_audio) {
      this.info.textContent = env.error ? `Sound not available: ${env.error}` : "This clip has no sound track (av_sync not defined).";
      this.box.classList.add("silent");
    } else {
      this.box.classList.remove("silent");
      const parts = [];
      parts.push(sync == null ? `A/V sync: n/a${det.note ? ` (${det.note})` : ""}` : `A/V sync ${Math.round(sync * 100)}%`);
      if (det.av_offset_ms != null) {
        const ms = Number(det.av_offset_ms);
        parts.push(`median offset ${ms > 0 ? "+" : ""}${Math.round(ms)} ms${Math.abs(ms) >= 1 ? (ms > 0 ? " (sound late)" : " (sound early)") : ""}`);
      }
      parts.push(`${this.data.visual.length} visual events · ${this.data.onsets.length} onsets`);
      this.info.textContent = parts.join(" · ");
    }
    this.draw();
  }

  draw() {
    const c = this.canvas;
    if (this.box.hidden || !this.data) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round((c.clientWidth || 300) * dpr));
    const hgt = Math.round(HEIGHT * dpr);
    if (c.width !== w || c.height !== hgt) { c.width = w; c.height = hgt; }
    const g = c.getContext("2d");
    g.clearRect(0, 0, w, hgt);
    if (!this.data.has_audio || !this.data.peaks.length) { c.dataset.drawn = ""; return; } // silent: nothing drawn
    const dur = this.duration();
    const mid = hgt / 2;
    const amp = (hgt / 2 - 8 * dpr) / Math.max(0.05, ...this.data.peaks.map(([a, b]) => Math.max(-a, b)));
    g.fillStyle = COLORS.mid;
    g.fillRect(0, mid, w, Math.max(1, dpr));
    // the envelope, stretched over the audio's own duration
    const n = this.data.peaks.length;
    const span = Math.min(1, this.data.duration / dur);
    g.fillStyle = COLORS.wave;
    for (let x = 0; x < Math.round(w * span); x++) {
      const i = Math.min(n - 1, Math.floor((x / (w * span)) * n));
      const [lo, hi] = this.data.peaks[i];
      const y0 = mid - hi * amp;
      g.fillRect(x, y0, 1, Math.max(1, (hi - lo) * amp));
    }
    // ticks: visual events from the top, sound onsets from the bottom
    const tick = (t, color, top) => {
      const x = Math.round((t / dur) * w);
      g.fillStyle = color;
      g.fillRect(x - dpr, top ? 0 : hgt - 12 * dpr, 2 * dpr, 12 * dpr);
    };
    for (const e of this.data.visual) tick(e.t, COLORS.visual, true);
    for (const t of this.data.onsets) tick(t, COLORS.onset, false);
    // playhead
    const x = Math.round((this.video.currentTime / dur) * w);
    g.fillStyle = COLORS.head;
    g.fillRect(x, 0, Math.max(1, dpr), hgt);
    c.dataset.drawn = `${n}`;
  }
}
