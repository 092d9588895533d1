"""Class mode (issue 24): a teacher leads, students predict, one run is revealed to all.

The server runs as a user runs it, with a data directory of its own; each test opens
classes of its own in it.
"""

import contextlib
import json
import logging
import signal
import socket
import sqlite3
import time
from urllib.parse import quote

import pytest
from class_client import Visitor
from server_process import get_json_blocking, running, until_blocking
from test_translations import english_left, template_messages

from webdemo.classes.codes import ALPHABET, CODE_LENGTH, RateLimit, read_code, shown
from webdemo.classes.store import Store
from webdemo.learn import lessons
from webdemo.learn.lessons import LESSONS
from webdemo.query import BadInput

# Within this long a page shows what the teacher did, from any process (the 1 s).
FOLLOW_SECONDS = 1.0


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir):
    with running(tmp_path_factory.mktemp("server"), "--data-dir", str(data_dir)) as server:
        yield server
    assert "Traceback" not in server.log()


def lead(teacher, code, step, lesson=1, spread="0"):
    status, _, body = teacher.post(f"/class/{code}/teach/lead",
                                   {"lesson": lesson, "step": step, "spread": spread})
    assert status == 200, body
    return time.monotonic()


def answer(student, code, text, lesson=1):
    return student.post(f"/class/{code}/answer", {"lesson": lesson, "answer": text})


def test_a_class_from_joining_to_the_reveal(server):
    teacher = Visitor(server.url)
    code = teacher.open_class()
    assert read_code(code) == code
    status, _, page = teacher.get(f"/class/{code}/teach", headers={"Accept": "text/html"})
    assert status == 200 and shown(code) in page and "<svg" in page  # the code, its QR
    board = teacher.stream(f"/class/{code}/teach/events")
    assert board.until(lambda state: state["step"] == "predict")[0]["joined"] == 0

    students = [Visitor(server.url) for _ in range(3)]
    for student in students:
        student.join(code)
    status, _, body = students[0].post(f"/class/{code}/nickname",
                                       {"nickname": "<b>Mina</b>"})
    assert status == 200
    pages = [student.stream(f"/class/{code}/events") for student in students]
    first = [page.until(lambda state: True)[0] for page in pages]
    assert all(state["step"] == "predict" and state["spread"] is None for state in first)
    # A student's page holds no one's nickname, nor how many there are.
    assert all("nicknames" not in state and "joined" not in state for state in first)
    state, _ = board.until(lambda state: state["joined"] == 3
                           and state["nicknames"] == ["<b>Mina</b>"])

    for student, text in zip(students, ("sum", "slowest", "unsure"), strict=True):
        status, _, body = answer(student, code, text)
        assert status == 200, body
    assert answer(students[0], code, "slowest")[0] == 200  # changed: still one answer
    board.until(lambda state: state["answered"] == 3
                and state["spread"] == {"slowest": 2, "unsure": 1})

    # The spread, shown without the answer: every page gets it; nobody's answer but theirs.
    lead(teacher, code, "predict", spread="1")
    for page in pages:
        state, _ = page.until(lambda state: state["spread"] is not None)
        assert state["spread"] == {"slowest": 2, "unsure": 1} and state["run"] is None

    # Reveal: one run for the class, the same on every page, with the right answer.
    asked = lead(teacher, code, "reveal")
    for page in pages + [board]:
        state, arrived = page.until(lambda state: state["step"] == "reveal")
        assert arrived - asked < FOLLOW_SECONDS
    runs = [page.until(lambda state: (state["run"] or {}).get("results"))[0]["run"]
            for page in pages + [board]]
    assert runs[0]["right_answer"] in ("sum", "slowest", "fastest")
    assert [run["results"][0]["style"] for run in runs] == ["sequential"] * 4
    # One run, not four: a run's times differ in every run; these are the same.
    assert len({repr(run) for run in runs}) == 1
    with contextlib.closing(sqlite3.connect(server_data(server))) as db:
        assert db.execute("SELECT count(*) FROM runs WHERE code = ?", (code,)).fetchone() == (1,)

    # A late joiner lands where the class is: the reveal, the spread, the same run.
    late = Visitor(server.url)
    late.join(code)
    late_page = late.stream(f"/class/{code}/events")
    state, _ = late_page.until(lambda state: "mine" in state)  # its first, with its own
    assert state["step"] == "reveal" and state["run"] == runs[0]
    assert state["spread"] == {"slowest": 2, "unsure": 1} and state["mine"] is None
    # Answers close once the class has moved on from the prediction.
    status, _, body = answer(late, code, "sum")
    assert status == 409 and "not taking answers" in body
    # A reload: the student's own answer comes back with the class.
    again = students[0].stream(f"/class/{code}/events")
    assert again.until(lambda state: "mine" in state)[0]["mine"] == "slowest"
    for page in [*pages, board, late_page, again]:
        page.close()


