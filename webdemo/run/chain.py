"""What every style's chain shares, so that a chain file holds only its style.

A chain is three steps, each decided by the one before: fetch a start page (step 1);
read the pages it links to and fetch them at once (step 2); fetch one more page,
the one the largest answered page of step 2 links to (step 3). Here live reading a
page's links, passing each through the catalog's gate, the step of every fetch,
choosing the last page, and the rows, in step order then link order, with the totals.
"""

from webdemo.catalog import Plan, Target
from webdemo.query import BadInput
from webdemo.run.aggregate import AggregateHandler
from webdemo.run.contract import START
from webdemo.run.links import read_links
from webdemo.run.record import ChainRow
from webdemo.scenarios import MAX_LINKS

# A refused link's row names it by its first this many characters.
MAX_REFUSED_NAME_CHARS = 80
# Why the last step was not taken, in fixed words the pages translate.
START_FAILED = "the start page failed"
NO_PAGE_ANSWERED = "no linked page answered"
SKIPPED_TEXTS = [START_FAILED, NO_PAGE_ANSWERED]
# Words with a name or a reason in them: the pages translate them around it.
NO_LINKS = "the largest page that answered, %(target)s, links to no page"
LINK_REFUSED = "link refused: %(why)s"
TOO_MANY_LINKS = "more than %(most)s links on the page: the rest are not followed"
PATTERN_TEXTS = [NO_LINKS, LINK_REFUSED, TOO_MANY_LINKS]


class ChainHandler(AggregateHandler):
    """A chain's run. The style's get() fetches; the steps' bookkeeping is here."""

    pattern_texts = PATTERN_TEXTS
    start = START

    def plan_run(self, arguments: dict) -> Plan:
        return self.application.catalog.chain_plan(arguments)

    def prepare(self):
        super().prepare()
        self.targets = list(self.targets)  # the links read are added as they are read
        self.steps = [1]  # each target's step
        self.links_read = {}  # target index -> its page's links, until its row is made
        self.skipped = None  # why the last step was not taken, if it was not

    def add_target(self, target: Target, step: int) -> int:
        """A page to fetch (or a link refused) in `step`; answers its index."""
        self.targets.append(target)
        self.steps.append(step)
        return self.record.add_fetch()

    def log_event(self, kind, index=None, **details):
        if index is not None:
            details["step"] = self.steps[index]
        super().log_event(kind, index, **details)

    def succeeded(self, index, response):
        self.links_read[index] = read_links(response.body)
        return super().succeeded(index, response)

    def row(self, index, status, size, error, failure=None, began=None):
        row = super().row(index, status, size, error, failure, began)
        row = self.rows[index] = ChainRow(**vars(row), step=self.steps[index],
                                          links=self.links_read.pop(index, []))
        return row

    def links(self, start: ChainRow) -> list[int]:
        """The indices of the pages the start page links to, in link order: step 2."""
        return self.follow(start.links, 2)

    def choose_last(self, pages: list[ChainRow]) -> int | None:
        """The index of the last page (step 3), chosen from step 2's rows; or None.

        The largest page that answered (the first of equals, in link order) and its
        first link. Each reason there is no last page is said once, in `skipped`.
        """
        answered = [page for page in pages if page.error is None]
        if not answered:
            self.skipped = NO_PAGE_ANSWERED
            return None
        largest = max(answered, key=lambda page: page.bytes)
        if not largest.links:
            self.skipped = NO_LINKS % {"target": largest.target}
            return None
        last = self.follow(largest.links[:1], 3)
        return last[0] if last else None  # refused, it is a row that says why

    def follow(self, links: list[str], step: int) -> list[int]:
        """The indices of the links the gate lets through; each refused one is a row."""
        if self.visitor_left():  # nobody waits for the next step: it is not taken
            return []
        indices = []
        for href in links[:MAX_LINKS]:
            try:
                # A link passes the gate a visitor's fetch= spec passes.
                target = self.application.catalog.target(href, self.plan.slow)
            except BadInput as refusal:
                self.refuse(href, step, refusal.template % refusal.values)
            else:
                indices.append(self.add_target(target, step))
        if len(links) > MAX_LINKS:  # read_links() stops one past the bound
            self.refuse(links[MAX_LINKS], step, TOO_MANY_LINKS % {"most": MAX_LINKS})
        return indices

    def refuse(self, href: str, step: int, why: str) -> None:
        """A link the chain will not fetch: its row, with no fetch and no time."""
        name = href[:MAX_REFUSED_NAME_CHARS]
        index = self.add_target(Target(name, None), step)
        error = LINK_REFUSED % {"why": why}
        self.log_event("link-refused", index, error=error)
        now_ms = self.times[index].start_ms = self.elapsed_ms()
        self.rows[index] = ChainRow(
            target=name, url=None, status=None, bytes=0, error=error, start_ms=now_ms,
            end_ms=now_ms, queued_ms=0.0, failure=None, step=step, links=[])

    def render_chain(self) -> None:
        """The rows in step order, and within a step in link order: the order of indices."""
        if self.rows[self.start].error is not None:
            self.skipped = START_FAILED
        self.render_results([self.rows[index] for index in sorted(self.rows)],
                            job="chain", skipped=self.skipped)
