// The REST API v1 (serve/web/API.md) as the pages use it: JSON calls, uploads with progress,
// and live updates of an analysis (Server-Sent Events, falling back to polling).

// Every state-changing request carries this header (the server's cross-site guard).
export const CSRF_HEADER = {"X-Requested-With": "deepfake"};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function toLogin() {
  const next = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(next));
}

// The error message of a JSON error body ({"error": {"message": ...}}), else the status text.
function errorMessage(status, text, fallback) {
  try {
    const body = JSON.parse(text);
    if (body && body.error && body.error.message) return body.error.message;
  } catch (e) { /* not JSON */ }
  return fallback || ("HTTP " + status);
}

// fetch() returning parsed JSON (or null for 204); throws ApiError with the server's message.
export async function api(path, {method = "GET", body} = {}) {
  const headers = {Accept: "application/json"};
  if (method !== "GET" && method !== "HEAD") Object.assign(headers, CSRF_HEADER);
  let response;
  try {
    response = await fetch(path, {method, headers, body, credentials: "same-origin"});
  } catch (e) {
    throw new ApiError(0, "The server could not be reached (" + e.message + ").");
  }
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "Sign-in required.");
  }
  const text = await response.text();
  if (!response.ok) {
    throw new ApiError(response.status,
                       errorMessage(response.status, text, response.statusText));
  }
  return text ? JSON.parse(text) : null;
}

let infoPromise = null;
// GET /api/v1/info, fetched once per page.
export function info() {
  if (!infoPromise) infoPromise = api("/api/v1/info").catch((e) => { infoPromise = null; throw e; });
  return infoPromise;
}

// Uploads one file (POST /api/v1/analyses, one "file" part). onProgress(loaded, total).
// Returns {promise, abort}; the promise resolves to the created summary or rejects with
// ApiError (413, 415, 503 with Retry-After in the message, ...).
export function upload(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", "/api/v1/analyses");
    xhr.setRequestHeader("X-Requested-With", CSRF_HEADER["X-Requested-With"]);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 401) { toLogin(); reject(new ApiError(401, "Sign-in required.")); return; }
      if (xhr.status < 200 || xhr.status >= 300) {
        let message = errorMessage(xhr.status, xhr.responseText, xhr.statusText);
        const retry = xhr.getResponseHeader("Retry-After");
        if (xhr.status === 503 && retry) message += " Try again in " + retry + " s.";
        reject(new ApiError(xhr.status, message));
        return;
      }
      try {
        const body = JSON.parse(xhr.responseText);
        resolve(body.analyses[0]);
      } catch (e) {
        reject(new ApiError(xhr.status, "Unexpected answer from the server."));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "The upload failed: the connection was lost.")));
    xhr.addEventListener("abort", () => reject(new ApiError(-1, "Upload canceled.")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return {promise, abort: () => xhr.abort()};
}

export function cancel(id) {
  return api("/api/v1/analyses/" + encodeURIComponent(id) + "/cancel", {method: "POST"});
}

export function isFinished(summary) {
  return ["done", "failed", "canceled"].includes(summary.status);
}

// Browsers allow about six connections per server; an event stream holds one for as long as
// the analysis runs. So at most MAX_STREAMS analyses are followed by SSE at once, the rest by
// polling (as is everything when the stream fails).
const MAX_STREAMS = 2;
let openStreams = 0;
const POLL_MS = 1000;

// Calls onUpdate(summary) on every change of analysis `id` until it finishes (the last call
// has a finished status). Returns a function that stops watching.
export function watch(id, onUpdate) {
  let stopped = false;
  let source = null;
  let timer = null;
  const base = "/api/v1/analyses/" + encodeURIComponent(id);

  const finish = (summary) => {
    stop();
    onUpdate(summary);
  };
  const poll = async () => {
    if (stopped) return;
    try {
      const summary = await api(base);
      if (stopped) return;
      if (isFinished(summary)) { finish(summary); return; }
      onUpdate(summary);
    } catch (e) {
      if (e.status === 404) { stop(); onUpdate({id, status: "failed", message: "This analysis was deleted."}); return; }
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  const closeStream = () => {
    if (source) { source.close(); source = null; openStreams--; }
  };
  function stop() {
    stopped = true;
    closeStream();
    clearTimeout(timer);
  }

  if (typeof EventSource === "function" && openStreams < MAX_STREAMS) {
    openStreams++;
    source = new EventSource(base + "/events");
    source.addEventListener("progress", (e) => {
      try {
        const summary = JSON.parse(e.data);
        if (isFinished(summary)) { closeStream(); poll(); } else onUpdate(summary);
      } catch (err) { /* ignore a malformed event */ }
    });
    // The final state (with the verdict) comes from one GET, whatever `done` carries.
    source.addEventListener("done", () => { closeStream(); poll(); });
    source.addEventListener("error", () => { closeStream(); if (!stopped) poll(); });
  } else {
    poll();
  }
  return stop;
}
