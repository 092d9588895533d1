// A live run's results, in the structure templates/results.html gives an aggregate page
// (tests/browser/test_results_structure.py holds the two to it): the totals, the table,
// and how each failure reached the style's code.
import { el, ms, scrollableByKeyboard } from "./dom.js";
import { errorText, t } from "./words.js";

// Fills `section` with the aggregate of `style`; with totalsOnly, the totals alone.
export function showResults(section, style, aggregate, totalsOnly) {
  section.replaceChildren(totals(aggregate),
    ...(totalsOnly ? [] : [table(aggregate), ...skipped(aggregate), ...failures(style, aggregate)]));
}

function totals(aggregate) {
  return el("p", "totals",
    t("{ok} ok, {failed} failed, {bytes} bytes in", {
      ok: aggregate.ok, failed: aggregate.failed, bytes: aggregate.total_bytes }), " ",
    el("strong", "", `${aggregate.elapsed_ms} ms`));
}

function table(aggregate) {
  const steps = aggregate.job === "chain";  // a chain's rows say their step
  const names = [...(steps ? [[t("step"), "num"]] : []), [t("target"), ""], [t("status"), ""], [t("bytes"), "num"], [t("time"), "num"],
    [t("error"), ""], [t("waited in line"), "num"]];
  const head = el("tr", "", ...names.map(([name, className]) => {
    const th = el("th", className, name);
    th.scope = "col";
    return th;
  }));
  const rows = aggregate.results.map((row, index) => labelled(el("tr", row.error ? "failed" : "ok",
    ...(steps ? [el("td", "num", String(row.step))] : []),
    el("td", "", el("code", "", row.target)),
    el("td", "", row.status === null ? "–" : String(row.status)),
    el("td", "num", String(row.bytes)),
    el("td", "num", ms(row.end_ms - row.start_ms), ...readLate(aggregate, index)),
    el("td", "error", row.error ? errorText(row.error) : ""),
    el("td", "num", row.queued_ms ? ms(row.queued_ms) : "–")), names));
  return el("table", "results", el("thead", "", head), el("tbody", "", ...rows));
}

// Each cell says its column's name, for a phone's layout of a row as a card (site.css).
function labelled(row, names) {
  [...row.cells].forEach((cell, index) => { cell.dataset.label = names[index][0]; });
  return row;
}

// A row whose answer came before the handler read it (the blocking demo's sleep between):
// both times from its start, the handler's in the column, the answer's under it.
function readLate(aggregate, index) {
  const blocked = (aggregate.events || []).find((event) => event.kind === "blocked" && event.index === index);
  const row = aggregate.results[index];
  return blocked ? [el("span", "help read-late", t("answered after {ms}, read after the sleep",
    { ms: ms(blocked.t_ms - row.start_ms) }))] : [];
}

function skipped(aggregate) {
  return aggregate.skipped ? [el("p", "skipped", t("The last step was not taken: {reason}",
    { reason: errorText(aggregate.skipped) }))] : [];
}

// What each failure looked like to this style's code: the object it was handed, or the
// exception raised in it, with its traceback.
function failures(style, aggregate) {
  return aggregate.results.filter((row) => row.failure).map((row) => {
    const { failure } = row;
    const inThisCode = failure.traceback && failure.traceback.includes(`webdemo/${aggregate.job === "chain" ? "chains" : "styles"}/${style}.py`);
    const how = inThisCode ? t("Raised in this code, at the line that waited for it:")
      : failure.traceback ? t("Raised inside Tornado, then handed to this code as an object: its traceback never passes through this code.")
        : t("Handed to this code as an object; never raised, so there is no traceback.");
    const title = t("How the failure of {target} reached this code", { target: row.target });
    const trace = el("pre", "", `${failure.type}: ${failure.repr}`
      + (failure.traceback ? `\n\n${failure.traceback}` : ""));
    scrollableByKeyboard(trace, `${style}: ${title}`);  // one per column: names apart
    return el("details", "failure", el("summary", "", title), el("p", "", how), trace);
  });
}
