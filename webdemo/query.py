"""Reading a visitor's query: a value given once, a whole number within its bounds, and
BadInput, the answer that says what was wrong, in the visitor's language."""

import re

from tornado.web import HTTPError


class BadInput(HTTPError):
    """A 400 (or the status given) whose message is shown to the visitor, in their language.

    The message is an English literal with %(name)s placeholders, filled in with values
    once translated: locale/ko.csv has each one's Korean.
    """

    def __init__(self, message, status_code=400, **values):
        super().__init__(status_code)
        self.template, self.values = message, values

    def translated(self, locale):
        return locale.translate(self.template) % self.values


def one(arguments: dict, name: str, default=None):
    """The value of a query argument given at most once, or `default`."""
    values = arguments.get(name, [])
    if len(values) > 1:
        raise BadInput("%(name)s is given %(count)s times: give it once",
                       name=name, count=len(values))
    return values[0] if values else default


def parse_int(name: str, text: str, limits: dict) -> int:
    """A whole number within limits[name] = (lowest, highest, default)."""
    low, high, _ = limits[name]
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise BadInput("%(name)s must be a whole number from %(low)s to %(high)s, not %(text)r",
                       name=name, low=low, high=high, text=text[:40])
    value = int(text)
    if not low <= value <= high:
        raise BadInput("%(name)s must be from %(low)s to %(high)s, not %(value)s",
                       name=name, low=low, high=high, value=value)
    return value
