"""An app with the real app's page names, each a line of text: `make serve`'s machinery (supervisord,
nginx, the warm-up) in tests that do not depend on what the pages draw, started in seconds.

With TINY_APP_COLD_SECONDS set, a process's first run takes that long, as the real app's first run
imports torch and the models (5-17 s here): a restarted replica is then cold for a while."""

import os
import sys
import time
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.pages import HOME, PAGES  # noqa: E402


@st.cache_resource
def imported() -> None:
    time.sleep(float(os.environ.get("TINY_APP_COLD_SECONDS", "0")))


def page(name: str) -> st.Page:
    return st.Page(lambda: st.write(name), title=name, url_path=name, default=name == HOME)


imported()
st.navigation([page(p.name) for p in PAGES]).run()
