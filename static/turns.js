// Turn by turn: every column's run recorded turn by turn (trace=turns), stepped through
// on one clock. At each step each source has the line it runs lit, beside it what waits,
// each timeline its cursor at that moment, and the event log and the results show what
// had happened by then, no more. The server records; nothing is simulated: what a step
// says is read from the recorded turns (tests/browser/test_turns.py holds it to them).
import { read, write } from "./view-state.js";
import { busy, columns, redraw, runColumns } from "./app.js";
import { el, ms } from "./dom.js";
import { saidText, t } from "./words.js";

const SPEEDS = [1, 2, 5, 10];  // steps a second, when playing
const SCROLL_MARGIN_PX = 8;  // above a timeline brought into view
const RUN_AT_LEAST = 4;  // fetches in a row said as a range: 0, 1, 2 but 5–99
const SHOWN_AT_MOST = 12;  // names in a list; the rest counted
const ANSWERED = ["callback", "resumed", "returned"];  // events: the style's code has its answer
let stepper = null;

// The style's own code, its threads, and what carries its fetches; not asyncio's or
// Tornado's machinery.
const ours = (entry) => entry.line !== null || entry.index !== null || entry.kind === "thread";

// One step per turn, of any column, in the order of the server's clock; a step whose
// turn ran none of the style's code is the loop's own.
const allSteps = (chosen) => chosen.flatMap((column) => column.aggregate.turns
  .map((turn, at) => ({ column, at, t_ms: turn.t_ms, ours: turn.ran.some(ours) })))
  .sort((a, b) => a.t_ms - b.t_ms);

// An element made with its properties, e.g. a button with its type and what it does.
function made(tag, properties, text = "", action = null) {
  const node = Object.assign(el(tag, "", text), properties);
  if (action) node.addEventListener(tag === "button" ? "click" : "input", action);
  return node;
}

// What the callbacks that are not the style's did (asyncio's, Tornado's, and this server's
// run engine's), in plain words: the server says them (webdemo/trace/machinery.py), the
// name itself is one click away; one it has no words for is said in general.
const machineryText = (entry) => (entry.said ? saidText(entry.said)
  : t("another callback of asyncio's, Tornado's or this server's"));

const targetOf = (column, index) => column.aggregate.results[index]?.target ?? String(index);
// Names in a sentence: a fan-out's hundred, counted past the first few.
function listed(names) {
  const more = names.length - SHOWN_AT_MOST;
  return names.slice(0, SHOWN_AT_MOST).join(", ") + (more > 0 ? ` ${t("and {count} more", { count: more })}` : "");
}
const indicesOf = (entry) => (entry.index === null ? [] : [entry.index]);

// Fetch numbers as a reader takes them in: 0, 1, 2, 5–99.
function numbers(indices) {
  const runs = [];
  for (const index of indices) {
    const run = runs.at(-1);
    if (run && index === run.at(-1) + 1) run.push(index);
    else runs.push([index]);
  }
  return runs.flatMap((run) => (run.length >= RUN_AT_LEAST ? [`${run[0]}–${run.at(-1)}`] : run)).join(", ");
}
// The style's own function, with the fetches it works for.
const named = (entry, indices) => `${entry.what}${indices.length ? `(${numbers(indices)})` : ""}`;
const lined = (text, line) => (line ? `${text} · ${t("line {line}", { line })}` : text);
// Alike for a reader: the same kind, function (or socket's news), line and step.
const alike = (entry) => [entry.kind, entry.what, entry.line, entry.until, entry.step, entry.ended].join(" ");

// Entries alike as one, with the fetches of them all, e.g. fetch_one(0, 1, 2): a fan-out
// of 100 resumes 100 coroutines in a turn.
function grouped(entries, key = alike) {
  const groups = new Map();
  for (const entry of entries) {
    if (!groups.has(key(entry))) groups.set(key(entry), { entry, indices: [] });
    groups.get(key(entry)).indices.push(...indicesOf(entry));
  }
  return [...groups.values()];
}

