"""Class mode in Chromium: a teacher and three students, each in a browser context of
their own (one on a phone in Korean), from joining to the reveal; axe on both pages."""

import pytest
from server_process import running

from .conftest import unavailable
from .test_axe import AXE, RUN_JS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI, saying why
    expect = None

DESKTOP, LAPTOP = {"width": 1440, "height": 900}, {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    """A server of this module's own, its classes in a scratch data directory."""
    tmp = tmp_path_factory.mktemp("class")
    with running(tmp, "--data-dir", str(tmp / "data"), "--timeout", "1") as server:
        yield server.url
    assert "Traceback" not in server.log()


def visitor(open_page, locale, viewport):
    page = open_page(locale=locale)
    page.set_viewport_size(viewport)
    return page


def axe(page, state):
    if not AXE.is_file():
        unavailable(f"no axe-core at {AXE}: run `npm ci` at the top of the checkout")
    page.evaluate(AXE.read_text())
    return [f"{state}: {violation['id']} at {' '.join(node['target'])}"
            for violation in page.evaluate(RUN_JS) for node in violation["nodes"]]


def test_a_teacher_and_three_students(open_page, problems, screenshot):
    teacher = visitor(open_page, "en-US", DESKTOP)
    teacher.goto("/join")
    teacher.get_by_role("button", name="Teach this as a class").click()
    code = teacher.locator(".big-code").inner_text()
    assert len(code) == 11  # AHK-MNQ-RWX
    expect(teacher.locator(".counts")).to_have_text("0 joined, 0 answered")

    students = [visitor(open_page, "en-US", PHONE), visitor(open_page, "en-US", LAPTOP),
                visitor(open_page, "ko-KR", PHONE)]
    students[0].goto("/join")
    students[0].get_by_label("The code on the teacher's screen").fill(code.lower())
    students[0].get_by_role("button", name="Join", exact=True).click()
    for student in students[1:]:
        student.goto(f"/join?code={code.replace('-', '')}")
    for student in students:
        expect(student.locator(".lesson-title")).to_be_visible()
    korean = students[2]
    assert korean.locator("html").get_attribute("lang") == "ko"
    expect(korean.locator(".step")).to_contain_text("예측")
    assert teacher.locator("html").get_attribute("lang") == "en"

    students[0].get_by_label("A nickname, if you like").fill("<i>Mina</i>")
    students[0].get_by_role("button", name="Save").click()
    expect(students[0].locator(".nickname-saved")).to_contain_text("<i>Mina</i>")
    teacher.locator(".nicknames summary").click()
    expect(teacher.locator(".nicknames li")).to_have_text(["<i>Mina</i>"])  # text, not markup

    for student, choice in zip(students, (0, 1, 1), strict=True):
        student.locator(".choices input").nth(choice).check()
        student.locator(".prediction button[type=submit]").click()
        expect(student.locator(".sent")).not_to_be_empty()
    expect(teacher.locator(".counts")).to_have_text("3 joined, 3 answered")
    expect(students[1].locator(".spread")).to_be_hidden()  # not until the teacher shows it
    screenshot(teacher, "class-teacher-mid-prediction-1440.png")
    found = axe(teacher, "teacher, predicting")
    found += axe(students[0], "student, predicting")
    found += axe(korean, "Korean student, predicting")

    teacher.get_by_label("Show the spread to the class").check()
    for student in students:
        expect(student.locator(".spread")).to_be_visible()
    teacher.get_by_role("button", name="Reveal").click()
    for student in students:
        expect(student.locator(".right-answer")).to_be_visible(timeout=20_000)
        expect(student.locator(".run-result")).to_have_count(2)
    expect(teacher.locator(".right-answer")).to_be_visible()
    right = teacher.locator(".right-answer").inner_text()
    assert right.startswith("What the run did: ")
    expect(korean.locator(".right-answer")).to_contain_text("실행 결과")
    # The same one run on every screen: its times, to the tenth of a millisecond.
    times = {student.locator(".run-result h3").first.inner_text().split(": ")[-1]
             for student in students[:2]}
    assert len(times) == 1
    for page in (teacher, *students):  # the run's bars have grown over its real times
        page.wait_for_function(
            "() => document.getAnimations().every(a => a.playState == 'finished')")
    screenshot(korean, "class-student-phone-after-reveal-ko.png")
    screenshot(students[0], "class-student-phone-after-reveal-en.png")
    screenshot(teacher, "class-teacher-after-reveal-1440.png")
    found += axe(teacher, "teacher, revealed")
    found += axe(korean, "Korean student, revealed")
    found += axe(students[1], "student, revealed")

    teacher.set_viewport_size(PHONE)  # a teacher walking the room, phone in hand
    screenshot(teacher, "class-teacher-phone-after-reveal.png")
    for page in (teacher, *students):  # nothing wider than the screen
        assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size[
            "width"]
    found += axe(teacher, "teacher on a phone, revealed")
    assert found == []
    assert problems == []

    # A reload lands where the class is. (Chromium reports the stream it cut as aborted.)
    students[1].reload()
    expect(students[1].locator(".right-answer")).to_have_text(
        students[0].locator(".right-answer").inner_text())
    assert [problem for problem in problems if "/events: net::ERR_ABORTED" not in problem] == []


def test_a_number_question(open_page, problems):
    teacher, student = visitor(open_page, "en-US", DESKTOP), visitor(open_page, "ko-KR", PHONE)
    teacher.goto("/join")
    teacher.get_by_role("button", name="Teach this as a class").click()
    code = teacher.locator(".big-code").inner_text()
    student.goto(f"/join?code={code.replace('-', '')}")
    teacher.get_by_label("Lesson").select_option("2")  # how many threads: a number
    expect(student.locator(".lesson-title")).to_contain_text("2")
    number = student.locator("input[name=number]")
    expect(number).to_be_visible()
    number.fill("20")
    student.locator(".prediction button[type=submit]").click()
    expect(student.locator(".sent")).to_contain_text("20")
    expect(teacher.locator(".counts")).to_have_text("1 joined, 1 answered")
    teacher.get_by_role("button", name="Reveal").click()
    expect(student.locator(".right-answer")).to_be_visible(timeout=20_000)
    # The spread's range that holds the run's answer is marked, on both pages.
    expect(teacher.locator(".bar-row.right")).to_have_count(1)
    expect(student.locator(".bar-row.right")).to_have_count(1)
    assert problems == []
