// The history page (/history): every analysis, newest first, with thumbnail, file name,
// verdict chip, probability and time; search by name, filter by verdict and date, pages;
// delete one or all (after a confirmation). The filters live in the address's query string.
import {api} from "./api.js";
import {bytes, dateTime, h, percent, timeAgo, verdictChip} from "./dom.js";
import {confirmDialog} from "./confirm.js";

const PER_PAGE = 20;  // the default; ?per_page=N (1..200) in the address changes it

function readState() {
  const q = new URLSearchParams(location.search);
  const perPage = parseInt(q.get("per_page") || "", 10);
  return {q: q.get("q") || "", verdict: q.get("verdict") || "", from: q.get("from") || "",
          to: q.get("to") || "", page: Math.max(1, parseInt(q.get("page") || "1", 10) || 1),
          perPage: perPage >= 1 && perPage <= 200 ? perPage : PER_PAGE};
}

function writeState(state) {
  const q = new URLSearchParams();
  for (const key of ["q", "verdict", "from", "to"]) if (state[key]) q.set(key, state[key]);
  if (state.page > 1) q.set("page", String(state.page));
  if (state.perPage !== PER_PAGE) q.set("per_page", String(state.perPage));
  const search = q.toString();
  history.replaceState(null, "", "/history" + (search ? "?" + search : ""));
}

// A local calendar day (YYYY-MM-DD from <input type=date>) as the UTC instant it starts or
// ends at, so the filter matches what the person sees in their time zone.
function dayBoundary(day, end) {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return null;
  const date = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return date.toISOString();
}

export function renderHistory(view) {
  const state = readState();
  const search = h("input", {type: "search", id: "history-search", name: "q", value: state.q,
                             placeholder: "File name", autocomplete: "off"});
  const verdict = h("select", {id: "history-verdict", name: "verdict"},
    ["", "FAKE", "REAL", "UNDETERMINED"].map((v) => h("option", {value: v, selected: v === state.verdict},
      v ? v[0] + v.slice(1).toLowerCase() : "All verdicts")));
  const from = h("input", {type: "date", id: "history-from", name: "from", value: state.from});
  const to = h("input", {type: "date", id: "history-to", name: "to", value: state.to});
  const resetButton = h("button", {type: "reset", class: "button small"}, "Clear filters");
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filter the history"},
    h("div", {class: "field grow"}, h("label", {for: "history-search"}, "Search"), search),
    h("div", {class: "field field-verdict"}, h("label", {for: "history-verdict"}, "Verdict"), verdict),
    h("div", {class: "field"}, h("label", {for: "history-from"}, "From"), from),
    h("div", {class: "field"}, h("label", {for: "history-to"}, "To"), to),
    h("div", {class: "field field-button"}, resetButton));
  const count = h("p", {class: "muted", id: "history-count", role: "status", "aria-live": "polite"});
  const list = h("ol", {class: "history-list", id: "history-list", "aria-label": "Analyses"});
  const pager = h("nav", {class: "pager", "aria-label": "Pages"});
  const deleteAll = h("button", {type: "button", class: "button danger-outline small", id: "delete-all"},
                      "Delete all…");
  view.append(
    h("section", {class: "page-head with-action"},
      h("div", {}, h("h1", {}, "History"),
        h("p", {class: "lead"}, "Every analysis on this server, newest first.")),
      deleteAll),
    h("section", {class: "card"}, form, count, list, pager));

  let timer = 0;
  let generation = 0;
  const load = async () => {
    writeState(state);
    const params = new URLSearchParams({page: String(state.page), per_page: String(state.perPage)});
    if (state.q) params.set("q", state.q);
    if (state.verdict) params.set("verdict", state.verdict);
    if (state.from && dayBoundary(state.from, false)) params.set("from", dayBoundary(state.from, false));
    if (state.to && dayBoundary(state.to, true)) params.set("to", dayBoundary(state.to, true));
    const mine = ++generation;
    list.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await api("/api/v1/analyses?" + params.toString());
    } catch (e) {
      if (mine !== generation) return;
      list.replaceChildren();
      count.textContent = "Could not load the history: " + e.message;
      list.removeAttribute("aria-busy");
      return;
    }
    if (mine !== generation) return;
    list.removeAttribute("aria-busy");
    const pages = Math.max(1, Math.ceil(page.total / page.per_page));
    if (state.page > pages && page.total > 0) { state.page = pages; load(); return; }
    const filtered = state.q || state.verdict || state.from || state.to;
    count.textContent = page.total === 0
      ? (filtered ? "No analysis matches these filters." : "No analyses yet. Upload a video on the Analyze page.")
      : page.total + (page.total === 1 ? " analysis" : " analyses") + (filtered ? " match" : "") +
        (pages > 1 ? " · page " + state.page + " of " + pages : "");
    deleteAll.disabled = page.total === 0 && !filtered;
    list.replaceChildren(...page.items.map((item) => row(item, load)));
    pager.replaceChildren(
      h("button", {type: "button", class: "button small", disabled: state.page <= 1,
                   onclick: () => { state.page--; load(); }}, "← Newer"),
      h("span", {class: "pager-text"}, "Page " + state.page + " of " + pages),
      h("button", {type: "button", class: "button small", disabled: state.page >= pages,
                   onclick: () => { state.page++; load(); }}, "Older →"));
    pager.hidden = pages <= 1;
  };

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = search.value.trim(); state.page = 1; load(); }, 250);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    state.q = search.value.trim();
    state.page = 1;
    load();
  });
  for (const [input, key] of [[verdict, "verdict"], [from, "from"], [to, "to"]]) {
    input.addEventListener("change", () => { state[key] = input.value; state.page = 1; load(); });
  }
  form.addEventListener("reset", () => {
    setTimeout(() => {
      Object.assign(state, {q: "", verdict: "", from: "", to: "", page: 1});  // keeps perPage
      load();
    });
  });
  deleteAll.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Delete every analysis?",
      text: "This removes every analysis on this server — results, thumbnails and any kept " +
            "videos — from disk. It cannot be undone.",
      action: "Delete all",
    });
    if (!ok) return;
    try {
      const answer = await api("/api/v1/analyses?confirm=all", {method: "DELETE"});
      count.textContent = "Deleted " + answer.deleted + (answer.deleted === 1 ? " analysis." : " analyses.");
      state.page = 1;
      setTimeout(load, 0);
    } catch (e) {
      count.textContent = "Could not delete: " + e.message;
    }
  });
  load();
}

