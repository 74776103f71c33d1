"""Lecture tools on every page: the page as a slide on a projector (the stage and the column beside
it), figures shown one way (presentation sizes, export format), the slide bar, and the share button
(its dialog: app/lecture/share.py)."""

from __future__ import annotations

import html
from contextlib import nullcontext
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

from app import figure_element, figures
from app.cache import derived
from app.lecture import slides
from app.lecture.share import LOCAL, QR, SHARE, class_link, share_dialog
from app.pages import BY_NAME
from app.state import Link, current_page, sent_query
from app.text import parse_int, quoted

# projector sizes on screens wider than a phone: a student opening the lecturer's link on a phone
# reads it as on a desk (a 22 px root breaks "Normalization" mid-word there; browser.js does the
# same for the figures)
PRESENTATION_CSS = """<style>:root { --mask-lab-presenting: 1; }  /* app/browser.js reads the layout */
@media (min-width: 641px) {
html { font-size: 22px; }
.stApp [data-testid="stMainBlockContainer"] { padding: 2.75rem 1.5rem 2rem; max-width: none; }
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stWidgetLabel"] p,
.stApp [data-testid="stAlert"] p, .stApp [data-testid="stMarkdownContainer"] p,
.stApp input, .stApp textarea, .stApp button p, .stApp [data-testid="stExpander"] summary p { font-size: 22px; }
.stApp [data-testid="stMetricValue"] p { font-size: 2.25rem; }  /* a number stays larger than its label */
.stApp [data-testid="stColumn"] h1 { font-size: 2rem; }  /* a page's name in the column beside the stage */
}</style>"""


def dressed(fig: go.Figure, presenting: bool, dark: bool, role: str | None) -> go.Figure:
    """The figure in presentation sizes and / or on the dark theme: a copy (the figure may come from
    a cache every session shares), made once per figure while it lives, so sessions that show the
    same cached figure do not each copy and restyle it (a third of a slide step's run)."""

    def restyle() -> go.Figure:
        copy = go.Figure(fig)
        if presenting:
            figures.for_projector(copy, role)
        if dark:
            figures.for_dark_theme(copy)
        return copy

    return derived(fig, ("dressed", presenting, dark, role), restyle)


def embedded() -> bool:
    """Opened as an embed (?embed=true, which Streamlit keeps out of st.query_params)."""
    return sent_query().get("embed") == "true"


