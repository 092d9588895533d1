// Every style stacked on one time axis: its columns run live, as on the side-by-side page.
import { start } from "./app.js";
import { startTurns } from "./turns.js";

start();
startTurns();
