// The result page (/analyses/{id}): the verdict with its reason, probability and threshold;
// the video (when kept) with the score timeline under it, synced both ways; a card per face
// track with its thumbnails, score and Grad-CAM overlays; the video's facts, the model, the
// analysis times; downloads. Also shows live progress while the analysis is not finished.
import {api, cancel, isFinished, watch} from "./api.js";
import {bytes, dateTime, h, millis, percent, reasonText, seconds, STAGES, timeAgo,
        verdictChip} from "./dom.js";
import {Timeline, TRACK_COLORS} from "./timeline.js";

let stopWatching = null;

export function leaveResult() {
  if (stopWatching) { stopWatching(); stopWatching = null; }
}

export async function renderResult(view, id) {
  view.append(h("p", {class: "muted", role: "status"}, "Loading the analysis…"));
  let analysis;
  try {
    analysis = await api("/api/v1/analyses/" + encodeURIComponent(id));
  } catch (e) {
    view.replaceChildren(h("section", {class: "card empty-state"},
      h("h1", {}, e.status === 404 ? "Analysis not found" : "Could not load the analysis"),
      h("p", {}, e.status === 404 ? "It may have been deleted." : e.message),
      h("a", {class: "button", href: "/history", "data-route": true}, "Go to history")));
    return;
  }
  document.title = analysis.file_name + " — Deepfake Detector";
  if (!isFinished(analysis)) {
    renderProgress(view, analysis);
    return;
  }
  view.replaceChildren(...resultSections(analysis, {interactive: true}));
}

function renderProgress(view, analysis) {
  const progress = h("progress", {max: "1", "aria-label": "Analysis progress"});
  const status = h("p", {class: "job-status", role: "status", "aria-live": "polite"});
  const cancelButton = h("button", {type: "button", class: "button", onclick: async () => {
    try { await cancel(analysis.id); } catch (e) { status.textContent = "Could not cancel: " + e.message; }
  }}, "Cancel analysis");
  view.replaceChildren(
    backLink(),
    h("section", {class: "card progress-card"},
      h("h1", {class: "file-title"}, analysis.file_name),
      h("p", {class: "muted"}, "Uploaded " + timeAgo(analysis.created_at) + " · " + bytes(analysis.size_bytes)),
      progress, status, cancelButton));
  const show = (s) => {
    if (isFinished(s)) {
      api("/api/v1/analyses/" + encodeURIComponent(s.id)).then((full) => {
        if (view.isConnected) view.replaceChildren(...resultSections(full, {interactive: true}));
      }, (e) => { status.textContent = e.message; });
      return;
    }
    if (s.status === "queued") {
      progress.removeAttribute("value");
      status.textContent = s.queue_position ? "Waiting in queue — position " + s.queue_position
                                            : "Waiting in queue";
    } else {
      progress.value = s.progress || 0;
      status.textContent = (STAGES[s.stage] || "Analysing") + " — " + percent(s.progress || 0, 0);
    }
  };
  show(analysis);
  stopWatching = watch(analysis.id, show);
}

function backLink() {
  return h("nav", {class: "breadcrumb", "aria-label": "Breadcrumb"},
    h("a", {href: "/history", "data-route": true}, "← History"));
}

const VERDICT_TEXT = {
  FAKE: "At least one face in this video is likely manipulated.",
  REAL: "No face in this video reached the threshold for manipulation.",
  UNDETERMINED: "This video could not be judged.",
};

