"""What the tests share: asking an aggregate for JSON, the styles to ask, waiting, logs."""

import asyncio
import json
import logging
import time
from urllib.parse import urlencode

from webdemo.registry import STYLES

STYLE_NAMES = list(STYLES)
# Those whose fetches wait together; the sequential baseline waits for each in turn.
CONCURRENT = [name for name, style in STYLES.items() if style.concurrent]


def resumed(aggregate_json):
    """The targets in the order the style's code took up their results."""
    kind = STYLES[aggregate_json["style"]].aggregate_handler.resume_event
    return [event["target"] for event in aggregate_json["events"] if event["kind"] == kind]


def query(**params):
    """A query string; a list value repeats its parameter, in order."""
    pairs = [(key, value) for key, values in params.items()
             for value in (values if isinstance(values, list) else [values])]
    return urlencode(pairs)


async def get_json(http_client, url, expect=200):
    response = await http_client.fetch(url, raise_error=False,
                                       headers={"Accept": "application/json"})
    assert response.code == expect, response.body[:500]
    return json.loads(response.body)


async def aggregate(http_client, base_url, style, expect=200, **params):
    return await get_json(http_client, f"{base_url}/{style}?{query(**params)}", expect)


async def started(app, style):
    """Waits until the style's worker process, if it has one, has started.

    Tests that time a page start it first: its first page would also wait for it.
    """
    if STYLES[style].worker_module:
        await app.workers.get(style).ready


async def until(condition, seconds=3.0):
    """Waits, bounded, for a condition the server reaches on its own."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.01)


def errors_logged(caplog):
    """What the server logged at ERROR or worse: nothing, when all is handled."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
