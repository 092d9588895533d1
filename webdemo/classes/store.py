"""The classes, their members and their answers, in SQLite: one file under --data-dir,
shared by every process of --processes and kept across restarts.

Store's methods are plain blocking calls, each one transaction; the hub calls them in
a thread of its own (one: SQLite writes one at a time anyway), never on the event loop.
Each class has two counters: `version` moves when the teacher leads (lesson, step,
spread, run), `tally` when someone joins or answers. A process learns of another's
change by reading them (versions()), which costs one indexed read for all its classes.
"""

import json
import os
import sqlite3
import time
import weakref
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    lesson INTEGER NOT NULL,
    step TEXT NOT NULL,
    spread_shown INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    tally INTEGER NOT NULL DEFAULT 0,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS classes_expiry ON classes (expires_at);
CREATE TABLE IF NOT EXISTS members (
    code TEXT NOT NULL REFERENCES classes ON DELETE CASCADE,
    member TEXT NOT NULL,
    nickname TEXT NOT NULL,
    PRIMARY KEY (code, member)
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL,
    member TEXT NOT NULL,
    lesson INTEGER NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (code, member, lesson),
    FOREIGN KEY (code, member) REFERENCES members ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS runs (
    code TEXT NOT NULL REFERENCES classes ON DELETE CASCADE,
    lesson INTEGER NOT NULL,
    started_at REAL NOT NULL,
    run TEXT,  -- JSON, once it has ended: {"results": [...], "right_answer": ...}
    PRIMARY KEY (code, lesson)
);
"""
# A run claimed by a process that then died is claimed again after this long.
RUN_CLAIM_SECONDS = 120
BUSY_MS = 5000  # another process writing: wait for it, this long at most


def default_data_dir() -> Path:
    """Where a user's programs keep their data: $XDG_DATA_HOME/webdemo, by default
    ~/.local/share/webdemo."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if Path(base).is_absolute() else Path.home() / ".local/share") / "webdemo"


class Store:
    def __init__(self, path: Path):
        self.path = path
        self.db = None  # opened in the thread that uses it, on first use

    def connection(self) -> sqlite3.Connection:
        if self.db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Used by the store's one thread; closed there (close()), or with the store
            # when an app that never closed is collected, from whichever thread.
            self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000,
                                      isolation_level=None,  # transactions said explicitly
                                      check_same_thread=False)
            weakref.finalize(self, self.db.close)
            self.db.row_factory = sqlite3.Row
            # WAL: readers never wait for the writer, nor it for them; synchronous=NORMAL
            # loses nothing when the process dies, only at a power cut the last commits.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
        return self.db

    def write(self, sql: str, *args) -> sqlite3.Cursor:
        return self.connection().execute(sql, args)

    def read(self, sql: str, *args) -> list:
        return self.connection().execute(sql, args).fetchall()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def open_class(self, code, key_hash, lesson, step, hours, now=None) -> bool:
        """Opens a class; False if the code is taken."""
        now = time.time() if now is None else now
        try:
            self.write("INSERT INTO classes (code, key_hash, lesson, step, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)", code, key_hash, lesson, step,
                       now + hours * 3600)
        except sqlite3.IntegrityError:
            return False
        return True

    def find(self, code, now=None) -> sqlite3.Row | None:
        """The class, if it is open: an expired one is gone even before it is deleted."""
        now = time.time() if now is None else now
        rows = self.read("SELECT * FROM classes WHERE code = ? AND expires_at > ?", code, now)
        return rows[0] if rows else None

    def rename(self, code, member, nickname, now=None) -> bool:
        """Gives a member a nickname; False if the class has expired."""
        now = time.time() if now is None else now
        with Transaction(self.connection()) as db:
            if not db.execute("SELECT 1 FROM classes WHERE code = ? AND expires_at > ?",
                              (code, now)).fetchone():
                return False
            db.execute("UPDATE members SET nickname = ? WHERE code = ? AND member = ?",
                       (nickname, code, member))
            db.execute("UPDATE classes SET tally = tally + 1 WHERE code = ?", (code,))
        return True

    def join(self, code, member, nickname, max_members, now=None) -> str:
        """Adds a member: "joined", or why not: "no class", "full"."""
        now = time.time() if now is None else now
        db = self.connection()
        with Transaction(db):
            if not db.execute("SELECT 1 FROM classes WHERE code = ? AND expires_at > ?",
                              (code, now)).fetchone():
                return "no class"
            count, = db.execute("SELECT count(*) FROM members WHERE code = ?",
                                (code,)).fetchone()
            if count >= max_members:
                return "full"
            db.execute("INSERT INTO members VALUES (?, ?, ?)", (code, member, nickname))
            db.execute("UPDATE classes SET tally = tally + 1 WHERE code = ?", (code,))
        return "joined"

    def lead(self, code, lesson, step, spread_shown) -> None:
        self.write("UPDATE classes SET lesson = ?, step = ?, spread_shown = ?, "
                   "version = version + 1 WHERE code = ?", lesson, step, int(spread_shown), code)

    def answer(self, code, member, lesson, answer, now=None) -> bool:
        """Keeps a member's answer to the lesson the class is on, at its prediction
        step; a second answer replaces the first. False if the class has moved on, or
        expired."""
        now = time.time() if now is None else now
        db = self.connection()
        with Transaction(db):
            if not db.execute("SELECT 1 FROM classes WHERE code = ? AND lesson = ? "
                              "AND step = 'predict' AND expires_at > ?",
                              (code, lesson, now)).fetchone():
                return False
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                       (code, member, lesson, answer))
            db.execute("UPDATE classes SET tally = tally + 1 WHERE code = ?", (code,))
        return True

    def member_view(self, code, member, now=None) -> dict | None:
        """A student's own part of the class, {"mine": their answer to the lesson it is
        on, or None}; None if they are not its member, or it has expired. One query: a
        class of 200 whose pages connect again at once (a restart) makes 200 of them."""
        now = time.time() if now is None else now
        rows = self.read(
            "SELECT answers.answer FROM members JOIN classes USING (code) "
            "LEFT JOIN answers ON answers.code = members.code "
            "AND answers.member = members.member AND answers.lesson = classes.lesson "
            "WHERE members.code = ? AND members.member = ? AND classes.expires_at > ?",
            code, member, now)
        return {"mine": rows[0]["answer"]} if rows else None

    def claim_run(self, code, lesson, now=None) -> bool:
        """Whether this caller is the one to run the lesson for the class: the first to
        ask, or the next after a run that failed or whose process died before it ended."""
        now = time.time() if now is None else now
        db = self.connection()
        with Transaction(db):
            claimed = db.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, NULL)",
                                 (code, lesson, now)).rowcount
            if not claimed:
                claimed = db.execute(
                    "UPDATE runs SET started_at = ?, run = NULL WHERE code = ? AND lesson = ? "
                    "AND (run IS NULL AND started_at < ? "
                    # json_extract(), not ->>: SQLite before 3.38 has no ->>.
                    "OR json_extract(run, '$.error') IS NOT NULL)",
                    (now, code, lesson, now - RUN_CLAIM_SECONDS)).rowcount
            if claimed:
                db.execute("UPDATE classes SET version = version + 1 WHERE code = ?", (code,))
        return bool(claimed)

    def end_run(self, code, lesson, run: dict) -> None:
        with Transaction(self.connection()) as db:
            db.execute("UPDATE runs SET run = ? WHERE code = ? AND lesson = ?",
                       (json.dumps(run), code, lesson))
            db.execute("UPDATE classes SET version = version + 1 WHERE code = ?", (code,))

    def state(self, code, now=None) -> dict | None:
        """Everything about the class now, for the hub to tell its pages; None if gone."""
        found = self.find(code, now)
        if found is None:
            return None
        lesson = found["lesson"]
        spread = {row["answer"]: row["count"] for row in self.read(
            "SELECT answer, count(*) AS count FROM answers WHERE code = ? AND lesson = ? "
            "GROUP BY answer", code, lesson)}
        run = self.read("SELECT run FROM runs WHERE code = ? AND lesson = ?", code, lesson)
        nicknames = [row["nickname"] for row in self.read(
            "SELECT nickname FROM members WHERE code = ? AND nickname != '' "
            "ORDER BY rowid", code)]
        joined, = self.read("SELECT count(*) FROM members WHERE code = ?", code)[0]
        return {
            "lesson": lesson, "step": found["step"], "spread_shown": bool(found["spread_shown"]),
            "version": found["version"], "tally": found["tally"],
            "joined": joined, "answered": sum(spread.values()), "spread": spread,
            "nicknames": nicknames,
            # None: not run; {}: running; else the run and its right answer.
            "run": None if not run else json.loads(run[0]["run"] or "{}"),
        }

    def states(self, codes) -> dict:
        """{code: state()} of those of `codes` still open, read in one transaction."""
        with Transaction(self.connection(), "BEGIN"):  # one snapshot, for reading
            states = {code: self.state(code) for code in codes}
        return {code: state for code, state in states.items() if state is not None}

    def versions(self, codes) -> dict:
        """{code: (version, tally)} of those of `codes` still open."""
        marks = ",".join("?" * len(codes))
        return {row["code"]: (row["version"], row["tally"]) for row in self.read(
            f"SELECT code, version, tally FROM classes WHERE code IN ({marks}) "
            "AND expires_at > ?", *codes, time.time())}

    def delete_expired(self, now=None) -> int:
        """Deletes the classes whose time is up, with their members, answers and runs."""
        now = time.time() if now is None else now
        return self.write("DELETE FROM classes WHERE expires_at <= ?", now).rowcount


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on an exception. IMMEDIATE takes the write
    lock first, so a read-then-write cannot be overtaken by another process's write;
    a plain BEGIN reads one snapshot."""

    def __init__(self, db, begin="BEGIN IMMEDIATE"):
        self.db, self.begin = db, begin

    def __enter__(self):
        self.db.execute(self.begin)
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("ROLLBACK" if kind else "COMMIT")
