// A lesson: the prediction is committed first (the lesson's address holds it), then the
// run, live, in the site's own columns and claims runs, then the reveal: the right answer,
// read by the server from the JSON of the run just shown, beside the prediction.
import { busy, columns, runColumns } from "./app.js";
import { EXPLAIN } from "./claims.js";
import { el } from "./dom.js";
import { askJSON, ownLoopToken } from "./http.js";
import { markDone } from "./learn-progress.js";
import { startTurns } from "./turns.js";
import { write } from "./view-state.js";
import { t } from "./words.js";

const intro = document.getElementById("intro");
const { answer, lesson, step } = intro.dataset;
const runButton = document.getElementById("run-lesson");
const status = document.getElementById("run-status");
const runs = [...document.querySelectorAll(".runs > [data-path]")];

// A style's run, in its column: the aggregate it ended with.
async function inColumn(article, loop) {
  const column = columns.find((each) => each.article === article);
  const query = Object.fromEntries(new URLSearchParams(article.dataset.query));
  // The blocking demo's columns name the loop of their own they share.
  if (column.path.startsWith("/break/")) query.loop = loop;
  const [done] = await runColumns([column], { [column.style]: column.path }, query);
  if (!done) throw new Error(column.result.textContent);
  return column.aggregate;
}

// A claims run, told as the claims page tells it: its JSON.
async function claimsRun(article) {
  const outcome = article.querySelector(".outcome");
  outcome.replaceChildren(el("p", "placeholder", t("Running…")));
  const query = new URLSearchParams(article.dataset.query);
  query.set("format", "json");
  try {
    const ran = await askJSON(`${article.dataset.path}?${query}`, { cache: "no-store" });
    const [bad, shown] = EXPLAIN[ran.demo](ran);
    outcome.className = `outcome ${bad ? "bad" : "good"}`;
    outcome.replaceChildren(...shown);
    return ran;
  } catch (error) {
    outcome.replaceChildren(el("p", "error", t("The run failed: {error}", { error: error.message })));
    throw error;
  }
}

function show(said) {
  const unit = said.unit ? ` ${said.unit}` : "";
  document.getElementById("reveal-answer").textContent = said.answer === "unsure"
    ? said.answer_text : `${said.answer_text}${unit}`;
  document.getElementById("reveal-right").textContent = `${said.right_text}${unit}`;
  document.getElementById("reveal-verdict").textContent = said.answer === "unsure"
    ? t("You did not know: now this run has answered.")
    : said.is_right ? t("Your prediction matches this run.") : t("Not what you predicted: this run answered otherwise.");
  document.getElementById("reveal-verdict").className = `verdict ${said.is_right ? "right" : "other"}`;
  document.getElementById("reveal-seen").textContent = said.seen;
  document.getElementById("reveal-why").textContent = said.why;
  document.querySelectorAll(".source .lit").forEach((line) => line.classList.remove("lit"));
  const line = said.lit && document.getElementById(said.lit);
  const link = document.getElementById("reveal-line");
  link.hidden = !line;
  if (line) {
    line.classList.add("lit");
    const box = line.closest(".source");  // its own scrolling box: the page stays where it is
    box.scrollTop += line.getBoundingClientRect().top - box.getBoundingClientRect().top
      - box.clientHeight / 3;
    link.href = `#${said.lit}`;
    link.textContent = t("The lit line: line {line} of {module}", { line: said.line, module: said.module });
  }
  for (const id of ["reveal", "change"]) document.getElementById(id).hidden = false;
}

async function runAndReveal() {
  status.textContent = t("Running…");
  let said = null;
  await busy(async () => {
    try {
      const loop = ownLoopToken();
      const results = await Promise.all(runs.map((article) => (
        article.dataset.style ? inColumn(article, loop) : claimsRun(article))));
      said = await askJSON(intro.dataset.reveal, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-XSRFToken": intro.dataset.xsrf },
        body: JSON.stringify({ answer, results }) });
      status.textContent = "";
    } catch (error) {
      status.textContent = t("Could not run: {reason}", { reason: error.message });
    }
  });
  if (!said) return;
  show(said);
  markDone(lesson);
  write({ step: "reveal" }); // the address says how far the lesson went: it can be shared
  document.getElementById("reveal-title").focus();
}

if (runButton) {
  runButton.classList.remove("awaits-script");
  runButton.addEventListener("click", runAndReveal);
  if (document.getElementById("step-turns")) startTurns();
  if (answer && step === "run") runButton.focus();
  // A shared address of a revealed lesson runs the lesson again, and reveals that run.
  if (answer && (step === "reveal" || step === "change")) runAndReveal();
}
