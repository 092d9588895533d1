"""The addresses of class mode.

POST /class/new opens a class; /join is the students' form, /join?code=CODE joins at
once; /class/CODE is a student's page, /class/CODE/events its live stream and
/class/CODE/answer takes its answer; /class/CODE/teach?key=KEY is the teacher's link,
/class/CODE/teach the teacher's page, with its stream and /class/CODE/teach/lead.
A student is a random token in a cookie; the teacher, the key in a cookie of its own.
"""

import asyncio
import hmac

import segno
from tornado.escape import json_encode

from webdemo.base import BaseHandler, EventStream
from webdemo.classes.codes import (
    NICKNAME_CHARS,
    key_hash,
    masked,
    new_code,
    new_key,
    new_member,
    read_code,
    read_nickname,
    shown,
)
from webdemo.learn.lessons import LESSONS, STEPS, UNSURE, lesson
from webdemo.query import BadInput, parse_int

MAX_MEMBERS = 500  # a lecture hall
MAX_CLASS_PAGES = 4000  # class pages open at once on one process
# One address may hold a quarter: a school's classes of 200, each page in a tab or two,
# behind its one address, while one greedy address leaves the rest to everyone else.
MAX_CLASS_PAGES_PER_ADDRESS = MAX_CLASS_PAGES // 4
CODE = r"([^/]{1,40})"  # what read_code() then checks, so that a wrong one is told why


def read_lesson(text):
    return parse_int("lesson", text[:20], {"lesson": (1, max(each.number for each in LESSONS), 1)})


class ClassHandler(BaseHandler):
    @property
    def hub(self):
        return self.application.classes

    def _request_summary(self):
        # The teacher's key never reaches the log: whoever reads it could lead.
        return f"{self.request.method} {masked(self.request.uri)} ({self.request.remote_ip})"

    def member_cookie(self, code):
        return f"member_{code}"

    async def member(self, code) -> tuple[str, dict] | None:
        """The student's token and own part of the class (store.member_view()), if this
        browser has joined the class."""
        member = self.get_cookie(self.member_cookie(code), "")
        own = member and await self.hub.call("member_view", code, member)
        return (member, own) if own else None

    async def member_only(self, code) -> tuple[str, str, dict]:
        """The class's code, the student's token and own part, if this browser has
        joined; else a 403."""
        code = read_code(code)
        found = await self.member(code)
        if not found:
            raise BadInput("join the class first", status_code=403)
        return code, *found

    async def is_teacher(self, code, key) -> bool:
        found = await self.hub.call("find", code)
        return bool(key and found and hmac.compare_digest(found["key_hash"], key_hash(key)))

    async def teacher_only(self, code) -> str:
        """The class's code, if this browser holds its teacher's key; else a 403."""
        code = read_code(code)
        if not await self.is_teacher(code, self.get_cookie("teacher", "")):
            raise BadInput("only the class's teacher can open this page: use the teacher "
                           "link", status_code=403)
        return code

    def let_lead(self, code, key):
        # Path-scoped: sent only to the teacher's own addresses. Strict: no other site's
        # page can make this browser send it.
        self.set_cookie("teacher", key, path=f"/class/{code}/teach", httponly=True,
                        samesite="Strict", expires_days=self.hub.hours / 24)
        self.redirect(f"/class/{code}/teach", status=303)

    def lessons(self):
        """Every lesson's words, in the visitor's language, for the page's script."""
        translate = self.locale.translate
        return json_encode({str(lesson.number): {
            "title": translate(lesson.title), "path": lesson.path,
            "question": translate(lesson.prediction.question),
            "choices": [[key, translate(text)] for key, text in lesson.prediction.choices],
            "unit": lesson.prediction.number_unit and translate(lesson.prediction.number_unit),
            "bounds": lesson.prediction.number_bounds} for lesson in LESSONS})


