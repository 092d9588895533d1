// The words of a page that runs styles live, in its language, from the server (in the
// data attributes of #intro).
import { translator } from "./translate.js";

const intro = document.getElementById("intro");
export const t = translator(intro);

// What each event kind is called in the log; a style's own kinds show as they are.
const KINDS = JSON.parse(intro.dataset.kinds || "{}");
export const kindText = (kind) => KINDS[kind] || kind;

// The failures described in fixed words; others show as they are.
const ERRORS = JSON.parse(intro.dataset.errors || "{}");
export const errorText = (error) => ERRORS[error] || error;
