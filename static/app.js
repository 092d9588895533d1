"use strict";
// The side-by-side page, and the page of every style stacked: runs the style handlers
// live and draws what happens in each, on one time axis. Without this script the pages
// still work: each column's button opens its aggregate page.

const SVG = "http://www.w3.org/2000/svg";
const form = document.getElementById("controls");
const runAll = document.querySelector("#run-both, #run-all");
const scenario = document.getElementById("scenario");

// The page's words, in its language: {English: translation}, from the server.
const intro = document.getElementById("intro");
const t = translator(intro);

// What each event kind is called in the log, in the page's language; a style's own
// kinds show as they are.
const KINDS = JSON.parse(intro.dataset.kinds || "{}");
// The failures described in fixed words, in the page's language; others show as they are.
const ERRORS = JSON.parse(intro.dataset.errors || "{}");
const errorText = (error) => ERRORS[error] || error;

// Builds an element; children are nodes or text, never parsed as HTML.
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const ms = (value) => `${Number(value).toFixed(1)} ms`;

// A round number of milliseconds at or above `value`, for the end of the axis.
function niceCeiling(value) {
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * step)
    .find((nice) => nice >= value);
}

// One column: its live run, its timeline, its event log, its results. On the stacked
// page a column has no event log, and shows only the totals of its results.
class Column {
  constructor(article) {
    this.article = article;
    this.style = article.dataset.style;
    this.chart = article.querySelector(".chart");
    this.legend = article.querySelector(".timeline-key");
    this.events = article.querySelector("ol.events");
    this.threads = article.querySelector(".threads");
    this.result = article.querySelector(".result");
    this.fetches = [];
    this.running = false;
    this.latest = 0;
  }

  // A new run: every target gets its row, empty until its fetch starts.
  begin(run) {
    this.fetches = run.targets.map((target) => ({
      target, start: null, queued: false, sent: null, end: null }));
    this.timeoutMs = run.timeout_ms;
    this.limit = run.limit;
    this.clock = performance.now();
    this.latest = 0;
    this.threadNames = new Set();
    this.count = 0;
    this.running = true;
    this.events?.replaceChildren();
    this.threads.textContent = "";
    if (this.legend) this.legend.hidden = false;
  }

  // The run's time now, in the server's milliseconds since it started.
  now() {
    return this.running ? Math.max(this.latest, performance.now() - this.clock) : this.latest;
  }

  event(event) {
    this.latest = Math.max(this.latest, event.t_ms);
    const fetch = this.fetches[event.index];
    if (fetch && event.kind === "fetch-start") fetch.start = event.t_ms;
    else if (fetch && event.kind === "queued") fetch.queued = true;
    else if (fetch && event.kind === "sent") fetch.sent = event.t_ms;
    else if (fetch && "error" in event) {  // the fetch's result reached the style's code
      Object.assign(fetch, { end: event.t_ms, status: event.status, error: event.error });
    }
    this.log(event);
  }

  log(event) {
    const details = [];
    if ("status" in event) details.push(event.status === null ? "–" : String(event.status));
    if (event.error) details.push(el("span", "error", errorText(event.error)));
    if ("remaining" in event) details.push(t("remaining {count}", { count: event.remaining }));
    const item = el("li", `kind-${event.kind}`,
      el("span", "time", ms(event.t_ms)), " ", el("span", "kind", KINDS[event.kind] || event.kind));
    if (event.target) item.append(" ", el("code", "", event.target));
    for (const detail of details) item.append(" ", detail);
    if (this.events) {
      this.events.append(item);
      this.events.scrollTop = this.events.scrollHeight;
    }
    this.threadNames.add(event.thread);
    this.count += 1;
    this.threads.textContent = this.threadNames.size === 1
      ? t("{count} events, all on one thread: {thread}", { count: this.count, thread: event.thread })
      : t("{count} events on {threads} threads", { count: this.count, threads: this.threadNames.size });
  }

  // The whole aggregate: the rows as the server measured them, then the table.
  finish(aggregate) {
    this.fetches = aggregate.results.map((row) => ({
      target: row.target, start: row.start_ms, queued: row.queued_ms > 0,
      sent: row.queued_ms > 0 && row.queued_ms < row.end_ms - row.start_ms
        ? row.start_ms + row.queued_ms : null,
      end: row.end_ms, status: row.status, error: row.error,
    }));
    this.latest = aggregate.elapsed_ms;
    this.running = false;
    this.result.replaceChildren(totals(aggregate), ...("totalsOnly" in this.result.dataset ? []
      : [resultTable(aggregate), ...failures(this.style, aggregate)]));
  }

  stop() {
    this.running = false;
  }