class NewClassHandler(ClassHandler):
    """Opens a class, under the code in the form's address if it has one: the page
    that shows the form draws it, so that a proxy in front of several machines can
    send this request, and every later one of the class, to the machine the code
    hashes to (README: several machines)."""

    async def post(self):
        if not self.application.class_openings.allow(self.request.remote_ip):
            raise BadInput("too many classes opened from your address: try again in a "
                           "minute", status_code=429)
        number = read_lesson(self.get_body_argument("lesson", "1", strip=False))
        asked = self.get_query_argument("code", None, strip=False)
        code, key = read_code(asked) if asked else new_code(), new_key()
        while not await self.hub.call("open_class", code, key_hash(key), number, STEPS[0],
                                      self.hub.hours):
            if asked:
                raise BadInput("that class code is taken: reload the page and try again",
                               status_code=409)
            code = new_code()  # taken: one chance in a billion; another
        self.let_lead(code, key)


class JoinHandler(ClassHandler):
    """The students' form, and joining: one address, /join?code=CODE, whether typed,
    scanned or clicked. The nickname is given on the class's page, in a form that
    posts it: never in an address, which logs keep."""

    async def get(self):
        if "code" not in self.request.query_arguments:
            self.render("class_join.html")
            return
        text = self.get_query_argument("code", strip=False)
        guesses = self.application.class_guesses
        try:
            code = read_code(text)
        except BadInput:
            if not guesses.allow(self.request.remote_ip):
                raise self.too_many() from None
            raise
        if text != code:  # as typed: a proxy sends the class's own address to its machine
            self.redirect(f"/join?code={code}", status=303)
            return
        if await self.member(code):  # joined before, in this browser
            self.redirect(f"/class/{code}", status=303)
            return
        if not self.application.class_joins.allow(self.request.remote_ip):
            raise BadInput("too many joins from your address: try again in a minute",
                           status_code=429)
        member = new_member()
        joined = await self.hub.call("join", code, member, "", MAX_MEMBERS)
        if joined == "no class":
            if not guesses.allow(self.request.remote_ip):
                raise self.too_many()
            raise BadInput("there is no class %(code)s: check the code on the teacher's "
                           "screen", status_code=404, code=shown(code))
        if joined == "full":
            raise BadInput("the class is full: %(count)s have joined", status_code=403,
                           count=MAX_MEMBERS)
        self.hub.wake()
        self.set_cookie(self.member_cookie(code), member, httponly=True, samesite="Lax",
                        expires_days=self.hub.hours / 24)
        self.redirect(f"/class/{code}", status=303)

    def too_many(self):
        return BadInput("too many wrong codes from your address: wait a minute, then "
                        "check the code with your teacher", status_code=429)


class NicknameHandler(ClassHandler):
    async def post(self, code):
        code, member, _ = await self.member_only(code)
        nickname = read_nickname(self.get_body_argument("nickname", "", strip=False))
        if not await self.hub.call("rename", code, member, nickname):
            raise BadInput("this class has ended", status_code=404)
        self.hub.wake()
        self.finish({"nickname": nickname})


class StudentHandler(ClassHandler):
    async def get(self, text):
        code = read_code(text)
        if text != code or not await self.member(code):
            self.redirect(f"/join?code={code}")  # a shared link or a lost cookie: join
            return
        self.render("class_student.html", class_code=shown(code),
                    events=f"/class/{code}/events", answer=f"/class/{code}/answer",
                    nickname=f"/class/{code}/nickname", nickname_chars=NICKNAME_CHARS,
                    lessons=self.lessons(), unsure=UNSURE,
                    messages=self.script_translations("class_student.js"))


class TeacherHandler(ClassHandler):
    async def get(self, code):
        if "key" in self.request.query_arguments:  # the teacher's link
            code = read_code(code)
            key = self.get_query_argument("key", strip=False)
            if not await self.is_teacher(code, key):
                raise BadInput("this teacher link is wrong, or its class has ended",
                               status_code=403)
            self.let_lead(code, key)  # and the key leaves the address bar
            return
        code = await self.teacher_only(code)
        self.set_header("Cache-Control", "no-store")  # it holds the teacher's link
        base = f"{self.request.protocol}://{self.request.host}"
        join = f"{base}/join?code={code}"
        self.render("class_teacher.html", class_code=shown(code), join=join,
                    qr=segno.make(join, error="m").svg_inline(scale=6, dark="#000",
                                                               omitsize=True),
                    link=f"{base}/class/{code}/teach?key={self.get_cookie('teacher')}",
                    events=f"/class/{code}/teach/events", lead=f"/class/{code}/teach/lead",
                    lessons=self.lessons(), steps=STEPS,
                    messages=self.script_translations("class_teacher.js"))


