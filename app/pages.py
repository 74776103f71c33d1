"""The app's pages, listed once: the navigation (streamlit_app.py), the slides and the links between
pages all read it. A page is a function of its module in app/views/ (`show()`), run by Streamlit's
navigation: its module is imported once per server, not compiled again for every session."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Page:
    name: str  # its URL path, and how a slide names it; the first page is the app's root
    module: str  # in app/views/, with a function show() that draws the page
    title: str
    icon: str

    def target(self):
        """The st.Page that st.navigation runs and st.page_link links to."""
        import streamlit as st

        show = import_module(f"app.views.{self.module}").show
        return st.Page(show, title=self.title, icon=self.icon, url_path=self.name, default=self.name == HOME)


PAGES = (
    Page("home", "home", "Home", ":material/home:"),
    Page("masks", "mask_explorer", "Masks", ":material/grid_on:"),
    Page("attention", "attention", "Attention", ":material/visibility:"),
    Page("cross", "cross_attention", "Cross-attention", ":material/swap_horiz:"),
    Page("normalization", "normalization", "Normalization", ":material/equalizer:"),
)
BY_NAME = {page.name: page for page in PAGES}
HOME = PAGES[0].name