function verdictPanel(a) {
  const r = a.result || {};
  const verdict = a.verdict || r.verdict;
  if (!verdict) {
    const failed = a.status === "failed";
    return h("section", {class: "verdict verdict-" + a.status, "data-testid": "verdict"},
      h("div", {class: "verdict-main"},
        h("p", {class: "verdict-label"}, verdictChip(null, a.status)),
        h("p", {class: "verdict-text"}, failed ? "The analysis failed." : "The analysis was canceled."),
        a.message ? h("p", {class: "verdict-reason"}, a.message) : null));
  }
  const p = a.fake_probability !== undefined && a.fake_probability !== null ? a.fake_probability
                                                                            : r.fake_probability;
  const threshold = r.threshold;
  const reason = a.reason || r.reason;
  const deciding = (r.tracks || []).find((t) => t.track_id === r.deciding_track);
  const symbol = {FAKE: "✕", REAL: "✓", UNDETERMINED: "?"}[verdict];
  return h("section", {class: "verdict verdict-" + verdict.toLowerCase(), "data-testid": "verdict",
                       "aria-label": "Verdict"},
    h("div", {class: "verdict-main"},
      h("p", {class: "verdict-label"},
        h("span", {class: "verdict-symbol", "aria-hidden": "true"}, symbol),
        h("span", {class: "verdict-word", "data-testid": "verdict-word"}, verdict)),
      h("p", {class: "verdict-text"}, VERDICT_TEXT[verdict]),
      verdict === "UNDETERMINED"
        ? h("p", {class: "verdict-reason"}, reasonText(reason),
            detail(a.message || r.message, r) ? h("span", {class: "muted block small"}, detail(a.message || r.message, r)) : null)
        : null),
    p !== null && p !== undefined
      ? h("div", {class: "verdict-score"},
          h("p", {class: "score-number"}, h("span", {class: "score-value"}, percent(p)),
            h("span", {class: "score-caption"}, "probability of fake")),
          scoreMeter(p, threshold),
          h("p", {class: "small"}, "Threshold " + percent(threshold) +
            (r.model && r.model.threshold_method ? " (" + thresholdMethod(r.model.threshold_method) + ")" : "") +
            (deciding ? ". Decided by Face " + (deciding.track_id + 1) + "; the video is FAKE when any face reaches the threshold." : ".")))
      : threshold !== undefined ? h("div", {class: "verdict-score"},
          h("p", {class: "small"}, "Threshold " + percent(threshold) + "; no score without a face track.")) : null);
}

// The detector's message without the server's own path of the upload ("PATH: no face ...").
function detail(message, r) {
  if (!message) return "";
  for (const path of [r.path, r.video && r.video.path]) {
    if (path && message.startsWith(path + ": ")) return message.slice(path.length + 2);
  }
  return message;
}

function thresholdMethod(method) {
  return {val_balanced_accuracy: "chosen on validation data", default: "default",
          flag: "set by the operator"}[method] || method;
}

// A horizontal meter with the threshold marked.
function scoreMeter(p, threshold) {
  const fill = h("span", {class: "meter-fill" + (p >= threshold ? " over" : "")});
  fill.style.width = (100 * p).toFixed(1) + "%";
  const mark = h("span", {class: "meter-threshold", title: "Threshold " + percent(threshold)});
  mark.style.left = (100 * threshold).toFixed(1) + "%";
  return h("span", {class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1",
                    "aria-valuenow": p.toFixed(3), "aria-label": "P(fake) " + percent(p) +
                    ", threshold " + percent(threshold)}, fill, mark);
}

function downloads(a) {
  const links = a.links || {};
  const base = "/api/v1/analyses/" + encodeURIComponent(a.id);
  if (a.status !== "done") return null;
  return h("div", {class: "downloads", role: "group", "aria-label": "Downloads"},
    h("a", {class: "button", href: links.json || base + "/result.json", download: true}, "Download JSON"),
    h("a", {class: "button", href: links.csv || base + "/result.csv", download: true}, "Download CSV"),
    h("a", {class: "button", href: links.report || "/analyses/" + encodeURIComponent(a.id) + "/report",
            target: "_blank", rel: "noopener"}, "Printable report"));
}

