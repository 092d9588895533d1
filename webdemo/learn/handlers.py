"""The course: /learn, each lesson at /learn/N-slug (its state in the query: the answer
given, the step), its reveal (the right answer read from the runs the page just showed),
and the whole course as a handout, /learn/print."""

import functools
import inspect
import json

from tornado.escape import json_encode

from webdemo.base import BaseHandler
from webdemo.claims.handlers import source as claims_source
from webdemo.claims.registry import CLAIM_DEMOS
from webdemo.learn.lessons import LESSONS, STEPS, UNSURE, claims_of, lesson, style_of
from webdemo.pages.side_by_side import (
    HighlightStyleHandler,
    PageHandler,
    highlighted,
    highlighted_source,
)
from webdemo.query import BadInput, one
from webdemo.registry import STYLES
from webdemo.run.aggregate import EVENT_LABELS

MAX_REVEAL_BYTES = 2_000_000  # the runs' JSON the page sends back: a traced run is the largest


def column(run):
    """What a lesson shows of one of its runs: a style's column, or a claims variant."""
    path, _, query = run.partition("?")
    style = style_of(run)
    if style is None:
        demo, variant = claims_of(run)
        return {"path": path, "query": query, "style": None, "demo": demo,
                "title": CLAIM_DEMOS[demo].title, "variant": variant,
                "module": "webdemo/claims/", "source": claims_source(demo, variant)}
    name, job = style
    return {"path": path, "query": query, "style": name, "title": STYLES[name].title,
            "module": STYLES[name].source_file(job),
            "source": highlighted_source(name, job)}


@functools.cache
def lit_line(number):
    """The id of the line a lesson's reveal lights, its number and its file, or Nones."""
    shown = lesson(number)
    if shown.lit is None:
        return None, None, None
    at, text = shown.lit
    name, job = style_of(shown.runs[at])
    lines = STYLES[name].source(job).splitlines()
    line = next(n for n, code in enumerate(lines, 1) if text in code)
    return f"{name}-line-{line}", line, STYLES[name].source_file(job)


class CourseHandler(BaseHandler):
    def get(self):
        self.render("learn.html", lessons=LESSONS,
                    messages=self.script_translations("learn.js"))


class LessonHandler(PageHandler):
    def get(self, number, slug):
        shown = lesson(int(number))
        if slug != shown.slug:  # an old or mistyped name: the lesson's own address
            self.redirect(shown.path + (f"?{self.request.query}" if self.request.query else ""))
            return
        # Only the arguments read are decoded: a page ignores the rest, ?lang=%ff included.
        arguments = {name: self.get_query_arguments(name, strip=False)
                     for name in ("step", "answer", "unsure")}
        step = one(arguments, "step", "predict")
        if step not in STEPS:
            raise BadInput("unknown step %(step)r: use %(steps)s", step=step[:40],
                           steps=", ".join(STEPS))
        answer = one(arguments, "answer")
        if one(arguments, "unsure") is not None or answer == "":
            answer = UNSURE
        if answer is not None:
            answer = shown.prediction.parse(answer)
        elif step != "predict":  # no step is reached without a prediction
            step = "predict"
        at = LESSONS.index(shown)
        self.render_page("learn_lesson.html", "learn.js", lesson=shown, step=step, answer=answer,
                         unsure=UNSURE, columns=[column(run) for run in shown.runs],
                         previous=LESSONS[at - 1] if at else None,
                         next=LESSONS[at + 1] if at + 1 < len(LESSONS) else None,
                         count=len(LESSONS), highlight_css=HighlightStyleHandler.url,
                         event_labels=json_encode(
                             {kind: self.locale.translate(label)
                              for kind, label in EVENT_LABELS.items()}))


class RevealHandler(BaseHandler):
    """POST the runs' JSON the page showed, and the answer given: the right answer read
    from them, and why, in the visitor's language."""

    def post(self, number, slug):
        shown = lesson(int(number))
        if len(self.request.body) > MAX_REVEAL_BYTES:
            raise BadInput("the runs sent are larger than %(bytes)s bytes",
                           bytes=MAX_REVEAL_BYTES, status_code=413)
        try:
            sent = json.loads(self.request.body)
            answer = sent["answer"]
            results = sent["results"]
        # RecursionError: a body of 100,000 '[' is too deep for the parser.
        except (ValueError, TypeError, KeyError, RecursionError):
            raise BadInput("send JSON with the answer and the results of the runs") from None
        if not isinstance(answer, str) or not isinstance(results, list) \
                or len(results) != len(shown.runs):
            raise BadInput("send the answer and %(count)s runs' JSON", count=len(shown.runs))
        prediction = shown.prediction
        answer = prediction.parse(answer)
        try:
            right = shown.right_answer(results)
            facts = shown.facts(results)
            # Runs that are not this lesson's may give a right answer of any JSON type.
            if not prediction.could_be(right):
                raise ValueError(right)
            is_right = prediction.is_right(answer, right)
            seen = self.locale.translate(shown.seen) % facts
        except (KeyError, IndexError, TypeError, ValueError, StopIteration, AttributeError):
            raise BadInput("these runs do not answer the question") from None
        translate = self.locale.translate
        lit, line, module = lit_line(shown.number)
        self.finish({
            "right": right, "answer": answer, "is_right": is_right,
            "right_text": translate(prediction.text_of(right)),
            "answer_text": translate(prediction.text_of(answer)),
            "unit": prediction.number_unit and translate(prediction.number_unit),
            "seen": seen,
            "why": translate(shown.why), "lit": lit, "line": line, "module": module})


@functools.cache
def printed_sources():
    """{lesson number: [(file, its source as HTML, or None where an earlier lesson printed
    it, the id of its title)]}: each source of the course once, whole, with ids of its own."""
    printed, sources = set(), {}
    for each in LESSONS:
        sources[each.number] = []
        for run in each.runs:
            style = style_of(run)
            if style is None:
                demo, variant = claims_of(run)
                functions = CLAIM_DEMOS[demo].variants[variant].code
                name = (functions[0].__module__.replace(".", "/") + ".py: "
                        + ", ".join(function.__name__ for function in functions))
                code = "\n\n".join(inspect.getsource(function) for function in functions)
            else:
                name = STYLES[style[0]].source_file(style[1])
                code = STYLES[style[0]].source(style[1])
            box = f"print-{len(printed)}"
            html = None if name in printed else highlighted(code, box, linenos="inline")
            printed.add(name)
            sources[each.number].append((name, html, f"{box}-title"))
    return sources


class PrintHandler(BaseHandler):
    """The whole course as a handout: each lesson's words, its question with room to
    write, and the sources its runs show, whole."""

    def get(self):
        self.render("learn_print.html", lessons=LESSONS, unsure=UNSURE,
                    sources=printed_sources(), highlight_css=HighlightStyleHandler.url)


ROUTES = [
    (r"/learn", CourseHandler),
    (r"/learn/print", PrintHandler),
    (r"/learn/([0-9]{1,4})-([a-z0-9-]{0,40})", LessonHandler),
    (r"/learn/([0-9]{1,4})-([a-z0-9-]{0,40})/reveal", RevealHandler),
]

