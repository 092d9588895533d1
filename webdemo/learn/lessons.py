"""The lessons' registry: each lesson's question, the runs it shows, and how the right
answer is read from those runs. The pages, the class mode, the script and the tests read it.

A right answer is never written down: right_answer() reads it from the JSON of the runs
just shown, so that it follows the run when the run differs (other delays, a slower
machine, another loop).
"""

from collections.abc import Callable
from dataclasses import dataclass

from webdemo.query import BadInput

UNSURE = "unsure"  # every question accepts "I don't know"
STEPS = ("predict", "run", "reveal", "change")


@dataclass(frozen=True)
class Prediction:
    question: str  # English; translated through locale/ko.csv
    choices: tuple[tuple[str, str], ...] = ()  # (key, English text)
    number_unit: str | None = None  # set for a number question: answers are numbers
    number_bounds: tuple[float, float] | None = None
    # A number answer is right within this fraction of the run's (a time is never exact).
    tolerance: float = 0.25

    def parse(self, answer: str) -> str | float:
        """The answer as the question takes it: a choice's key, a number, or UNSURE."""
        if answer == UNSURE:
            return UNSURE
        if self.number_unit is None:
            if answer not in dict(self.choices):
                raise BadInput("%(answer)r is not one of this question's answers",
                               answer=answer[:40])
            return answer
        low, high = self.number_bounds
        try:
            value = float(answer)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise BadInput("the answer must be a number from %(low)s to %(high)s",
                           low=low, high=high)
        return value

    def is_right(self, answer: str | float, right: str | float) -> bool:
        if answer == UNSURE:
            return False
        if self.number_unit is None:
            return answer == right
        return abs(answer - right) <= self.tolerance * max(abs(right), 1)


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str  # address /learn/{number}-{slug}
    title: str
    prediction: Prediction
    # This server's paths the lesson runs; each answers JSON with ?format=json.
    runs: tuple[str, ...]
    # results (one JSON per path of runs, in order) -> the right answer
    answer: Callable[[list[dict]], str | float]

    @property
    def path(self) -> str:
        return f"/learn/{self.number}-{self.slug}"

    def right_answer(self, results: list[dict]) -> str | float:
        """The right answer, read from the runs' JSON, one per path in runs."""
        return self.answer(results)


def durations_ms(run: dict) -> list[float]:
    """How long each fetch of an aggregate took, in request order."""
    return [row["end_ms"] - row["start_ms"] for row in run["results"]]


def all_at_once(results):
    """Which of the fetches' sum, longest and shortest the all-at-once page took."""
    sequential, at_once = results
    durations = durations_ms(at_once)
    candidates = {"sum": sequential["elapsed_ms"], "slowest": max(durations),
                  "fastest": min(durations)}
    return min(candidates, key=lambda key: abs(candidates[key] - at_once["elapsed_ms"]))


LESSONS = [
    Lesson(1, "waiting", "Waiting: one page after another, or all at once",
           Prediction(
               "The sequential page fetches three pages one after another. The coroutines "
               "page starts all three at once. How long will the coroutines page take?",
               (("sum", "About as long as the three fetches added up"),
                ("slowest", "About as long as the slowest fetch"),
                ("fastest", "About as long as the fastest fetch"))),
           ("/sequential", "/coroutines"), all_at_once),
]


def lesson(number: int) -> Lesson:
    for found in LESSONS:
        if found.number == number:
            return found
    raise BadInput("there is no lesson %(number)s", status_code=404, number=number)
