"""Class mode under a full room: one class of 200 and 20 classes of 30, all at once.

Starts `python -m webdemo` on loopback with a scratch --data-dir. Every student joins,
follows the class's live page (server-sent events) and answers the prediction; each
teacher then leads the class through a few steps. Reports the time from a teacher's
action (its POST sent) to the moment every student's page has it (p50, p99, max over
all students and actions), and answers sent against answers the teachers' pages
count. Three setups: one process; --processes 2; one process stopped (SIGTERM, drain)
and started again mid-class, the students' pages connecting again as browsers do.

    python benchmarks/classmode.py [--big 200] [--classes 20] [--size 30]
Needs the bench extra: pip install '.[bench]'
"""

import argparse
import asyncio
import json
import random
import socket
import statistics
import sys
import tempfile
import time

import aiohttp
import fanout

# The teacher's actions, each a (step, spread shown) every page must come to.
ACTIONS = [("predict", "1"), ("predict", "0"), ("run", "0"), ("reveal", "0"),
           ("change", "0")]
WAIT_SECONDS = 30  # for any one thing: a start, a join, every page to follow
RETRY_SECONDS = 1.0  # a page whose stream ended connects again after 1 to 2 times this, as
# the page's script does (static/class_common.js)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port, data_dir, processes):
    # Its log beside its store: a stop refuses pages (503) and runs under way, by design.
    with open(f"{data_dir}/server.log", "a") as log:
        return fanout.start([sys.executable, "-m", "webdemo", "--port", str(port),
                             "--data-dir", data_dir, "--processes", str(processes)],
                            seconds=WAIT_SECONDS, stderr=log)[0]


def stop(process):
    fanout.stop(process, WAIT_SECONDS)


def cookie(response, name):
    for header in response.headers.getall("Set-Cookie", ()):
        key, value = header.split(";", 1)[0].split("=", 1)
        if key == name:
            return value
    raise RuntimeError(f"no {name} cookie: HTTP {response.status}")


class Page:
    """One student's page: joined, following its class's stream."""

    def __init__(self, session, base, code, xsrf):
        self.session, self.base, self.code, self.xsrf = session, base, code, xsrf
        self.seen = []  # (arrived, step, spread shown)
        self.follower = None

    async def join(self):
        async with self.session.get(f"{self.base}join?code={self.code}",
                                    allow_redirects=False) as response:
            self.member = cookie(response, f"member_{self.code}")
        self.headers = {"Cookie": f"member_{self.code}={self.member}; _xsrf={self.xsrf}"}
        self.follower = asyncio.ensure_future(self.follow())

    async def follow(self):
        while True:  # as EventSource does: when the stream ends, connect again
            try:
                async with self.session.get(f"{self.base}class/{self.code}/events",
                                            headers=self.headers) as response:
                    async for line in response.content:
                        if line.startswith(b"data: "):
                            state = json.loads(line[6:])
                            self.seen.append((time.perf_counter(), state["step"],
                                              "1" if state["spread_shown"] else "0"))
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(RETRY_SECONDS * random.uniform(1, 2))

    async def answer(self):
        choice = random.choice(["sum", "slowest", "fastest", "unsure"])
        async with self.session.post(
                f"{self.base}class/{self.code}/answer", headers=self.headers,
                data={"_xsrf": self.xsrf, "lesson": "1", "answer": choice}) as response:
            return response.status == 200

    def arrival(self, since, step, spread):
        return next((arrived for arrived, *state in self.seen
                     if arrived >= since and state == [step, spread]), None)


class Teacher:
    """A teacher, from an address of its own: classes opened are limited per address."""

    def __init__(self, base, xsrf, address):
        self.session = aiohttp.ClientSession(
            # A new connection each time: the server may have restarted in between.
            connector=aiohttp.TCPConnector(local_addr=(address, 0), force_close=True),
            cookie_jar=aiohttp.DummyCookieJar())
        self.base, self.xsrf = base, xsrf

    async def open(self):
        async with self.session.post(f"{self.base}class/new", data={"_xsrf": self.xsrf,
                                     "lesson": "1"}, headers={"Cookie": f"_xsrf={self.xsrf}"},
                                     allow_redirects=False) as response:
            self.code = response.headers["Location"].split("/")[2]
            self.key = cookie(response, "teacher")
        self.headers = {"Cookie": f"teacher={self.key}; _xsrf={self.xsrf}"}

    async def lead(self, step, spread):
        async with self.session.post(f"{self.base}class/{self.code}/teach/lead",
                                     headers=self.headers, data={"_xsrf": self.xsrf,
                                     "lesson": "1", "step": step, "spread": spread}) as response:
            assert response.status == 200, await response.text()

    async def counted(self):
        async with self.session.get(f"{self.base}class/{self.code}/teach/events",
                                    headers=self.headers) as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    return json.loads(line[6:])["answered"]