  outcome(fetch) {
    if (fetch.end === null) return "running";
    if (!fetch.error) return "ok";
    return fetch.status === null ? "no-answer" : "failed";
  }

  // Draws the timeline on the shared axis: 0 to `axis` ms across the width.
  draw(axis) {
    const width = Math.max(this.chart.clientWidth, 320);
    const label = 104;
    const count = this.fetches.length;
    const rowHeight = count <= 12 ? 22 : Math.max(3, Math.floor(300 / count));
    const top = 18;
    const height = top + count * rowHeight + 4;
    const x = (time) => label + (Math.min(time, axis) / axis) * (width - label - 8);
    const hatch = `${this.style}-hatch`;
    const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` },
      svg("defs", {}, svg("pattern", { id: hatch, width: 6, height: 6,
        patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
      svg("rect", { width: 6, height: 6, class: "hatch-ground" }),
      svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }))));
    for (let tick = 0; tick <= 4; tick += 1) {
      const time = (axis * tick) / 4;
      chart.append(svg("line", { x1: x(time), x2: x(time), y1: top - 4, y2: height, class: "grid" }),
        svg("text", { x: x(time), y: 11, class: "tick",
          "text-anchor": ["start", "middle", "middle", "middle", "end"][tick] },
          time >= 1000 ? `${Number((time / 1000).toFixed(2))} s` : `${Math.round(time)} ms`));
    }
    if (this.limit >= count && this.timeoutMs <= axis) {  // all sent at once: one deadline
      chart.append(svg("line", { x1: x(this.timeoutMs), x2: x(this.timeoutMs), y1: top - 4,
        y2: height, class: "timeout" }, svg("title", {}, t("timeout"))));
    }
    const now = this.now();
    this.fetches.forEach((fetch, index) => {
      const y = top + index * rowHeight;
      if (rowHeight >= 12) {
        chart.append(svg("text", { x: 0, y: y + rowHeight * 0.7, class: "label" }, fetch.target));
      }
      if (fetch.start === null) return;
      const end = fetch.end === null ? now : fetch.end;
      // A fetch still in line, or never sent, waited all its time so far.
      const sent = !fetch.queued ? fetch.start : fetch.sent === null ? end : fetch.sent;
      const bar = { y: y + 2, height: Math.max(rowHeight - 4, 2) };
      const outcome = this.outcome(fetch);
      const title = `${fetch.target}: ${ms(fetch.start)} – ${fetch.end === null ? "…" : ms(end)}`
        + (fetch.error ? ` (${errorText(fetch.error)})` : "");
      if (sent > fetch.start) {
        chart.append(svg("rect", { x: x(fetch.start), width: Math.max(x(sent) - x(fetch.start), 1),
          ...bar, class: "queued", fill: `url(#${hatch})` },
        svg("title", {}, `${t("waiting for a slot")}: ${ms(sent - fetch.start)}`)));
      }
      if (!fetch.queued || fetch.sent !== null) {
        chart.append(svg("rect", { x: x(sent), width: Math.max(x(end) - x(sent), 2), ...bar,
          class: `bar ${outcome}`, "data-target": fetch.target }, svg("title", {}, title)));
      }
    });
    this.chart.replaceChildren(chart);
  }
}

function resultTable(aggregate) {
  const names = [[t("target"), ""], [t("status"), ""], [t("bytes"), "num"], [t("time"), "num"],
    [t("error"), ""], [t("waited in line"), "num"]];
  const head = el("tr", "", ...names.map(([name, className]) => {
    const th = el("th", className, name);
    th.scope = "col";
    return th;
  }));
  const rows = aggregate.results.map((row) => el("tr", row.error ? "failed" : "ok",
    el("td", "", el("code", "", row.target)),
    el("td", "", row.status === null ? "–" : String(row.status)),
    el("td", "num", String(row.bytes)),
    el("td", "num", ms(row.end_ms - row.start_ms)),
    el("td", "error", row.error ? errorText(row.error) : ""),
    el("td", "num", row.queued_ms ? ms(row.queued_ms) : "–")));
  return el("table", "results", el("thead", "", head), el("tbody", "", ...rows));
}

function totals(aggregate) {
  return el("p", "totals",
    t("{ok} ok, {failed} failed, {bytes} bytes in", {
      ok: aggregate.ok, failed: aggregate.failed, bytes: aggregate.total_bytes }), " ",
    el("strong", "", `${aggregate.elapsed_ms} ms`));
}

