"""Follow links and lead keys from anyone, on one app process as `make run` starts it (rooms in its
memory): a bad, unknown or ended room is named with what to do, a wrong lead key leads nothing, and
the page is drawn as ever; never a traceback."""

from __future__ import annotations

import re

import pytest

from tests.follow.tab import Tab
from tests.server import ROOT, free_port, start_app
from tests.streamlit_client import run


@pytest.fixture(scope="module")
def base():
    port = free_port()
    process = start_app(ROOT / "app" / "streamlit_app.py", port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)


async def start_room(lecturer: Tab, page: str = "masks", query: str = ""):
    drawn = await lecturer.open(page, query)
    drawn = await lecturer.click("Share this view", drawn)
    drawn = await lecturer.click("Start a room", drawn)
    return re.search(r"Room \*\*([A-Z]{6})\*\*", " ".join(drawn.texts))[1], drawn


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("", "is not a room code"),
        ("ABC", "is not a room code"),
        ("<img src=x onerror=alert(1)>", "is not a room code"),
        ("\u202eFEDCBA", "is not a room code"),
        ("9" * 5000, "is not a room code"),
        ("QWERTY", "Room QWERTY is not open"),
        ("qwerty", "Room QWERTY is not open"),  # typed on a phone
    ],
)
def test_a_bad_follow_link_says_what_to_do_and_draws_the_page(base, code, said):
    async def opened():
        async with Tab(base) as student:
            return await student.open("masks", f"follow={code}")

    drawn = run(opened())
    assert drawn.exceptions == [] and drawn.charts  # the page as its link draws it
    (warning,) = [text for text in drawn.texts if said in text]
    assert "\u202e" not in warning and len(warning) < 400  # a bidi control named, a huge value cut
    if "<" in code:
        assert f"`{code}`" in warning  # a code span: shown as typed, never HTML


def test_a_wrong_lead_key_leads_nothing_and_a_stopped_room_ends_for_its_students(base):
    async def lecture():
        async with Tab(base) as lecturer, Tab(base) as intruder, Tab(base) as student:
            code, _ = await start_room(lecturer)
            drawn = await student.open("", f"follow={code}")
            while not drawn.charts:
                drawn = await student.drawn()
            # someone with the follow link types a guessed key, then the code alone, in their own panel
            drawn = await intruder.open("masks", f"follow={code}")
            drawn = await intruder.click("Share this view", drawn)
            for guess in (f"{code}-{'A' * 22}", code, "<b>x</b>"):
                typed = await intruder.type("Lead again (a lead key from this panel)", guess, drawn)
                assert typed.exceptions == [] and not any("leads room" in t for t in typed.texts), guess
                assert any("does not lead" in t or "lead key is" in t for t in typed.texts), (guess, typed.texts)
            # the lecturer's step still moves the student; the intruder's runs moved nothing
            await lecturer.open("masks", "scheme=full")
            while "scheme=full" not in student.query:
                await student.drawn()
            # the lecturer stops the room: its students keep their view and are told
            drawn = await lecturer.open("masks", "scheme=full")
            drawn = await lecturer.click("Share this view", drawn)
            await lecturer.click("Stop the room", drawn)
            while True:
                drawn = await student.drawn()
                if any(f"Room {code} has ended" in t for t in drawn.texts):
                    break
            assert "scheme=full" in student.query and drawn.exceptions == []

    run(lecture())
