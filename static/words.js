// The words of a page that runs styles live, in its language, from the server (in the
// data attributes of #intro).
import { translator } from "./translate.js";

const intro = document.getElementById("intro");
export const t = translator(intro);
// The server's words for what the loop's other callbacks did in a traced run (an entry's
// "said"): not literals of a script, the server adds them to the page's messages itself.
export const saidText = translator(intro);

// What each event kind is called in the log; a style's own kinds show as they are.
const KINDS = JSON.parse(intro.dataset.kinds || "{}");
export const kindText = (kind) => KINDS[kind] || kind;

// The failures described in fixed words, and in words around a name or a reason (each
// part translated in turn); others show as they are.
const ERRORS = JSON.parse(intro.dataset.errors || "{}");
const PATTERNS = JSON.parse(intro.dataset.patterns || "[]")
  .map(([pattern, translated]) => [new RegExp(pattern), translated]);
export function errorText(error) {
  if (ERRORS[error]) return ERRORS[error];
  for (const [pattern, translated] of PATTERNS) {
    const found = pattern.exec(error);
    if (found) return translated.replace(/%\((\w+)\)s/g, (whole, name) => errorText(found.groups[name]));
  }
  return error;
}
