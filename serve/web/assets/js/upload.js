// The upload page ("/"): the drop zone (drag-and-drop, click or keyboard to choose several
// files), a local preview and upload progress per file, then the queue position, stage and
// percentage live, a cancel button, and the verdict with a link to the result.
import {api, cancel, info, isFinished, upload, watch} from "./api.js";
import {bytes, h, percent, reasonText, seconds, STAGES, verdictChip} from "./dom.js";

// The queue outlives page switches inside the app: the jobs and their list element.
const jobs = new Map();  // key -> job
let queueList = null;
let nextKey = 1;
let serverJobsLoaded = false;
let uploads = Promise.resolve();  // the chain of uploads, one after another

function acceptedTypes(facts) {
  const limits = (facts && facts.limits) || {};
  const types = limits.accepted_types || limits.accepted || [];
  return Array.isArray(types) ? types : [];
}

// "video/mp4" or ".mp4" or "mp4" -> "MP4"; "video/x-matroska" -> "MKV"; ...
function shortType(type) {
  const names = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/webm": "WebM",
                 "video/x-matroska": "MKV", "video/x-msvideo": "AVI", "video/mp2t": "MPEG-TS",
                 "video/x-flv": "FLV", "video/mpeg": "MPEG", "video/3gpp": "3GP",
                 "video/x-ms-asf": "WMV", "video/ogg": "OGV"};
  if (names[type]) return names[type];
  return type.replace(/^video\//, "").replace(/^x-/, "").replace(/^\./, "").toUpperCase();
}

// File extensions of the accepted types, for the file chooser (an OS may not know a type).
const EXTENSIONS = {
  "video/mp4": [".mp4", ".m4v"], "video/quicktime": [".mov"], "video/3gpp": [".3gp"],
  "video/webm": [".webm"], "video/x-matroska": [".mkv"], "video/x-msvideo": [".avi"],
  "video/x-flv": [".flv"], "video/mpeg": [".mpg", ".mpeg"], "video/x-ms-asf": [".wmv", ".asf"],
  "video/ogg": [".ogv"], "video/mp2t": [".ts", ".mts"],
};

function acceptAttribute(types) {
  const parts = new Set(["video/*"]);
  for (const t of types) {
    if (t.includes("/")) {
      parts.add(t);
      for (const e of EXTENSIONS[t] || []) parts.add(e);
    } else {
      parts.add(t.startsWith(".") ? t : "." + t);
    }
  }
  return [...parts].join(",");
}

export function renderUpload(view) {
  const fileInput = h("input", {type: "file", id: "file-input", class: "visually-hidden",
                                multiple: true, accept: "video/*", "aria-describedby": "drop-limits"});
  const limitsText = h("span", {id: "drop-limits", class: "drop-limits"}, "Video files");
  const zone = h("div", {class: "dropzone", id: "dropzone", "data-testid": "dropzone"},
    fileInput,
    h("label", {for: "file-input", class: "dropzone-label"},
      h("svg:svg", {class: "dropzone-icon", viewBox: "0 0 48 48", "aria-hidden": "true", focusable: "false"},
        h("svg:path", {d: "M24 31V13m0 0-7 7m7-7 7 7", fill: "none", stroke: "currentColor",
                       "stroke-width": "3", "stroke-linecap": "round", "stroke-linejoin": "round"}),
        h("svg:path", {d: "M10 30v5a3 3 0 0 0 3 3h22a3 3 0 0 0 3-3v-5", fill: "none",
                       stroke: "currentColor", "stroke-width": "3", "stroke-linecap": "round"})),
      h("span", {class: "dropzone-title"}, "Drop videos here, or ",
        h("span", {class: "dropzone-link"}, "choose files")),
      limitsText));

  zone.addEventListener("dragenter", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) addFiles([...e.dataTransfer.files]);
  });
  fileInput.addEventListener("change", () => {
    addFiles([...fileInput.files]);
    fileInput.value = "";
  });

  const retention = h("p", {class: "muted small", id: "retention-note"});
  let maxBytes = null;
  info().then((facts) => {
    const types = acceptedTypes(facts);
    maxBytes = (facts.limits && facts.limits.max_upload_bytes) || null;
    const typeText = types.length ? [...new Set(types.map(shortType))].join(", ") : "Video files";
    limitsText.textContent = typeText + (maxBytes ? " · up to " + bytes(maxBytes) + " each" : "") +
                             " · several at once";
    if (types.length) fileInput.setAttribute("accept", acceptAttribute(types));
    retention.textContent = facts.keep_uploads
      ? "Uploaded videos are kept on this machine for playback, with their results."
      : "Uploaded videos are deleted once analysed; thumbnails and results are kept.";
  }).catch(() => { /* the limits are also enforced by the server */ });

  function addFiles(files) {
    for (const file of files) startJob(file, maxBytes);
  }

  if (!queueList) {
    queueList = h("ol", {class: "queue", id: "queue", "aria-label": "Analyses in progress and recent uploads"});
  }
  const clearButton = h("button", {type: "button", class: "button small", id: "clear-finished",
                                   onclick: clearFinished}, "Clear finished");
  const emptyNote = h("p", {class: "muted queue-empty", id: "queue-empty"},
                      "Nothing in the queue. Files you add appear here with their progress.");
  view.append(
    h("section", {class: "page-head"},
      h("h1", {}, "Analyze videos"),
      h("p", {class: "lead"}, "Check videos for manipulated faces. Each file is analysed on this machine; ",
        "the result explains which face and which moments drove the verdict.")),
    zone,
    retention,
    h("section", {class: "card queue-card", "aria-labelledby": "queue-title"},
      h("div", {class: "section-head"}, h("h2", {id: "queue-title"}, "Queue"), clearButton),
      emptyNote, queueList));
  updateEmpty();
  if (!serverJobsLoaded) loadServerJobs();
}

