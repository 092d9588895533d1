"""The lessons' registry: each lesson's words, its question, the runs it shows, and how the
right answer is read from those runs. The pages, the class mode, the script and the tests
read it.

A right answer is never written down: right_answer() reads it from the JSON of the runs
just shown, so that it follows the run when the run differs (other delays, a slower
machine, another loop).
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from webdemo.query import BadInput

UNSURE = "unsure"  # every question accepts "I don't know"
UNSURE_TEXT = "I don't know"
STEPS = ("predict", "run", "reveal", "change")


@dataclass(frozen=True)
class Prediction:
    question: str  # English; translated through locale/ko.csv
    choices: tuple[tuple[str, str], ...] = ()  # (key, English text)
    number_unit: str | None = None  # set for a number question: answers are numbers
    number_bounds: tuple[float, float] | None = None
    # A number answer is right within this fraction of the run's (a time is never
    # exact); a count, with 0, only when it is the count.
    tolerance: float = 0.25

    def parse(self, answer: str) -> str | float:
        """The answer as the question takes it: a choice's key, a number, or UNSURE."""
        if answer == UNSURE:
            return UNSURE
        if self.number_unit is None:
            if answer not in dict(self.choices):
                raise BadInput("%(answer)r is not one of this question's answers",
                               answer=answer[:40])
            return answer
        low, high = self.number_bounds
        try:
            value = float(answer)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise BadInput("the answer must be a number from %(low)s to %(high)s",
                           low=low, high=high)
        return int(value) if value.is_integer() else value

    def could_be(self, right) -> bool:
        """Whether `right` is an answer to this question: a choice's key, or a number."""
        if self.number_unit is None:
            return isinstance(right, str) and right in dict(self.choices)
        return isinstance(right, (int, float)) and not isinstance(right, bool) \
            and math.isfinite(right)

    def is_right(self, answer: str | float, right: str | float) -> bool:
        if answer == UNSURE:
            return False
        if self.number_unit is None:
            return answer == right
        return abs(answer - right) <= self.tolerance * max(abs(right), 1)

    def text_of(self, answer: str | float) -> str:
        """An answer as the page shows it (English: translate it)."""
        if answer == UNSURE:
            return UNSURE_TEXT
        return dict(self.choices)[answer] if self.number_unit is None else str(answer)


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str  # address /learn/{number}-{slug}
    title: str
    text: tuple[str, ...]  # paragraphs, before the question
    prediction: Prediction
    # This server's paths the lesson runs; each answers JSON with ?format=json.
    runs: tuple[str, ...]
    # The right answer, read from the runs' JSON: results (one JSON per path of runs, in
    # order) -> a choice's key or a number
    right_answer: Callable[[list[dict]], str | float]
    # results -> the values of `seen`, the sentence that says what ran
    facts: Callable[[list[dict]], dict]
    seen: str
    why: str  # two or three sentences, pointing at the lit line
    change: str  # one thing to change, and what to look for
    change_link: str  # where to change it
    # The line to light on reveal: (index in runs, a text on that line of its source).
    lit: tuple[int, str] | None = None

    @property
    def path(self) -> str:
        return f"/learn/{self.number}-{self.slug}"

    def texts(self) -> set[str]:
        """Every English string of the lesson, for translation."""
        prediction = self.prediction
        return {self.title, *self.text, prediction.question, self.seen, self.why, self.change,
                *(text for _, text in prediction.choices),
                *([prediction.number_unit] if prediction.number_unit else [])}


def style_of(run: str) -> tuple[str, str] | None:
    """(style, job) of a run of a style's handler (/STYLE, /chain/STYLE,
    /break/blocking/STYLE, /break/beside/STYLE); None for a claims run."""
    parts = urlsplit(run).path.strip("/").split("/")
    if parts[0] == "claims":
        return None
    return parts[-1], "chain" if parts[0] == "chain" else "aggregate"


