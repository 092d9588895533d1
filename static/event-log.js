// A column's event log: each event as the server logged it, and which threads ran them.
import { el, ms } from "./dom.js";
import { errorText, kindText, t } from "./words.js";

export class EventLog {
  // list: the <ol> to fill (none on the stacked page); threads: the line that counts them.
  constructor(list, threads) {
    this.list = list;
    this.threads = threads;
    this.clear();
  }

  clear() {
    this.threadNames = new Set();
    this.times_ms = [];
    this.list?.replaceChildren();
    this.threads.textContent = "";
  }

  add(event) {
    if (this.list) {
      this.list.append(item(event));
      this.list.scrollTop = this.list.scrollHeight;
    }
    this.threadNames.add(event.thread);
    this.times_ms.push(event.t_ms);
    this.threads.textContent = this.threadNames.size === 1
      ? t("{count} events, all on one thread: {thread}", { count: this.times_ms.length, thread: event.thread })
      : t("{count} events on {threads} threads", { count: this.times_ms.length, threads: this.threadNames.size });
  }
}

function item(event) {
  const details = [];
  if ("status" in event) details.push(event.status === null ? "–" : String(event.status));
  if (event.error) details.push(el("span", "error", errorText(event.error)));
  if ("remaining" in event) details.push(t("remaining {count}", { count: event.remaining }));
  const line = el("li", `kind-${event.kind}`,
    el("span", "time", ms(event.t_ms)), " ", el("span", "kind", kindText(event.kind)));
  if (event.target) line.append(" ", el("code", "", event.target));
  for (const detail of details) line.append(" ", detail);
  return line;
}