// Entries of the style's, in words: its functions by name, the rest in plain words.
function label(entry, column, indices) {
  const target = listed(indices.map((index) => targetOf(column, index)));
  if (entry.step === "learnt") {
    return indices.length ? t("the loop learns that {target}'s thread returned", { target })
      : t("the loop learns that the thread returned");
  }
  if (entry.kind !== "io" && entry.kind !== "timer") return named(entry, indices);
  if (entry.what === "fetch ended") return t("{target}'s fetch ended", { target });
  if (entry.what === "socket writable") return t("{target}'s socket could be written: the request goes out", { target });
  return entry.ended ? t("{target}'s answer was read: its fetch is done", { target })
    : t("{target}'s socket had data to read", { target });
}

function entryText({ entry, indices }, column) {
  const kind = { io: t("I/O"), timer: t("timer"), thread: t("thread"), task: t("task"), callback: t("callback") };
  return `${kind[entry.kind]} ${lined(label(entry, column, indices), entry.line)}`;
}

// The callbacks of a turn that are not the style's: what they did, their names a click away.
function machineryItem(entries) {
  const what = [...new Set(entries.map(machineryText))].join("; ");
  return el("li", "machinery", el("details", "",
    el("summary", "", t("and {count} callbacks of asyncio's, Tornado's or this server's own: {what}", { count: entries.length, what })),
    el("ul", "", ...entries.map((entry) => el("li", "", el("code", "", entry.what))))));
}

// A sentence at the steps that matter, from what the server saw run in the turn: the
// first of these that any of its entries shows (a loaded loop may run three callbacks in
// one turn), said of the last entry that shows it.
const SENTENCES = [
  [(entry, events) => events.includes("blocked"), () => t("time.sleep() on the loop's thread: nothing else runs in this turn")],
  [(entry, events) => events.includes("render") && entry.kind === "callback", () => t("the last callback: the counter reached 0, render")],
  [(entry, events) => events.includes("render"), () => t("the coroutine resumed with every row: render")],
  [(entry, events) => events.includes("counter"), (entry) => t("a callback ran: the counter went down to {count}", { count: entry.remaining })],
  [(entry, events) => events.includes("resumed"), (entry) => t("a coroutine resumed where it waited, at line {line}", { line: entry.line })],
  [(entry, events) => entry.kind === "task" && events.includes("fetch-start") && entry.until, (entry) => t("a task started its fetch and waits at line {line}", { line: entry.until })],
  [(entry) => entry.kind === "task" && entry.what === "get" && entry.until === null, () => t("get() started every fetch and returned: the loop is free")],
  [(entry) => entry.kind === "io" && entry.ended, () => t("a response arrived: its Future is set, and what waits on it runs next turn")],
  [(entry) => entry.step === "learnt", () => t("the loop learns that a thread returned")],
  [(entry) => entry.step === "start", () => t("a thread starts its blocking fetch, off the loop")],
  [(entry) => entry.step === "return", () => t("a thread's blocking fetch returned, off the loop")],
];

function comment(turn) {
  for (const [shows, say] of SENTENCES) {
    const entry = turn.ran.filter((each) => shows(each, each.events || [])).pop();
    if (entry) return say(entry);
  }
  return "";
}

// What the recorded turns of `column` say of the moment its turn `at` had run: the
// fetches out (sent, not yet answered) and those answered, the tasks waiting at an await
// or a yield, the threads blocked in a fetch, how many of the run's events had been
// logged, and whether the page was rendered.
function stateAt(column, at) {
  const { turns, events } = column.aggregate;
  const ran = turns.slice(0, at + 1).flatMap((turn) => turn.ran);
  const logged = Math.max(0, ...ran.map((entry) => entry.logged || 0));
  const out = new Set();
  const answered = new Set(ran.filter((entry) => entry.ended || entry.step === "return")
    .map((entry) => entry.index));
  let rendered = false;
  for (const event of events.slice(0, logged)) {
    if (event.kind === "fetch-start" || event.kind === "sent") out.add(event.index);
    if (event.kind === "queued" || event.kind === "shared") out.delete(event.index);
    if (ANSWERED.includes(event.kind) && "index" in event) answered.add(event.index);
    if (event.kind === "render") rendered = true;
  }
  answered.forEach((index) => out.delete(index));
  const tasks = new Map();
  const threads = new Map();
  for (const entry of ran) {
    // A task that rendered is answering the page, not waiting: its line is where it ran.
    const waits = entry.until && !(entry.events || []).includes("render");
    const task = `${entry.what} ${entry.index}`;
    if (entry.kind === "task" && waits) tasks.set(task, entry);
    else if (entry.kind === "task") tasks.delete(task);
    if (entry.step === "start") threads.set(entry.index, entry);
    if (entry.step === "return") threads.delete(entry.index);
  }
  return { out, answered, tasks, threads, logged, rendered };
}