async def until(condition, what):
    deadline = time.perf_counter() + WAIT_SECONDS
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def lead_all(teachers, pages):
    """Each action, by every teacher at once: the ms until each student's page has it."""
    delays = []
    for step, spread in ACTIONS:
        asked = time.perf_counter()
        await asyncio.gather(*(teacher.lead(step, spread) for teacher in teachers))
        await until(lambda asked=asked, step=step, spread=spread: all(
            page.arrival(asked, step, spread) for page in pages), f"every page at {step}")
        delays += [1000 * (page.arrival(asked, step, spread) - asked) for page in pages]
    return delays


async def a_class_session(base, sizes, restart=None):
    """Opens the classes, joins and answers; leads them; answers what it measured."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.get(f"{base}join") as response:
            xsrf = cookie(response, "_xsrf")
        teachers = [Teacher(base, xsrf, f"127.0.1.{i + 1}") for i in range(len(sizes))]
        for teacher in teachers:
            await teacher.open()
        pages = [Page(session, base, teacher.code, xsrf)
                 for teacher, size in zip(teachers, sizes, strict=True) for _ in range(size)]
        await asyncio.gather(*(page.join() for page in pages))
        await until(lambda: all(page.seen for page in pages), "every page following")
        sent = sum(await asyncio.gather(*(page.answer() for page in pages)))
        reconnected = None
        if restart:
            stopped = time.perf_counter()
            await restart()
            started = time.perf_counter()  # it prints its address before it serves
            # Every page connected again, where the class is, before the teachers go on.
            await until(lambda: all(page.seen[-1][0] > started for page in pages),
                        "every page connected again")
            reconnected = max(page.seen[-1][0] for page in pages) - stopped
        delays = await lead_all(teachers, pages)
        counted = sum(await asyncio.gather(*(teacher.counted() for teacher in teachers)))
        for page in pages:
            page.follower.cancel()
        for teacher in teachers:
            await teacher.session.close()
        return delays, sent, counted, reconnected


def percentile(values, fraction):
    return sorted(values)[min(len(values) - 1, int(fraction * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", type=int, default=200, choices=range(1, 501), metavar="N",
                        help="students in the big class (default: 200)")
    parser.add_argument("--classes", type=int, default=20, choices=range(0, 51), metavar="N",
                        help="small classes (default: 20)")
    parser.add_argument("--size", type=int, default=30, choices=range(1, 101), metavar="N",
                        help="students in each small class (default: 30)")
    args = parser.parse_args()
    sizes = [args.big] + [args.size] * args.classes
    print(f"{len(sizes)} classes, {sum(sizes)} students; each of {len(ACTIONS)} teacher "
          f"actions timed to every student's page", file=sys.stderr)
    print(f"{'setup':<28}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'answers sent':>14}"
          f"{'counted':>9}{'reconnected ms':>16}")
    for name, processes, restarting in (("one process", 1, False),
                                        ("--processes 2", 2, False),
                                        ("one process, restarted", 1, True)):
        with tempfile.TemporaryDirectory() as data_dir:
            port = free_port()
            server = [start(port, data_dir, processes)]

            async def restart(server=server, port=port, data_dir=data_dir,
                              processes=processes):
                # In a thread: the pages go on trying to connect meanwhile, as browsers do.
                began = time.perf_counter()
                await asyncio.to_thread(stop, server[0])
                stopped = time.perf_counter()
                server[0] = await asyncio.to_thread(start, port, data_dir, processes)
                print(f"restart: stopped in {stopped - began:.1f} s, started in "
                      f"{time.perf_counter() - stopped:.1f} s", file=sys.stderr)

            try:
                delays, sent, counted, reconnected = asyncio.run(a_class_session(
                    f"http://127.0.0.1:{port}/", sizes, restart if restarting else None))
            finally:
                stop(server[0])
                with open(f"{data_dir}/server.log") as log:
                    if "Traceback" in (text := log.read()):
                        print(text, file=sys.stderr)
        print(f"{name:<28}{statistics.median(delays):>8.0f}{percentile(delays, 0.99):>8.0f}"
              f"{max(delays):>8.0f}{sent:>14}{counted:>9}"
              f"{f'{1000 * reconnected:.0f}' if reconnected else '':>16}", flush=True)


if __name__ == "__main__":
    main()
