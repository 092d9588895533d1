"""What the tests share: asking an aggregate for JSON, the styles to ask, waiting, logs."""

import asyncio
import json
import logging
import time
from urllib.parse import urlencode

from webdemo.styles import STYLES

STYLE_NAMES = list(STYLES)


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


async def until(condition, seconds=3.0):
    """Waits, bounded, for a condition the server reaches on its own."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.01)


def errors_logged(caplog):
    """What the server logged at ERROR or worse: nothing, when all is handled."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