class LeadHandler(ClassHandler):
    """The teacher moves the class: a lesson, a step, the spread shown or not."""

    async def post(self, code):
        code = await self.teacher_only(code)
        chosen = lesson(read_lesson(self.get_body_argument("lesson", "", strip=False)))
        step = self.get_body_argument("step", "", strip=False)
        if step not in STEPS:
            raise BadInput("step must be one of %(steps)s, not %(step)r",
                           steps=", ".join(STEPS), step=step[:40])
        spread = self.get_body_argument("spread", "0", strip=False) == "1"
        await self.hub.call("lead", code, chosen.number, step, spread)
        self.hub.wake()
        if step != "predict":  # one run for the class, whoever asks and how often
            self.hub.start_run(code, chosen)
        self.finish({"lesson": chosen.number, "step": step, "spread": spread})


class AnswerHandler(ClassHandler):
    async def post(self, code):
        code, member, _ = await self.member_only(code)
        number = read_lesson(self.get_body_argument("lesson", "", strip=False))
        text = self.get_body_argument("answer", "", strip=False)[:40]
        # A number is kept as its canonical text: "2.5", "2.50" and " 2.5" are one answer.
        kept = str(lesson(number).prediction.parse(text))
        if not await self.hub.call("answer", code, member, number, kept):
            raise BadInput("the class is not taking answers to this question now",
                           status_code=409)
        self.hub.wake()
        self.finish({"lesson": number, "answer": kept})


class StreamHandler(EventStream, ClassHandler):
    """A page's live stream: where the class is now, then each change as it happens."""

    teacher = False
    SUPPORTED_METHODS = ("GET",)  # a HEAD would hold a stream open to send nothing

    def initialize(self):
        self.ended = asyncio.Event()  # set by end(), a close, or a send to a page gone

    async def get(self, code):
        if self.teacher:
            code, own = await self.teacher_only(code), None
        else:
            code, _, own = await self.member_only(code)
        open_now = [stream for streams in self.hub.streams.values() for stream in streams]
        if len(open_now) >= MAX_CLASS_PAGES:
            raise BadInput("the server has too many class pages open: try again in a "
                           "minute", status_code=503)
        address = self.request.remote_ip
        if len(open_now) >= MAX_CLASS_PAGES_PER_ADDRESS and sum(
                stream.request.remote_ip == address for stream in open_now) \
                >= MAX_CLASS_PAGES_PER_ADDRESS:
            raise BadInput("%(count)s class pages are open from your address: close some",
                           status_code=503, count=MAX_CLASS_PAGES_PER_ADDRESS)
        # Tornado tells on_connection_close() only of a close while the handler is open:
        # a page that left during the reads above would never be told ended.
        if self.visitor_left():
            return
        self.start_events()
        try:
            await self.hub.listen(code, self, own)
            if not self.visitor_left():
                await self.ended.wait()
        finally:
            self.hub.forget(code, self)

    def send(self, text):
        if self.ended.is_set():
            return
        if self.visitor_left():  # whenever it left, the next heartbeat at the latest ends it
            self.ended.set()
            return
        self.send_text(text)

    def end(self):
        self.ended.set()

    def on_connection_close(self):
        self.ended.set()


class TeacherStreamHandler(StreamHandler):
    teacher = True


def routes():
    return [
        (r"/class/new", NewClassHandler),
        (r"/join", JoinHandler),
        (rf"/class/{CODE}", StudentHandler),
        (rf"/class/{CODE}/events", StreamHandler),
        (rf"/class/{CODE}/answer", AnswerHandler),
        (rf"/class/{CODE}/nickname", NicknameHandler),
        (rf"/class/{CODE}/teach", TeacherHandler),
        (rf"/class/{CODE}/teach/events", TeacherStreamHandler),
        (rf"/class/{CODE}/teach/lead", LeadHandler),
    ]