// What waits in `column` once its turn `at` has run, and what its loop runs next.
function waiting(column, at, state) {
  const { turns } = column.aggregate;
  const turn = turns[at];
  const next = turns.slice(at + 1).find((later) => !later.thread);
  // Ready as this turn ended, or woken later by a socket or a timer?
  const queued = next && next.t_ms - turn.t_ms - (turn.ms || 0) < 1;
  const nextWhat = next ? [...grouped(next.ran.filter(ours)).map(({ entry, indices }) => label(entry, column, indices)),
    ...new Set(next.ran.filter((entry) => !ours(entry)).map(machineryText))] : [];
  return [
    ["out", t("In flight"), [...state.out].sort((a, b) => a - b).map((index) => targetOf(column, index))],
    ["tasks", t("Tasks waiting"), grouped([...state.tasks.values()], (entry) => `${entry.what} ${entry.until}`)
      .map(({ entry, indices }) => lined(named(entry, indices), entry.until))],
    ["threads", t("Threads blocked"), grouped([...state.threads.values()].sort((a, b) => a.index - b.index), (entry) => entry.what)
      .map(({ entry, indices }) => named(entry, indices))],
    ["next", queued ? t("Queued for the next turn") : next && t("Next, when the loop wakes at {at}", { at: ms(next.t_ms) }), nextWhat],
  ].filter(([, , items]) => items.length)
    .map(([name, title, items]) => {
      const more = items.length - SHOWN_AT_MOST;
      const item = el("li", "", el("b", "", `${title}: `),
        ...items.slice(0, SHOWN_AT_MOST).flatMap((text, at) => [...(at ? [", "] : []), el("span", "item", text)]),
        ...(more > 0 ? [" ", el("span", "more", t("and {count} more", { count: more }))] : []));
      item.dataset.list = name;
      return item;
    });
}

// The event log and the results of `column` as they stood: the rest is marked later.
function showWhatHappened(column, state) {
  column.article.querySelectorAll("ol.events > li").forEach((item, at) => {
    item.classList.toggle("later", at >= state.logged);
  });
  const log = column.article.querySelector("ol.events");
  if (log) log.scrollTop = log.scrollHeight;
  // The count of the run's events and threads, once all of them have been.
  column.article.querySelector(".threads").classList
    .toggle("later", state.logged < column.aggregate.events.length);
  const { result } = column;
  result.querySelectorAll("tbody tr").forEach((row, index) => {
    row.classList.toggle("later", !state.answered.has(index));
  });
  result.querySelectorAll(".totals, .skipped, details.failure")
    .forEach((part) => part.classList.toggle("later", !state.rendered));
  result.querySelector("table.results")?.classList.toggle("later", !state.answered.size);
  column.notYet.hidden = state.answered.size > 0;
}

// Scrolls `line` to the middle of its source's box, and the box alone.
function centre(line) {
  const box = line.closest(".source");
  box.scrollTop = line.offsetTop - (box.clientHeight - line.offsetHeight) / 2;
}

