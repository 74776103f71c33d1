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
    summary: str  # what it shows: on Home, and as its tooltip in the navigation

    def target(self):
        """The st.Page that st.navigation runs and st.page_link links to."""
        import streamlit as st

        show = import_module(f"app.views.{self.module}").show
        return st.Page(
            show, title=self.title, icon=self.icon, url_path=self.name, default=self.name == HOME, help=self.summary
        )


PAGES = (
    Page("home", "home", "Home", ":material/home:", "every mask scheme on one sentence"),
    Page(
        "masks",
        "mask_explorer",
        "Masks",
        ":material/grid_on:",
        "one mask or a combination on your tokens, its code and every library's convention",
    ),
    Page(
        "attention",
        "attention",
        "Attention",
        ":material/visibility:",
        "what a trained, a real pretrained or a random model attends to, head by head",
    ),
    Page(
        "cross",
        "cross_attention",
        "Cross-attention",
        ":material/swap_horiz:",
        "an encoder-decoder: what each target token reads in the source",
    ),
    Page(
        "block",
        "block",
        "One block",
        ":material/stacks:",
        "your tokens through one block, stage by stage: what mixes tokens, LayerNorm, activation, dropout",
    ),
    Page(
        "normalization",
        "normalization",
        "Normalization",
        ":material/equalizer:",
        "LayerNorm vs BatchNorm on a padded batch, Pre-LN vs Post-LN gradients",
    ),
)
BY_NAME = {page.name: page for page in PAGES}
HOME = PAGES[0].name
