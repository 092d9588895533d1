// The side-by-side page: two live columns with their sources, the points of comparison
// lit in both, the break-it demos, and the choice of the two styles.
import { start } from "./app.js";
import { startDemos } from "./demos.js";
import { el } from "./dom.js";
import { startTurns } from "./turns.js";
import { read, write } from "./view-state.js";
import { t } from "./words.js";

// A point of comparison opened: its lines light up in every source; closed, they go out.
// The page stays where the reader is, by the text just opened: its line numbers link to
// the lines, for whoever wants to go and see. The address names the open point.
function lightUp() {
  const open = document.querySelector("details.point[open]");
  for (const line of document.querySelectorAll(".source .marked")) {
    const lit = open !== null && line.dataset.points.split(" ").includes(open.dataset.point);
    line.classList.toggle("lit", lit);
  }
  if (open) linkLines(open);
  write({ point: open && open.dataset.point });
}

// The open point's line numbers, each source's, as links to the lines.
function linkLines(point) {
  const lines = point.querySelector(".lines");
  const links = [];
  for (const source of document.querySelectorAll(".code .source")) {
    const lit = [...source.querySelectorAll(".lit")];
    if (!lit.length) continue;
    links.push(links.length ? " · " : "", el("code", "", source.closest("article").dataset.style));
    for (const line of lit) {
      const link = el("a", "", line.id.split("-").pop());
      link.href = `#${line.id}`;
      links.push(" ", link);
    }
  }
  lines.replaceChildren(t("Its lines:"), " ", ...links);
  lines.hidden = false;
}

// The view the address names: its open point, the break-it demo it shows.
function restoreView() {
  const point = document.querySelector(`details.point[data-point="${CSS.escape(read("point") || "")}"]`);
  if (point) point.open = true;
  const demo = document.getElementById(`demo-${read("break")}`);
  if (demo) {
    demo.closest("details").open = true;
    demo.scrollIntoView({ block: "start" });
  }
}

// Another pair keeps the rest of the view: the address, with the two styles chosen.
function choosePair(event) {
  event.preventDefault();
  const address = new URL(window.location);
  for (const [name, value] of new FormData(event.target)) address.searchParams.set(name, value);
  address.searchParams.delete("point");  // another pair has other points
  window.location.assign(address);
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
document.getElementById("break-it").addEventListener("toggle", (event) => {
  if (!event.target.open) write({ break: null });
});
document.querySelector("form.choose").addEventListener("submit", choosePair);
restoreView();
const setupTimeout = document.getElementById("setup-timeout");
const slowMotion = document.getElementById("slow");
slowMotion.addEventListener("change", () => stretchTimeout(setupTimeout, slowMotion));
stretchTimeout(setupTimeout, slowMotion);
const sides = [...document.querySelectorAll("form.choose select")];
sides.forEach((select) => select.addEventListener("change", () => offerOnlyDifferentStyles(sides)));
offerOnlyDifferentStyles(sides);
