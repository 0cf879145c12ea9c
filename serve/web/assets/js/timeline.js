// The score timeline: P(fake) of every face track over the video's time, the threshold, and
// a playhead. Drawn on a canvas; as a slider (role="slider") it is clickable, draggable and
// keyboard-operable, and calls onSeek(seconds) — the result page seeks the video with it and
// moves the playhead as the video plays (setTime).
import {h, percent, seconds} from "./dom.js";

export const TRACK_COLORS = ["#2457c5", "#8a3ffc", "#0f7b6c", "#c2410c", "#b3126f", "#4d5b70"];
const FAKE_BAND = "rgba(196, 50, 35, 0.08)";
const GRID = "#e3e6ec";
const AXIS_TEXT = "#5b6475";
const THRESHOLD = "#b42318";
const PLAYHEAD = "#111827";

// Per track: [{t, p, detected}], from per-frame scores (or the track's score when the model
// has no per-frame readout).
export function trackSeries(result) {
  return (result.tracks || []).map((track) => ({
    id: track.track_id,
    fake: track.fake,
    probability: track.fake_probability,
    perFrame: (track.frames || []).some((f) => f.fake_probability !== null && f.fake_probability !== undefined),
    points: (track.frames || []).map((f) => ({
      t: f.timestamp_seconds,
      p: f.fake_probability === null || f.fake_probability === undefined ? track.fake_probability : f.fake_probability,
      detected: f.detected,
    })),
  }));
}

export function timelineDuration(result) {
  let end = (result.video && result.video.duration_seconds) || 0;
  for (const track of result.tracks || []) {
    for (const f of track.frames || []) end = Math.max(end, f.timestamp_seconds);
  }
  return end > 0 ? end : 1;
}

export class Timeline {
  constructor({result, duration, onSeek = null, label = "Score timeline"}) {
    this.result = result;
    this.series = trackSeries(result);
    this.duration = duration || timelineDuration(result);
    this.threshold = result.threshold;
    this.onSeek = onSeek;
    this.time = null;  // the playhead, in seconds; null = none drawn
    this.hover = null;
    this.canvas = h("canvas", {class: "timeline-canvas", "aria-hidden": "true"});
    const interactive = !!onSeek;
    this.element = h("div", {
      class: "timeline" + (interactive ? " interactive" : ""),
      role: interactive ? "slider" : "img",
      tabindex: interactive ? "0" : null,
      "aria-label": label + (interactive ? ": click or use the arrow keys to seek" : ""),
      "aria-valuemin": interactive ? "0" : null,
      "aria-valuemax": interactive ? this.duration.toFixed(2) : null,
      "data-testid": "timeline",
    }, this.canvas);
    this.element.append(h("p", {class: "visually-hidden"}, this.describe()));
    this.legend = this.makeLegend();
    if (interactive) this.bindInput();
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(this.element);
    this.setTime(interactive ? 0 : null);
  }

  describe() {
    const parts = this.series.map((s) => "Face " + (s.id + 1) + ": P(fake) " + percent(s.probability));
    return "Threshold " + percent(this.threshold) + ". " + parts.join("; ") + ".";
  }

  makeLegend() {
    const items = this.series.map((s, i) => h("li", {},
      h("span", {class: "swatch swatch-" + (i % TRACK_COLORS.length), "aria-hidden": "true"}),
      "Face " + (s.id + 1) + (s.perFrame ? "" : " (one score per track)")));
    items.push(h("li", {}, h("span", {class: "swatch swatch-threshold", "aria-hidden": "true"}),
                 "Threshold " + percent(this.threshold, 0)));
    return h("ul", {class: "timeline-legend"}, items);
  }

  bindInput() {
    const el = this.element;
    const seekAt = (e) => {
      const t = this.timeAt(e.clientX);
      if (t !== null) this.seek(t);
    };
    el.addEventListener("pointerdown", (e) => {
      el.setPointerCapture(e.pointerId);
      this.dragging = true;
      seekAt(e);
    });
    el.addEventListener("pointermove", (e) => {
      if (this.dragging) seekAt(e);
      this.hover = this.timeAt(e.clientX);
      this.draw();
    });
    const end = () => { this.dragging = false; this.draw(); };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
    el.addEventListener("pointerleave", () => { this.hover = null; this.draw(); });
    el.addEventListener("keydown", (e) => {
      const step = Math.max(this.duration / 50, 0.04);
      const now = this.time || 0;
      let t = null;
      if (e.key === "ArrowRight" || e.key === "ArrowUp") t = now + step;
      else if (e.key === "ArrowLeft" || e.key === "ArrowDown") t = now - step;
      else if (e.key === "PageUp") t = now + 10 * step;
      else if (e.key === "PageDown") t = now - 10 * step;
      else if (e.key === "Home") t = 0;
      else if (e.key === "End") t = this.duration;
      if (t === null) return;
      e.preventDefault();
      this.seek(Math.max(0, Math.min(this.duration, t)));
    });
  }

  seek(t) {
    this.setTime(t);
    if (this.onSeek) this.onSeek(t);
  }

  // The plot area in CSS pixels.
  area() {
    const width = this.element.clientWidth || 600;
    const height = this.element.clientHeight || 150;
    return {left: 44, top: 10, right: width - 12, bottom: height - 24, width, height};
  }

