"""When one fails: five fetches at once, one of which fails at once and one of which hangs.

What each style does with the other fetches once one has failed: gather answers with
the first exception and leaves the rest running, unwatched; TaskGroup cancels them;
callbacks go on counting; a thread cannot be cancelled, so it runs to its timeout.
Each fetch's end is recorded whatever the style does, so the run shows what went on
after the page answered.
"""

import asyncio
import concurrent.futures
import functools
import time

from tornado.ioloop import IOLoop

# The essay's three sites, one that fails at once, one that hangs past the timeout.
TARGETS = ["google.com", "yandex.ru", "python.org",
           "/upstream/fails-at-once?delay_ms=0&status=500&bytes=64", "hangs"]
# When the visitor leaves mid-run: the same without the failure, which would answer first.
LEFT_TARGETS = ["google.com", "yandex.ru", "python.org", "hangs"]
# When the visitor leaves, in ms into the run: (lowest, highest, default).
LEAVE_MS = (10, 2000, None)
GRACE_SECONDS = 2  # past the fetch timeout, for the last fetch to be seen ending


# --- the variants; the page shows these -------------------------------------------------


async def gather(fetch, targets):
    # The first exception answers; the other fetches run on, and nobody awaits them.
    return await asyncio.gather(*(fetch(target) for target in targets))


async def gather_return_exceptions(fetch, targets):
    # Every fetch is waited for, the hang too; a failure is a value in the list.
    return await asyncio.gather(*(fetch(target) for target in targets),
                                return_exceptions=True)


async def taskgroup(fetch, targets):
    # The first failure cancels the others; the group raises once they have ended, an
    # ExceptionGroup of the failures: except* HTTPClientError catches it, except
    # HTTPClientError does not.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(target)) for target in targets]
    return [task.result() for task in tasks]


def callbacks(start_fetch, targets, answer):
    state = {"left": len(targets), "answered": False}
    for target in targets:
        IOLoop.current().add_future(start_fetch(target),
                                    functools.partial(callbacks_fetched, state, answer))


def callbacks_fetched(state, answer, future):
    state["left"] -= 1  # the counter counts on, after the page has answered too
    if state["answered"]:
        return
    if future.exception() or state["left"] == 0:
        state["answered"] = True
        answer(future.exception())  # the first failure answers the page


def threads(fetch_blocking, targets, pool):
    futures = [pool.submit(fetch_blocking, target) for target in targets]
    done, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_EXCEPTION)
    for future in futures:
        future.cancel()  # False for a running thread: nothing can stop it but its timeout
    for future in done:
        if future.exception():
            raise future.exception()
    return [future.result() for future in futures]


# --- how a run is made and watched ------------------------------------------------------


class Watched:
    """The fetches of one run, each with how and when (ms into the run) it ended.

    end_ms is when the style's code saw it end; request_end_ms when the HTTP request
    itself did, later for a fetch cancelled while its request was under way.
    """

    def __init__(self, targets):
        self.started = time.perf_counter()
        self.loop = asyncio.get_running_loop()
        self.targets = {target.name: target for target in targets}
        self.fetches = {name: {"target": name, "outcome": None, "end_ms": None,
                               "request_end_ms": None} for name in self.targets}
        self.answered = self.loop.create_future()  # the page's answer: its error, or None
        self.answered_ms = self.left_ms = None
        self.all_ended = self.loop.create_future()

    def ms(self):
        return round((time.perf_counter() - self.started) * 1000, 1)

    def answer(self, error):
        self.answered_ms = self.ms()
        self.answered.set_result(error)

    def visitor_left(self):
        self.left_ms = self.ms()

    def ended(self, name, outcome=None):
        """A fetch's end as the code saw it (an outcome), or its request's (none)."""
        fetch = self.fetches[name]
        if outcome:
            fetch.update(outcome=outcome, end_ms=self.ms())
        else:
            fetch["request_end_ms"] = self.ms()
        if all(fetch["outcome"] and fetch["request_end_ms"] for fetch in self.fetches.values()) \
                and not self.all_ended.done():
            self.all_ended.set_result(None)

    def request_ended(self, name, request):
        request.exception()  # seen: after a cancel, nobody else looks at how it ended
        self.ended(name)

    def ended_in_a_thread(self, name, outcome):
        self.loop.call_soon_threadsafe(self.ended, name, outcome)
        self.loop.call_soon_threadsafe(self.ended, name)

    async def fetch(self, http_client, name):
        """The coroutine styles' fetch: awaited, raises, and may be cancelled."""
        request = http_client.fetch(self.targets[name].url)
        request.add_done_callback(functools.partial(self.request_ended, name))
        try:
            # Shielded, as the client's request is anyway: a cancel stops the waiting, and
            # the request runs on in the HTTP client until it ends.
            response = await asyncio.shield(request)
        except asyncio.CancelledError:
            self.ended(name, "cancelled")
            raise
        except Exception:
            self.ended(name, "failed")
            raise
        self.ended(name, "answered")
        return response

    def start_fetch(self, http_client, name):
        """The callbacks' fetch: a Future, which ends as it ends."""
        request = http_client.fetch(self.targets[name].url)
        request.add_done_callback(lambda done: self.ended(
            name, "failed" if done.exception() else "answered"))
        request.add_done_callback(lambda _: self.ended(name))
        return request

    def fetch_blocking(self, fetch_url, name):
        """The threads' fetch: blocking, in a pool thread."""
        try:
            response = fetch_url(self.targets[name].url)
        except Exception:
            self.ended_in_a_thread(name, "failed")
            raise
        self.ended_in_a_thread(name, "answered")
        return response


async def answer(variant, run, watched, seconds, **resources):
    """Runs the variant as a page would, within `seconds`; records when and how it answered."""
    try:
        await asyncio.wait_for(run(variant, watched, **resources), seconds)
        watched.answer(None)
    except Exception as error:  # what the page's code had raised: a TaskGroup's is a group
        watched.answer(error)


async def with_coroutines(variant, watched, http_client, **_):
    return await variant(functools.partial(watched.fetch, http_client), list(watched.targets))


async def with_callbacks(variant, watched, http_client, **_):
    answered = asyncio.get_running_loop().create_future()

    def answer(error):
        if error:
            answered.set_exception(error)
        else:
            answered.set_result(None)

    variant(functools.partial(watched.start_fetch, http_client), list(watched.targets), answer)
    return await answered


class WatchedPool:
    """The thread pool, as the threads variant sees it: a fetch that cancel() took off
    the queue before any thread started it ends there, cancelled."""

    def __init__(self, pool, watched):
        self.pool, self.watched = pool, watched

    def submit(self, fetch_blocking, name):
        future = self.pool.submit(fetch_blocking, name)
        future.add_done_callback(lambda done: done.cancelled() and self.watched.ended_in_a_thread(
            name, "cancelled"))
        return future


async def with_threads(variant, watched, fetch_url, pool, **_):
    fetch_blocking = functools.partial(watched.fetch_blocking, fetch_url)
    return await asyncio.get_running_loop().run_in_executor(
        pool, variant, fetch_blocking, list(watched.targets), WatchedPool(pool, watched))
