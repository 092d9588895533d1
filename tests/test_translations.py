"""English and Korean: every word the pages show has its Korean, and the visitor chooses."""

import ast
import csv
import html
import json
import re

import pytest
import tornado.locale
from test_costs import THREADS_DO_NOT, THREADS_PAY

from webdemo.app import Config
from webdemo.base import (
    ERROR_MESSAGES,
    ERROR_REASONS,
    SCRIPT_STRING,
    load_translations,
    resource_dir,
    script_messages,
)
from webdemo.claims.registry import messages as claims_messages
from webdemo.costs.handlers import BENCH_FAILED
from webdemo.costs.results import SKIPPED, save_results
from webdemo.costs.verdicts import RULES, SEEN, VERDICTS
from webdemo.learn.handlers import MAX_REVEAL_BYTES
from webdemo.learn.lessons import messages as lesson_messages
from webdemo.pages.breakit import BREAK_IT_DEMOS
from webdemo.pages.differences import POINTS
from webdemo.pages.side_by_side import JOB_LABELS, SCENARIO_LABELS, SETUP_SENTENCES
from webdemo.registry import STYLES
from webdemo.run.aggregate import EVENT_LABELS
from webdemo.run.chain import PATTERN_TEXTS, SKIPPED_TEXTS
from webdemo.run.outcomes import ERROR_TEXTS
from webdemo.trace.machinery import SAID