def test_every_lesson_runs_once_for_its_class(server):
    teacher = Visitor(server.url)
    code = teacher.open_class()
    board = teacher.stream(f"/class/{code}/teach/events")
    for lesson in LESSONS:
        lead(teacher, code, "reveal", lesson=lesson.number)
        lead(teacher, code, "change", lesson=lesson.number)  # asked again: still one run
        state, _ = board.until(lambda state, number=lesson.number: state["lesson"] == number
                               and (state["run"] or {}).get("results"), seconds=30)
        assert "error" not in state["run"]
        assert len(state["run"]["results"]) == len(lesson.runs)
        assert state["run"]["right_answer"] is not None
    board.close()
    with contextlib.closing(sqlite3.connect(server_data(server))) as db:
        runs = db.execute("SELECT count(*) FROM runs WHERE code = ?", (code,)).fetchone()
    assert runs == (len(LESSONS),)


def test_the_class_pages_speak_korean(server):
    # A Korean student in an English teacher's class: each page in its reader's language.
    teacher, student = Visitor(server.url), Visitor(server.url, language="ko")
    code = teacher.open_class()
    student.join(code)
    html = {"Accept": "text/html"}
    pages = {"join": student.get("/join", headers=html)[2],
             "student": student.get(f"/class/{code}", headers=html)[2]}
    assert all('<html lang="ko">' in page for page in pages.values())
    assert english_left(pages["join"], template_messages("class_join.html")
                        | template_messages("class_open.html")) == []
    assert english_left(pages["student"], template_messages("class_student.html")
                        | template_messages("class_results.html")) == []
    assert '<html lang="en">' in teacher.get(f"/class/{code}/teach", headers=html)[2]


def server_data(server):
    return server.command[server.command.index("--data-dir") + 1] + "/classes.sqlite3"


def test_only_the_teacher_leads(server):
    teacher, student, stranger = (Visitor(server.url) for _ in range(3))
    code = teacher.open_class()
    student.join(code)
    for visitor in (student, stranger):
        status, _, body = visitor.post(f"/class/{code}/teach/lead",
                                       {"lesson": 1, "step": "reveal"})
        assert status == 403 and "teacher" in body
        assert visitor.get(f"/class/{code}/teach")[0] == 403
        assert visitor.get(f"/class/{code}/teach/events")[0] == 403
    # A wrong key is refused; the right one, from another browser, leads, and leaves the
    # address bar; and the key is not in the server's log.
    assert stranger.get(f"/class/{code}/teach?key=guess")[0] == 403
    status, _, page = teacher.get(f"/class/{code}/teach", headers={"Accept": "text/html"})
    link = page.split("teach?key=")[1].split("<")[0]
    colleague = Visitor(server.url)
    status, headers, _ = colleague.get(f"/class/{code}/teach?key={link}")
    assert (status, headers["Location"]) == (303, f"/class/{code}/teach")
    lead(colleague, code, "run")
    assert link not in server.log()
    # A stranger has no page, no stream and no answer of the class; nor without XSRF.
    assert stranger.get(f"/class/{code}/events")[0] == 403
    assert answer(stranger, code, "sum")[0] == 403
    status, _, body = teacher.request("POST", f"/class/{code}/teach/lead",
                                      {"lesson": 1, "step": "reveal"})
    assert status == 403 and "_xsrf" in body


