// The printable report (/analyses/{id}/report): the result page's sections without the
// player, laid out for paper (report.css). The print button opens the browser's dialog.
import {api} from "./api.js";
import {dateTime, h} from "./dom.js";
import {resultSections} from "./result.js";

const main = document.getElementById("report");
const match = location.pathname.match(/^\/analyses\/([^/]+)\/report\/?$/);
document.getElementById("print-button").addEventListener("click", () => window.print());

async function load() {
  if (!match) {
    main.replaceChildren(h("p", {}, "There is no report at this address."));
    return;
  }
  const id = decodeURIComponent(match[1]);
  document.getElementById("report-back").setAttribute("href", "/analyses/" + encodeURIComponent(id));
  let analysis;
  try {
    analysis = await api("/api/v1/analyses/" + encodeURIComponent(id));
  } catch (e) {
    main.replaceChildren(h("h1", {}, e.status === 404 ? "Analysis not found" : "Could not load the report"),
                         h("p", {}, e.message));
    return;
  }
  document.title = "Report: " + analysis.file_name + " — Deepfake Detector";
  document.getElementById("report-generated").textContent =
    "Generated " + dateTime(new Date().toISOString()) + " · analysis " + analysis.id;
  if (analysis.status !== "done") {
    main.replaceChildren(h("h1", {}, analysis.file_name),
      h("p", {}, "This analysis is " + analysis.status + "; the report is ready once it is done."));
    return;
  }
  main.replaceChildren(...resultSections(analysis, {interactive: false}));
}

load();
