"""Lecture tools on every page: figures shown one way (presentation sizes, export format), and a
share panel with the deep link, the embed link, an iframe snippet and an offline HTML export."""

from __future__ import annotations

import html
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

from app import figures, slides
from app.state import Link, parse_int
from app.text import quoted

LOCAL = "http://localhost:8501"
PRESENTATION_CSS = """<style>
html { font-size: 22px; }
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stWidgetLabel"] p,
.stApp [data-testid="stAlert"] p, .stApp [data-testid="stMarkdownContainer"] p { font-size: 22px; }
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
            self.stepper()
            self.panel = st.container()
        if self.presenting:
            st.html(PRESENTATION_CSS)

    def stepper(self) -> None:
        """Slides from a shipped file, stepped with Previous / Next; the deck and the step are in the
        URL (?slides=NAME&step=K). Each step is a plain link that loads its page with its own
        parameters, so every control starts from the slide, as when a student opens the link."""
        name, step = st.query_params.get("slides"), st.query_params.get("step", "1")
        names = slides.shipped()
        if name is None:
            starts = " · ".join(self.anchor(slides.shipped_deck(n), n, 0, n) for n in names)
            st.markdown(f"Slides: {starts}", unsafe_allow_html=True)
            return
        if name not in names:
            self.link.warn(f"Link parameter `slides` = {quoted(name)} is not allowed (one of {', '.join(names)}).")
            return
        deck = slides.shipped_deck(name)
        number = parse_int(step)
        if number is None or not 1 <= number <= len(deck.slides):
            self.link.warn(f"Link parameter `step` = {quoted(step)} is not allowed (1 to {len(deck.slides)}); using 1.")
            number = 1
        k = number - 1
        self.link.values.update({"slides": (name, None), "step": (str(k + 1), None)})
        moves = [
            self.anchor(deck, name, k - 1, "◀ Previous") if k > 0 else "",
            self.anchor(deck, name, k + 1, "Next ▶") if k + 1 < len(deck.slides) else "",
        ]
        st.markdown(
            f"**{html.escape(deck.title)}**  \nSlide {k + 1} of {len(deck.slides)}: "
            f"{html.escape(deck.slides[k].title)}  \n{' · '.join(m for m in moves if m)}",
            unsafe_allow_html=True,
        )

    def anchor(self, deck: slides.Deck, name: str, k: int, text: str) -> str:
        """A link to slide k (same tab): its page, its parameters, the deck and the step."""
        slide = deck.slides[k]
        extra = {"present": "true"} if self.presenting else {}
        query = urlencode({**slide.params, **extra, "slides": name, "step": k + 1})
        return f'<a href="{html.escape(slide.url_path)}?{html.escape(query)}" target="_self">{html.escape(text)}</a>'

    def show(self, fig, *, key: str, alt: str, config: dict | None = None) -> None:
        dark = st.context.theme.type == "dark"
        if self.presenting or dark:
            fig = go.Figure(fig)  # figures may come from a cache every session shares: change a copy
        if self.presenting:
            figures.for_projector(fig)
        if dark:
            figures.for_dark_theme(fig)
        self.figures.append(fig)
        # theme=None: drawn exactly as built, so the page shows what an export shows
        st.plotly_chart(fig, key=key, config=config or figures.chart_config(self.export), alt=alt, theme=None)

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
        """The share panel, filled once every control of the page exists (so pages use no fragments:
        a partial rerun would leave it describing the view before)."""
        self.link.remember()
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