def test_a_class_sees_nothing_of_another(server):
    ones, twos = (Visitor(server.url), Visitor(server.url)), (Visitor(server.url),
                                                               Visitor(server.url))
    codes = [teacher.open_class() for teacher, _ in (ones, twos)]
    for (_, student), code, nickname in zip((ones, twos), codes, ("Ana", "Bo"), strict=True):
        student.join(code)
        student.post(f"/class/{code}/nickname", {"nickname": nickname})
        assert answer(student, code, "sum")[0] == 200
    # Each class's members and teacher, only in their own class.
    one_student, two_teacher = ones[1], twos[0]
    assert one_student.get(f"/class/{codes[1]}/events")[0] == 403
    assert answer(one_student, codes[1], "fastest")[0] == 403
    assert two_teacher.get(f"/class/{codes[0]}/teach")[0] == 403
    board = ones[0].stream(f"/class/{codes[0]}/teach/events")
    state, _ = board.until(lambda state: state["answered"] == 1)
    assert state["nicknames"] == ["Ana"] and state["spread"] == {"sum": 1}
    board.close()


def test_opening_classes_is_limited_per_address(server):
    teacher = Visitor(server.url, source="127.0.0.30")
    statuses = [teacher.post("/class/new", {"lesson": 1})[0] for _ in range(21)]
    assert statuses[:20] == [303] * 20 and statuses[20] == 429
    assert Visitor(server.url, source="127.0.0.31").post("/class/new")[0] == 303


@pytest.mark.parametrize("code", ["", "abc", "0000OOOOO", "AAAAAAAAAA", "AAAA AAAA ÄA",
                                  "A" * 41, "%00", "../../etc"])
def test_a_bad_code_is_refused_clearly(server, code):
    status, _, body = Visitor(server.url, source="127.0.0.9").get(f"/join?code={quote(code)}")
    assert status == 400 and "join code" in body
    assert Visitor(server.url).get(f"/class/{quote(code) or 'x'}")[0] in (400, 404)


def test_a_code_as_typed_goes_to_the_class(server):
    teacher, student = Visitor(server.url), Visitor(server.url)
    code = teacher.open_class()
    typed = shown(code).lower().replace("-", " ")
    status, headers, _ = student.get(f"/join?code={typed.replace(' ', '+')}")
    assert (status, headers["Location"]) == (303, f"/join?code={code}")
    student.join(code)


def test_bad_answers_and_nicknames_are_refused_clearly(server):
    teacher, student = Visitor(server.url), Visitor(server.url)
    code = teacher.open_class()
    student.join(code)
    for fields in ({"lesson": 1, "answer": "maybe"}, {"lesson": 1, "answer": "12"},
                   {"lesson": 1, "answer": ""}, {"lesson": 0, "answer": "sum"},
                   {"lesson": "x", "answer": "sum"}, {"lesson": 1, "answer": "x" * 10_000}):
        status, _, body = student.post(f"/class/{code}/answer", fields)
        assert status in (400, 404) and "error" in body, (fields, status, body)
    for nickname in ("x" * 25, "zero\u200bwidth", "right\u202eleft"):
        status, _, body = student.post(f"/class/{code}/nickname", {"nickname": nickname})
        assert status == 400 and "nickname" in body
    for fields in ({"lesson": 1, "step": "dance"}, {"lesson": 99, "step": "run"},
                   {"lesson": "", "step": "run"}):
        status, _, body = teacher.post(f"/class/{code}/teach/lead", fields)
        assert status in (400, 404) and "error" in body, (fields, status, body)


