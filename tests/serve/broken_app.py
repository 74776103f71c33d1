"""An app with the real app's page names whose Cross-attention page raises: what `make serve` does
with a page that cannot run (tests/serve/test_warm_replicas.py), without breaking the real app."""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.pages import HOME, PAGES  # noqa: E402

BROKEN = "cross"


def page(name: str) -> st.Page:
    def show():
        if name == BROKEN:
            raise RuntimeError("this page is broken on purpose")
        st.write(name)

    return st.Page(show, title=name, url_path=name, default=name == HOME)


st.navigation([page(p.name) for p in PAGES]).run()
