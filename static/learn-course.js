// The course page: each lesson this browser has done is marked so.
import { doneLessons } from "./learn-progress.js";

const done = doneLessons();
for (const item of document.querySelectorAll("ol.lessons li[data-lesson]")) {
  item.querySelector(".done-mark").hidden = !done.has(Number(item.dataset.lesson));
}