// Every section of a finished analysis (also used by the report page, non-interactive).
export function resultSections(a, {interactive}) {
  const r = a.result || null;
  const head = h("header", {class: "result-head"},
    interactive ? backLink() : null,
    h("div", {class: "result-title"},
      h("h1", {class: "file-title", "data-testid": "file-name"}, a.file_name),
      h("p", {class: "muted"}, "Analysed " + (a.finished_at ? timeAgo(a.finished_at) : "") +
        (a.finished_at ? " (" + dateTime(a.finished_at) + ")" : "") + " · " + bytes(a.size_bytes))),
    interactive ? downloads(a) : null);
  const sections = [head, verdictPanel(a)];
  if (!r) return sections;
  sections.push(playerSection(a, r, interactive));
  if ((r.tracks || []).length) {
    sections.push(h("section", {class: "tracks", "aria-labelledby": "tracks-title"},
      h("h2", {id: "tracks-title"}, "Faces (" + r.tracks.length + ")"),
      h("p", {class: "muted small"}, "Each face followed across the sampled frames is scored on its own. ",
        "The Grad-CAM overlays show where the model looked: warmer colours weighed more."),
      r.tracks.map((t, i) => trackCard(t, i, r))));
  }
  sections.push(factsSection(a, r));
  return sections;
}

function framesOf(track) {
  return (track.frames || []).map((f, i) => ({
    t: f.timestamp_seconds,
    p: f.fake_probability,
    detected: f.detected,
    index: i,
    thumbnail: (track.thumbnails || [])[i] || null,
    overlay: ((track.heatmaps || [])[i] || {}).overlay || null,
  }));
}

function nearestFrame(frames, t) {
  let best = null;
  for (const f of frames) if (best === null || Math.abs(f.t - t) < Math.abs(best.t - t)) best = f;
  return best;
}

function playerSection(a, r, interactive) {
  const tracks = r.tracks || [];
  const main = tracks.find((t) => t.track_id === r.deciding_track) || tracks[0] || null;
  const mainFrames = main ? framesOf(main) : [];
  const kept = !!(a.upload_kept && a.links && a.links.video);
  const section = h("section", {class: "card player-card", "aria-labelledby": "player-title"},
    h("h2", {id: "player-title"}, kept && interactive ? "Video and score timeline" : "Score timeline"));

  let video = null;
  let viewer = null;
  if (interactive && kept) {
    video = h("video", {class: "player", controls: true, preload: "metadata", playsinline: true,
                        src: a.links.video, "data-testid": "player",
                        "aria-label": "The analysed video: " + a.file_name});
    section.append(h("div", {class: "player-frame"}, video));
  } else if (interactive) {
    section.append(h("div", {class: "retention-note", role: "note", "data-testid": "video-deleted"},
      h("strong", {}, "The video was not kept. "),
      "It was deleted after analysis, as the server's retention setting asks; the result and ",
      "the sampled face crops below are kept. (Start the server with --keep_uploads to keep ",
      "videos for playback.)"));
    if (main) {
      viewer = frameViewer(main, mainFrames);
      section.append(viewer.element);
    }
  }

  if (!tracks.length) {
    section.append(h("p", {class: "muted"}, "No face track, so there is no score over time."));
    return section;
  }
  const duration = (r.video && r.video.duration_seconds) || null;
  const highlight = (t) => {
    for (const el of document.querySelectorAll(".frame.current, .thumb.current")) el.classList.remove("current");
    const strip = main ? nearestFrame(mainFrames, t) : null;
    const thumb = strip && document.querySelector(`.thumb[data-index="${strip.index}"]`);
    if (thumb) thumb.classList.add("current");
    for (const track of tracks) {
      const f = nearestFrame(framesOf(track), t);
      if (!f) continue;
      const el = document.querySelector(`.frame[data-track="${track.track_id}"][data-index="${f.index}"]`);
      if (el) el.classList.add("current");
    }
    if (viewer) viewer.show(t);
  };
  const timeline = new Timeline({
    result: r, duration,
    label: "Score timeline of " + a.file_name,
    onSeek: interactive ? (t) => {
      if (video) {
        video.currentTime = t;
      }
      highlight(t);
    } : null,
  });
  section.append(h("div", {class: "timeline-wrap"}, timeline.element), timeline.legend);
  if (main && mainFrames.some((f) => f.thumbnail)) {
    section.append(thumbStrip(main, mainFrames, timeline, interactive));
  }

  if (video) {
    let raf = 0;
    const follow = () => {
      timeline.setTime(video.currentTime);
      if (!video.paused && !video.ended) raf = requestAnimationFrame(follow);
    };
    video.addEventListener("play", () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(follow); });
    video.addEventListener("timeupdate", () => { if (video.paused) timeline.setTime(video.currentTime); });
    video.addEventListener("seeked", () => { timeline.setTime(video.currentTime); highlight(video.currentTime); });
    video.addEventListener("pause", () => highlight(video.currentTime));
    video.addEventListener("error", () => {
      video.parentElement.append(h("p", {class: "muted small"},
        "This browser cannot play this video format; the timeline and face crops still work."));
    });
  }
  if (viewer) viewer.show(0);
  return section;
}

