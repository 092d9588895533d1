// A run's timeline as SVG: one row per fetch on a shared time axis, its wait in line
// hatched, its flight coloured by how it ended.
import { ms, svg } from "./dom.js";
import { outcome } from "./run.js";
import { errorText, t } from "./words.js";

// The layout, in pixels.
const MIN_WIDTH = 320;
const LABEL_WIDTH = 104;  // the targets' names, left of the axis
const STEP_WIDTH = 20;  // and a chain's step before each name
const RIGHT_MARGIN = 8;
const AXIS_TOP = 18;  // the ticks' labels stand above it
const TICK_BASELINE = 11;
const GRID_OVERHANG = 4;  // the grid lines and the timeout reach this far above the rows
const BOTTOM_MARGIN = 4;
// Up to ROWS_AT_FULL_HEIGHT fetches get ROW_HEIGHT each; more share MANY_ROWS_HEIGHT.
const ROW_HEIGHT = 22;
const ROWS_AT_FULL_HEIGHT = 12;
const MANY_ROWS_HEIGHT = 300;
const MIN_ROW_HEIGHT = 3;
const MIN_LABELLED_ROW_HEIGHT = 12;  // lower rows go unnamed: the names would overlap
const LABEL_BASELINE = 0.7;  // of the row's height
const BAR_GAP = 2;  // above and below each bar, inside its row
const MIN_BAR_HEIGHT = 2;
const MIN_BAR_WIDTH = 2;  // an instant fetch still shows its outcome
const MIN_WAIT_WIDTH = 1;
const HATCH_SIZE = 6;
const TICKS = 4;  // intervals on the axis
const FEW_TICKS = 2;  // on an axis too narrow for four intervals' labels not to touch
const MIN_WIDTH_FOR_TICKS = 240;

// A round number of milliseconds at or above `value`, for the end of the axis.
export function niceCeiling(value) {
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * step)
    .find((nice) => nice >= value);
}

const tickText = (time) => (time >= 1000 ? `${Number((time / 1000).toFixed(2))} s`
  : `${Math.round(time)} ms`);

// Draws `run` into `container`, 0 to axis_ms across its width; `hatch` names its pattern.
export function drawChart(container, run, axis_ms, hatch) {
  const width = Math.max(container.clientWidth, MIN_WIDTH);
  const count = run.fetches.length;
  const rowHeight = count <= ROWS_AT_FULL_HEIGHT ? ROW_HEIGHT
    : Math.max(MIN_ROW_HEIGHT, Math.floor(MANY_ROWS_HEIGHT / count));
  const height = AXIS_TOP + count * rowHeight + BOTTOM_MARGIN;
  const labelWidth = LABEL_WIDTH + (run.fetches.some((fetch) => fetch.step) ? STEP_WIDTH : 0);
  const x = (time) => labelWidth
    + (Math.min(time, axis_ms) / axis_ms) * (width - labelWidth - RIGHT_MARGIN);
  const vertical = (time, className, ...children) => svg("line", { x1: x(time), x2: x(time),
    y1: AXIS_TOP - GRID_OVERHANG, y2: height, class: className }, ...children);
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` },
    svg("defs", {}, svg("pattern", { id: hatch, width: HATCH_SIZE, height: HATCH_SIZE,
      patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
    svg("rect", { width: HATCH_SIZE, height: HATCH_SIZE, class: "hatch-ground" }),
    svg("line", { x1: 0, y1: 0, x2: 0, y2: HATCH_SIZE, class: "hatch-line" }))));
  const ticks = width - labelWidth - RIGHT_MARGIN < MIN_WIDTH_FOR_TICKS ? FEW_TICKS : TICKS;
  for (let tick = 0; tick <= ticks; tick += 1) {
    const time = (axis_ms * tick) / ticks;
    const anchor = tick === 0 ? "start" : tick === ticks ? "end" : "middle";
    chart.append(vertical(time, "grid"), svg("text", { x: x(time), y: TICK_BASELINE,
      class: "tick", "text-anchor": anchor }, tickText(time)));
  }
  if (run.limit >= count && run.timeout_ms <= axis_ms) {  // all sent at once: one deadline
    chart.append(vertical(run.timeout_ms, "timeout", svg("title", {}, t("timeout"))));
  }
  const now_ms = run.now_ms();
  run.fetches.forEach((fetch, index) => {
    const top = AXIS_TOP + index * rowHeight;
    // A chain's rows come in step order: a rule where a step begins draws its staircase.
    if (fetch.step > 1 && run.fetches[index - 1]?.step !== fetch.step) {
      chart.append(svg("line", { x1: 0, x2: width, y1: top, y2: top, class: "step-rule" }));
    }
    if (rowHeight >= MIN_LABELLED_ROW_HEIGHT) {
      const step = fetch.step ? [svg("tspan", { class: "step" }, `${fetch.step} `),
        svg("title", {}, t("step {step}", { step: fetch.step }))] : [];
      chart.append(svg("text", { x: 0, y: top + rowHeight * LABEL_BASELINE, class: "label" },
        ...step, fetch.target));
    }
    if (fetch.start_ms === null) return;
    const end_ms = fetch.end_ms === null ? now_ms : fetch.end_ms;
    const sent_ms = fetch.start_ms + run.waited_ms(fetch);
    const bar = { y: top + BAR_GAP, height: Math.max(rowHeight - 2 * BAR_GAP, MIN_BAR_HEIGHT) };
    if (sent_ms > fetch.start_ms) {
      chart.append(svg("rect", { x: x(fetch.start_ms), ...bar, class: "queued",
        width: Math.max(x(sent_ms) - x(fetch.start_ms), MIN_WAIT_WIDTH), fill: `url(#${hatch})` },
      svg("title", {}, `${t("waiting for a slot")}: ${ms(sent_ms - fetch.start_ms)}`)));
    }
    if (!fetch.waiting) {
      const title = `${fetch.target}: ${ms(fetch.start_ms)} – ${fetch.end_ms === null ? "…" : ms(end_ms)}`
        + (fetch.error ? ` (${errorText(fetch.error)})` : "");
      chart.append(svg("rect", { x: x(sent_ms), width: Math.max(x(end_ms) - x(sent_ms), MIN_BAR_WIDTH),
        ...bar, class: `bar ${outcome(fetch)}`, "data-target": fetch.target }, svg("title", {}, title)));
    }
  });
  if (container.dataset.cursorMs) {  // a moment stepped to (turns.js)
    chart.append(vertical(Number(container.dataset.cursorMs), "cursor"));
  }
  container.replaceChildren(chart);
}
