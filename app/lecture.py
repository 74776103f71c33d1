"""Lecture tools on every page: figures shown one way (presentation sizes, export format), and a
share panel with the deep link, the embed link, an iframe snippet and an offline HTML export."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from app import figures
from app.state import Link

LOCAL = "http://localhost:8501"
PRESENTATION_CSS = """<style>
.stApp { font-size: 1.25rem; }
.stApp h1 { font-size: 3rem; }
.stApp [data-testid="stSidebar"] { font-size: 1.1rem; }
</style>"""


class Lecture:
    """Make one after the page's Link; call `show` for every figure and `share` at the end."""

    def __init__(self, link: Link, title: str):
        self.link, self.title = link, title
        self.figures: list = []
        with st.sidebar:
            st.header("Lecture")
            self.presenting = link.flag(
                "Presentation mode", "present", False, help="large fonts and tick labels for a projector"
            )
            self.export = st.radio(
                "Figure download format",
                ["png", "svg"],
                horizontal=True,
                help="What the camera button of each figure saves (scale 2)",
            )
            self.panel = st.container()
        if self.presenting:
            st.html(PRESENTATION_CSS)

    def show(self, fig, *, key: str, alt: str, config: dict | None = None) -> None:
        if self.presenting:
            figures.for_projector(fig)
        self.figures.append(fig)
        st.plotly_chart(fig, key=key, config=config or figures.chart_config(self.export), alt=alt)

    def links(self) -> dict[str, str]:
        base = st.context.url or LOCAL
        query = urlencode(self.link.query())
        view = f"{base}?{query}" if query else base
        joiner = "&" if query else "?"
        embed = f"{view}{joiner}embed=true&embed_options=light_theme"
        return {
            "view": view,
            "embed": embed,
            "dark embed": embed.replace("light_theme", "dark_theme"),
            "iframe": f'<iframe src="{embed}" width="100%" height="800" style="border:0"></iframe>',
        }

    def share(self) -> None:
        """The share panel, filled once every control of the page exists."""
        links = self.links()
        with self.panel.expander("Share this view", icon=":material/share:"):
            for name in ("view", "embed", "dark embed", "iframe"):
                st.caption(name)
                st.code(links[name], language=None, wrap_lines=True)
            figs, title = list(self.figures), self.title
            st.download_button(
                "Figures as offline HTML",
                data=lambda: figures.standalone_html(figs, title),
                file_name=f"{title.lower().replace(' ', '-')}.html",
                mime="text/html",
                icon=":material/download:",
            )