def sharing_one_loop(runs, token: str) -> list[str]:
    """The runs of one lesson, the blocking demo's columns told the loop they share."""
    return [f"{run}{'&' if '?' in run else '?'}loop={token}" if run.startswith("/break/")
            else run for run in runs]


def claims_of(run: str) -> tuple[str, str]:
    """(demo, variant) of a claims run, /claims/DEMO/VARIANT."""
    _, demo, variant = urlsplit(run).path.strip("/").split("/")
    return demo, variant


def durations_ms(run: dict) -> list[float]:
    """How long each fetch of an aggregate took, in request order."""
    return [row["end_ms"] - row["start_ms"] for row in run["results"]]


def nearest(candidates: dict, value: float) -> str:
    """The key whose value is nearest `value`; on a tie, the first."""
    return min(candidates, key=lambda key: abs(candidates[key] - value))


def one_decimal(value: float) -> float:
    return round(value, 1)


# 1 waiting
def waiting_candidates(results):
    sequential, at_once = results
    durations = durations_ms(at_once)
    return {"sum": sequential["elapsed_ms"], "slowest": max(durations),
            "fastest": min(durations)}


def waiting_answer(results):
    return nearest(waiting_candidates(results), results[1]["elapsed_ms"])


def waiting_facts(results):
    candidates = waiting_candidates(results)
    return {"sequential_ms": results[0]["elapsed_ms"], "at_once_ms": results[1]["elapsed_ms"],
            "slowest_ms": one_decimal(candidates["slowest"])}


# 2 threads
def fetch_threads(run):
    return {event["thread"] for event in run["events"] if event["kind"] == "fetch-start"}


def threads_answer(results):
    return len(fetch_threads(results[0]))


def threads_facts(results):
    run = results[0]
    return {"fetches": len(run["results"]), "threads": len(fetch_threads(run)),
            "all_threads": len({event["thread"] for event in run["events"]})}


# 3 callbacks
def rendering_target(run):
    """The target whose callback rendered the page: the one whose count reached zero."""
    called = None
    for event in run["events"]:
        if event["kind"] == "callback":
            called = event["target"]
        elif event["kind"] == "counter" and event["remaining"] == 0:
            return called
    raise ValueError("no callback counted down to zero")


def renderer_answer(results):
    run = results[0]
    target = rendering_target(run)
    arrived = sorted(run["results"], key=lambda row: row["end_ms"])
    if arrived[-1]["target"] == target:
        return "last-to-arrive"
    return "first-requested" if run["results"][0]["target"] == target else "last-requested"


def renderer_facts(results):
    run = results[0]
    arrived = sorted(run["results"], key=lambda row: row["end_ms"])
    return {"target": rendering_target(run), "last": arrived[-1]["target"],
            "order": ", ".join(row["target"] for row in arrived)}


# 4 the chain
def chain_candidates(run):
    steps = {}
    for row in run["results"]:
        steps.setdefault(row["step"], []).append(row["end_ms"] - row["start_ms"])
    durations = durations_ms(run)
    return {"slowest": max(durations), "steps": sum(max(each) for each in steps.values()),
            "all": sum(durations)}


def chain_answer(results):
    return nearest(chain_candidates(results[0]), results[0]["elapsed_ms"])


def chain_facts(results):
    candidates = chain_candidates(results[0])
    return {"elapsed_ms": results[0]["elapsed_ms"], "fetches": len(results[0]["results"]),
            "steps_ms": one_decimal(candidates["steps"]), "all_ms": one_decimal(candidates["all"])}


# 5 coroutines: how a failure reaches the code
def failed_row(run):
    return next((row for row in run["results"] if row["error"]), None)


def failure_answer(results):
    row = failed_row(results[1])
    if row is None:
        return "lost"
    traceback = (row.get("failure") or {}).get("traceback") or ""
    return "raised" if "webdemo/styles/coroutines.py" in traceback else "object"


