"""English and Korean: every word the pages show has its Korean, and the visitor chooses."""

import csv
import html
import re

import pytest
import tornado.locale

from webdemo.aggregate import ERROR_TEXTS, EVENT_LABELS
from webdemo.base import load_translations, resource_dir
from webdemo.breakit import EVENT_LABELS as BREAK_IT_LABELS
from webdemo.differences import POINTS
from webdemo.pages import SCENARIO_LABELS, script_messages
from webdemo.styles import STYLES

TEMPLATE_STRING = re.compile(r"""\b_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def template_messages(name="*.html"):
    return {double or single for path in sorted(resource_dir("templates").glob(name))
            for double, single in TEMPLATE_STRING.findall(path.read_text())}


def messages():
    """Every English string the pages show: templates, script, and the data they show."""
    found = template_messages() | set(script_messages())
    found |= set(SCENARIO_LABELS.values()) | set(EVENT_LABELS.values())
    found |= set(BREAK_IT_LABELS.values()) | set(ERROR_TEXTS)
    found |= {text for point in POINTS for text in (point.title, point.explanation)}
    found |= {text for style in STYLES.values() for text in (style.title, style.blurb)}
    return found


def korean_rows():
    with open(resource_dir("locale") / "ko.csv", encoding="utf-8") as file:
        return [row for row in csv.reader(file) if row]


def test_every_string_has_its_korean_and_no_korean_is_left_over():
    load_translations()
    korean = tornado.locale.get("ko")
    assert korean.code == "ko"
    missing = sorted(message for message in messages() if korean.translate(message) == message)
    assert missing == []
    assert sorted({row[0] for row in korean_rows()} - messages()) == []


def test_translations_keep_their_placeholders_and_are_korean():
    for english, translation, *_ in korean_rows():
        assert english == english.strip()  # Tornado strips what it reads
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(translation))
        assert re.search("[가-힣]", translation), translation


def test_the_script_uses_only_strings_it_can_translate():
    # t(...) is always called with a literal, so the server can find every string.
    script = (resource_dir("static") / "app.js").read_text()
    calls = re.findall(r"(?<!function )\bt\((.)", script)
    assert set(calls) == {'"'}
    assert len(script_messages()) > 10


def english_left(page, shown):
    """The messages in shown (and the frame's, and the controls') whose English is in page."""
    shown = shown | template_messages("base.html") | template_messages("controls.html")
    # The words of the page, without the sources and names in code, and the markup.
    words = re.sub(r'<section class="code".*?</section>|<div class="source">.*?</pre></div>'
                   r"|<code>.*?</code>", "", page, flags=re.DOTALL)
    words = re.sub(r"<[^>]*>", " ", words)
    return sorted(message for message in shown
                  if any(part.strip(" :") not in ("", "webdemo")  # the name stays
                         and re.search(rf"(?<!\w){re.escape(part.strip())}(?!\w)", words)
                         for part in PLACEHOLDER.split(message)))


async def get(http_client, url, **headers):
    response = await http_client.fetch(url, headers=headers, raise_error=False)
    assert response.code == 200
    return response


@pytest.mark.gen_test
async def test_korean_from_accept_language_leaves_no_english(http_client, base_url):
    response = await get(http_client, f"{base_url}/", **{"Accept-Language": "ko-KR,ko;q=0.9"})
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page
    assert "둘 다 실행" in page and "한 페이지, 기다리는 두 가지 방법" in page
    shown = template_messages("index.html") | set(SCENARIO_LABELS.values())
    shown |= {text for point in POINTS for text in (point.title, point.explanation)}
    assert english_left(page, shown) == []
    # The script's strings come translated with the page.
    assert '"Running {scenario}\\u2026": "{scenario} \\uc2e4\\ud589 \\uc911\\u2026"' in \
        response.body.decode().replace("&quot;", '"')


@pytest.mark.gen_test
async def test_the_stacked_page_in_korean_leaves_no_english(http_client, base_url):
    response = await get(http_client, f"{base_url}/all", **{"Accept-Language": "ko"})
    page = html.unescape(response.body.decode())
    assert "모든 스타일, 하나의 시간 축" in page and "모두 실행" in page
    shown = template_messages("all.html") | set(SCENARIO_LABELS.values())
    shown |= {style.title for style in STYLES.values()}
    assert english_left(page, shown) == []


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/callbacks?scenario=one-refused", "/nowhere"])
async def test_the_other_pages_speak_korean_too(http_client, base_url, path):
    response = await http_client.fetch(f"{base_url}{path}", raise_error=False,
                                       headers={"Accept-Language": "ko"})
    page = response.body.decode()
    assert '<html lang="ko">' in page
    assert "나란히 보기 페이지로 돌아가기" in page
    if path.startswith("/callbacks"):
        assert "요청 시작" in page and "성공 2, 실패 1" in page
        # The failure, in Korean too, in whichever words the HTTP client put it.
        assert "연결할 수 없음: 거부되었거나 닿을 수 없음" in page or "연결 거부됨" in page


@pytest.mark.gen_test
async def test_the_language_switch_is_remembered(http_client, base_url):
    switched = await get(http_client, f"{base_url}/?lang=ko", **{"Accept-Language": "en"})
    assert '<html lang="ko">' in switched.body.decode()
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("lang=ko;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    later = await get(http_client, f"{base_url}/callbacks", Cookie="lang=ko",
                      **{"Accept-Language": "en"})
    assert '<html lang="ko">' in later.body.decode()
    back = await get(http_client, f"{base_url}/?lang=en", Cookie="lang=ko")
    assert '<html lang="en">' in back.body.decode()
    assert back.headers["Set-Cookie"].startswith("lang=en;")


@pytest.mark.gen_test
@pytest.mark.parametrize("query, cookie", [("?lang=fr", ""), ("?lang=%ff", ""), ("", "lang=xx"),
                                           ("?lang=ko&lang=<b>", "")])
async def test_only_english_and_korean_are_taken(http_client, base_url, query, cookie):
    response = await get(http_client, f"{base_url}/{query}", Cookie=cookie,
                         **{"Accept-Language": "en-GB"})
    assert '<html lang="en">' in response.body.decode()
    assert "lang=" not in response.headers.get("Set-Cookie", "")


@pytest.mark.gen_test
async def test_the_switch_link_keeps_the_query(http_client, base_url):
    response = await get(http_client, f"{base_url}/callbacks?scenario=one-fails&lang=en")
    assert 'href="?scenario=one-fails&amp;lang=ko"' in response.body.decode()