// What each failure looked like to this style's code: the object it was handed, or the
// exception raised in it, with its traceback.
function failures(style, aggregate) {
  return aggregate.results.filter((row) => row.failure).map((row) => {
    const { failure } = row;
    const inThisCode = failure.traceback && failure.traceback.includes(`webdemo/styles/${style}.py`);
    const how = inThisCode ? t("Raised in this code, at the line that waited for it:")
      : failure.traceback ? t("Raised inside Tornado, then handed to this code as an object: its traceback never passes through this code.")
        : t("Handed to this code as an object; never raised, so there is no traceback.");
    return el("details", "failure",
      el("summary", "", t("How the failure of {target} reached this code", { target: row.target })),
      el("p", "", how),
      el("pre", "", `${failure.type}: ${failure.repr}`
        + (failure.traceback ? `\n\n${failure.traceback}` : "")));
  });
}

const columns = [...document.querySelectorAll("article.style")].map((article) => new Column(article));
const REDRAW_MS = 50;  // at most 20 redraws a second: the server may share the CPU
let frame = null;

// Redraws every timeline soon, on one axis, and again and again while any column runs.
function redraw() {
  if (frame !== null) return;
  frame = setTimeout(() => requestAnimationFrame(() => {
    frame = null;
    const longest = Math.max(100, ...columns.map((column) => column.now()));
    const axis = niceCeiling(longest);
    for (const column of columns) if (column.fetches.length) column.draw(axis);
    if (columns.some((column) => column.running)) redraw();
  }), REDRAW_MS);
}

// The messages of a server-sent event stream, as they arrive: [name, data] pairs.
async function* messages(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const blocks = buffer.split("\n\n");
    buffer = blocks.pop();
    for (const block of blocks) {
      const fields = Object.fromEntries(block.split("\n").map((line) => {
        const colon = line.indexOf(": ");
        return [line.slice(0, colon), line.slice(colon + 2)];
      }));
      yield [fields.event, JSON.parse(fields.data)];
    }
  }
}

async function run(column, query, path = `/${column.style}`) {
  const { result } = column;
  result.setAttribute("aria-busy", "true");
  result.replaceChildren(el("p", "placeholder",
    t("Running {scenario}…", { scenario: query.get("scenario") })));
  try {
    query.set("format", "events");
    const response = await fetch(`${path}?${query}`,
      { headers: { Accept: "text/event-stream" } });
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
    column.stop();
    result.replaceChildren(el("p", "error", t("Could not run: {reason}", { reason: error.message })));
    return false;
  } finally {
    result.removeAttribute("aria-busy");
    redraw();
  }
}

