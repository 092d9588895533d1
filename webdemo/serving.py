"""The server's life: it serves until told to stop, then stops without dropping anyone.

On SIGTERM (what a service manager sends) or SIGINT (Ctrl-C), it stops taking runs, lets
the runs under way finish and their answers go out, live streams with their aggregate,
for at most the drain time (--drain); then it closes its port, ends its worker
processes and exits 0. A second signal stops it at once. With --processes N, a parent
forks N children, each of which serves and stops so; the parent passes a stop on to
them and exits when they have.

While it drains it keeps its port open, and answers 503 "the server is stopping" to
anything but its simulator: the runs under way fetch the simulated sites through that
same port, in this process or another of --processes, and a closed port would fail
every fetch still waiting for its turn with "Connection refused".
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
import traceback

from tornado.ioloop import PeriodicCallback

from webdemo.app import App, Config
from webdemo.connections import Server
from webdemo.loops import run

LOG = logging.getLogger("webdemo")
# A child that dies by itself is started again, as tornado.process.fork_processes does,
# but not for ever: a child that cannot start would otherwise fork without end.
MAX_RESTARTS = 100
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A child's stop, from its parent, which alone heeds SIGTERM and Ctrl-C: a terminal
# sends SIGINT to the whole group, and a service manager may send SIGTERM to every
# process of the service; heard both from there and from the parent, the one stop
# would count as two, and the second stops at once.
FROM_PARENT = signal.SIGUSR1
# The parent's second stop, "at once", a signal of its own: sent as a second
# FROM_PARENT, it could merge with the first in a child that had not yet been given the
# first (two of one signal pending are one), and that child would drain on.
AT_ONCE_FROM_PARENT = signal.SIGUSR2
POLL_SECONDS = 0.05
# On loopback a fetch sends its request within a millisecond of connecting.
LAST_CALL_SECONDS = 0.2


async def serve(config: Config, sockets: list, child: bool = False) -> None:
    """Serves on `sockets` until a signal, then drains and stops (see above)."""
    app = App(config)
    app.start_workers()
    # xheaders: behind a reverse proxy, the visitor's address and scheme are the
    # proxy's X-Real-IP / X-Forwarded-For and X-Forwarded-Proto. Connections bounded:
    # webdemo/connections.py.
    server = Server(app, xheaders=config.xheaders)
    server.add_sockets(sockets)
    stop, stop_now = asyncio.Event(), asyncio.Event()

    def stop_asked():
        (stop_now if stop.is_set() else stop).set()

    def stop_at_once():
        stop.set()
        stop_now.set()

    loop = asyncio.get_running_loop()
    for signum in (FROM_PARENT,) if child else STOP_SIGNALS:
        loop.add_signal_handler(signum, stop_asked)
    if child:
        loop.add_signal_handler(AT_ONCE_FROM_PARENT, stop_at_once)
        # Held back since the fork (serve_processes()): a stop that came meanwhile is
        # heard now.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (FROM_PARENT, AT_ONCE_FROM_PARENT))
        # A child outlives its parent if that is killed: it stops as if told to.
        parent = os.getppid()
        PeriodicCallback(lambda: os.getppid() != parent and stop_asked(), 1000).start()
    try:
        await stop.wait()
        app.stopping = True
        if not await drain(app, server, config.drain_seconds, stop_now, child):
            LOG.warning("stopped before every answer under way had gone out")
    finally:
        server.stop()
        app.close()
    if app.runs or app.requests or len(app.in_flight):
        # Cut short, or left by their visitors: ending here, the event loop runs none of
        # it against the closed client, and no thread in a fetch holds the exit.
        logging.shutdown()
        os._exit(0)


async def drain(app: App, server: Server, seconds: float, stop_now: asyncio.Event,
                shared_port: bool = False) -> bool:
    """Waits until the requests under way have answered and the runs' answers have gone
    out, at most `seconds`; then closes the port. With a shared port (--processes),
    the simulator's requests count too: another process's runs may wait for them.
    Answers whether every answer awaited has gone out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    listening = True
    while not stop_now.is_set() and loop.time() < deadline:
        if awaited(app, shared_port):
            pause = POLL_SECONDS  # no event says "the last one has gone": asked again
        elif listening:
            server.stop()
            listening = False
            # A connection it accepted just before may not have sent its request yet:
            # the fetch of a run in another process, which that one waits for.
            pause = LAST_CALL_SECONDS
        else:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_now.wait(), min(pause, deadline - loop.time()))
    return not awaited(app, shared_port)


def awaited(app: App, simulator_too: bool) -> bool:
    """Whether a visitor still waits for an answer: one who has left waits for none,
    and the simulator's fetchers are this process's own runs unless simulator_too."""
    requests = app.requests | {run.request for run in app.runs}
    if any(not run.done() for run in app.runs_of_classes):  # a class's run: its answer is kept
        return True
    return any(request.connection.stream and not request.connection.stream.closed()
               and (simulator_too or not request.path.startswith("/upstream/"))
               for request in requests)


def serve_processes(config: Config, sockets: list) -> int:
    """The parent of --processes N: forks the children, passes a stop on, waits for them.

    Answers the exit status: 0 when every child stopped cleanly when told to.
    """
    children, stops, restarts, failed = set(), 0, 0, False

    def start_child():
        # A stop while the child starts waits, blocked, until its serve() can hear it.
        signal.pthread_sigmask(signal.SIG_BLOCK,
                               (*STOP_SIGNALS, FROM_PARENT, AT_ONCE_FROM_PARENT))
        pid = os.fork()
        if pid == 0:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            status = 0
            try:
                run(serve(config, sockets, child=True), config.loop)
            except BaseException:
                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK,
                               (*STOP_SIGNALS, FROM_PARENT, AT_ONCE_FROM_PARENT))

    def pass_on(signum, frame):
        nonlocal stops
        stops += 1
        if stops == 1:  # the port closes once the children, draining, close theirs
            for sock in sockets:
                sock.close()
        for pid in children:
            os.kill(pid, FROM_PARENT if stops == 1 else AT_ONCE_FROM_PARENT)

    for signum in STOP_SIGNALS:
        signal.signal(signum, pass_on)
    for _ in range(config.processes):
        start_child()
    while children:
        pid, status = os.wait()  # a signal runs pass_on(), then the wait goes on
        children.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        if code == 0 and stops:
            continue
        if not stops and restarts < MAX_RESTARTS:
            LOG.warning("a server process ended (exit status %d): starting another", code)
            restarts += 1
            start_child()
        else:
            failed = True
    return 1 if failed else 0
