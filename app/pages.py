"""The app's pages, listed once: the navigation (streamlit_app.py), the slides, the links between
pages and the process's imports (process.py) all read it. A page is the function `show()` of the
module (or package) app/views/<name>, run by Streamlit's navigation: imported once per server, not
compiled again for every session. A new page is a module there and a line here."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Page:
    name: str  # its URL path, and how a slide names it; the first page is the app's root
    title: str
    icon: str
    summary: str  # what it shows: on Home, and as its tooltip in the navigation

    @property
    def module(self) -> str:
        return f"app.views.{self.name}"

    def target(self):
        """The st.Page that st.navigation runs and st.page_link links to."""
        import streamlit as st

        show = import_module(self.module).show
        return st.Page(
            show, title=self.title, icon=self.icon, url_path=self.name, default=self.name == HOME, help=self.summary
        )


PAGES = (
    Page("home", "Home", ":material/home:", "every mask scheme on one sentence"),
    Page(
        "masks",
        "Masks",
        ":material/grid_on:",
        "one mask or a combination on your tokens, its code and every library's convention",
    ),
    Page(
        "attention",
        "Attention",
        ":material/visibility:",
        "what a trained, a real pretrained or a random model attends to, head by head",
    ),
    Page(
        "cross",
        "Cross-attention",
        ":material/swap_horiz:",
        "an encoder-decoder: what each target token reads in the source",
    ),
    Page(
        "block",
        "One block",
        ":material/stacks:",
        "your tokens through one block, stage by stage: what mixes tokens, LayerNorm, activation, dropout",
    ),
    Page(
        "normalization",
        "Normalization",
        ":material/equalizer:",
        "LayerNorm vs BatchNorm on a padded batch, Pre-LN vs Post-LN gradients",
    ),
)
BY_NAME = {page.name: page for page in PAGES}
HOME = PAGES[0].name