function row(item, reload) {
  const href = "/analyses/" + encodeURIComponent(item.id);
  const thumb = item.links && item.links.thumbnail
    ? h("img", {src: item.links.thumbnail, alt: "", loading: "lazy"})
    : h("span", {class: "thumb-placeholder", "aria-hidden": "true"}, "▶");
  const remove = h("button", {type: "button", class: "button small ghost",
                              "aria-label": "Delete " + item.file_name,
                              onclick: async () => {
    const ok = await confirmDialog({
      title: "Delete this analysis?",
      text: "“" + item.file_name + "” and everything derived from it (result, thumbnails, the " +
            "video if kept) will be removed from disk.",
      action: "Delete",
    });
    if (!ok) return;
    try {
      await api("/api/v1/analyses/" + encodeURIComponent(item.id), {method: "DELETE"});
      reload();
    } catch (e) {
      remove.textContent = "Failed";
      remove.title = e.message;
    }
  }}, "Delete");
  const when = h("time", {class: "relative", datetime: item.created_at, title: dateTime(item.created_at)}, timeAgo(item.created_at));
  return h("li", {class: "history-row", dataset: {id: item.id}},
    h("a", {class: "history-thumb", href, "data-route": true, tabindex: "-1", "aria-hidden": "true"}, thumb),
    h("div", {class: "history-main"},
      h("a", {class: "history-name", href, "data-route": true}, item.file_name),
      h("span", {class: "muted small"}, bytes(item.size_bytes), " · ", when)),
    h("div", {class: "history-verdict"}, verdictChip(item.verdict, item.status)),
    h("div", {class: "history-p", title: "Probability of fake"},
      item.fake_probability !== null && item.fake_probability !== undefined
        ? h("span", {}, h("span", {class: "visually-hidden"}, "P(fake) "), percent(item.fake_probability))
        : h("span", {class: "muted"}, "—")),
    h("div", {class: "history-actions"}, remove));
}