def test_a_class_behind_one_address_joins_while_guessing_is_limited(server):
    teacher = Visitor(server.url, source="127.0.0.20")
    code = teacher.open_class()
    school = "127.0.0.21"
    began = time.monotonic()
    for _ in range(200):  # the whole class, behind the school's one address
        Visitor(server.url, source=school).join(code)
    assert time.monotonic() - began < 60
    wrong = code[:-1] + next(c for c in ALPHABET if c != code[-1])
    statuses = [Visitor(server.url, source=school).get(f"/join?code={wrong}")[0]
                for _ in range(40)]
    assert statuses[:30] == [404] * 30 and statuses[-1] == 429
    # Limited for wrong codes only: the right one still joins, and elsewhere a typo is a typo.
    Visitor(server.url, source=school).join(code)
    assert Visitor(server.url, source="127.0.0.22").get(f"/join?code={wrong}")[0] == 404


def test_rate_limit_refills():
    now = [0.0]
    limit = RateLimit((2, 1.0), (100, 0.1), clock=lambda: now[0])
    assert [limit.allow("10.0.0.1") for _ in range(3)] == [True, True, False]
    assert limit.allow("10.0.0.2")  # another address has its own
    now[0] += 1.0
    assert limit.allow("10.0.0.1")
    # An IPv6 household is its /64.
    assert limit.allow("2001:db8::1") and limit.allow("2001:db8::2")
    assert not limit.allow("2001:db8::3:4")


def test_codes_are_long_and_plain():
    assert CODE_LENGTH * 1 >= 9 and len(ALPHABET) ** CODE_LENGTH > 1e11
    assert not set(ALPHABET) & set("0O1IL2Z5S8B")
    with pytest.raises(BadInput):
        read_code("AHK-MNQ-RW0")


def test_expired_classes_are_deleted_with_everything_in_them(tmp_path):
    store = Store(tmp_path / "classes.sqlite3")
    store.open_class("AAAAAAAAA", "hash", 1, "predict", hours=1, now=0)
    store.open_class("FFFFFFFFF", "hash", 1, "predict", hours=3, now=0)
    assert store.join("AAAAAAAAA", "m1", "", 10, now=10) == "joined"
    assert store.answer("AAAAAAAAA", "m1", 1, "sum", now=10)
    assert store.claim_run("AAAAAAAAA", 1, now=10)
    assert store.find("AAAAAAAAA", now=3599) is not None
    # Past its hours it is gone at once, for every reader, then deleted.
    assert store.find("AAAAAAAAA", now=3601) is None
    assert store.join("AAAAAAAAA", "m2", "", 10, now=3601) == "no class"
    assert store.delete_expired(now=3601) == 1
    for table in ("classes", "members", "answers", "runs"):
        rows = store.read(f"SELECT * FROM {table} WHERE code = 'AAAAAAAAA'")
        assert rows == [], table
    assert store.find("FFFFFFFFF", now=3601) is not None
    store.close()


def test_the_server_deletes_expired_classes(tmp_path):
    store = Store(tmp_path / "data" / "classes.sqlite3")
    store.open_class("AAAAAAAAA", "hash", 1, "predict", hours=1, now=time.time() - 7200)
    assert store.join("AAAAAAAAA", "m1", "", 10, now=time.time() - 7000) == "joined"
    store.close()
    with running(tmp_path, "--data-dir", str(tmp_path / "data")) as server:
        status, _, body = Visitor(server.url).get("/join?code=AAAAAAAAA")
        assert status == 404 and "no class" in body  # gone for visitors at once
        store = Store(tmp_path / "data" / "classes.sqlite3")
        until_blocking(lambda: not store.read("SELECT * FROM members"), what="the class deleted")
        assert store.read("SELECT * FROM classes") == []
        store.close()


def test_a_restart_keeps_the_class(tmp_path):
    data = tmp_path / "data"
    with running(tmp_path, "--data-dir", str(data)) as server:
        teacher, student = Visitor(server.url), Visitor(server.url)
        code = teacher.open_class()
        student.join(code)
        assert answer(student, code, "slowest")[0] == 200
        page = student.stream(f"/class/{code}/events")
        page.until(lambda state: True)
        # SIGTERM drains: the open class page does not hold the stop.
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        assert page.next() is None  # its stream ended; the page connects again
        page.close()
        port = server.port
    (tmp_path / "again").mkdir()
    with running(tmp_path / "again", "--data-dir", str(data), "--port", str(port)) as again:
        assert again.port == port
        page = student.stream(f"/class/{code}/events")
        state, _ = page.until(lambda state: "mine" in state)
        assert state["step"] == "predict" and state["mine"] == "slowest"
        lead(teacher, code, "predict", spread="1")
        assert page.until(lambda state: state["spread"])[0]["spread"] == {"slowest": 1}
        page.close()


