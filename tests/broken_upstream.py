"""A deliberately broken upstream, on raw sockets: it misbehaves as no HTTP library would.

`GET /FAULT` gets the answer (or the lack of one) named FAULT in FAULTS. It listens on
127.0.0.1 on a free port; `targets()` names each fault as an operator --target, so an
aggregate can fetch it, and "refused" is a port bound without listening.
"""

import asyncio
import contextlib
import gzip
import socket

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
# Larger than any limit the tests set, smaller than memory cares about.
BIG = 64 * 1024


async def silent(writer):
    await forever()


async def closes_at_once(writer):
    writer.close()


async def not_http(writer):
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await forever()


# Under the smallest limit the tests set, so that the length alone is no fault.
SMALL = 1000


async def headers_then_silence(writer):
    writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % SMALL)
    await forever()


async def drip(writer):
    writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % SMALL)
    while True:  # a byte every 50 ms: alive, but never done in time
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.05)


async def closed_mid_body(writer):
    writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % SMALL + b"x" * 100)
    await writer.drain()
    writer.close()


async def too_big(writer):
    writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % BIG + b"x" * BIG)
    await writer.drain()
    await forever()


async def too_big_chunked(writer):
    writer.write(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    for _ in range(BIG // 1024):
        writer.write(b"400\r\n" + b"x" * 1024 + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await forever()


async def too_big_unframed(writer):
    # No length, no chunks: the body ends when the connection does.
    writer.write(HEAD + b"Connection: close\r\n\r\n" + b"x" * BIG)
    await writer.drain()
    writer.close()


async def conflicting_length(writer):
    writer.write(HEAD + b"Content-Length: 10\r\nContent-Length: 20\r\n\r\n" + b"x" * 20)
    await forever()


async def chunked_then_close(writer):
    writer.write(HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    await writer.drain()
    writer.close()


async def bad_gzip(writer):
    body = b"this is not gzip at all"
    writer.write(HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
                 + body)
    await forever()


async def gzip_bomb(writer):
    # 5 kB on the wire that inflates to far more than any limit the tests set.
    body = gzip.compress(b"\0" * (BIG * 16))
    writer.write(HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
                 + body)
    await forever()


async def redirect(writer):
    # TEST-NET-3: an address that is never anyone's; following it would be a bug.
    writer.write(b"HTTP/1.1 302 Found\r\nLocation: http://203.0.113.7/admin\r\n"
                 b"Content-Length: 0\r\n\r\n")
    await forever()


async def hostile_reason(writer):
    writer.write(b"HTTP/1.1 500 <script>alert('reason')</script>\r\nContent-Length: 0\r\n\r\n")
    await forever()


async def long_reason(writer):
    writer.write(b"HTTP/1.1 500 " + b"x" * 5000 + b"\r\nContent-Length: 0\r\n\r\n")
    await forever()


async def fine(writer):
    writer.write(HEAD + b"Content-Length: 5\r\n\r\nhello")
    await forever()


async def forever():
    # Holds the connection open until the fetcher gives up or the fixture stops.
    await asyncio.Event().wait()


FAULTS = {f.__name__.replace("_", "-"): f for f in [
    silent, closes_at_once, not_http, headers_then_silence, drip, closed_mid_body, too_big,
    too_big_chunked, too_big_unframed, conflicting_length, chunked_then_close, bad_gzip,
    gzip_bomb, redirect, hostile_reason, long_reason, fine,
]}
REFUSED = "refused-port"


class BrokenUpstream:
    def __init__(self):
        self.requests = []  # the paths asked for, in order
        self.tasks = set()
        self.server = None
        # Bound, never listening: a connection to it is refused.
        self.closed = socket.socket()
        self.closed.bind(("127.0.0.1", 0))

    async def start(self):
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def targets(self):
        """Each fault as an operator target, NAME -> URL."""
        targets = {name: f"http://127.0.0.1:{self.port}/{name}" for name in FAULTS}
        targets[REFUSED] = f"http://127.0.0.1:{self.closed.getsockname()[1]}/"
        return targets

    async def serve(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.requests.append(path)
            await FAULTS[path.lstrip("/")](writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                asyncio.CancelledError):
            pass  # the fetcher gave up: that is what most faults are waiting for
        finally:
            writer.close()
            self.tasks.discard(task)

    async def stop(self):
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()
        self.closed.close()