// What `column` shows at a step: its latest turn, the line it runs, what waits.
function showColumn(column, at, clock_ms, isItsTurn) {
  const box = column.turnBox;
  column.chart.dataset.cursorMs = clock_ms;
  document.querySelectorAll(`[id^="${column.style}-line-"].step`)
    .forEach((line) => line.classList.remove("step"));
  box.dataset.turn = at;
  const state = at < 0 ? { out: new Set(), answered: new Set(), logged: 0, rendered: false }
    : stateAt(column, at);
  showWhatHappened(column, state);
  if (at < 0) {
    box.replaceChildren(el("p", "help", t("No turn of this run yet.")));
    return;
  }
  const turn = column.aggregate.turns[at];
  const machinery = turn.ran.filter((entry) => !ours(entry));
  // Where its code is once this turn has run: where it waits or runs on, else the line
  // that last ran (a callback's, a thread's).
  const lined = column.aggregate.turns.slice(0, at + 1).flatMap((each) => each.ran)
    .filter((entry) => entry.line !== null).pop();
  const line = lined && document.getElementById(`${column.style}-line-${lined.until ?? lined.line}`);
  if (line) {
    line.classList.add("step");
    centre(line);
  }
  const when = turn.thread ? t("in thread {thread}, at {at}", { thread: turn.thread, at: ms(turn.t_ms) })
    : t("turn at {at}, {long} long", { at: ms(turn.t_ms), long: ms(turn.ms) });
  box.classList.toggle("its-turn", isItsTurn);
  box.replaceChildren(
    el("p", "when", when),
    el("ul", "ran", ...grouped(turn.ran.filter(ours)).map((group) => el("li", `kind-${group.entry.kind}`, entryText(group, column))),
      ...(machinery.length ? [machineryItem(machinery)] : [])),
    el("p", "comment", isItsTurn ? comment(turn) : ""),
    el("ul", "waiting", ...waiting(column, at, state)));
}

class Stepper {
  // everyTurn: the loop's own turns shown from the start, e.g. where a lesson counts them.
  constructor(chosen, everyTurn) {
    this.chosen = chosen;
    this.every = allSteps(chosen);
    this.index = 0;
    this.timer = null;
    this.panel = made("section", { className: "turns", id: "turns", ariaLabel: t("Turn by turn") });
    const button = { type: "button" };
    this.back = made("button", button, t("◀ Back"), () => this.go(this.index - 1));
    this.play = made("button", button, t("Play"), () => (this.timer ? this.pause() : this.start()));
    this.forward = made("button", button, t("Forward ▶"), () => this.go(this.index + 1));
    this.slider = made("input", { type: "range", min: 0, value: 0, ariaLabel: t("Turn") },
      "", () => this.go(Number(this.slider.value)));
    this.speed = made("select", { ariaLabel: t("Speed") });
    this.speed.append(...SPEEDS.map((speed) => new Option(t("{count} a second", { count: speed }), speed)));
    this.speed.addEventListener("change", () => this.timer && this.start());
    this.status = el("output", "status");
    // The turns that ran only the loop's machinery are folded, unless asked for.
    this.machinery = made("input", { type: "checkbox", id: "loop-turns", checked: everyTurn });
    this.machinery.addEventListener("change", () => this.fold(this.steps[this.index]));
    const folded = this.every.filter((step) => !step.ours).length;
    this.panel.append(el("h2", "", t("Turn by turn")),
      el("div", "row", this.back, this.play, this.forward, this.slider, this.speed, this.status),
      el("p", "switch", this.machinery, made("label", { htmlFor: "loop-turns" },
        t("Show the {count} turns that ran none of the style's own code", { count: folded })),
      el("span", "help", t("Each step is one turn of an event loop, as the server recorded it: ← and → step, Home and End go to either end."))));
    this.panel.addEventListener("keydown", (event) => this.key(event));
    for (const column of chosen) {
      column.notYet = el("p", "placeholder", t("No answer has come yet at this step."));
      column.result.prepend(column.notYet);
      column.turnBox = made("div", { className: "turn-now", ariaLive: "polite" });
      (column.article.querySelector(".code") || column.article.querySelector(".watch")).prepend(column.turnBox);
    }
    document.querySelector(".columns, .stacked").before(this.panel);
    document.body.classList.add("stepping");
    this.fold(null);
  }

  // Shows the loop's own turns or folds them, staying at `step` (or the nearest before).
  fold(step) {
    this.steps = this.every.filter((each) => this.machinery.checked || each.ours);
    this.slider.max = this.steps.length - 1;
    const before = step && this.every.slice(0, this.every.indexOf(step) + 1)
      .filter((each) => this.steps.includes(each)).pop();
    this.go(before ? this.steps.indexOf(before) : 0);
  }