def test_two_processes_share_a_class(tmp_path):
    # Two servers on one data directory: what the teacher does on one, the students
    # following on the other see within a second. --processes N shares it so too.
    data = str(tmp_path / "data")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with (running(tmp_path / "one", "--data-dir", data) as one,
          running(tmp_path / "two", "--data-dir", data, "--processes", "2") as two):
        teacher = Visitor(one.url)
        code = teacher.open_class()
        students = [Visitor(two.url) for _ in range(6)]
        pages = []
        for student in students:
            student.join(code)
            pages.append(student.stream(f"/class/{code}/events"))
            pages[-1].until(lambda state: True)
        board = teacher.stream(f"/class/{code}/teach/events")
        for student in students:
            assert answer(student, code, "sum")[0] == 200
        assert board.until(lambda state: state["answered"] == 6)[0]["joined"] == 6
        asked = lead(teacher, code, "predict", spread="1")
        for page in pages:
            state, arrived = page.until(lambda state: state["spread_shown"])
            assert arrived - asked < FOLLOW_SECONDS and state["spread"] == {"sum": 6}
            page.close()
        board.close()


def class_pages_open(server):
    return get_json_blocking(f"{server.url}stats")[1]["class_pages_open"]


def test_a_page_that_leaves_while_connecting_leaves_no_stream_open(server):
    teacher, student = Visitor(server.url), Visitor(server.url)
    code = teacher.open_class()
    student.join(code)
    until_blocking(lambda: class_pages_open(server) == 0, what="the other tests' pages closed")
    # Twenty pages that ask and go at once, before the server has read the class for them.
    request = (f"GET /class/{code}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Cookie: {student.headers()['Cookie']}\r\n\r\n").encode()
    sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    for each in sockets:
        each.sendall(request)
    for each in sockets:
        each.close()
    until_blocking(lambda: class_pages_open(server) == 0, what="the pages' streams ended")
    # And a page that stays is counted, until it goes.
    page = student.stream(f"/class/{code}/events")
    page.until(lambda state: True)
    assert class_pages_open(server) == 1
    page.close()
    until_blocking(lambda: class_pages_open(server) == 0, what="the page's stream ended")


def runs_of_classes(server, number, count):
    """The run of each of `count` classes led at once to the reveal of lesson `number`."""
    teachers = [Visitor(server.url) for _ in range(count)]
    codes = [teacher.open_class(lesson=number) for teacher in teachers]
    boards = [teacher.stream(f"/class/{code}/teach/events")
              for teacher, code in zip(teachers, codes, strict=True)]
    for teacher, code in zip(teachers, codes, strict=True):
        lead(teacher, code, "reveal", lesson=number)
    runs = []
    for board in boards:
        state, _ = board.until(lambda state: (state["run"] or {}).get("results")
                               or (state["run"] or {}).get("error"), seconds=30)
        assert "error" not in state["run"], state["run"]
        runs.append(state["run"])
        board.close()
    return runs


def test_a_lesson_runs_its_paths_at_once_as_the_learners_page(server):
    # Lesson 8: the callbacks page runs while the coroutines page sleeps on the loop. Two
    # classes on it at once: each waits its turn at the blocking demo's gate.
    slept = int(lessons.lesson(8).runs[1].split("block_ms=")[1])
    for run in runs_of_classes(server, 8, 2):
        # About the sleep, as on the learner's page; not a pause of the callbacks page alone.
        assert slept <= run["right_answer"] < 2 * slept + 150


def test_seven_classes_trace_at_once(server):
    # Lesson 7 traces its run; each class is a visitor of its own, not this machine's
    # address, which may trace only MAX_TRACED_PER_VISITOR at once.
    assert all(run["right_answer"] >= 1 for run in runs_of_classes(server, 7, 7))


