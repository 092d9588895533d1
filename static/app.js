// A page that runs style handlers live (the side-by-side page, and every style stacked):
// its columns, the buttons that run them, and the scenario's knobs. Without the script the
// pages still work: each column's button opens its aggregate page.
import { niceCeiling } from "./chart.js";
import { Column } from "./column.js";
import { el } from "./dom.js";
import { messages } from "./sse.js";
import { readAll, startLinkControl, write } from "./view-state.js";
import { t } from "./words.js";

const REDRAW_MS = 50;  // at most 20 redraws a second: the server may share the CPU
const SCROLL_MARGIN_PX = 150;  // a timeline lower than this from the window's foot is brought up
const AXIS_AT_LEAST_MS = 100;

export const form = document.getElementById("controls");
export const columns = [...document.querySelectorAll("article.style")]
  .map((article) => new Column(article));
let frame = null;

// Redraws every timeline soon, on one axis, and again and again while any column runs.
export function redraw() {
  if (frame !== null) return;
  frame = setTimeout(() => requestAnimationFrame(() => {
    frame = null;
    const axis_ms = niceCeiling(Math.max(AXIS_AT_LEAST_MS,
      ...columns.map((column) => column.run.now_ms())));
    for (const column of columns) column.draw(axis_ms);
    if (columns.some((column) => column.run.running)) redraw();
  }), REDRAW_MS);
}

async function run(column, query, path = column.path) {
  const { result } = column;
  column.failure = null;
  result.setAttribute("aria-busy", "true");
  result.replaceChildren(el("p", "placeholder",
    t("Running {scenario}…", { scenario: query.get("scenario") })));
  try {
    query.set("format", "events");
    const response = await fetch(`${path}?${query}`, { headers: { Accept: "text/event-stream" } });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error(answer.error || response.statusText);
    }
    let finished = false;
    for await (const [name, data] of messages(response)) {
      if (name === "run") column.begin(data);
      else if (name === "event") column.event(data);
      else if (name === "aggregate") {
        column.finish(data);
        finished = true;
      }
      redraw();
    }
    if (!finished) throw new Error(t("the run ended before its results came"));
    return true;
  } catch (error) {
    column.run.stop();
    column.failure = error.message;  // why, for a demo that reports it in words of its own
    result.replaceChildren(el("p", "error", t("Could not run: {reason}", { reason: error.message })));
    return false;
  } finally {
    result.removeAttribute("aria-busy");
    redraw();
  }
}

// Runs `work` with every button off until it is done, then gives the focus back.
export async function busy(work) {
  const buttons = document.querySelectorAll("#run-both, #run-all, .run-one, button.try");
  const focused = document.activeElement;
  buttons.forEach((button) => { button.disabled = true; });
  try {
    await work();
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
    // Disabling the pressed button took the keyboard focus away; give it back where it
    // is, without scrolling away from the timelines.
    focused.focus({ preventScroll: true });
  }
}

// Runs the given columns at the same moment; a column may run another path than its own,
// with `extra` arguments. Answers whether each run came to its results.
export function runColumns(chosen, paths = {}, extra = {}) {
  const timeline = chosen[0].chart;
  if (timeline.getBoundingClientRect().top > window.innerHeight - SCROLL_MARGIN_PX) {
    timeline.closest(".watch").scrollIntoView({ block: "start", behavior: "smooth" });
  }
  return Promise.all(chosen.map((column) => {
    const query = new URLSearchParams(new FormData(form));
    for (const [name, value] of Object.entries(extra)) query.set(name, value);
    return run(column, query, paths[column.style]);
  }));
}

// The knobs a view's address keeps: the scenario always, the others when not as they came.
const KNOBS = ["scenario", "n", "delay_ms", "limit", "slow"];

function keepKnobs() {
  const byDefault = (select) => [...select.options].find((option) => option.defaultSelected)
    ?? select.options[0];
  const changed = (field) => field.value !== (field.tagName === "SELECT"
    ? byDefault(field).value : field.defaultValue);
  write(Object.fromEntries(KNOBS.map((name) => {
    const fields = [...form.querySelectorAll(`[name="${name}"]`)].filter((field) => !field.disabled);
    const kept = name === "scenario" || fields.some(changed);
    return [name, kept ? fields.map((field) => field.value) : null];
  })));
}

// The knobs as the address names them, where it names them: a value no option has is left.
function restoreKnobs() {
  for (const name of KNOBS.slice(1)) {
    const values = readAll(name);
    form.querySelectorAll(`[name="${name}"]`).forEach((field, index) => {
      const value = values[index];
      if (value === undefined) return;
      if (field.tagName === "SELECT" && ![...field.options].some((option) => option.value === value)) return;
      field.value = value;
    });
  }
}

// Only the knobs of the chosen scenario show (site.css), and only theirs are sent.
function sendOnlyShownKnobs(scenario) {
  for (const knob of form.querySelectorAll("[data-scenario]")) {
    const shown = knob.dataset.scenario === scenario;
    knob.querySelectorAll("input").forEach((input) => { input.disabled = !shown; });
  }
}

// Wires the page's run buttons and scenario.
export function start() {
  const runAll = document.querySelector("#run-both, #run-all");
  runAll.classList.remove("awaits-script");
  runAll.addEventListener("click", () => {
    if (form.reportValidity()) busy(() => runColumns(columns));
  });
  for (const column of columns) {
    column.article.querySelector(".run-one").addEventListener("click", (event) => {
      event.preventDefault();
      if (form.reportValidity()) busy(() => runColumns([column]));
    });
  }
  // Another job shows other sources and scenarios: the page is asked for again.
  document.getElementById("job").addEventListener("change", (event) => {
    const address = new URL(window.location);
    address.searchParams.set("job", event.target.value);
    address.searchParams.delete("scenario");
    window.location.assign(address);
  });
  const scenario = document.getElementById("scenario");
  scenario.addEventListener("change", () => sendOnlyShownKnobs(scenario.value));
  // The address names the scenario and its knobs, so that a comparison can be shared.
  restoreKnobs();
  sendOnlyShownKnobs(scenario.value);
  form.addEventListener("change", keepKnobs);
  startLinkControl(document.getElementById("view-link"), t);
  window.addEventListener("resize", redraw);
}
