// DOM building and formatting shared by every page. Text from users or the server goes in
// with textContent (h() never parses HTML), so a file name can never inject markup.

// h("a", {href: "/x", class: "c", onclick: f}, "text", child, [more]) -> Element.
// Attributes: "class", "text" (textContent), "dataset" (object), on* (listeners), booleans
// (true sets "", false/null/undefined omit), anything else setAttribute(String(value)).
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
                 : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function percent(p, digits = 1) {
  return p === null || p === undefined ? "—" : (100 * p).toFixed(digits) + "%";
}

export function bytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }  // decimal, as the server
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + " " + units[i];
}

export function seconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + " s";
  const m = Math.floor(s / 60);
  return m + " min " + Math.round(s - 60 * m) + " s";
}

export function millis(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s";
}

// "just now", "5 minutes ago", "yesterday", ... (English, like the rest of the pages).
const relative = new Intl.RelativeTimeFormat("en", {numeric: "auto"});
export function timeAgo(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!isFinite(t)) return "—";
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return "just now";
  if (a < 3600) return relative.format(Math.round(s / 60), "minute");
  if (a < 86400) return relative.format(Math.round(s / 3600), "hour");
  if (a < 30 * 86400) return relative.format(Math.round(s / 86400), "day");
  if (a < 365 * 86400) return relative.format(Math.round(s / (30 * 86400)), "month");
  return relative.format(Math.round(s / (365 * 86400)), "year");
}

export function dateTime(iso) {
  const t = Date.parse(iso);
  if (!isFinite(t)) return "—";
  return new Date(t).toLocaleString("en-GB", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

// Why a video is UNDETERMINED, for people (result_schema.json's reasons, plus the
// dashboard's own: interrupted, canceled).
const REASONS = {
  unreadable: "The file could not be read as a video (missing, empty, not a video, or an unsupported codec).",
  damaged: "The video file is damaged (truncated or corrupt).",
  too_few_frames: "The video has too few frames to judge.",
  no_face: "No face was found in any sampled frame.",
  face_too_small: "Faces were found, but all were too small to judge.",
  no_face_track: "Faces were found, but none stayed in view long enough to judge.",
  interrupted: "The analysis was interrupted (the server stopped) and could not be completed.",
  canceled: "The analysis was canceled.",
};
export function reasonText(reason) {
  return REASONS[reason] || (reason ? "Reason: " + reason.replace(/_/g, " ") + "." : "");
}

// A verdict chip: colour plus a symbol plus the word, never colour alone.
export function verdictChip(verdict, status) {
  if (!verdict) {
    const label = {queued: "Queued", running: "Running", failed: "Failed",
                   canceled: "Canceled"}[status] || (status || "—");
    return h("span", {class: "chip chip-" + (status || "none")}, label);
  }
  const sym = {FAKE: "✕", REAL: "✓", UNDETERMINED: "?"}[verdict] || "";
  return h("span", {class: "chip chip-" + verdict.toLowerCase()},
           h("span", {class: "chip-symbol", "aria-hidden": "true"}, sym), verdict);
}

export const STAGES = {
  queued: "Waiting in queue",
  uploading: "Uploading",
  decoding: "Decoding the video",
  faces: "Finding faces",
  scoring: "Scoring faces",
  explaining: "Explaining (Grad-CAM)",
  done: "Done",
};
