// Break it on purpose: each demo's button runs it for real and says what happened. What a
// demo's button needs from the server is in its data attributes (breakit.DEMOS).
import { busy, columns, form, runColumns } from "./app.js";
import { el } from "./dom.js";
import { askJSON, ownLoopToken } from "./http.js";
import { write } from "./view-state.js";
import { errorText, t } from "./words.js";

// Runs `kept` and `broken` (the same callbacks code without its error check) on each
// scenario; says how the failure in row `wrongRow` passed for a success.
async function forgottenCheck(kept, broken, scenarios, wrongRow) {
  const lines = [];
  for (const scenarioName of scenarios) {
    const [checked, forgotten] = await Promise.all([
      askJSON(`${kept}?scenario=${scenarioName}`), askJSON(`${broken}?scenario=${scenarioName}`)]);
    const wrong = forgotten.results[wrongRow];
    lines.push(el("li", "", el("code", "", scenarioName), " ",
      t("with the check: {ok} ok, {failed} failed; without it: {wrong_ok} ok, {wrong_failed} failed.",
        { ok: checked.ok, failed: checked.failed, wrong_ok: forgotten.ok, wrong_failed: forgotten.failed }),
      " ", wrong.status === 599  // Tornado's own code for an answer that never came
        ? t("{target} never answered (Tornado's stand-in status 599, 0 bytes) and passed for a success.",
          { target: wrong.target })
        : t("{target} answered {status} with {bytes} bytes and passed for a success.",
          { target: wrong.target, status: wrong.status, bytes: wrong.bytes })));
  }
  return [el("ul", "", ...lines)];
}

const DEMOS = {
  "forgotten-check": () => forgottenCheck("/callbacks", "/break/forgotten-check",
    ["one-fails", "one-refused"], 1),
  // The chain's third row is the page of its middle step that fails.
  "forgotten-check-chain": () => forgottenCheck("/chain/callbacks", "/break/forgotten-check-chain",
    ["chain-link-fails"], 2),
  async "essay-2016"() {
    const answer = await askJSON("/break/essay-2016");
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
    const ms = JSON.parse(button.dataset.blockMs);
    // Both columns run on a loop of the demo's own, which the same token names: there a
    // sleep stops both, and nobody else's runs.
    const loop = ownLoopToken();
    const done = await runColumns(columns, {
      [sleeper.style]: `/break/blocking/${sleeper.style}`,
      [other.style]: `/break/beside/${other.style}`,
    }, { block_ms: ms, loop });
    if (!done.every(Boolean)) throw new Error(sleeper.failure || other.failure);
    const times = other.log.times_ms;
    const pause = Math.max(0, ...times.slice(1).map((time, i) => time - times[i]));
    const said = [el("p", "", t("The {sleeper} handler slept {ms} ms. The {other} column's longest pause between two events: {pause} ms.",
      { sleeper: sleeper.title.toLowerCase(), other: other.title.toLowerCase(), ms, pause: pause.toFixed(1) }))];
    if (JSON.parse(button.dataset.otherOffLoop)) {  // its code is not on the loop: say what still stops
      said.push(el("p", "", t("{other} does not run its code on the loop, but the simulated sites it fetches are served by this same loop, and its results come back through it: whatever it still waits for waits while the loop sleeps.",
        { other: other.title.toLowerCase() })));
    }
    return said;
  },
};

export function startDemos() {
  for (const button of document.querySelectorAll("button.try")) {
    const outcome = button.closest(".demo").querySelector(".outcome");
    button.classList.remove("awaits-script");
    button.addEventListener("click", () => {
      if (!form.reportValidity()) return;
      write({ break: button.dataset.demo });  // the address names the demo tried
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
}
