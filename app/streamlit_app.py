"""Entry point: page config, navigation, and what the server process sets up once (app/process.py,
the frozen startup heap)."""

import gc
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run` from any folder finds masks/

BROWSER_JS = (Path(__file__).parent / "browser.js").read_text(encoding="utf-8")

import app.process  # noqa: E402, F401  (once per process: imports, and freed memory goes back to the system)
from app.pages import PAGES  # noqa: E402
from app.state import open_page, sent_query  # noqa: E402

# presentation mode (?present=true) starts with the sidebar of secondary controls tucked away
presenting = sent_query().get("present") == "true"
st.set_page_config(
    page_title="Attention mask lab",
    page_icon=str(Path(__file__).parent / "favicon.png"),  # served by the app: a material icon comes from a font host
    layout="wide",
    initial_sidebar_state="collapsed" if presenting else "auto",
)
page = st.navigation([p.target() for p in PAGES])  # the first is the default page, at the root: /
open_page(page)
# Back / Forward through views, arrow keys for slides, figures that fit a phone (app/browser.js)
st.html(f"<script>{BROWSER_JS}</script>", unsafe_allow_javascript=True)
page.run()


@st.cache_resource(show_spinner=False)
def freeze_startup_heap() -> bool:
    """Once per server, after the first page has imported torch and the rest: Streamlit runs a full
    gc.collect() after every run, which walks all ~220k objects of those modules (tests/bench/results/
    app.md: 175 ms, holding the interpreter before the run's last messages go out). Frozen, they are skipped."""
    gc.collect()
    gc.freeze()
    return True


freeze_startup_heap()