// Where no video was kept: the deciding face's crop (and overlay) nearest the timeline's time.
function frameViewer(track, frames) {
  const crop = h("img", {alt: "", class: "viewer-img"});
  const overlay = h("img", {alt: "", class: "viewer-img"});
  const caption = h("p", {class: "small muted", "aria-live": "polite"});
  const element = h("div", {class: "frame-viewer", "data-testid": "frame-viewer"},
    h("figure", {}, crop, h("figcaption", {}, "Face crop")),
    h("figure", {}, overlay, h("figcaption", {}, "Grad-CAM")),
    caption);
  return {
    element,
    show(t) {
      if (!track) return;
      const f = nearestFrame(frames, t);
      if (!f) return;
      if (f.thumbnail) { crop.src = f.thumbnail; crop.alt = "Face " + (track.track_id + 1) + " at " + seconds(f.t); }
      overlay.hidden = !f.overlay;
      overlay.parentElement.hidden = !f.overlay;
      if (f.overlay) { overlay.src = f.overlay; overlay.alt = "Grad-CAM heatmap at " + seconds(f.t); }
      caption.textContent = "Face " + (track.track_id + 1) + " at " + seconds(f.t) +
        (f.p !== null && f.p !== undefined ? " — P(fake) " + percent(f.p) : "");
    },
  };
}

function thumbStrip(track, frames, timeline, interactive) {
  const items = frames.filter((f) => f.thumbnail).map((f) => {
    const img = h("img", {src: f.thumbnail, alt: "", loading: "lazy"});
    if (!interactive) return h("li", {}, img);
    return h("li", {}, h("button", {type: "button", class: "thumb", dataset: {index: String(f.index)},
      "aria-label": "Seek to " + seconds(f.t) + (f.p !== null && f.p !== undefined ? ", P(fake) " + percent(f.p, 0) : ""),
      onclick: () => timeline.seek(f.t)}, img));
  });
  return h("div", {class: "thumb-strip-wrap"},
    h("p", {class: "small muted"}, "Sampled frames of Face " + (track.track_id + 1) +
      (interactive ? " (select one to jump there)" : "")),
    h("ol", {class: "thumb-strip", "data-testid": "thumb-strip"}, items));
}

