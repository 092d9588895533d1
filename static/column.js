// One column of a live page: a style's run, drawn as it goes into its timeline, its
// event log and, at the end, its results.
import { drawChart } from "./chart.js";
import { EventLog } from "./event-log.js";
import { showResults } from "./results.js";
import { Run } from "./run.js";

export class Column {
  constructor(article) {
    this.article = article;
    this.style = article.dataset.style;
    this.title = article.dataset.title;  // in the page's language, for sentences
    this.path = article.dataset.path;  // its handler of the chosen job
    this.chart = article.querySelector(".chart");
    this.key = article.querySelector(".timeline-key");  // the stacked page has one for all
    this.result = article.querySelector(".result");
    this.log = new EventLog(article.querySelector("ol.events"), article.querySelector(".threads"));
    this.run = new Run();
  }

  begin(run) {
    this.run.begin(run);
    this.log.clear();
    if (this.key) this.key.hidden = false;
  }

  event(event) {
    this.run.event(event);
    this.log.add(event);
  }

  finish(aggregate) {
    this.aggregate = aggregate;  // its turns, if it was traced, for stepping through
    this.run.finish(aggregate);
    showResults(this.result, this.style, aggregate, "totalsOnly" in this.result.dataset);
  }

  draw(axis_ms) {
    if (this.run.fetches.length) drawChart(this.chart, this.run, axis_ms, `${this.style}-hatch`);
  }
}