  timeAt(clientX) {
    const rect = this.canvas.getBoundingClientRect();
    const a = this.area();
    const x = clientX - rect.left;
    const f = (x - a.left) / (a.right - a.left);
    return Math.max(0, Math.min(1, f)) * this.duration;
  }

  setTime(t) {
    this.time = t;
    if (t !== null && this.element.getAttribute("role") === "slider") {
      this.element.setAttribute("aria-valuenow", t.toFixed(2));
      const value = this.valueAt(t);
      this.element.setAttribute("aria-valuetext", seconds(t) +
        (value !== null ? ", P(fake) " + percent(value, 0) : ""));
    }
    this.draw();
  }

  // The highest track score at time t (the nearest sampled frame of each track).
  valueAt(t) {
    let best = null;
    for (const s of this.series) {
      let nearest = null;
      for (const p of s.points) {
        if (nearest === null || Math.abs(p.t - t) < Math.abs(nearest.t - t)) nearest = p;
      }
      if (nearest && (best === null || nearest.p > best)) best = nearest.p;
    }
    return best;
  }

  draw() {
    const a = this.area();
    const ratio = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(a.width * ratio) || c.height !== Math.round(a.height * ratio)) {
      c.width = Math.round(a.width * ratio);
      c.height = Math.round(a.height * ratio);
    }
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, a.width, a.height);
    const x = (t) => a.left + (t / this.duration) * (a.right - a.left);
    const y = (p) => a.bottom - p * (a.bottom - a.top);

    // Above the threshold: the "fake" band.
    g.fillStyle = FAKE_BAND;
    g.fillRect(a.left, a.top, a.right - a.left, y(this.threshold) - a.top);

    // Grid and axes.
    g.font = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    g.fillStyle = AXIS_TEXT;
    g.strokeStyle = GRID;
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (const p of [0, 0.5, 1]) {
      g.beginPath();
      g.moveTo(a.left, Math.round(y(p)) + 0.5);
      g.lineTo(a.right, Math.round(y(p)) + 0.5);
      g.stroke();
      g.fillText(Math.round(p * 100) + "%", a.left - 6, y(p));
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    const ticks = this.ticks(a.right - a.left);
    for (const t of ticks) g.fillText(this.tickLabel(t), x(t), a.bottom + 6);

    // Threshold.
    g.strokeStyle = THRESHOLD;
    g.setLineDash([5, 4]);
    g.beginPath();
    g.moveTo(a.left, y(this.threshold));
    g.lineTo(a.right, y(this.threshold));
    g.stroke();
    g.setLineDash([]);

    // Tracks.
    this.series.forEach((s, i) => {
      const color = TRACK_COLORS[i % TRACK_COLORS.length];
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.lineJoin = "round";
      g.beginPath();
      s.points.forEach((p, j) => (j ? g.lineTo(x(p.t), y(p.p)) : g.moveTo(x(p.t), y(p.p))));
      g.stroke();
      for (const p of s.points) {
        g.beginPath();
        g.arc(x(p.t), y(p.p), 2.6, 0, 2 * Math.PI);
        if (p.detected) { g.fillStyle = color; g.fill(); } else {
          g.fillStyle = "#fff"; g.fill(); g.lineWidth = 1.2; g.stroke(); g.lineWidth = 2;
        }
      }
    });

    // Hover guide, with the time and the highest score there.
    if (this.hover !== null && !this.dragging) {
      const hx = x(this.hover);
      g.strokeStyle = "rgba(17, 24, 39, 0.25)";
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(hx + 0.5, a.top);
      g.lineTo(hx + 0.5, a.bottom);
      g.stroke();
      const value = this.valueAt(this.hover);
      const text = seconds(this.hover) + (value !== null ? " · " + percent(value, 0) : "");
      g.font = "600 11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
      const w = g.measureText(text).width + 12;
      const left = Math.min(Math.max(hx - w / 2, a.left), a.right - w);
      g.fillStyle = "rgba(17, 24, 39, 0.85)";
      g.fillRect(left, a.bottom - 22, w, 18);
      g.fillStyle = "#fff";
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText(text, left + w / 2, a.bottom - 13);
    }
    // Playhead.
    if (this.time !== null) {
      const px = Math.round(x(Math.min(this.time, this.duration))) + 0.5;
      g.strokeStyle = PLAYHEAD;
      g.fillStyle = PLAYHEAD;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(px, a.top);
      g.lineTo(px, a.bottom);
      g.stroke();
      g.beginPath();
      g.moveTo(px - 5, a.top - 6);
      g.lineTo(px + 5, a.top - 6);
      g.lineTo(px, a.top + 1);
      g.closePath();
      g.fill();
    }
  }

  ticks(pixels) {
    const count = Math.max(2, Math.floor(pixels / 70));
    const raw = this.duration / count;
    const steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    const step = steps.find((s) => s >= raw) || raw;
    const out = [];
    for (let t = 0; t <= this.duration + 1e-9; t += step) out.push(t);
    return out;
  }

  tickLabel(t) {
    if (this.duration >= 120) {
      const m = Math.floor(t / 60);
      const s = Math.round(t - 60 * m);
      return m + ":" + String(s).padStart(2, "0");
    }
    return (this.duration < 5 ? t.toFixed(1) : String(Math.round(t * 10) / 10)) + " s";
  }
}