function updateEmpty() {
  const empty = document.getElementById("queue-empty");
  if (empty) empty.hidden = jobs.size > 0;
  const clearButton = document.getElementById("clear-finished");
  if (clearButton) clearButton.hidden = ![...jobs.values()].some((j) => j.finished);
}

function clearFinished() {
  for (const [key, job] of jobs) {
    if (job.finished) {
      job.el.remove();
      if (job.previewUrl) URL.revokeObjectURL(job.previewUrl);
      jobs.delete(key);
    }
  }
  updateEmpty();
}

// Analyses already queued or running on the server (another tab, before a reload).
async function loadServerJobs() {
  serverJobsLoaded = true;
  try {
    const lists = await Promise.all(["running", "queued"].map(
        (s) => api("/api/v1/analyses?status=" + s + "&per_page=50")));
    const known = new Set([...jobs.values()].map((j) => j.id));
    for (const list of lists) {
      for (const summary of list.items.slice().reverse()) {
        if (!known.has(summary.id)) followJob(newJob(summary.file_name, summary.size_bytes), summary);
      }
    }
  } catch (e) { /* the queue starts empty */ }
}

function newJob(name, size) {
  const key = nextKey++;
  const job = {key, id: null, name, size, finished: false, stop: null, abort: null};
  job.preview = h("div", {class: "job-preview", "aria-hidden": "true"});
  job.chip = h("span", {class: "job-chip"});
  job.progress = h("progress", {max: "1", value: "0", "aria-label": "Progress of " + name});
  job.status = h("p", {class: "job-status", role: "status", "aria-live": "polite"}, "Waiting");
  job.actions = h("div", {class: "job-actions"});
  job.meta = h("p", {class: "job-meta muted small"}, size !== undefined && size !== null ? bytes(size) : "");
  job.el = h("li", {class: "job", dataset: {key: String(key)}},
    job.preview,
    h("div", {class: "job-main"},
      h("div", {class: "job-head"}, h("span", {class: "job-name", title: name}, name), job.chip),
      job.meta, job.progress, job.status),
    job.actions);
  jobs.set(key, job);
  queueList.append(job.el);  // top to bottom in the order they were added, like the queue
  updateEmpty();
  return job;
}

function setActions(job, ...buttons) {
  job.actions.replaceChildren(...buttons);
}

function cancelButton(job, onclick) {
  return h("button", {type: "button", class: "button small", onclick,
                      "aria-label": "Cancel " + job.name}, "Cancel");
}

