"use strict";
// The side-by-side page: runs the style handlers as JSON and draws their results.
// Without this script the page still works: each column's button opens its page.

const form = document.getElementById("controls");
const runBoth = document.getElementById("run-both");
const columns = [...document.querySelectorAll("article.style")];

// Builds an element; children are nodes or text, never parsed as HTML.
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function resultTable(aggregate) {
  const head = el("tr", "", ...["target", "status", "bytes", "time", "error"].map((name) => {
    const th = el("th", ["bytes", "time"].includes(name) ? "num" : "", name);
    th.scope = "col";
    return th;
  }));
  const rows = aggregate.results.map((row) => el("tr", row.error ? "failed" : "ok",
    el("td", "", el("code", "", row.target)),
    el("td", "", row.status === null ? "–" : String(row.status)),
    el("td", "num", String(row.bytes)),
    el("td", "num", `${(row.end_ms - row.start_ms).toFixed(1)} ms`),
    el("td", "error", row.error || "")));
  return el("table", "results", el("thead", "", head), el("tbody", "", ...rows));
}

function totals(aggregate) {
  return el("p", "totals",
    `${aggregate.ok} ok, ${aggregate.failed} failed, ${aggregate.total_bytes} bytes in `,
    el("strong", "", `${aggregate.elapsed_ms} ms`));
}

async function run(column) {
  const result = column.querySelector(".result");
  const query = new URLSearchParams(new FormData(form));
  result.setAttribute("aria-busy", "true");
  result.replaceChildren(el("p", "placeholder", `Running ${query.get("scenario")}…`));
  try {
    const response = await fetch(`/${column.dataset.style}?${query}`,
      { headers: { Accept: "application/json" } });
    const aggregate = await response.json();
    if (!response.ok) throw new Error(aggregate.error || response.statusText);
    result.replaceChildren(totals(aggregate), resultTable(aggregate));
  } catch (error) {
    result.replaceChildren(el("p", "error", `Could not run: ${error.message}`));
  } finally {
    result.removeAttribute("aria-busy");
  }
}

// Runs the given columns at the same moment, with every button off until all are done.
async function runColumns(chosen) {
  const buttons = document.querySelectorAll("#run-both, .run-one");
  const focused = document.activeElement;
  buttons.forEach((button) => { button.disabled = true; });
  try {
    await Promise.all(chosen.map(run));
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
    focused.focus();  // disabling the pressed button took the keyboard focus away
  }
}

runBoth.hidden = false;
runBoth.addEventListener("click", () => runColumns(columns));
for (const column of columns) {
  column.querySelector(".run-one").addEventListener("click", (event) => {
    event.preventDefault();
    runColumns([column]);
  });
}
