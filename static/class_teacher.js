// The teacher's page: leads the class (lesson, step, spread) and sees the room live.
import { drawRun, drawSpread, follow, lessons, page, post, rightAnswerText, t } from "./class_common.js";

const $ = (selector) => page.querySelector(selector);
const form = $(".lead");
let state = null;

async function lead(changes) {
  const fields = {
    lesson: form.lesson.value, step: state ? state.step : "predict",
    spread: form.spread.checked ? "1" : "0", ...changes };
  try {
    await post(page.dataset.lead, fields);
  } catch (error) {
    $(".counts").textContent = error.message;
  }
}

function show(next) {
  state = next;
  const lesson = lessons[state.lesson];
  form.lesson.value = String(state.lesson);
  form.spread.checked = state.spread_shown;
  for (const button of form.querySelectorAll("button[name=step]")) {
    button.setAttribute("aria-pressed", String(button.value === state.step));
  }
  $(".counts").textContent = t("{joined} joined, {answered} answered", {
    joined: state.joined, answered: state.answered });
  $(".question").textContent = lesson.question;
  const right = state.run ? state.run.right_answer : undefined;
  const revealed = (state.step === "reveal" || state.step === "change") && right !== undefined
    && right !== null;
  $(".spread").hidden = false;  // the teacher's, always: it is what the teacher leads by
  drawSpread($(".spread .bars"), lesson, state.spread, revealed ? right : undefined);
  $(".run").hidden = !state.run;
  if (state.run) drawRun($(".run-body"), state.run);
  $(".right-answer").hidden = !revealed;
  if (revealed) $(".right-answer").textContent = rightAnswerText(lesson, right);
  $(".nicknames ul").replaceChildren(...state.nicknames.map((name) => {
    const item = document.createElement("li");
    item.textContent = name;  // as text: a nickname is never markup
    return item;
  }));
}

for (const button of form.querySelectorAll("button[name=step]")) {
  button.addEventListener("click", () => lead({ step: button.value }));
}
// Another lesson starts at its prediction, the spread hidden.
form.lesson.addEventListener("change", () => lead({ step: "predict", spread: "0" }));
form.spread.addEventListener("change", () => lead({}));

follow(show);
