// The costs page's live bench: start it, follow its progress, then show its figures.
// Without this script the page still shows the latest figures; only the button needs it.
import { askJSON } from "./http.js";
import { translator } from "./translate.js";

const live = document.getElementById("live");
const button = document.getElementById("run-bench");
const bar = document.getElementById("bench-progress");
const status = document.getElementById("bench-status");
const POLL_MS = 500;
const t = translator(live);  // the page's words, in its language
const BENCH = "/costs/bench";

function show(progress) {
  const running = progress.state === "running";
  button.disabled = running;
  bar.hidden = !running;
  if (running) {
    bar.max = progress.steps || 1;
    bar.value = progress.done || 0;
    status.textContent = progress.steps
      ? t("Running {step}: {done} of {steps} runs done…", progress)
      : t("Starting the bench…");
  } else if (progress.state === "failed") {
    status.textContent = progress.error;
  }
}

// Polls until the bench ends (the server stops it after a few minutes at most).
async function follow(progress) {
  try {
    while (progress.state === "running") {
      show(progress);
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      progress = await askJSON(BENCH, { cache: "no-store" });
    }
    show(progress);
    if (progress.state === "done") {
      status.textContent = t("Done: loading its figures…");
      window.location.reload();
    }
  } catch (error) {
    show({ state: "failed", error: t("Could not follow the bench: {error}", { error: error.message }) });
  }
}

// Off on a shared site unless its operator turned it on: then the page has no button.
if (button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      // Tornado's xsrf check: the token of the page, matched against its cookie.
      follow(await askJSON(BENCH, { method: "POST", cache: "no-store",
        headers: { "X-XSRFToken": live.dataset.xsrf } }));
    } catch (error) {
      show({ state: "failed", error: t("Could not start the bench: {error}", { error: error.message }) });
    }
  });
  if (live.dataset.state === "running") follow({ state: "running" });  // started by someone else
}