def test_a_stop_lets_the_class_run_under_way_finish(tmp_path):
    data = tmp_path / "data"
    with running(tmp_path, "--data-dir", str(data)) as server:
        teacher = Visitor(server.url)
        code = teacher.open_class()
        lead(teacher, code, "reveal")  # lesson 1: two runs, of about a second
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    with contextlib.closing(sqlite3.connect(data / "classes.sqlite3")) as db:
        run, = db.execute("SELECT run FROM runs WHERE code = ?", (code,)).fetchone()
    assert "error" not in json.loads(run) and json.loads(run)["right_answer"]


@pytest.mark.gen_test
async def test_the_teachers_key_never_reaches_the_log(http_client, base_url, caplog):
    caplog.set_level(logging.DEBUG)
    # A code refused before the store is read: the log line is what is tested.
    for path in ("/class/bad/teach?key=KEYKEYKEY", "/class/bad/teach?lang=en&key=KEYKEYKEY"):
        await http_client.fetch(base_url + path, raise_error=False)
    assert caplog.records and "KEYKEYKEY" not in caplog.text
    assert "key=..." in caplog.text


def test_one_address_cannot_fill_a_class(server):
    teacher = Visitor(server.url, source="127.0.0.40")
    code = teacher.open_class()
    statuses = [Visitor(server.url, source="127.0.0.41").get(f"/join?code={code}")[0]
                for _ in range(251)]
    assert statuses[:250] == [303] * 250 and statuses[250] == 429
    # Another address still joins, and so does whoever joined before, with its cookie.
    Visitor(server.url, source="127.0.0.42").join(code)


def test_an_expired_class_takes_nothing(tmp_path):
    store = Store(tmp_path / "classes.sqlite3")
    store.open_class("AAAAAAAAA", "hash", 1, "predict", hours=1, now=0)
    assert store.join("AAAAAAAAA", "m1", "", 10, now=10) == "joined"
    assert store.member_view("AAAAAAAAA", "m1", now=10) == {"mine": None}
    assert store.answer("AAAAAAAAA", "m1", 1, "sum", now=10)
    assert store.rename("AAAAAAAAA", "m1", "Ana", now=10)
    # Past its hours, before the sweep has deleted it:
    assert store.member_view("AAAAAAAAA", "m1", now=3601) is None
    assert not store.answer("AAAAAAAAA", "m1", 1, "slowest", now=3601)
    assert not store.rename("AAAAAAAAA", "m1", "Bo", now=3601)
    assert store.read("SELECT answer FROM answers")[0]["answer"] == "sum"
    assert store.read("SELECT nickname FROM members")[0]["nickname"] == "Ana"
    store.close()


def test_a_failed_run_is_claimed_again(tmp_path):
    store = Store(tmp_path / "classes.sqlite3")
    store.open_class("AAAAAAAAA", "hash", 1, "predict", hours=1)
    assert store.claim_run("AAAAAAAAA", 1)
    assert not store.claim_run("AAAAAAAAA", 1)  # under way
    store.end_run("AAAAAAAAA", 1, {"results": [], "error": "refused"})
    assert store.claim_run("AAAAAAAAA", 1)  # the teacher runs it again
    store.end_run("AAAAAAAAA", 1, {"results": [], "right_answer": "sum"})
    assert not store.claim_run("AAAAAAAAA", 1)
    store.close()


def test_one_number_typed_three_ways_is_one_answer(server):
    teacher = Visitor(server.url)
    code = teacher.open_class(lesson=8)
    board = teacher.stream(f"/class/{code}/teach/events")
    for text in ("2.5", "2.50", " 2.5"):
        student = Visitor(server.url)
        student.join(code)
        status, _, body = answer(student, code, text, lesson=8)
        assert status == 200 and json.loads(body)["answer"] == "2.5"
    assert board.until(lambda state: state["answered"] == 3)[0]["spread"] == {"2.5": 3}
    board.close()