function trackCard(track, i, r) {
  const frames = framesOf(track);
  const deciding = track.track_id === r.deciding_track;
  const total = frames.length || r.video.frames_sampled || 0;
  return h("article", {class: "card track-card", "data-testid": "track-card",
                       "aria-labelledby": "track-title-" + track.track_id},
    h("header", {class: "track-head"},
      h("h3", {id: "track-title-" + track.track_id},
        h("span", {class: "swatch swatch-" + (i % TRACK_COLORS.length), "aria-hidden": "true"}),
        "Face " + (track.track_id + 1)),
      verdictChip(track.fake ? "FAKE" : "REAL"),
      h("span", {class: "track-score"}, "P(fake) " + percent(track.fake_probability)),
      deciding && (r.tracks || []).length > 1 ? h("span", {class: "tag"}, "Deciding face") : null),
    scoreMeter(track.fake_probability, r.threshold),
    h("p", {class: "muted small"}, "Detected in " + track.num_detections + " of " + total +
      " sampled frames (the rest interpolated) · median face size " +
      Math.round(track.median_face_size) + " px"),
    frames.some((f) => f.thumbnail || f.overlay)
      ? h("ol", {class: "frames", "aria-label": "Sampled frames of Face " + (track.track_id + 1)},
          frames.map((f) => h("li", {class: "frame" + (f.detected ? "" : " interpolated"),
                                     dataset: {track: String(track.track_id), index: String(f.index)}},
            f.thumbnail ? h("img", {src: f.thumbnail, loading: "lazy",
                                    alt: "Face " + (track.track_id + 1) + " at " + seconds(f.t)}) : null,
            f.overlay ? h("img", {src: f.overlay, loading: "lazy", class: "overlay",
                                  alt: "Grad-CAM at " + seconds(f.t)}) : null,
            h("span", {class: "frame-caption"}, seconds(f.t),
              f.p !== null && f.p !== undefined ? h("span", {class: "frame-p"}, percent(f.p, 0)) : null,
              f.detected ? null : h("span", {class: "visually-hidden"}, " (interpolated)")))))
      : h("p", {class: "muted small"}, "No face crops were stored for this track."));
}

function dl(rows) {
  return h("dl", {class: "facts"}, rows.filter((r) => r).map(([k, v, cls]) => [
    h("dt", {}, k), h("dd", {class: cls || null}, v === null || v === undefined || v === "" ? "—" : v)]));
}

function factsSection(a, r) {
  const v = r.video || {};
  const m = r.model || {};
  const t = r.times_ms || {};
  return h("section", {class: "facts-grid", "aria-label": "Details"},
    h("div", {class: "card"}, h("h2", {}, "Video"), dl([
      ["File", a.file_name],
      ["Duration", v.duration_seconds ? seconds(v.duration_seconds) : null],
      ["Resolution", v.width && v.height ? v.width + " × " + v.height : null],
      ["Frame rate", v.frame_rate ? v.frame_rate.toFixed(2) + " fps" : null],
      ["Codec", v.codec],
      ["Container", v.container],
      ["Size", bytes(v.size_bytes || a.size_bytes)],
      v.rotation_degrees ? ["Rotation", v.rotation_degrees + "°"] : null,
      ["Frames sampled", v.frames_sampled],
      ["SHA-256", v.sha256, "mono break"],
      ["Upload", a.upload_kept ? "kept for playback" : "deleted after analysis (retention)"],
    ]), (v.warnings || []).length ? h("div", {class: "warnings", role: "note"},
        h("h3", {}, "Warnings"), h("ul", {}, v.warnings.map((w) => h("li", {}, w)))) : null),
    h("div", {class: "card"}, h("h2", {}, "Model"), dl([
      ["Name", m.name],
      ["Preset", m.preset],
      ["Device", m.device],
      ["Frames per video", m.frames],
      ["Face crop size", m.image_size ? m.image_size + " px" : null],
      ["Threshold", percent(r.threshold) + (m.threshold_method ? " (" + thresholdMethod(m.threshold_method) + ")" : "")],
      ["SHA-256", m.sha256, "mono break"],
    ])),
    h("div", {class: "card"}, h("h2", {}, "Analysis"), dl([
      ["Uploaded", dateTime(a.created_at)],
      ["Started", a.started_at ? dateTime(a.started_at) : null],
      ["Finished", a.finished_at ? dateTime(a.finished_at) : null],
      ["Analysis time", millis(t.total)],
      ["Decoding", millis(t.decode)],
      ["Faces", millis(t.faces)],
      ["Crops", millis(t.crop)],
      ["Model", millis(t.model)],
      ["Grad-CAM", millis(t.explain)],
      ["Analysis ID", a.id, "mono break"],
    ])));
}
