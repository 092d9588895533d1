// A column's run, as the server tells it: for each fetch, when it started, how long it
// waited in line for a slot, and when and how it ended, in ms into the run.

export class Run {
  constructor() {
    this.fetches = [];
    this.running = false;
    this.latest_ms = 0;
  }

  // A new run: every target gets its row, empty until its fetch starts.
  begin(run) {
    this.fetches = run.targets.map((target) => ({
      target, start_ms: null, waiting: false, queued_ms: 0, end_ms: null }));
    this.timeout_ms = run.timeout_ms;
    this.limit = run.limit;
    this.clock = performance.now();
    this.latest_ms = 0;
    this.running = true;
  }

  // The run's time now, in the server's milliseconds since it started.
  now_ms() {
    return this.running ? Math.max(this.latest_ms, performance.now() - this.clock) : this.latest_ms;
  }

  event(event) {
    this.latest_ms = Math.max(this.latest_ms, event.t_ms);
    if (event.index === undefined) return;
    // A chain's targets come as it reads them: a fetch's first event brings its row.
    this.fetches[event.index] ??= { target: event.target, start_ms: null, waiting: false,
      queued_ms: 0, end_ms: null };
    const fetch = this.fetches[event.index];
    if (event.step) fetch.step = event.step;
    if (event.kind === "link-refused") fetch.start_ms = event.t_ms;  // never fetched
    if (event.kind === "fetch-start") fetch.start_ms = event.t_ms;
    else if (event.kind === "queued" || event.kind === "shared") fetch.waiting = true;
    else if (event.kind === "sent") {
      fetch.waiting = false;
      fetch.queued_ms = event.t_ms - fetch.start_ms;
    } else if ("error" in event) {  // the fetch's result reached the style's code
      Object.assign(fetch, { end_ms: event.t_ms, status: event.status ?? null, error: event.error });
    }
  }

  // The whole aggregate: the rows as the server measured them, its own line's wait and
  // the HTTP client's counted in queued_ms.
  finish(aggregate) {
    this.fetches = aggregate.results.map((row) => ({
      target: row.target, step: row.step, start_ms: row.start_ms, waiting: false, queued_ms: row.queued_ms,
      end_ms: row.end_ms, status: row.status, error: row.error }));
    this.latest_ms = aggregate.elapsed_ms;
    this.running = false;
  }

  stop() {
    this.running = false;
  }

  // How long a fetch has waited in line: so far, while it still waits.
  waited_ms(fetch) {
    const end_ms = fetch.end_ms === null ? this.now_ms() : fetch.end_ms;
    return fetch.waiting ? end_ms - fetch.start_ms : fetch.queued_ms;
  }
}

export function outcome(fetch) {
  if (fetch.end_ms === null) return "running";
  if (!fetch.error) return "ok";
  return fetch.status === null ? "no-answer" : "failed";
}