// Runs `work` with every button off until it is done, then gives the focus back.
async function busy(work) {
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

// Runs the given columns at the same moment; a column may run another path than its own.
function runColumns(chosen, paths = {}, extra = {}) {
  const timeline = chosen[0].chart;
  if (timeline.getBoundingClientRect().top > window.innerHeight - 150) {
    timeline.closest(".watch").scrollIntoView({ block: "start", behavior: "smooth" });
  }
  return Promise.all(chosen.map((column) => {
    const query = new URLSearchParams(new FormData(form));
    for (const [name, value] of Object.entries(extra)) query.set(name, value);
    return run(column, query, paths[column.style]);
  }));
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

// The break-it demos: each fills its outcome with what really happened.
const DEMOS = {
  async "forgotten-check"() {
    const lines = [];
    for (const scenarioName of ["one-fails", "one-refused"]) {
      const [kept, forgotten] = await Promise.all([
        getJSON(`/callbacks?scenario=${scenarioName}`),
        getJSON(`/break/forgotten-check?scenario=${scenarioName}`)]);
      const wrong = forgotten.results[1];
      lines.push(el("li", "", el("code", "", scenarioName), " ",
        t("with the check: {ok} ok, {failed} failed; without it: {wrong_ok} ok, {wrong_failed} failed.",
          { ok: kept.ok, failed: kept.failed, wrong_ok: forgotten.ok, wrong_failed: forgotten.failed }),
        " ", wrong.status === 599  // Tornado's own code for an answer that never came
          ? t("{target} never answered (Tornado's stand-in status 599, 0 bytes) and passed for a success.",
            { target: wrong.target })
          : t("{target} answered {status} with {bytes} bytes and passed for a success.",
            { target: wrong.target, status: wrong.status, bytes: wrong.bytes })));
    }
    return [el("ul", "", ...lines)];
  },
  async "essay-2016"() {
    const answer = await getJSON("/break/essay-2016");
    const fetched = answer.fetch.error
      ? t("The fetch failed: {error}", { error: errorText(answer.fetch.error) })
      : t("The fetch succeeded: {status}, {bytes} bytes in {ms} ms.", answer.fetch);
    return [el("ul", "",
      el("li", "", t("fetch() takes:"), " ", el("code", "", answer.signature)),
      el("li", "", t("raise_error was given:"), " ", el("code", "", answer.raise_error)),
      el("li", "", fetched),
      el("li", "", el("strong", "", answer.callback_ran ? t("handle_response ran.")
        : t("handle_response never ran: still not called {ms} ms after the fetch began.",
          { ms: answer.waited_ms }))))];
  },
  async blocking(button) {
    const sleeper = columns.find((column) => column.style === button.dataset.style);
    const other = columns.find((column) => column !== sleeper);
    const ms = Number(button.dataset.blockMs);
    const done = await runColumns(columns, { [sleeper.style]: `/break/blocking/${sleeper.style}` },
      { block_ms: ms });
    if (!done.every(Boolean)) throw new Error(sleeper.result.textContent || other.result.textContent);
    const times = [...other.events.querySelectorAll(".time")].map((time) => parseFloat(time.textContent));
    const pause = Math.max(0, ...times.slice(1).map((time, i) => time - times[i]));
    const said = [el("p", "", t("The {sleeper} handler slept {ms} ms. The {other} column's longest pause between two events: {pause} ms.",
      { sleeper: sleeper.style, other: other.style, ms, pause: pause.toFixed(1) }))];
    if (button.dataset.otherOffLoop === "True") {  // its code is not on the loop: say what still stops
      said.push(el("p", "", t("{other} does not run its code on the loop, but the simulated sites it fetches are served by this same loop, and its results come back through it: whatever it still waits for waits while the loop sleeps.",
        { other: other.style })));
    }
    return said;
  },
};

// Only the knobs of the chosen scenario show; hidden ones are not sent.
function showKnobs() {
  for (const knob of form.querySelectorAll("[data-scenario]")) {
    const shown = knob.dataset.scenario === scenario.value;
    knob.hidden = !shown;
    knob.querySelectorAll("input").forEach((input) => { input.disabled = !shown; });
  }
}

// A point of comparison opened: its lines light up in every source; closed, they go out.
function lightUp() {
  const open = document.querySelector("details.point[open]");
  for (const line of document.querySelectorAll(".source .marked")) {
    const lit = open !== null && line.dataset.points.split(" ").includes(open.dataset.point);
    line.classList.toggle("lit", lit);
  }
  const first = document.querySelector(".source .lit");
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

runAll.hidden = false;
runAll.addEventListener("click", () => {
  if (form.reportValidity()) busy(() => runColumns(columns));
});
for (const column of columns) {
  column.article.querySelector(".run-one").addEventListener("click", (event) => {
    event.preventDefault();
    if (form.reportValidity()) busy(() => runColumns([column]));
  });
}
for (const button of document.querySelectorAll("button.try")) {
  const outcome = button.closest(".demo").querySelector(".outcome");
  button.hidden = false;
  button.addEventListener("click", () => {
    if (!form.reportValidity()) return;
    outcome.replaceChildren(el("p", "placeholder", t("Running…")));
    busy(async () => {
      try {
        outcome.replaceChildren(...await DEMOS[button.dataset.demo](button));
      } catch (error) {
        outcome.replaceChildren(el("p", "error", t("Could not run: {reason}", { reason: error.message })));
      }
    });
  });
}
scenario.addEventListener("change", showKnobs);
// The address names the chosen scenario, so that a comparison can be shared.
scenario.addEventListener("change", () => {
  const address = new URL(window.location);
  address.searchParams.set("scenario", scenario.value);
  window.history.replaceState(null, "", address);
});
showKnobs();
for (const point of document.querySelectorAll("details.point")) {
  point.addEventListener("toggle", lightUp);
}
window.addEventListener("resize", redraw);

// The setup line says the timeout the run will have: slow motion stretches it, up to a cap.
const setupTimeout = document.getElementById("setup-timeout");
const slowMotion = document.getElementById("slow");
function stretchTimeout() {
  const { seconds, most } = setupTimeout.dataset;
  const stretched = Number(Math.min(Number(seconds) * Number(slowMotion.value), Number(most))
    .toFixed(2));
  setupTimeout.textContent = Number.isInteger(stretched) ? stretched.toFixed(1) : String(stretched);
}
if (setupTimeout) {  // the side-by-side page has one; /all, with its six styles, has none
  slowMotion.addEventListener("change", stretchTimeout);
  stretchTimeout();
}

// The chooser never offers one style on both sides: chosen on one, it is off the other.
const sides = [...document.querySelectorAll("form.choose select")];
function offerOnlyDifferentStyles() {
  for (const select of sides) {
    const other = sides.find((side) => side !== select);
    for (const option of select.options) option.disabled = option.value === other.value;
  }
}
sides.forEach((select) => select.addEventListener("change", offerOnlyDifferentStyles));
offerOnlyDifferentStyles();
