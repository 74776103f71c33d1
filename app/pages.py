"""The app's pages, listed once: the navigation (streamlit_app.py) and the slides both read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str  # its URL path, and how a slide names it; the first page is the app's root
    script: str  # relative to app/
    title: str
    icon: str


PAGES = (
    Page("home", "views/home.py", "Home", ":material/home:"),
    Page("masks", "views/mask_explorer.py", "Masks", ":material/grid_on:"),
    Page("attention", "views/attention.py", "Attention", ":material/visibility:"),
    Page("cross", "views/cross_attention.py", "Cross-attention", ":material/swap_horiz:"),
    Page("normalization", "views/normalization.py", "Normalization", ":material/equalizer:"),
)
SCRIPTS = {page.name: page.script for page in PAGES}
HOME = PAGES[0].name
