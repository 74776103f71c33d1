"""Entry point: page config, navigation, and what the server process sets up once (app/process.py,
the frozen startup heap)."""

import sys
from pathlib import Path

import streamlit as st

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `streamlit run` from any folder finds masks/; this script runs for every run
    sys.path.insert(0, ROOT)

from app.pages import PAGES  # noqa: E402
from app.process import BROWSER_JS, FAVICON, freeze_startup_heap, one_run_at_a_time  # noqa: E402  (imports, memory: once per process)
from app.state import open_page, sent_query, varying  # noqa: E402

# isort: split
from app.lecture.rooms import after_run, follow_run, lead_deck_step  # noqa: E402  (after app.process, which imports the libraries first)


def run() -> None:
    """One run of the page the link names, with what every page has: the sidebar, the room's line."""
    # presentation mode (?present=true) and an embed (?embed=true) start with the sidebar of secondary
    # controls tucked away
    tucked = "true" in (sent_query().get("present"), sent_query().get("embed"))
    st.set_page_config(
        page_title="Attention mask lab",
        page_icon=FAVICON,  # from the app itself: a material icon comes from a font host
        layout="wide",
        initial_sidebar_state="collapsed" if tucked else "auto",
    )
    page = st.navigation([p.target() for p in PAGES])  # the first is the default page, at the root: /
    follow_run()  # a student following the lecturer: moved to the lecturer's step (app/lecture/rooms.py)
    open_page(page)
    lead_deck_step()  # a lecturer's Next goes to the class as its run begins
    # Back / Forward through views, arrow keys for slides, figures that fit a phone (app/browser.js)
    st.html(f"<script>{BROWSER_JS}</script>", unsafe_allow_javascript=True)
    room_status = varying()  # following or leading a room, over the page (one block: see app/state.py)
    page.run()
    after_run(room_status)


with one_run_at_a_time():  # one session's run at a time computes (app/process.py)
    run()
    freeze_startup_heap()