def failure_facts(results):
    callbacks, coroutines = (failed_row(run) or {} for run in results)
    return {"target": coroutines.get("target", "–"),
            "callbacks_type": (callbacks.get("failure") or {}).get("type", "–"),
            "coroutines_type": (coroutines.get("failure") or {}).get("type", "–")}


# 6 when one fails
def ran_on(run):
    return [fetch for fetch in run["fetches"] if fetch["end_ms"] > run["answered_ms"] + 1]


def gather_answer(results):
    run = results[0]
    if any(fetch["outcome"] == "cancelled" for fetch in run["fetches"]):
        return "stopped"
    return "runs-on" if ran_on(run) else "waits"


def gather_facts(results):
    run = results[0]
    later = ran_on(run)
    return {"answered_ms": round(run["answered_ms"]), "count": len(later),
            "last_ms": round(max((fetch["end_ms"] for fetch in later),
                                 default=run["answered_ms"]))}


# 7 the event loop, turn by turn
def turns_between(run):
    """(the turn the first response's socket was readable in, the turn its callback ran in)."""
    readable = next(at for at, turn in enumerate(run["turns"])
                    if any(entry["kind"] == "io" for entry in turn["ran"]))
    index = next(entry["index"] for entry in run["turns"][readable]["ran"]
                 if entry["kind"] == "io")
    called = next(at for at, turn in enumerate(run["turns"]) if at > readable
                  and any("callback" in (entry.get("events") or [])
                          and entry.get("index") == index for entry in turn["ran"]))
    return readable, called, run["results"][index]["target"]


def turns_answer(results):
    readable, called, _ = turns_between(results[0])
    return called - readable


def turns_facts(results):
    readable, called, target = turns_between(results[0])
    return {"target": target, "readable": readable + 1, "called": called + 1,
            "turns": len(results[0]["turns"])}


# 8 blocking the loop
def longest_pause_ms(run):
    times = [event["t_ms"] for event in run["events"]]
    return max((later - earlier for earlier, later in itertools.pairwise(times)), default=0)


def blocking_answer(results):
    return one_decimal(longest_pause_ms(results[0]))


def blocking_facts(results):
    blocked = next((event for event in results[1]["events"] if event["kind"] == "blocked"), {})
    return {"pause_ms": blocking_answer(results), "slept_ms": blocked.get("ms", "–")}


# 9 races, 10 deadlocks
def race_facts(results):
    return {"counted": results[0]["counted"], "increments": results[0]["increments"],
            "lost": results[0]["lost"]}


def deadlock_facts(results):
    run = results[0]
    return {"wait_seconds": run["wait_seconds"], "held": len(run["locks_held_after"]),
            "elapsed_ms": round(run["elapsed_ms"])}


