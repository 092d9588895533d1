"""The watcher every browser test ends on: it must see real failures and excuse only one."""

HANGING = "/hangs-until-the-page-is-left"


def test_a_request_that_fails_where_the_page_stays_is_a_problem(open_page, problems):
    page = open_page()
    page.route(f"**{HANGING}", lambda route: route.abort("aborted"))
    page.goto("/")
    with page.expect_event("requestfailed"):
        page.evaluate("url => { fetch(url).catch(() => {}); }", HANGING)
    assert any(HANGING in line and "net::ERR_ABORTED" in line for line in problems), problems


def test_a_request_cancelled_because_the_page_was_left_is_not(open_page, problems):
    page = open_page()
    held = []

    def hold(route):  # never answered: under way until the page is left
        held.append(route)

    page.route(f"**{HANGING}", hold)
    page.goto("/")
    with page.expect_request(f"**{HANGING}"):
        page.evaluate("url => { fetch(url).catch(() => {}); }", HANGING)
    # The favicon, if it had not come yet, is cancelled too: not the one waited for.
    with page.expect_event("requestfailed", lambda request: HANGING in request.url):
        page.goto("/costs")
    assert problems == []