TEMPLATE_STRING = re.compile(r"""\b_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
PLACEHOLDER = re.compile(r"%\(\w+\)[srg]|\{\w+\}")
# The script each page loads: the module it names, which imports the rest.
ENTRY_SCRIPTS = ["index.js", "all.js", "costs.js", "claims.js", "learn.js", "class_student.js",
                  "class_teacher.js"]
DEMO_TEXTS = {text for demo in BREAK_IT_DEMOS
              for text in (demo.title, demo.explanation, demo.try_it, demo.cannot_run) if text}


def bad_input_calls():
    """The first argument of every BadInput(...) in the package's code, as a syntax node."""
    for path in sorted(resource_dir("webdemo").parent.glob("webdemo/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "BadInput"):
                yield node.args[0]


def template_messages(name="*.html"):
    return {double or single for path in sorted(resource_dir("templates").glob(name))
            for double, single in TEMPLATE_STRING.findall(path.read_text())}


def messages():
    """Every English string the pages show: templates, script, and the data they show."""
    found = template_messages()
    found |= {message for script in ENTRY_SCRIPTS for message in script_messages(script)}
    found |= set(SCENARIO_LABELS.values()) | set(EVENT_LABELS.values()) | set(SETUP_SENTENCES)
    found |= DEMO_TEXTS
    found |= set(ERROR_TEXTS) | set(SKIPPED_TEXTS) | set(PATTERN_TEXTS) | set(JOB_LABELS.values())
    found |= {text for point in POINTS
              for text in (point.title, point.explanation, point.chain_explanation) if text}
    found |= {text for style in STYLES.values() for text in (style.title, style.blurb)}
    found |= {text for claim in VERDICTS
              for text in (claim.metric, claim.essay, claim.qualified, *claim.legend) if text}
    found |= set(SEEN) | set(RULES) | set(BENCH_FAILED.values()) | {SKIPPED}
    found |= set(ERROR_MESSAGES) | set(ERROR_REASONS) | set(SAID.values())
    found |= {message.value for message in bad_input_calls()}
    found |= claims_messages()  # the claims page's registry and script (issue 14)
    found |= lesson_messages()  # the lessons' registry (issue 23)
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


def test_bad_input_is_always_given_a_message_it_can_translate():
    # A literal, its values given apart: an f-string would have no translation to find.
    messages = list(bad_input_calls())
    assert len(messages) > 15
    assert [message for message in messages if not isinstance(message, ast.Constant)] == []


@pytest.mark.parametrize("path", sorted(resource_dir("static").glob("*.js")),
                         ids=lambda path: path.name)
def test_the_scripts_use_only_strings_they_can_translate(path):
    # t(...) is always called with a literal, so the server can find every string.
    calls = re.findall(r"(?<!function )\bt\((.)", path.read_text())
    assert set(calls) <= {'"'}


@pytest.mark.parametrize("name", ENTRY_SCRIPTS)
def test_each_page_gets_the_strings_of_the_modules_it_imports(name):
    assert len(script_messages(name)) >= 5


def test_every_scripts_strings_reach_a_page():
    # A module no page imports would show words no page translates.
    every = {message for path in resource_dir("static").glob("*.js")
             for message in SCRIPT_STRING.findall(path.read_text())}
    reached = {message for name in ENTRY_SCRIPTS for message in script_messages(name)}
    assert every == reached
    assert "Running {scenario}…" in script_messages("all.js")  # app.js, through all.js


async def get(http_client, url, **headers):
    response = await http_client.fetch(url, headers=headers, raise_error=False)
    assert response.code == 200
    return response


def english_left(page, shown):
    """The messages of shown (and the frame's, and the controls') that the page still has
    in English, placeholders aside."""
    shown = shown | template_messages("base.html") | template_messages("controls.html")
    # The words of the page, without the sources and names in code, and the markup.
    # Code in running text (future.result()) and in a <pre> is code too.
    words = re.sub(r'<section class="code".*?</section>|<div class="source"[^>]*>.*?</pre></div>'
                   r"|<code>.*?</code>|<pre[^>]*>.*?</pre>|[\w.]+\(\)", "", page, flags=re.DOTALL)
    words = re.sub(r"<[^>]*>", " ", words)
    return sorted(message for message in shown
                  if any(re.search("[A-Za-z]", part) and part.strip(" :") != "webdemo"  # a name
                         and re.search(rf"(?<!\w){re.escape(part.strip())}(?!\w)", words)
                         for part in PLACEHOLDER.split(message)))


@pytest.mark.gen_test
async def test_korean_from_accept_language_leaves_no_english(http_client, base_url):
    response = await get(http_client, f"{base_url}/", **{"Accept-Language": "ko-KR,ko;q=0.9"})
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page
    assert "둘 다 실행" in page and "한 페이지, 기다리는 두 가지 방법" in page
    shown = template_messages("index.html") | set(SCENARIO_LABELS.values())
    shown |= template_messages("timeline_key.html") | template_messages("demo.html")
    shown |= template_messages("column_parts.html")
    shown |= set(SETUP_SENTENCES) | DEMO_TEXTS
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
    shown |= template_messages("timeline_key.html")
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


@pytest.fixture
def config(http_port, tmp_path):
    """The app as usual, its bench results in a file of this test's own."""
    return Config(port=http_port, timeout=1.0, bench_results=tmp_path / "bench.json")


@pytest.mark.gen_test
@pytest.mark.parametrize("results", [None, THREADS_PAY, THREADS_DO_NOT])
async def test_the_costs_page_leaves_no_english(http_client, base_url, config, results):
    if results:
        save_results(config.bench_results, results | {
            "skipped": [{"style": "sequential", "fetches": 1000, "at_least": 100.0,
                         "max_run_seconds": 60.0, "reason": "in English"}],
            "failed": [{"style": "greenlets", "fetches": 1000, "error": "gone"}]})
    response = await get(http_client, f"{base_url}/costs", **{"Accept-Language": "ko"})
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page and "스타일별 비용, 직접 측정" in page
    shown = template_messages("costs.html") | template_messages("base.html")
    shown |= set(SEEN) | set(RULES) | {SKIPPED}
    shown |= {text for claim in VERDICTS for text in (claim.metric, claim.essay, *claim.legend)}
    # The bars' labels name the styles as the table's code does: names, like webdemo.
    words = re.sub(r'<text class="label".*?</text>', "", page, flags=re.DOTALL)
    assert english_left(words, shown) == []
    if results is THREADS_PAY:
        assert "여기서는 맞았습니다:" in page
        assert "N=1000에서 실행으로 늘어난 최대 RSS는 스레드 1000개일 때 31.0 MB" in page
        assert ("<code>sequential</code>, N = 1000: 건너뜀, 하나씩 차례로 요청하면 적어도 100초가"
                " 걸립니다. --max-run-seconds는 60입니다." in page)
    elif results is THREADS_DO_NOT:
        assert "확인하지 못함: 같은 N에서 순차 실행 스타일과" in page
    else:
        assert f"찾아본 곳: <code>{config.bench_results}</code>" in page
    # The live bench's script gets its words in Korean with the page.
    assert '"Starting the bench\\u2026": "\\ubca4\\uce58' in page


@pytest.mark.gen_test
@pytest.mark.parametrize("language, said", [("en", "the bench failed: exit status 3"),
                                            ("ko", "벤치마크 실패: 종료 상태 3")])
async def test_a_failed_live_bench_says_why_in_the_visitors_language(
        http_client, base_url, app, language, said):
    app.live_bench.progress = {"state": "failed", "why": "exited", "status": 3}
    response = await get(http_client, f"{base_url}/costs/bench",
                         **{"Accept-Language": language})
    assert json.loads(response.body) == {"state": "failed", "error": said}


# An error page of each kind: the site's own, Tornado's checks, its reasons only.
ERROR_PAGES = [
    ("GET", "/nowhere", {}, 404, "/nowhere에는 페이지가 없습니다"),
    ("GET", "/", {"Host": "example.com"}, 403, "Host 'example.com'에는 응답하지 않습니다"),
    ("POST", "/costs/bench", {}, 403, "POST에 '_xsrf' 인자가 없습니다"),
    ("PROPFIND", "/", {}, 405, "허용되지 않는 메서드"),
    ("GET", "/callbacks?scenario=<b>", {}, 400, "알 수 없는 시나리오 '<b>': seed, one-fails"),
    ("GET", "/?left=threads&right=threads", {}, 400, "left와 right가 둘 다 threads입니다"),
]


@pytest.mark.gen_test
@pytest.mark.parametrize("method, path, headers, status, korean", ERROR_PAGES)
async def test_the_error_pages_leave_no_english(http_client, base_url, method, path, headers,
                                                status, korean):
    response = await http_client.fetch(
        f"{base_url}{path}", method=method, body="" if method == "POST" else None,
        raise_error=False, allow_nonstandard_methods=True,
        headers={"Accept-Language": "ko"} | headers)
    assert response.code == status
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page and korean in page
    shown = template_messages("error.html") | template_messages("base.html")
    shown |= set(ERROR_MESSAGES) | set(ERROR_REASONS)
    shown |= {message.value for message in bad_input_calls()}
    assert english_left(page, shown) == []


@pytest.mark.gen_test
async def test_a_413_page_leaves_no_english(http_client, base_url):
    # A lesson's reveal refuses runs larger than it reads with a 413.
    shown = await http_client.fetch(f"{base_url}/learn/1-waiting?lang=ko")
    token = re.search(r'data-xsrf="([^"]+)"', shown.body.decode()).group(1)
    cookies = "; ".join(cookie.split(";")[0] for cookie in shown.headers.get_list("Set-Cookie"))
    response = await http_client.fetch(
        f"{base_url}/learn/1-waiting/reveal", method="POST", raise_error=False,
        body=b" " * (MAX_REVEAL_BYTES + 1),
        headers={"X-XSRFToken": html.unescape(token), "Cookie": cookies})
    assert response.code == 413
    page = html.unescape(response.body.decode())
    assert '<html lang="ko">' in page and "요청 본문이 너무 큼" in page
    shown = template_messages("error.html") | set(ERROR_REASONS)
    shown |= {message.value for message in bad_input_calls()}
    assert english_left(page, shown) == []


@pytest.mark.gen_test
@pytest.mark.parametrize("headers, said", [
    ({}, "there is no page at /nowhere"),  # English, unless the visitor asks for Korean
    ({"Accept-Language": "ko"}, "/nowhere에는 페이지가 없습니다"),
    ({"Cookie": "lang=ko"}, "/nowhere에는 페이지가 없습니다"),
])
async def test_json_errors_speak_the_visitors_language(http_client, base_url, headers, said):
    response = await http_client.fetch(f"{base_url}/nowhere?format=json", raise_error=False,
                                       headers=headers)
    assert response.code == 404
    assert json.loads(response.body) == {"error": said}


@pytest.mark.gen_test
@pytest.mark.parametrize("headers, said", [
    ({}, "n must be from 1 to 100, not 999"),
    ({"Accept-Language": "ko-KR,ko;q=0.9"},
     "n은(는) 1부터 100까지여야 합니다. 999은(는) 안 됩니다"),
])
async def test_bad_input_speaks_the_visitors_language(http_client, base_url, headers, said):
    response = await http_client.fetch(f"{base_url}/coroutines?format=json&n=999",
                                       raise_error=False, headers=headers)
    assert response.code == 400
    assert json.loads(response.body) == {"error": said}
