// What the teacher's and the students' class pages share: the live stream of the class,
// and how a spread and a run are drawn.
import { translator } from "./translate.js";

export const page = document.getElementById("class");
export const t = translator(page);
export const lessons = JSON.parse(page.dataset.lessons);
const RETRY_MS = 1000;

// Calls onState with each state of the class the server pushes. A stream that ends (a
// server restarting, or draining) is opened again, where the class is then.
export function follow(onState, onMine = () => {}) {
  const status = page.querySelector(".status, .counts");
  const open = () => {
    const source = new EventSource(page.dataset.events);
    source.addEventListener("class", (event) => onState(JSON.parse(event.data)));
    source.onerror = () => {
      status.textContent = t("Reconnecting…");
      // Each page after its own while: a class whose server restarts does not knock
      // all at once.
      if (source.readyState === EventSource.CLOSED) setTimeout(open, RETRY_MS * (1 + Math.random()));
    };
  };
  open();
}

// Posts a form's fields, with the page's XSRF token; throws the server's reason.
export async function post(url, fields) {
  const body = new URLSearchParams(fields);
  body.set("_xsrf", page.querySelector("input[name=_xsrf]").value);
  const response = await fetch(url, {
    method: "POST", body, headers: { Accept: "application/json" } });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

export function choiceText(lesson, key) {
  if (key === "unsure") return t("I don't know");
  const choice = lesson.choices.find(([each]) => each === key);
  if (choice) return choice[1];
  return lesson.unit ? `${Number(key)} ${lesson.unit}` : key;
}

// Number answers are grouped into six ranges of the question's bounds.
function groups(lesson, spread) {
  if (!lesson.unit) {
    const keys = [...lesson.choices.map(([key]) => key), "unsure"];
    return keys.map((key) => [choiceText(lesson, key), spread[key] || 0, key]);
  }
  const [low, high] = lesson.bounds;
  const width = (high - low) / 6;
  const ranges = Array.from({ length: 6 }, (_, i) => [low + i * width, low + (i + 1) * width]);
  const counts = ranges.map(() => 0);
  let unsure = 0;
  for (const [key, count] of Object.entries(spread)) {
    if (key === "unsure") { unsure += count; continue; }
    const i = Math.min(5, Math.floor((Number(key) - low) / width));
    counts[i] += count;
  }
  return [
    ...ranges.map(([from, to], i) => [
      t("{from} to {to} {unit}", { from: +from.toFixed(1), to: +to.toFixed(1), unit: lesson.unit }),
      counts[i], [from, to]]),
    [t("I don't know"), unsure, "unsure"]];
}

function isRight(lesson, key, right) {
  if (right === undefined || right === null) return false;
  if (!lesson.unit) return key === right;
  return Array.isArray(key) && key[0] <= right && right <= key[1];
}

// Draws the spread as bars, the right answer marked once it is known.
export function drawSpread(element, lesson, spread, right) {
  const rows = groups(lesson, spread || {});
  const total = rows.reduce((sum, [, count]) => sum + count, 0);
  element.replaceChildren(...rows.map(([label, count, key]) => {
    const row = document.createElement("p");
    row.className = "bar-row";
    const right_ = isRight(lesson, key, right);
    if (right_) row.classList.add("right");
    const name = document.createElement("span");
    name.className = "bar-label";
    name.textContent = right_ ? `${label} ✓ ${t("(what the run did)")}` : label;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${total ? (100 * count) / total : 0}%`;
    const number = document.createElement("span");
    number.className = "bar-count";
    number.textContent = String(count);
    row.append(name, bar, number);
    return row;
  }));
}

// Draws the one run the class shares: each page it fetched, its rows' times, each bar
// growing over the very milliseconds its fetch took (once: a later state redraws nothing).
export function drawRun(element, run) {
  const drawn = JSON.stringify(run);
  if (element.dataset.drawn === drawn) return;
  element.dataset.drawn = drawn;
  if (!run || !run.results) {
    element.textContent = run && run.error ? t("The run failed: {error}", { error: run.error })
      : t("Running, once, for the whole class…");
    return;
  }
  // One time scale for the whole run: the pages it compares are drawn to the same ms.
  const scale = Math.max(1, ...run.results.flatMap((result) => (result.results || [])
    .map((row) => row.end_ms || 0)));
  element.replaceChildren(...run.results.map((result) => {
    const box = document.createElement("div");
    box.className = "run-result";
    const title = document.createElement("h3");
    title.textContent = t("{style}: {ms} ms", {
      style: result.style || result.demo || "", ms: Math.round(result.elapsed_ms || 0) });
    box.append(title);
    if (!result.results) {  // a claims run: its findings, by their names in its JSON
      const facts = document.createElement("p");
      facts.className = "run-facts";
      facts.textContent = Object.entries(result)
        .filter(([name, value]) => !["style", "demo", "elapsed_ms"].includes(name) && value !== null)
        .map(([name, value]) => `${name}: ${value}`).join(" · ");
      box.append(facts);
    }
    for (const row of result.results || []) {
      const line = document.createElement("p");
      line.className = "run-row";
      const label = document.createElement("span");
      label.textContent = `${row.target} ${row.error ? row.error : row.status}`;
      const bar = document.createElement("span");
      bar.className = "span";
      bar.style.marginLeft = `${(100 * row.start_ms) / scale}%`;
      bar.style.width = `${Math.max(0.5, (100 * (row.end_ms - row.start_ms)) / scale)}%`;
      bar.style.animationDelay = `${row.start_ms}ms`;
      bar.style.animationDuration = `${Math.max(1, row.end_ms - row.start_ms)}ms`;
      bar.title = `${Math.round(row.start_ms)}–${Math.round(row.end_ms)} ms`;
      line.append(label, bar);
      box.append(line);
    }
    return box;
  }));
}

export function rightAnswerText(lesson, right) {
  return t("What the run did: {answer}", { answer: choiceText(lesson, String(right)) });
}