  // Goes to the step that the address's turn=N names: N counts every turn, folded or not.
  // (Not step=: a lesson's address says with step= how far the lesson went.)
  goToAddress(number) {
    const step = this.every[Math.min(Math.max(number, 1), this.every.length) - 1];
    if (!step.ours) this.machinery.checked = true;
    this.fold(step);
  }

  key(event) {
    if (event.target === this.slider || event.target === this.speed) return;  // their own keys
    const to = { ArrowLeft: this.index - 1, ArrowRight: this.index + 1, Home: 0, End: this.steps.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.go(to);
  }

  go(index) {
    this.index = Math.max(0, Math.min(index, this.steps.length - 1));
    const step = this.steps[this.index];
    for (const column of this.chosen) {
      const at = this.every.slice(0, this.every.indexOf(step) + 1).filter((each) => each.column === column).pop();
      showColumn(column, at ? at.at : -1, step.t_ms, column === step.column);
    }
    this.slider.value = this.index;
    this.status.value = t("step {step} of {count} · {at}", { step: this.index + 1, count: this.steps.length, at: ms(step.t_ms) });
    write({ turn: this.every.indexOf(step) + 1 });
    this.bringIntoView(step.column);
    if (this.index === this.steps.length - 1) this.pause();
    redraw();
  }

  // Scrolls the window, if it must, for `column`'s timeline, turn and lit line to show
  // below the sticky panel, as much of them as the window holds.
  bringIntoView(column) {
    const top = Math.min(column.chart.getBoundingClientRect().top,
      column.turnBox.getBoundingClientRect().top) - SCROLL_MARGIN_PX;
    const last = column.article.querySelector(".source .step") || column.turnBox;
    const room = this.panel.getBoundingClientRect().bottom;
    if (top < room || last.getBoundingClientRect().bottom > window.innerHeight) {
      window.scrollBy(0, top - room);
    }
  }

  start() {
    clearInterval(this.timer);
    if (this.index === this.steps.length - 1) this.go(0);
    this.timer = setInterval(() => this.go(this.index + 1), 1000 / Number(this.speed.value));
    this.play.textContent = t("Pause");
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = t("Play");
  }

  remove() {
    this.pause();
    this.panel.remove();
    for (const column of this.chosen) {
      column.turnBox.remove();
      column.notYet.remove();
      delete column.chart.dataset.cursorMs;
    }
    document.querySelectorAll(".source .step").forEach((line) => line.classList.remove("step"));
    document.querySelectorAll(".later").forEach((node) => node.classList.remove("later"));
    document.body.classList.remove("stepping");
    write({ turn: null });
    redraw();
  }
}

// Wires the page's "Step through the turns" button: it runs every column traced, then
// steps; an address with turn=N runs them at once and goes to that turn.
export function startTurns() {
  const button = document.getElementById("step-turns");
  button.classList.remove("awaits-script");
  document.getElementById("step-turns-help")?.classList.remove("awaits-script");
  const forget = () => { stepper?.remove(); stepper = null; };
  document.querySelectorAll("#run-both, #run-all, .run-one").forEach((other) => other.addEventListener("click", forget));
  const stepTo = async (number) => {
    const form = document.getElementById("controls");
    if (!form.reportValidity()) return;
    forget();
    button.disabled = true;
    await busy(async () => {
      const ran = await runColumns(columns, {}, { trace: "turns" });
      const traced = columns.filter((column, at) => ran[at] && column.aggregate.turns);
      if (traced.length) stepper = new Stepper(traced, "everyTurn" in button.dataset);
    });
    button.disabled = false;
    if (!stepper) return;
    if (number) stepper.goToAddress(number);
    stepper.panel.scrollIntoView({ block: "start" });
    stepper.forward.focus({ preventScroll: true });
  };
  button.addEventListener("click", () => stepTo(null));
  const asked = Number.parseInt(read("turn"), 10);
  if (asked > 0) stepTo(asked);
}
