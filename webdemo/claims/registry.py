"""The registry of the claims page: each demo, the essay's claim it tests, its variants.

A variant names the code the page shows (the functions that run, from their modules)
and how a run of it is made. The handlers, the template and the tests read this.
"""

from dataclasses import dataclass, field

from webdemo.base import script_messages
from webdemo.claims import deadlocks, gevent_process, greenlets, one_fails, races


@dataclass(frozen=True)
class Variant:
    name: str
    about: str  # what the code does, and what to expect of it
    code: tuple  # the functions shown, as they run
    run: object  # async (first of code, **resources) -> the run's result


@dataclass(frozen=True)
class ClaimDemo:
    name: str
    title: str
    claim: str  # what the essay claimed
    about: str  # what the demo does
    variants: dict = field(default_factory=dict)


def variants(*listed):
    return {variant.name: variant for variant in listed}


CLAIM_DEMOS = {demo.name: demo for demo in [
    ClaimDemo("race", "Races",
         "The essay: coroutines have no race conditions, since one runs at a time and "
         "switches happen only at defined points.",
         "Many visits at once each read a shared counter, fetch a page (real I/O, "
         "simulated by this server), and write the counter plus one. Nothing sleeps to "
         "force a race: where a visit can be interrupted between its read and its "
         "write, the others read the same old value, and increments are lost. "
         "CPython's GIL does not prevent it: it lets one thread run Python at a time, "
         "as the loop runs one task at a time, but hands over between any two bytecodes "
         "and at every blocking call. It qualifies the essay's contrast: in both, one "
         "runs at a time; what differs is where a switch can happen.",
         variants(
             Variant("threads", "Threads: CPython's GIL lets one run Python at a time, and "
                     "passes it on between two bytecodes, every switch interval "
                     "(sys.getswitchinterval(), 5 ms) or when a thread blocks on I/O: here, "
                     "during the fetch.",
                     (races.threads,), races.in_threads),
             Variant("threads-locked", "Threads with a threading.Lock around the read, "
                     "the fetch and the write: one visit at a time.",
                     (races.threads_locked,), races.in_threads),
             Variant("coroutines-await-inside", "Coroutines with the fetch's await between "
                     "the read and the write: every other task runs at that await.",
                     (races.coroutines_await_inside,), races.on_the_loop),
             Variant("coroutines-no-await-inside", "Coroutines that fetch first, then "
                     "read and write with no await between: what the claim really holds.",
                     (races.coroutines_no_await_inside,), races.on_the_loop),
             Variant("coroutines-locked", "Coroutines with an asyncio.Lock around the "
                     "read, the fetch and the write.",
                     (races.coroutines_locked,), races.on_the_loop),
             Variant("greenlets", "gevent greenlets, in a process of their own: the same "
                     "code as threads, switched where the patched socket waits.",
                     (greenlets.race,), gevent_process.race),
             Variant("callbacks", "Callbacks: read in one callback, written in the next, "
                     "with every other visit's callbacks run in between.",
                     (races.callbacks, races.callbacks_write), races.in_callbacks),
         )),
    ClaimDemo("deadlock", "Deadlocks",
         "The essay: with coroutines, deadlocks are rare, since no locks are needed.",
         "Two workers take two locks in opposite order, with a fetch between their two "
         "acquisitions. Each waits at most %(seconds)s s for a lock: a wait that runs "
         "out is how the deadlock is seen, and every lock is released on the way out.",
         variants(
             Variant("threads", "Threads with threading.Lock.",
                     (deadlocks.threads,), deadlocks.in_threads),
             Variant("coroutines", "Tasks with asyncio.Lock: the fetch's await lets the "
                     "other task take its first lock, as a thread switch would.",
                     (deadlocks.coroutines,), deadlocks.on_the_loop),
             Variant("coroutines-no-await-between", "Tasks that fetch first, then take "
                     "both locks with nothing awaited between: no cycle can form.",
                     (deadlocks.coroutines_no_await_between,), deadlocks.on_the_loop),
             Variant("greenlets", "gevent greenlets with the patched threading.Lock, in "
                     "a process of their own.",
                     (greenlets.deadlock,), gevent_process.deadlock),
         )),
    ClaimDemo("one-fails", "When one fails",
         "The essay: callbacks cannot be collected; coroutines gather their results.",
         "Five fetches at once: the essay's three sites, one that fails at once and one "
         "that hangs until the timeout. The page answers as the style decides; each "
         "fetch's end is recorded all the same, after the page has answered too.",
         variants(
             Variant("gather", "asyncio.gather: the first exception answers; the other "
                     "fetches run on, unwatched.",
                     (one_fails.gather,), one_fails.with_coroutines),
             Variant("gather-return-exceptions", "asyncio.gather(return_exceptions=True): "
                     "waits for every fetch, the hang too.",
                     (one_fails.gather_return_exceptions,), one_fails.with_coroutines),
             Variant("taskgroup", "asyncio.TaskGroup (Python 3.11): the first failure "
                     "cancels the others.",
                     (one_fails.taskgroup,), one_fails.with_coroutines),
             Variant("callbacks", "Callbacks with a counter: the first failure answers; "
                     "the counter goes on counting.",
                     (one_fails.callbacks, one_fails.callbacks_fetched),
                     one_fails.with_callbacks),
             Variant("threads", "Threads: the first failure answers; a running thread "
                     "cannot be cancelled, so it runs to its timeout.",
                     (one_fails.threads,), one_fails.with_threads),
         )),
]}

SELF_DEADLOCK = (
    "The classic asyncio self-deadlock, shown and not run: on the loop's own thread, "
    "run_coroutine_threadsafe() schedules the coroutine on that loop, and result() "
    "blocks the thread the loop would run it on. Nothing else runs either: on this "
    "server, every page would stop answering.")


def messages():
    """Every English string of the claims page outside its template, for translation."""
    found = {SELF_DEADLOCK, *script_messages("claims.js")}
    for demo in CLAIM_DEMOS.values():
        found |= {demo.title, demo.claim, demo.about}
        found |= {variant.about for variant in demo.variants.values()}
    return found
