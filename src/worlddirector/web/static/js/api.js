// Small helpers shared by both views: JSON requests with readable errors, SSE, DOM, toasts.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** fetch() a JSON endpoint; throw ApiError with the server's one-line reason on 4xx/5xx. */
export async function api(path, { method = "GET", body, form, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "the server cannot be reached");
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    let detail = (data && (data.detail || data.error)) || text || res.statusText;
    if (typeof detail !== "string") detail = JSON.stringify(detail);
    throw new ApiError(res.status, detail);
  }
  return data;
}

/** Fetch a JSON file; null when it does not exist (yet). */
export async function maybeJson(url) {
  try {
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}

/** Subscribe to server-sent events; returns a function that closes the stream. */
export function listen(url, { onMessage, onEnd, onError, events = [] } = {}) {
  const es = new EventSource(url);
  const handle = (e) => {
    let data;
    try { data = JSON.parse(e.data); } catch { return; }
    onMessage && onMessage(data, e.type);
  };
  es.onmessage = handle;
  for (const name of events) es.addEventListener(name, handle); // named events (e.g. "scene")
  es.addEventListener("end", (e) => {
    es.close();
    let data = {};
    try { data = JSON.parse(e.data); } catch { /* keep {} */ }
    onEnd && onEnd(data);
  });
  es.onerror = () => { onError && onError(es); };
  return () => es.close();
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Create an element: h("div", {class: "x", onclick}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let toastTimer = null;
export function toast(message, { bad = false, ms = 4000 } = {}) {
  const el = $("#toast");
  el.textContent = message;
  el.classList.toggle("bad", bad);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

export function fmtPct(v) {
  return v === null || v === undefined || Number.isNaN(v) ? "–" : `${Math.round(v * 100)}`;
}

export function timeAgo(ts) {
  if (!ts) return "";
  const s = Math.max(0, Date.now() / 1000 - ts);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ts * 1000).toLocaleDateString();
}
