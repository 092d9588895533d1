"""A stand-in worker process: python -m fake_worker FD MAX_CLIENTS.

It speaks the protocol of webdemo/workers/supervisor.py and does what each job's one target says,
so that the server's side can be tested against answers a real worker gives only by
chance: "rows:N" sends N rows and "done" in one write, "drip" sends a row every
0.8 s for 3.2 s, "split" sends its row in two writes, "huge" sends a line with no
end, "linger" closes its end and exits 0.6 s later, and "never" is never answered.
"""

import json
import os
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
            elif what == "drip":  # longer than the timeout and grace, but never silent
                for index in range(4):
                    time.sleep(0.8)
                    connection.sendall(line({"job": job, "kind": "row", "index": index}))
                connection.sendall(done)
            elif what == "split":
                row = line({"job": job, "kind": "row", "index": 0})
                connection.sendall(row[:5])
                time.sleep(0.1)
                connection.sendall(row[5:] + done)
            elif what == "huge":
                connection.sendall(b"x" * (2**20 + 1))
            elif what == "linger":
                connection.shutdown(socket.SHUT_RDWR)
                time.sleep(0.6)
                os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
