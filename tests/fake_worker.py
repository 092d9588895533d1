"""A stand-in worker process: python -m fake_worker FD TIMEOUT.

It speaks the protocol of webdemo/worker.py and does what each job's one target says,
so that the server's side can be tested against answers a real worker gives only by
chance: "rows:N" sends N rows and "done" in one write, "split" sends its row in two
writes, "huge" sends a line with no end, and "never" is never answered.
"""

import json
import socket
import sys
import time


def line(message):
    return json.dumps(message).encode() + b"\n"


def main(fd):
    connection = socket.socket(fileno=fd)
    connection.sendall(line({"kind": "ready"}))
    with connection.makefile("rb") as lines:
        for request in map(json.loads, lines):
            job, what = request["job"], request["targets"][0]
            done = line({"job": job, "kind": "done"})
            if what.startswith("rows:"):
                rows = (line({"job": job, "kind": "row", "index": index})
                        for index in range(int(what.removeprefix("rows:"))))
                connection.sendall(b"".join(rows) + done)
            elif what == "split":
                row = line({"job": job, "kind": "row", "index": 0})
                connection.sendall(row[:5])
                time.sleep(0.1)
                connection.sendall(row[5:] + done)
            elif what == "huge":
                connection.sendall(b"x" * (2**20 + 1))


if __name__ == "__main__":
    main(int(sys.argv[1]))
