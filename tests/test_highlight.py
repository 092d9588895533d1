"""The sources' colours: /highlight.css versioned and cached for good, and every token
colour readable on a lit line."""

import re

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Whitespace

from webdemo.base import resource_dir
from webdemo.pages.side_by_side import HIGHLIGHT_STYLE, HighlightStyleHandler

MIN_CONTRAST = 4.5  # WCAG 2 AA, normal text


def luminance(hex_colour):
    """WCAG 2's relative luminance of #rgb or #rrggbb."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
               for value in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other):
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_token_colour_reads_on_a_lit_line():
    lit = re.search(r"--lit: (#[0-9a-f]{6});", (resource_dir("static") / "site.css").read_text())
    colours = {token: re.search(r"(?<![:\w-])#[0-9a-fA-F]{3,6}\b", style).group()
               for token, style in get_style_by_name(HIGHLIGHT_STYLE).styles.items()
               if token not in Whitespace and re.match(r"(bold |italic |nobold )*#", style)}
    assert len(colours) > 30
    low = {str(token): (colour, round(contrast(colour, lit.group(1)), 2))
           for token, colour in colours.items() if contrast(colour, lit.group(1)) < MIN_CONTRAST}
    assert low == {}


@pytest.mark.gen_test
async def test_highlight_css_is_cached_for_good_at_its_versioned_address(http_client, base_url):
    page = (await http_client.fetch(base_url + "/")).body.decode()
    address = re.search(r'<link rel="stylesheet" href="(/highlight\.css\?v=\w+)">', page).group(1)
    assert address == HighlightStyleHandler.url

    versioned = await http_client.fetch(base_url + address)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Content-Type"] == "text/css; charset=utf-8"
    assert b".source .k" in versioned.body
    for stale in ("/highlight.css", "/highlight.css?v=0123"):  # no version, or an old one
        response = await http_client.fetch(base_url + stale)
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.body == versioned.body