LESSONS = [
    Lesson(
        1, "waiting", "Waiting: one page after another, or all at once",
        ("A page that fetches three other pages spends nearly all its time waiting for "
         "answers. Asked one after another, the waits add up. The essay "
         "“Asynchronous Python” (2016) starts here: the work is small, the waiting is long, "
         "so wait for all of them at once.",
         "Below, two handlers fetch the same three simulated sites, which take 120, 240 and "
         "180 ms to answer. The sequential one asks for each in turn; the coroutines one "
         "starts all three, then waits."),
        Prediction(
            "The sequential page fetches three pages one after another. The coroutines "
            "page starts all three at once. How long will the coroutines page take?",
            (("sum", "About as long as the three fetches added up"),
             ("slowest", "About as long as the slowest fetch"),
             ("fastest", "About as long as the fastest fetch"))),
        ("/sequential", "/coroutines"), waiting_answer, waiting_facts,
        "One after another took %(sequential_ms)s ms; all at once took %(at_once_ms)s ms, "
        "and its slowest fetch %(slowest_ms)s ms.",
        "Waits that overlap cost only the longest of them. At the lit line the coroutines "
        "page waits for every fetch together, so the page is done when its slowest fetch is.",
        "Try a fan-out of 100 fetches with the same pair: the sequential page takes a hundred "
        "times one fetch; the coroutines page, about one.",
        "/?left=sequential&right=coroutines&scenario=fan-out",
        lit=(1, "await asyncio.gather(")),
    Lesson(
        2, "threads", "Threads: waiting in parallel, at a price",
        ("The oldest way to wait for many things at once is a thread for each: plain "
         "blocking code, and the operating system switches between the threads while they "
         "wait. The essay “Asynchronous Python” (2016) shows this first, and notes that "
         "threads cost memory and switching.",
         "The threads page runs each fetch in a thread of a pool, with urllib, and the "
         "event loop only waits for the pool."),
        Prediction(
            "The threads page fetches 20 pages at once. How many threads run its fetches?",
            number_unit="threads", number_bounds=(0, 1000), tolerance=0),
        ("/threads?scenario=fan-out&n=20",), threads_answer, threads_facts,
        "Its %(fetches)s fetches started in %(threads)s threads; %(all_threads)s threads "
        "took part in all, the event loop's included.",
        "A blocking fetch holds its thread until its answer comes, so every fetch that waits "
        "at the same time needs a thread of its own. At the lit line each fetch goes to the "
        "pool; a thousand waiting fetches would need a thousand threads.",
        "Open the costs page and compare the memory and CPU of threads and coroutines for "
        "the same fan-out.",
        "/costs",
        lit=(0, "run_in_executor(")),
    Lesson(
        3, "callbacks", "Callbacks: a response handed to a function",
        ("Before coroutines, Tornado handed each response to a function you gave it: a "
         "callback. The essay “Asynchronous Python” (2016) shows the callbacks version and "
         "its global counter, which tells each callback whether it is the last.",
         "Our callbacks page starts three fetches and returns at once; each response's "
         "callback counts down, and the one that reaches zero renders the page."),
        Prediction(
            "The callbacks page asks for google.com, yandex.ru, then python.org. Which "
            "fetch's callback renders the page?",
            (("first-requested", "The first one asked for"),
             ("last-requested", "The last one asked for"),
             ("last-to-arrive", "The one whose response arrives last"))),
        ("/callbacks",), renderer_answer, renderer_facts,
        "The responses arrived in this order: %(order)s. The callback of %(target)s "
        "rendered the page.",
        "No callback knows which it is: each lowers the shared counter, and the one that "
        "finds it at zero renders. At the lit line that test is made, so whichever response "
        "arrives last renders, whatever order the fetches were asked in.",
        "Choose the scenario “The three sites, delays of your choosing” and make google.com "
        "the slowest: its callback will render.",
        "/?left=callbacks&right=coroutines&scenario=custom",
        lit=(0, "== 0")),
    Lesson(
        4, "callback-hell", "Callback hell: one step after another",
        ("Some work cannot be done at once: a start page names the pages to fetch next, and "
         "one of those names the last. Each step waits for the one before. The essay "
         "“Asynchronous Python” (2016) calls what callbacks make of this callback hell.",
         "The chain fetches a start page, then the three pages it links to at once, then "
         "the page linked from the largest of them."),
        Prediction(
            "The chain has three steps, each waiting for the step before. How long will the "
            "callbacks chain take?",
            (("slowest", "About as long as its slowest fetch"),
             ("steps", "About each step's slowest fetch, added up"),
             ("all", "About all its fetches added up"))),
        ("/chain/callbacks", "/chain/coroutines"), chain_answer, chain_facts,
        "The callbacks chain took %(elapsed_ms)s ms for %(fetches)s fetches; each step's "
        "slowest fetch adds up to %(steps_ms)s ms, all its fetches to %(all_ms)s ms.",
        "Within a step the fetches overlap; between steps they cannot. Both chains wait the "
        "same; what differs is the code: in callbacks each step is another function, and the "
        "state a later step needs is carried by hand, as at the lit line.",
        "Run the chain with a linked page that fails, and find where each style checks for "
        "the failure.",
        "/?left=callbacks&right=coroutines&job=chain&scenario=chain-link-fails",
        lit=(0, "def handle_page")),
    Lesson(
        5, "coroutines", "Coroutines: the same page, read top to bottom",
        ("With async and await the page is one function again: it starts the fetches, waits "
         "for them where it says await, and goes on from that line. The essay "
         "“Asynchronous Python” (2016) ends with this style.",
         "Both pages below fetch three sites, one of which fails with a 500."),
        Prediction(
            "One of three fetches fails with a 500. How does the failure reach the "
            "coroutines page's code?",
            (("raised", "As an exception, raised at the line that waits"),
             ("object", "As a response object whose error it must check"),
             ("lost", "It does not: the failure is lost"))),
        ("/callbacks?scenario=one-fails", "/coroutines?scenario=one-fails"),
        failure_answer, failure_facts,
        "%(target)s failed. The callbacks code was handed %(callbacks_type)s; the "
        "coroutines code had %(coroutines_type)s raised in it.",
        "A coroutine resumes at its await with the fetch's outcome: a value, or an exception "
        "raised right there, at the lit line, with a traceback through its own lines. "
        "Callbacks are handed an object, and must check its error by hand.",
        "Try “Forget the error check”, under “Break it on purpose”: callbacks without the "
        "check count a failure as a success.",
        "/?left=callbacks&right=coroutines&scenario=one-fails#break-it",
        lit=(1, "await self.fetch(")),
    Lesson(
        6, "one-fails", "When one fails: gather and TaskGroup",
        ("asyncio.gather waits for several awaitables. When one of them raises, gather "
         "raises it at once. What happens to the others is a question many people have "
         "filed as a bug; Python 3.11 answered it with TaskGroup.",
         "The run below fetches five pages with gather: the essay's three sites, one that "
         "fails at once, and one that hangs until the timeout."),
        Prediction(
            "One fetch fails at once. What does gather do with the other four?",
            (("stopped", "The page answers at once, and the others are stopped"),
             ("runs-on", "The page answers at once, and the others run on"),
             ("waits", "The page waits for all of them, then answers"))),
        ("/claims/one-fails/gather",), gather_answer, gather_facts,
        "The page answered after %(answered_ms)s ms; %(count)s fetches ran on after it, "
        "the last until %(last_ms)s ms.",
        "gather raises the first exception to whoever awaits it, and that is all: it does "
        "not cancel the other awaitables, which run on unwatched. TaskGroup cancels them, "
        "and raises an ExceptionGroup, which a plain except of the fetch's error misses.",
        "Run the TaskGroup variant on the claims page, and gather with "
        "return_exceptions=True: which one waits for the hang?",
        "/claims#one-fails"),
    Lesson(
        7, "turns", "The event loop, turn by turn",
        ("An event loop runs in turns: it asks the operating system which sockets are ready "
         "and which timers are due, then runs what was waiting for them, one callback at a "
         "time. Nothing runs in between, and nothing runs the moment a response arrives.",
         "This run of the callbacks page is recorded turn by turn, by the server."),
        Prediction(
            "The first response's socket becomes readable in one turn. How many turns "
            "later does its callback run?",
            number_unit="turns", number_bounds=(0, 100), tolerance=0),
        ("/callbacks?trace=turns",), turns_answer, turns_facts,
        "%(target)s was readable in turn %(readable)s; its callback ran in turn "
        "%(called)s, of %(turns)s turns.",
        "A readable socket only sets the fetch's Future; what waits on a Future runs on a "
        "later turn, after whatever was queued before it. The lit line, the callback, runs "
        "only then.",
        "Press “Step through the turns” below the run to step through each turn, and watch "
        "what the loop runs between the socket and the callback.",
        "/?left=callbacks&right=coroutines",
        lit=(0, "def handle_response")),
    Lesson(
        8, "blocking", "Blocking the loop",
        ("Coroutines share one thread. A coroutine that calls time.sleep() or any blocking "
         "call does not pause alone: it holds the thread, and the loop, until the call "
         "returns.",
         "Below, the callbacks page runs while the coroutines page, by mistake, sleeps 500 "
         "ms with time.sleep() on the loop's thread."),
        Prediction(
            "While the coroutines handler sleeps 500 ms, what is the longest pause between "
            "two events of the callbacks page, in ms?",
            number_unit="ms", number_bounds=(0, 10_000)),
        # Both on the demo's loop of its own (sharing_one_loop()): there the sleep stops the
        # other page, and nobody else's.
        ("/break/beside/callbacks", "/break/blocking/coroutines?block_ms=500"),
        blocking_answer, blocking_facts,
        "The callbacks page's longest pause was %(pause_ms)s ms, while the other slept "
        "%(slept_ms)s ms.",
        "The loop runs one callback at a time; while time.sleep() holds its thread, no "
        "socket is read and no callback runs, in any page, for any visitor: the callbacks "
        "page's events stop for as long. Await asyncio.sleep(), or run blocking work in a "
        "thread.",
        "Try “Block the loop”, under “Break it on purpose”, with other pairs: threads keep "
        "fetching, but their results still come back through the stopped loop.",
        "/?left=callbacks&right=coroutines#break-it"),
    Lesson(
        9, "races", "Races: a switch between a read and a write",
        ("The essay “Asynchronous Python” (2016) says coroutines have no race conditions, "
         "since one runs at a time and switches happen only at defined points. What holds is "
         "narrower: no switch between two awaits. At an await, anything can happen.",
         "Twenty visits at once each read a shared counter, fetch a page, and write the "
         "counter plus one."),
        Prediction(
            "Twenty coroutines each read the counter, await a fetch, then write it plus one. "
            "What will the counter read?",
            number_unit="visits", number_bounds=(0, 1000), tolerance=0),
        ("/claims/race/coroutines-await-inside?n=20",), lambda results: results[0]["counted"],
        race_facts,
        "The counter reads %(counted)s after %(increments)s increments: %(lost)s lost.",
        "Every visit read the counter before any fetch answered, because the await let all "
        "the others run; then each wrote its old value plus one. Move the read after the "
        "await, or hold an asyncio.Lock, and none is lost.",
        "Run the threads variant, and the one with no await between the read and the write: "
        "the GIL does not save the threads.",
        "/claims#race"),
    Lesson(
        10, "deadlocks", "Deadlocks without threads",
        ("The essay “Asynchronous Python” (2016) says deadlocks are rare with coroutines, "
         "since no locks are needed. But when coroutines do need locks, they can wait for "
         "each other as threads do.",
         "Two tasks each take two asyncio locks, in opposite order, with a fetch between. "
         "Each waits at most a few seconds for a lock."),
        Prediction(
            "Can the two tasks deadlock on asyncio.Lock?",
            (("deadlock", "Yes: each holds one lock and waits for the other"),
             ("no-deadlock", "No: coroutines cannot deadlock"))),
        ("/claims/deadlock/coroutines",),
        lambda results: "deadlock" if results[0]["deadlocked"] else "no-deadlock",
        deadlock_facts,
        "The run ended after %(elapsed_ms)s ms, when a wait of %(wait_seconds)s s ran out; "
        "locks held afterwards: %(held)s.",
        "Each task took its first lock, then awaited the fetch: the other task ran, and "
        "took its first lock. Neither second lock can then be had. Taking locks in one "
        "order, or with no await between them, prevents it.",
        "Run the variant with no await between the two locks on the claims page.",
        "/claims#deadlock"),
]


def lesson(number: int) -> Lesson:
    for found in LESSONS:
        if found.number == number:
            return found
    raise BadInput("there is no lesson %(number)s", status_code=404, number=number)


def messages() -> set[str]:
    """Every English string of the lessons, for translation."""
    return {UNSURE_TEXT}.union(*(each.texts() for each in LESSONS))
