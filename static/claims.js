// The claims page: runs each variant on this server, and says what the run showed.
// Without this script the page still shows the code, and each run's JSON link works.

import { el } from "./dom.js";
import { askJSON } from "./http.js";
import { translator } from "./translate.js";

const t = translator(document.getElementById("claims"));

const OUTCOMES = { answered: t("answered"), failed: t("failed"), cancelled: t("cancelled") };

function said(text, ...items) {
  const paragraph = el("p", null, text);
  return items.length
    ? [paragraph, el("ul", null, ...items.map((item) => el("li", null, item)))]
    : [paragraph];
}

export const EXPLAIN = {
  race(run) {
    const counted = run.lost
      ? t("{lost} of {increments} increments lost: the counter reads {counted}. Visits read it before the others had written it, then wrote over their increments.", run)
      : t("No increment lost: the counter reads {counted} of {increments}.", run);
    return [run.lost > 0, said(`${counted} ${t("Run in {ms} ms.", { ms: Math.round(run.elapsed_ms) })}`)];
  },
  deadlock(run) {
    const [first, second] = run.workers;
    const verdict = run.deadlocked
      ? t("Deadlocked: worker 1 held lock {a} and waited for lock {b}, which worker 2 held while it waited for lock {a}. A wait ran out after {seconds} s, and each let go.",
        { a: first.took, b: second.took, seconds: run.wait_seconds })
      : t("No deadlock: both workers took both locks, one after the other.");
    const after = t("Afterwards, locks held: {held}; workers still running: {running}.",
      { held: run.locks_held_after.length, running: run.running_after });
    return [run.deadlocked, said(`${verdict} ${after}`)];
  },
  "one-fails"(run) {
    const ms = (value) => Math.round(value);
    const answered = run.error
      ? t("The page answered after {ms} ms, with the failure: {error}.", { ms: ms(run.answered_ms), error: run.error })
      : t("The page answered after {ms} ms, with every result.", { ms: ms(run.answered_ms) });
    const left = run.left_ms === null ? ""
      : t("The visitor had left after {ms} ms: nothing was stopped, and the page answered nobody.", { ms: ms(run.left_ms) });
    const ranOn = run.fetches.filter((fetch) => fetch.end_ms > run.answered_ms);
    const summary = ranOn.length
      ? t("{count} fetches ran on after the page answered, the last for {ms} ms more.",
        { count: ranOn.length, ms: ms(Math.max(...ranOn.map((fetch) => fetch.end_ms)) - run.answered_ms) })
      : t("No fetch ran on after the page answered.");
    const lines = run.fetches.map((fetch) => {
      let line = t("{target}: {outcome} at {ms} ms", { target: fetch.target, outcome: OUTCOMES[fetch.outcome], ms: ms(fetch.end_ms) });
      if (fetch.end_ms > run.answered_ms) {
        line += `, ${t("{ms} ms after the page answered", { ms: ms(fetch.end_ms - run.answered_ms) })}`;
      }
      if (fetch.request_end_ms - fetch.end_ms >= 1) {
        line += `; ${t("its request went on in the HTTP client until {ms} ms", { ms: ms(fetch.request_end_ms) })}`;
      }
      return line;
    });
    return [ranOn.length > 0, said([left, answered, summary].filter(Boolean).join(" "), ...lines)];
  },
};

async function run(section, article) {
  const demo = section.dataset.demo;
  const outcome = article.querySelector(".outcome");
  const visits = section.querySelector(".visits");
  const leave = section.querySelector(".leave");
  const query = new URLSearchParams({ format: "json" });
  if (visits) query.set("n", visits.value);
  if (leave && leave.checked) query.set("leave_ms", leave.value);
  outcome.className = "outcome";
  outcome.replaceChildren(...said(t("Running…")));
  try {
    const answer = await askJSON(`/claims/${demo}/${article.dataset.variant}?${query}`,
      { cache: "no-store" });
    const [bad, shown] = EXPLAIN[demo](answer);
    outcome.className = `outcome ${bad ? "bad" : "good"}`;
    outcome.replaceChildren(...shown);
  } catch (error) {
    outcome.className = "outcome bad";
    outcome.replaceChildren(...said(t("The run failed: {error}", { error: error.message })));
  }
}

for (const section of document.querySelectorAll(".claim-demo")) {
  const articles = [...section.querySelectorAll(".variant[data-variant]")];
  const buttons = [...section.querySelectorAll("button")];
  const busy = async (work) => {
    for (const button of buttons) button.disabled = true;
    try { await work(); } finally { for (const button of buttons) button.disabled = false; }
  };
  for (const article of articles) {
    const button = article.querySelector("button.run");
    button.hidden = false;
    button.addEventListener("click", () => busy(() => run(section, article)));
  }
  const all = section.querySelector("button.run-all");
  all.hidden = false;
  all.addEventListener("click", () => busy(async () => {
    for (const article of articles) await run(section, article);
  }));
}
