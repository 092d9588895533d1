// The side-by-side page: two live columns with their sources, the points of comparison
// lit in both, the break-it demos, and the choice of the two styles.
import { start } from "./app.js";
import { startDemos } from "./demos.js";
import { startTurns } from "./turns.js";

// A point of comparison opened: its lines light up in every source; closed, they go out.
function lightUp() {
  const open = document.querySelector("details.point[open]");
  for (const line of document.querySelectorAll(".source .marked")) {
    const lit = open !== null && line.dataset.points.split(" ").includes(open.dataset.point);
    line.classList.toggle("lit", lit);
  }
  const first = document.querySelector(".source .lit");
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

// The setup line says the timeout the run will have: slow motion stretches it, up to a cap.
function stretchTimeout(setupTimeout, slowMotion) {
  const seconds = JSON.parse(setupTimeout.dataset.seconds);
  const most = JSON.parse(setupTimeout.dataset.most);
  const stretched = Number(Math.min(seconds * Number(slowMotion.value), most).toFixed(2));
  setupTimeout.textContent = Number.isInteger(stretched) ? stretched.toFixed(1) : String(stretched);
}

// The chooser never offers one style on both sides: chosen on one, it is off the other.
function offerOnlyDifferentStyles(sides) {
  for (const select of sides) {
    const other = sides.find((side) => side !== select);
    for (const option of select.options) option.disabled = option.value === other.value;
  }
}

start();
startDemos();
startTurns();
for (const point of document.querySelectorAll("details.point")) {
  point.addEventListener("toggle", lightUp);
}
const setupTimeout = document.getElementById("setup-timeout");
const slowMotion = document.getElementById("slow");
slowMotion.addEventListener("change", () => stretchTimeout(setupTimeout, slowMotion));
stretchTimeout(setupTimeout, slowMotion);
const sides = [...document.querySelectorAll("form.choose select")];
sides.forEach((select) => select.addEventListener("change", () => offerOnlyDifferentStyles(sides)));
offerOnlyDifferentStyles(sides);
