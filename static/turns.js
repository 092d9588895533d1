// Turn by turn: every column's run recorded turn by turn (trace=turns), stepped through
// on one clock. At each step each source has the line it runs lit, beside it what waits,
// and each timeline its cursor at that moment. The server records; nothing is simulated.
import { busy, columns, redraw, runColumns } from "./app.js";
import { el, ms } from "./dom.js";
import { t } from "./words.js";

const SPEEDS = [1, 2, 5, 10];  // steps a second, when playing
let stepper = null;

// One step per turn, of any column, in the order of the server's clock.
const allSteps = (chosen) => chosen.flatMap((column) => column.aggregate.turns
  .map((turn, at) => ({ column, at, t_ms: turn.t_ms }))).sort((a, b) => a.t_ms - b.t_ms);

// An element made with its properties, e.g. a button with its type and what it does.
function made(tag, properties, text = "", action = null) {
  const node = Object.assign(el(tag, "", text), properties);
  if (action) node.addEventListener(tag === "button" ? "click" : "input", action);
  return node;
}

const named = (entry) => `${entry.what}${entry.index === null ? "" : `(${entry.index})`}`;
// The style's own code, and what carries its fetches; not asyncio's or Tornado's machinery.
const ours = (entry) => entry.line !== null || entry.index !== null;

function entryText(entry) {
  const kind = { io: t("I/O"), timer: t("timer"), thread: t("thread"), task: t("task"), callback: t("callback") };
  return `${kind[entry.kind]} ${named(entry)}${entry.line === null ? "" : ` · ${t("line {line}", { line: entry.line })}`}`;
}

// A sentence at the steps that matter, from what the server saw run in the turn.
function comment(turn) {
  for (const entry of turn.ran) {
    const events = entry.events || [];
    if (events.includes("blocked")) return t("time.sleep() on the loop's thread: nothing else runs in this turn");
    if (events.includes("render") && entry.kind === "callback") return t("the last callback: the counter reached 0, render");
    if (events.includes("render")) return t("the coroutine resumed with every row: render");
    if (events.includes("counter")) return t("a callback ran: the counter went down to {count}", { count: entry.remaining });
    if (events.includes("resumed")) return t("a coroutine resumed where it waited, at line {line}", { line: entry.line });
    if (entry.kind === "task" && events.includes("fetch-start") && entry.until) return t("a task started its fetch and waits at line {line}", { line: entry.until });
    if (entry.kind === "task" && entry.what === "get" && entry.until === null) return t("get() started every fetch and returned: the loop is free");
    if (entry.kind === "io") return t("a response arrived: its Future is set, and what waits on it runs next turn");
    if (entry.step === "learnt") return t("the loop learns that a thread returned");
    if (entry.step === "start") return t("a thread starts its blocking fetch, off the loop");
    if (entry.step === "return") return t("a thread's blocking fetch returned, off the loop");
  }
  return "";
}

// What waits in `column` once its turns up to `at` have run, at clock_ms.
function waiting(column, at, clock_ms) {
  const { turns, results } = column.aggregate;
  const tasks = new Map();
  const threads = new Map();
  for (const turn of turns.slice(0, at + 1)) {
    for (const entry of turn.ran) {
      const key = named(entry);
      if (entry.kind === "task" && entry.until) tasks.set(key, entry);
      else if (entry.kind === "task") tasks.delete(key);
      if (entry.step === "start") threads.set(entry.index, entry);
      if (entry.step === "return") threads.delete(entry.index);
    }
  }
  const flying = results.filter((row) => row.start_ms <= clock_ms && clock_ms < row.end_ms);
  const turn = turns[at];
  const next = turns.slice(at + 1).find((later) => !later.thread);
  // Ready as this turn ended, or woken later by a socket or a timer?
  const queued = next && next.t_ms - turn.t_ms - (turn.ms || 0) < 1;
  return [
    [t("In flight"), flying.map((row) => row.target)],
    [t("Tasks waiting"), [...tasks.values()].map((entry) => `${named(entry)} · ${t("line {line}", { line: entry.until })}`)],
    [t("Threads blocked"), [...threads.values()].map(named)],
    [queued ? t("Queued for the next turn") : next && t("Next, when the loop wakes at {at}", { at: ms(next.t_ms) }),
      next ? next.ran.filter(ours).map(named) : []],
  ].filter(([, items]) => items.length)
    .map(([title, items]) => el("li", "", el("b", "", `${title}: `), items.join(", ")));
}

