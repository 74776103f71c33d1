"""The class follows the lecturer, in Chromium: a lecturer's tab starts a room from the share dialog,
two students' tabs open its follow link; at each Next the students' figures and address bars follow
the lecturer's, without reloading their pages. A student who looks around stays, then rejoins."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from app.lecture import slides
from tests.browser.conftest import ARTIFACTS, open_share_dialog, wait_for_app

DESK = {"width": 1400, "height": 1000}
TITLES = "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].map((t) => t.textContent)"


def view(url: str) -> dict[str, str]:
    """The view an address names: its page and parameters, less the room's code."""
    parts = urlparse(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items() if key != "follow"}
    return {"page": parts.path.strip("/") or "home", **query}


def start_room(lecturer, url: str):
    """The lecturer opens `url` and starts a room from the share dialog: the dialog, still open, and
    the room's code."""
    lecturer.goto(url)
    wait_for_app(lecturer)
    dialog = open_share_dialog(lecturer)
    dialog.get_by_role("button", name="Start a room").click()
    expect(dialog.get_by_text(re.compile(r"Room [A-Z]{6}: every student"))).to_be_visible()
    said = dialog.get_by_text(re.compile(r"Room [A-Z]{6}")).first.text_content()
    return dialog, re.search(r"Room ([A-Z]{6})", said)[1]


def test_two_students_follow_the_lecturers_next_three_times(chromium, app_url):
    deck = slides.shipped_deck("mask-schemes")
    contexts = [chromium.new_context(viewport=DESK) for _ in range(3)]
    lecturer, *students = [context.new_page() for context in contexts]
    try:
        dialog, code = start_room(lecturer, f"{app_url}/{deck.slides[0].url_path}?slides=mask-schemes&step=1")
        follow = dialog.get_by_test_id("stCode").filter(has_text="follow=").first.text_content()
        assert follow.endswith(f"/?follow={code}")
        expect(
            dialog.get_by_role("img", name=f"Scan to follow room {code}").or_(dialog.locator("img"))
        ).not_to_have_count(0)
        lecturer.keyboard.press("Escape")
        wait_for_app(lecturer)
        for student in students:
            student.goto(f"{app_url}/?follow={code}")
            student.evaluate("window.stillTheSamePage = true")

        def followed(k: int) -> None:
            lecturer.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{k + 1}'")
            wait_for_app(lecturer)
            want, titles = view(lecturer.url), lecturer.evaluate(TITLES)
            for n, student in enumerate(students):
                student.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{k + 1}'")
                wait_for_app(student)
                assert view(student.url) == want and f"follow={code}" in student.url
                assert student.evaluate(TITLES) == titles, (k + 1, n)
                expect(student.get_by_text(f"Following room {code}")).to_be_visible()
                expect(student.get_by_test_id("stException")).to_have_count(0)
                student.screenshot(path=ARTIFACTS / f"follow-student-{n + 1}-step-{k + 1}.png")

        followed(0)
        for k in range(1, 4):
            lecturer.get_by_role("link", name="Next ▶").first.click()
            followed(k)
        for student in students:
            assert student.evaluate("window.stillTheSamePage") is True  # moved in the running page

        # a student looks around (Previous, in their own tab), stays there, then rejoins
        wanderer, other = students
        wanderer.get_by_role("link", name="◀ Previous").first.click()
        wanderer.wait_for_function("() => new URLSearchParams(location.search).get('step') === '3'")
        wait_for_app(wanderer)
        expect(wanderer.get_by_text("You left the lecturer's view")).to_be_visible()
        lecturer.get_by_role("link", name="Next ▶").first.click()
        other.wait_for_function("() => new URLSearchParams(location.search).get('step') === '5'")
        wait_for_app(wanderer)
        assert parse_qs(urlparse(wanderer.url).query)["step"] == ["3"]
        wanderer.get_by_role("button", name="Back to the lecturer").click()
        wanderer.wait_for_function("() => new URLSearchParams(location.search).get('step') === '5'")
        wait_for_app(wanderer)
        expect(wanderer.get_by_text(f"Following room {code}")).to_be_visible()
        lecturer.screenshot(path=ARTIFACTS / "follow-lecturer.png")
    finally:
        for context in contexts:
            context.close()


def test_the_leading_line_goes_when_the_room_stops_and_a_room_led_again_moves_the_class_at_once(chromium, app_url):
    """Stopping the room takes the "Leading room" line (and its follow link) off the lecturer's page at
    once, not at the next step. Leading a room again from another tab, with the lead key, sends the
    class that tab's view at once, not at its next step."""
    deck = slides.shipped_deck("mask-schemes")
    contexts = [chromium.new_context(viewport=DESK) for _ in range(3)]
    lecturer, other_tab, student = [context.new_page() for context in contexts]
    leading = re.compile(r"Leading room [A-Z]{6}")
    try:
        dialog, code = start_room(lecturer, f"{app_url}/{deck.slides[0].url_path}?slides=mask-schemes&step=1")
        dialog.get_by_text("Lead this room again after a reload").click()
        key = dialog.get_by_test_id("stCode").filter(has_text=code).last.text_content().strip()
        lecturer.keyboard.press("Escape")
        wait_for_app(lecturer)
        student.goto(f"{app_url}/?follow={code}")
        student.wait_for_function("() => new URLSearchParams(location.search).get('step') === '1'")
        wait_for_app(student)

        # another tab, on step 3, leads the room again: the student moves there without a Next
        other_tab.goto(f"{app_url}/{deck.slides[2].url_path}?slides=mask-schemes&step=3")
        wait_for_app(other_tab)
        dialog = open_share_dialog(other_tab)
        dialog.get_by_label("Lead again (a lead key from this panel)").fill(key)
        dialog.get_by_label("Lead again (a lead key from this panel)").press("Enter")
        student.wait_for_function("() => new URLSearchParams(location.search).get('step') === '3'")
        wait_for_app(other_tab)
        expect(other_tab.get_by_text(leading)).to_be_visible()

        # it stops the room: the line and its link leave its page at once
        dialog = open_share_dialog(other_tab)
        dialog.get_by_role("button", name="Stop the room").click()
        wait_for_app(other_tab)
        if other_tab.get_by_role("dialog").count():
            other_tab.keyboard.press("Escape")
            wait_for_app(other_tab)
        expect(other_tab.get_by_text(leading)).to_have_count(0)
        wait_for_app(student)
        expect(student.get_by_text(f"Room {code} has ended")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
