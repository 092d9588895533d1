// A student's page: follows the class where the teacher leads it, takes the prediction,
// and shows the spread and the run when the teacher shows them.
import { choiceText, drawRun, drawSpread, follow, lessons, page, post, rightAnswerText, t } from "./class_common.js";

const $ = (selector) => page.querySelector(selector);
const form = $(".prediction");
const STEP_TEXT = {
  predict: () => t("Predict: answer alone, before anything runs."),
  run: () => t("The run: the same one on every screen."),
  reveal: () => t("The reveal: what the run did, beside what the class said."),
  change: () => t("Change one thing, and look again."),
};
let shownLesson = null;
const mine = {};  // lesson -> this student's answer, as the server has it

function showQuestion(number, lesson) {
  if (shownLesson === number) return;
  shownLesson = number;
  $(".question").textContent = lesson.question;
  const choices = $(".choices");
  choices.replaceChildren(...lesson.choices.map(([key, text]) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "answer", value: key });
    label.append(input, ` ${text}`);
    const line = document.createElement("p");
    line.append(label);
    return line;
  }));
  $(".number").hidden = !lesson.unit;
  if (lesson.unit) {
    $(".number-label").textContent = t("My answer, in {unit}", { unit: lesson.unit }) + " ";
    Object.assign($("input[name=number]"), { min: lesson.bounds[0], max: lesson.bounds[1] });
  }
  $(".lesson-link").href = lesson.path;
}

function showMine(number, lesson) {
  const answer = mine[number];
  $(".sent").textContent = answer === undefined || answer === null ? ""
    : t("Your answer: {answer}", { answer: choiceText(lesson, answer) });
}

function show(state) {
  const lesson = lessons[state.lesson];
  if ("mine" in state) mine[state.lesson] = state.mine;
  $(".status").textContent = "";
  const title = $(".lesson-title");
  title.hidden = false;
  title.textContent = t("Lesson {number}: {title}", { number: state.lesson, title: lesson.title });
  $(".step").hidden = false;
  $(".step").textContent = STEP_TEXT[state.step]();
  showQuestion(state.lesson, lesson);
  form.hidden = state.step !== "predict";
  showMine(state.lesson, lesson);
  $(".spread").hidden = !state.spread;
  const right = state.run && state.run.right_answer;
  if (state.spread) drawSpread($(".spread .bars"), lesson, state.spread, right);
  $(".run").hidden = !state.run;
  if (state.run) drawRun($(".run-body"), state.run);
  $(".right-answer").hidden = right === undefined || right === null;
  if (!$(".right-answer").hidden) $(".right-answer").textContent = rightAnswerText(lesson, right);
  $(".change").hidden = state.step !== "change";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const lesson = lessons[shownLesson];
  const picked = form.querySelector("input[name=answer]:checked");
  const number = form.querySelector("input[name=number]").value;
  const answer = picked ? picked.value : number;
  if (!answer) {
    $(".sent").textContent = t("Choose an answer first.");
    return;
  }
  try {
    const kept = await post(page.dataset.answer, { lesson: shownLesson, answer });
    mine[kept.lesson] = kept.answer;
    showMine(kept.lesson, lesson);
  } catch (error) {
    $(".sent").textContent = error.message;
  }
});

$(".nickname").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const saved = await post(page.dataset.nickname, { nickname: event.target.nickname.value });
    $(".nickname-saved").textContent = saved.nickname
      ? t("Saved: the teacher sees {nickname}", { nickname: saved.nickname }) : t("Saved");
  } catch (error) {
    $(".nickname-saved").textContent = error.message;
  }
});

follow(show);