// What `column` shows at a step: its latest turn, the line it runs, what waits.
function showColumn(column, at, clock_ms, isItsTurn) {
  const box = column.turnBox;
  column.chart.dataset.cursorMs = clock_ms;
  document.querySelectorAll(`[id^="${column.style}-line-"].step`)
    .forEach((line) => line.classList.remove("step"));
  if (at < 0) {
    box.replaceChildren(el("p", "help", t("No turn of this run yet.")));
    return;
  }
  const turn = column.aggregate.turns[at];
  const style = turn.ran.filter(ours);
  const machinery = turn.ran.length - style.length;
  // The line it runs: this turn's, or where its code last was.
  const lined = column.aggregate.turns.slice(0, at + 1).flatMap((each) => each.ran)
    .filter((entry) => entry.line !== null).pop();
  const line = lined && document.getElementById(`${column.style}-line-${lined.line}`);
  if (line) {
    line.classList.add("step");
    if (isItsTurn) line.scrollIntoView({ block: "nearest" });
  }
  const when = turn.thread ? t("in thread {thread}, at {at}", { thread: turn.thread, at: ms(turn.t_ms) })
    : t("turn at {at}, {long} long", { at: ms(turn.t_ms), long: ms(turn.ms) });
  box.classList.toggle("its-turn", isItsTurn);
  box.replaceChildren(
    el("p", "when", when),
    el("ul", "ran", ...style.map((entry) => el("li", `kind-${entry.kind}`, entryText(entry))),
      ...(machinery ? [el("li", "machinery", t("and {count} of asyncio's and Tornado's own callbacks", { count: machinery }))] : [])),
    el("p", "comment", isItsTurn ? comment(turn) : ""),
    el("ul", "waiting", ...waiting(column, at, clock_ms)));
}

class Stepper {
  constructor(chosen) {
    this.chosen = chosen;
    this.steps = allSteps(chosen);
    this.index = 0;
    this.timer = null;
    this.panel = made("section", { className: "turns", id: "turns", ariaLabel: t("Turn by turn") });
    const button = { type: "button" };
    this.back = made("button", button, t("◀ Back"), () => this.go(this.index - 1));
    this.play = made("button", button, t("Play"), () => (this.timer ? this.pause() : this.start()));
    this.forward = made("button", button, t("Forward ▶"), () => this.go(this.index + 1));
    this.slider = made("input", { type: "range", min: 0, max: this.steps.length - 1, value: 0,
      ariaLabel: t("Turn") }, "", () => this.go(Number(this.slider.value)));
    this.speed = made("select", { ariaLabel: t("Speed") });
    this.speed.append(...SPEEDS.map((speed) => new Option(t("{count} a second", { count: speed }), speed)));
    this.speed.addEventListener("change", () => this.timer && this.start());
    this.status = el("output", "status");
    this.panel.append(el("h2", "", t("Turn by turn")),
      el("div", "row", this.back, this.play, this.forward, this.slider, this.speed, this.status),
      el("p", "help", t("Each step is one turn of an event loop, as the server recorded it: ← and → step, Home and End go to either end.")));
    this.panel.addEventListener("keydown", (event) => this.key(event));
    for (const column of chosen) {
      column.turnBox = made("div", { className: "turn-now", ariaLive: "polite" });
      (column.article.querySelector(".code") || column.article.querySelector(".watch")).prepend(column.turnBox);
    }
    document.querySelector(".columns, .stacked").before(this.panel);
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
    const { t_ms: clock_ms, column: itsTurn } = this.steps[this.index];
    for (const column of this.chosen) {
      const at = this.steps.slice(0, this.index + 1).filter((each) => each.column === column).pop();
      showColumn(column, at ? at.at : -1, clock_ms, column === itsTurn);
    }
    this.slider.value = this.index;
    this.status.value = t("step {step} of {count} · {at}", { step: this.index + 1, count: this.steps.length, at: ms(clock_ms) });
    if (this.index === this.steps.length - 1) this.pause();
    redraw();
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
      delete column.chart.dataset.cursorMs;
    }
    document.querySelectorAll(".source .step").forEach((line) => line.classList.remove("step"));
    redraw();
  }
}

// Wires the page's "Step through the turns" button: it runs every column traced, then steps.
export function startTurns() {
  const button = document.getElementById("step-turns");
  button.classList.remove("awaits-script");
  const forget = () => { stepper?.remove(); stepper = null; };
  document.querySelectorAll("#run-both, #run-all, .run-one").forEach((other) => other.addEventListener("click", forget));
  button.addEventListener("click", () => {
    const form = document.getElementById("controls");
    if (!form.reportValidity()) return;
    forget();
    button.disabled = true;
    busy(async () => {
      const ran = await runColumns(columns, {}, { trace: "turns" });
      const traced = columns.filter((column, at) => ran[at] && column.aggregate.turns);
      if (traced.length) stepper = new Stepper(traced);
    }).then(() => {
      button.disabled = false;
      stepper?.go(0);
      stepper?.forward.focus({ preventScroll: true });
    });
  });
}
