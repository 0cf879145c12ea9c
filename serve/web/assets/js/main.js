// The dashboard's single-page app: routes "/" (upload and queue), "/history" and
// "/analyses/{id}" (result) without reloading; links marked data-route navigate in place.
import {info} from "./api.js";
import {clear, timeAgo} from "./dom.js";
import {renderHistory} from "./history.js";
import {leaveResult, renderResult} from "./result.js";
import {renderUpload} from "./upload.js";

const view = document.getElementById("view");

function route() {
  leaveResult();
  clear(view);
  const path = location.pathname.replace(/\/+$/, "") || "/";
  let nav = null;
  const match = path.match(/^\/analyses\/([^/]+)$/);
  if (path === "/" || path === "/index.html") {
    document.title = "Analyze — Deepfake Detector";
    nav = "analyze";
    renderUpload(view);
  } else if (path === "/history") {
    document.title = "History — Deepfake Detector";
    nav = "history";
    renderHistory(view);
  } else if (match) {
    document.title = "Result — Deepfake Detector";
    nav = "history";
    renderResult(view, decodeURIComponent(match[1]));
  } else {
    document.title = "Not found — Deepfake Detector";
    const p = document.createElement("p");
    p.textContent = "There is no page at this address.";
    view.append(p);
  }
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

export function navigate(href) {
  history.pushState(null, "", href);
  route();
  window.scrollTo(0, 0);
  view.focus({preventScroll: true});
}

document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest("a[data-route]");
  if (!a || a.target || a.hasAttribute("download")) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", route);

info().then((facts) => {
  const footer = document.getElementById("footer-facts");
  const model = facts.model || {};
  const parts = ["Runs on this machine; videos never leave it."];
  if (model.name) parts.push("Model: " + model.name + (model.preset ? " (" + model.preset + ")" : ""));
  if (facts.version) parts.push("Version " + facts.version);
  footer.textContent = parts.join(" · ");
}).catch(() => {});

// "5 minutes ago" stays true while the page is open.
setInterval(() => {
  for (const t of document.querySelectorAll("time.relative[datetime]")) {
    t.textContent = timeAgo(t.getAttribute("datetime"));
  }
}, 30000);

route();