function startJob(file, maxBytes) {
  const job = newJob(file.name, file.size);
  // Local preview: the first frame, when the browser can decode the file.
  if (file.type.startsWith("video/") || /\.(mp4|mov|m4v|webm|mkv|ogv)$/i.test(file.name)) {
    job.previewUrl = URL.createObjectURL(file);
    const video = h("video", {muted: true, preload: "metadata", playsinline: true, src: job.previewUrl});
    video.muted = true;
    video.addEventListener("loadedmetadata", () => {
      job.meta.textContent = bytes(file.size) + " · " + seconds(video.duration) +
                             " · " + video.videoWidth + "×" + video.videoHeight;
    });
    video.addEventListener("error", () => video.remove());
    job.preview.append(video);
  }
  if (maxBytes && file.size > maxBytes) {
    fail(job, "Not uploaded: " + file.name + " is " + bytes(file.size) +
              "; the limit is " + bytes(maxBytes) + ".");
    return;
  }
  // One upload at a time, in the order the files were given: the server queues them in that
  // order, and one file gets the whole connection.
  job.status.textContent = "Waiting to upload";
  job.progress.value = 0;
  let canceled = false;
  setActions(job, cancelButton(job, () => {
    canceled = true;
    if (job.abort) job.abort(); else fail(job, "Upload canceled.", "canceled");
  }));
  uploads = uploads.then(() => {
    if (canceled) return null;
    job.status.textContent = "Uploading — 0%";
    const {promise, abort} = upload(file, (loaded, total) => {
      job.progress.value = loaded / total;
      job.status.textContent = "Uploading — " + percent(loaded / total, 0);
    });
    job.abort = abort;
    return promise.then((summary) => {
      job.abort = null;
      followJob(job, summary);
    }, (error) => {
      job.abort = null;
      fail(job, error.status === -1 ? "Upload canceled." : error.message,
           error.status === -1 ? "canceled" : "failed");
    });
  });
}

function fail(job, message, status = "failed") {
  job.finished = true;
  job.el.classList.add("job-" + status);
  job.progress.hidden = true;
  job.chip.replaceChildren(verdictChip(null, status));
  job.status.textContent = message;
  setActions(job);
  updateEmpty();
}

function followJob(job, summary) {
  job.id = summary.id;
  job.el.dataset.id = summary.id;
  if (!job.preview.firstChild && summary.links && summary.links.thumbnail) {
    job.preview.append(h("img", {src: summary.links.thumbnail, alt: ""}));
  }
  setActions(job, cancelButton(job, async () => {
    try {
      await cancel(job.id);
    } catch (e) {
      job.status.textContent = "Could not cancel: " + e.message;
    }
  }));
  show(job, summary);
  job.stop = watch(summary.id, (s) => show(job, s));
}

function show(job, s) {
  if (isFinished(s)) {
    job.finished = true;
    job.progress.hidden = true;
    job.chip.replaceChildren(verdictChip(s.verdict, s.status));
    job.el.classList.add("job-" + s.status);
    let text;
    if (s.status === "done") {
      text = s.verdict === "UNDETERMINED"
        ? "Undetermined. " + (reasonText(s.reason) || s.message || "The video could not be judged.")
        : "P(fake) " + percent(s.fake_probability) + ".";
    } else if (s.status === "canceled") {
      text = "Canceled.";
    } else {
      text = "Failed: " + (s.message || s.reason || "unknown error") + ".";
    }
    job.status.textContent = text;
    const actions = [];
    if (s.status === "done" || s.status === "failed") {
      actions.push(h("a", {class: "button small primary", href: "/analyses/" + encodeURIComponent(s.id),
                           "data-route": true, "aria-label": "Open the result of " + job.name},
                     "Open result"));
    }
    setActions(job, ...actions);
    updateEmpty();
    return;
  }
  job.chip.replaceChildren(verdictChip(null, s.status));
  if (s.status === "queued") {
    job.progress.removeAttribute("value");  // indeterminate while waiting
    job.status.textContent = s.queue_position
      ? "Waiting in queue — position " + s.queue_position : "Waiting in queue";
  } else {
    const p = Math.max(0, Math.min(1, s.progress || 0));
    job.progress.value = p;
    job.status.textContent = (STAGES[s.stage] || "Analysing") + " — " + percent(p, 0);
  }
}
