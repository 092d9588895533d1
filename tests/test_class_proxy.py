"""Several machines: nginx sends each class to one of them by its code (`hash`), so that a
class's store, its pages and its one run live on one machine. Two app instances, each
with a store of its own as two machines would have, behind a real nginx."""

import contextlib
import re
import sqlite3

import pytest
from class_client import Visitor
from server_process import running
from test_proxy import PUBLIC_NAME, nginx

# What the README's configuration adds for several machines: the class's code is in its
# path (/class/CODE/...) or in its query (/join?code=CODE, /class/new?code=CODE); other
# requests have none, and any machine answers them alike.
UPSTREAMS = """
    map $uri $class_code {
        /class/new $arg_code;
        ~^/class/([^/]+) $1;
        default $arg_code;
    }
    upstream webdemo {
        hash $class_code consistent;
        server 127.0.0.1:%d;
        server 127.0.0.1:%d;
    }
"""


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    """Two app instances, each with its own data directory: (server, its store's path)."""
    found = []
    with (running(tmp_path_factory.mktemp("one"), "--data-dir",
                  str(tmp_path_factory.getbasetemp() / "one-data"), "--allowed-host",
                  PUBLIC_NAME, "--xheaders") as one,
          running(tmp_path_factory.mktemp("two"), "--data-dir",
                  str(tmp_path_factory.getbasetemp() / "two-data"), "--allowed-host",
                  PUBLIC_NAME, "--xheaders") as two):
        for server in (one, two):
            data = server.command[server.command.index("--data-dir") + 1]
            found.append((server, f"{data}/classes.sqlite3"))
        yield found


@pytest.fixture(scope="module")
def proxy(machines, tmp_path_factory):
    ports = tuple(server.port for server, _ in machines)
    with nginx(tmp_path_factory.mktemp("nginx"), "webdemo", UPSTREAMS % ports) as url:
        yield url


def classes_on(store):
    with contextlib.closing(sqlite3.connect(store)) as db:
        try:
            return {code for code, in db.execute("SELECT code FROM classes")}
        except sqlite3.OperationalError:  # no class has been opened there yet
            return set()


def test_each_class_lives_on_one_machine(proxy, machines):
    public = {"Host": PUBLIC_NAME}
    codes = []
    for _ in range(6):  # six classes: both machines get some, each class one machine
        teacher = Visitor(proxy)
        status, _, form = teacher.get("/join", headers=public | {"Accept": "text/html"})
        # The form's address holds the code, drawn by whichever machine drew the form.
        action = re.search(r'action="(/class/new\?code=\w+)"', form).group(1)
        status, headers, body = teacher.post(action, {"lesson": 1}, headers=public)
        assert status == 303, body
        code = action.rsplit("=", 1)[1]
        codes.append(code)
        students = [Visitor(proxy) for _ in range(3)]
        for student in students:
            status, headers, _ = student.get(f"/join?code={code}", headers=public)
            assert (status, headers["Location"]) == (303, f"/class/{code}")
            assert student.post(f"/class/{code}/answer", {"lesson": 1, "answer": "sum"},
                                headers=public)[0] == 200
        board = teacher.stream(f"/class/{code}/teach/events")
        assert board.until(lambda state: state["answered"] == 3)[0]["joined"] == 3
        board.close()
        # As typed, with dashes and in lower case: sent on to the class's own address.
        status, headers, _ = Visitor(proxy).get(
            f"/join?code={code[:3].lower()}-{code[3:6]}-{code[6:]}", headers=public)
        assert (status, headers["Location"]) == (303, f"/join?code={code}")
    stored = [classes_on(store) for _, store in machines]
    assert stored[0] | stored[1] == set(codes) and not stored[0] & stored[1]
    assert stored[0] and stored[1]  # six codes on one machine alone: one chance in 32