class Lecture:
    """Make one at the top of a page, after its Link: it draws the page's title (or the slide's, in
    a deck); call `show` for every figure and `share` at the end.

    On a projector the page is a slide: the figure the view is about fills the stage, the left of
    the screen from top to bottom, and the title, caption and the view's controls stand beside it
    (`beside()`, `on_stage()`); what follows them comes under both. On a desk both are the page
    itself, in the order written. Presentation mode is a layout of its own: its toggle reloads
    the page (app/browser.js), so no bound control moves between blocks within one page's life."""

    def __init__(self, link: Link, title: str, staged: bool = True):
        """`staged`: the page has a figure it is about (Home's gallery has none: it stays one column)."""
        self.link, self.title = link, title
        self.figures: list = []
        self.head_views: dict[int, object] = {}  # index in `figures` -> figure_of(layer, head) of a view of one head
        self._stage = self._aside = self.panel = self.class_place = None
        if embedded():  # in someone's page (an iframe): the view's figures and its own controls, no tools
            self.presenting, self.export = sent_query().get("present") == "true", "png"
            return
        with st.sidebar:
            st.header("Lecture")
            self.presenting = link.flag(
                "Presentation mode", "present", False, help="large text, titles and tick labels for a projector"
            )
            self.export = st.radio(
                "Figure download format",
                ["png", "svg"],
                horizontal=True,
                help="What the camera button of each figure saves (scale 2)",
            )
            slide = self.current_slide()
            self.panel = st.container()
        if self.presenting:
            st.html(PRESENTATION_CSS)
        if self.presenting and staged:
            self._stage, self._aside = st.columns([7, 3], gap="large")
        with self.beside():
            if slide is None:
                st.title(title)
            else:
                self.slide_bar(*slide)
            # on a projector the sidebar is folded: the class's way onto the page, one click under the title
            self.class_place = st.container() if self.presenting else None

    def beside(self):
        """Where the title, the view's controls and its words go: beside the stage on a projector."""
        return self._aside if self._aside is not None else nullcontext()

    def on_stage(self):
        """Where the figure the view is about goes: the stage on a projector."""
        return self._stage if self._stage is not None else nullcontext()

    def current_slide(self) -> tuple[str, slides.Deck, int] | None:
        """The deck and step of a slides link (?slides=NAME&step=K), checked; the sidebar offers
        the shipped decks when the link names none."""
        name, step = st.query_params.get("slides"), st.query_params.get("step", "1")
        names = slides.shipped()
        if name is None:
            starts = " · ".join(
                f'<a href="{html.escape(self.step_link(slides.shipped_deck(n), n, 0))}" target="_self">{n}</a>'
                for n in names
            )
            st.markdown(f"Slides: {starts}", unsafe_allow_html=True)
            return None
        if name not in names:
            self.link.warn(f"Link parameter `slides` = {quoted(name)} is not allowed (one of {', '.join(names)}).")
            return None
        deck = slides.shipped_deck(name)
        number = parse_int(step)
        if number is None or not 1 <= number <= len(deck.slides):
            self.link.warn(f"Link parameter `step` = {quoted(step)} is not allowed (1 to {len(deck.slides)}); using 1.")
            number = 1
        slide = deck.slides[number - 1]
        if slide.page != current_page():  # a hand-made link: its title would sit over another view
            where = BY_NAME[slide.page].title
            self.link.warn(
                f"Slide {number} of {name} is on the {where} page: "
                f"[open it there]({self.step_link(deck, name, number - 1)})."
            )
            return None
        self.link.values.update({"slides": (name, None), "step": (str(number), None)})
        return name, deck, number - 1

    def slide_bar(self, name: str, deck: slides.Deck, k: int) -> None:
        """The slide's title and caption over the page, Previous / Next beside them. Each is a link
        to the step (its page, its parameters), followed inside the running app: the view changes
        without a page load. The arrow keys click them."""
        slide = deck.slides[k]
        if self.presenting:  # a narrow column beside the stage: the title, the caption, then the steps
            middle = st.container()
            back, forward = st.columns(2)
        else:
            back, middle, forward = st.columns([1, 6, 1], vertical_alignment="center")
        for column, j, label, arrow in ((back, k - 1, "Previous", "◀"), (forward, k + 1, "Next", "▶")):
            if 0 <= j < len(deck.slides):
                target = deck.slides[j]
                column.page_link(
                    target.target(),
                    label=f"{arrow} {label}" if label == "Previous" else f"{label} {arrow}",
                    icon="",  # the arrow is the sign; page_link would add the target page's icon
                    query_params=self.step_query(deck, name, j),
                    help=f"slide {j + 1}: {target.title} (arrow key {'←' if label == 'Previous' else '→'})",
                )
        with middle:
            st.subheader(slide.title, anchor=False)
            where = f"Slide {k + 1} of {len(deck.slides)} · {deck.title}"
            st.caption(f"{slide.caption}  \n{where}" if slide.caption else where)

    def step_query(self, deck: slides.Deck, name: str, k: int) -> dict[str, str]:
        return {**deck.query(name, k), **({"present": "true"} if self.presenting else {})}

    def step_link(self, deck: slides.Deck, name: str, k: int) -> str:
        """A plain link to slide k, relative to the app."""
        return f"{deck.slides[k].url_path}?{urlencode(self.step_query(deck, name, k))}"

    def dress(self, fig, *, main: bool = False, small: bool = False, under: bool = False):
        """The figure as this page shows it: in presentation sizes and / or on the dark theme."""
        dark = st.context.theme.type == "dark"
        if not (self.presenting or dark):
            return fig
        role = "main" if main else "small" if small else "under" if under else None
        return dressed(fig, self.presenting, dark, role)

    def show(
        self,
        fig,
        *,
        key: str,
        alt: str,
        config: dict | None = None,
        main: bool = False,
        small: bool = False,
        under: bool = False,
        heads: bytes | None = None,
        figure_of=None,
        notes: dict | None = None,
        grid: dict | None = None,
    ) -> None:
        """Show a figure. `main`: the figure the view is about, which a projector's stage fills;
        `small`: a figure beside the stage (every head of a grid); `under`: a map of square cells under the
        stage, the page's width (scrolled to, it fills the screen). `heads`, `grid`: a view of one head
        and the grid of every head, switched in the browser (app/figure_element.py); `figure_of(layer,
        head)`: the view's figure of another head, for the share panel's HTML of the head picked; `notes`:
        a sentence under the figure while its head is shown."""
        fig = self.dress(fig, main=main, small=small, under=under)
        if figure_of is not None:
            self.head_views[len(self.figures)] = lambda layer, head: self.dress(figure_of(layer, head), main=main)
        self._draw(fig, key=key, alt=alt, config=config, heads=heads, notes=notes, grid=grid)

    def side_by_side(self, shown: list[tuple], *, main: bool = False) -> None:
        """Figures of the same rows in columns, `shown` as (figure, key, alt): each drawn as `show` draws
        it, all with the top and bottom margins the largest of them takes and one height, so their rows
        stand level (legends of different lengths under them would give each a plot of its own). Figures
        of one height keep it (on a projector the browser fills the stage with that height)."""
        dressed = [self.dress(fig, main=main) for fig, _, _ in shown]
        top, bottom = (max(fig.layout.margin[side] for fig in dressed) for side in ("t", "b"))
        level = {"margin": {"t": top, "b": bottom}}
        if len({fig.layout.height for fig in dressed}) > 1:
            level["height"] = (
                top + bottom + max(f.layout.height - f.layout.margin.t - f.layout.margin.b for f in dressed)
            )
        for column, fig, (_, key, alt) in zip(st.columns(len(shown)), dressed, shown, strict=True):
            with column:
                self._draw(
                    derived(fig, (top, bottom, level.get("height")), lambda fig=fig: figures.copied(fig, level)),
                    key=key,
                    alt=alt,
                )

    def _draw(self, fig, *, key: str, alt: str, config: dict | None = None, **view) -> None:
        self.figures.append(fig)
        figure_element.show(fig, key=key, alt=alt, config=config or figures.chart_config(self.export), **view)

    def links(self, address: str | None = None) -> dict[str, str]:
        """The view's links; `address`: the query string the browser shows (a head picked there)."""
        base, note = class_link(st.context.url or LOCAL)
        query = urlencode(self.link.query(address))
        view = f"{base}?{query}" if query else base
        joiner = "&" if query else "?"
        embed = f"{view}{joiner}embed=true&embed_options=light_theme"
        return {
            "view": view,
            "embed": embed,
            "dark embed": embed.replace("light_theme", "dark_theme"),
            "iframe": f'<iframe src="{embed}" width="100%" height="800" style="border:0"></iframe>',
            "note": note or "",
        }

    def shown_figures(self, address: str | None) -> list:
        """The page's figures, those of a view of one head for the head the address names."""
        values = self.link.view(address)
        return [
            self.head_views[k](values["layer"][0], values["head"][0]) if k in self.head_views else fig
            for k, fig in enumerate(self.figures)
        ]

    def share(self) -> None:
        """The share button, made once every control of the page exists. Its dialog is filled when it
        opens, from the view as it is then; the runs nobody opens it on send none of it."""
        self.link.warn_if_too_long()
        self.link.remember()
        if self.panel is None:  # an embed: no lecture tools
            return
        if self.panel.button("Share this view", icon=":material/share:", key=SHARE, width="stretch"):
            share_dialog(self)
        class_button = "Show the class this view"
        if self.class_place and self.class_place.button(class_button, icon=":material/qr_code_2:", key=QR):
            share_dialog(self)
