"""Lecture tools on every page: share links of the exact view, presentation sizes, offline HTML."""

import contextlib

import pytest
import torch

from app import figures
from app.lecture.share import SHARE, class_link, network_address
from masks import build
from tests.app.conftest import charts, contrast, run_page

PAGES = ["masks", "attention", "cross", "normalization"]


def share_links(at) -> list[str]:
    """The links the share dialog shows, opened from the sidebar's button; none before it opens."""
    assert not [c for c in at.code if c.value.startswith(("http", "<iframe"))]
    at.button(key=SHARE).click().run()
    return [c.value for c in at.code if c.value.startswith(("http", "<iframe"))]


def test_share_panel_links_the_exact_view_as_link_embed_and_iframe():
    at = run_page("masks", scheme="prefix_lm", prefix="5", view="compare")
    view, embed, dark, iframe = share_links(at)
    assert "scheme=prefix_lm" in view and "prefix=5" in view and "view=compare" in view
    assert "text=" not in view  # controls at their defaults stay out of the link
    assert embed.startswith(view) and embed.endswith("embed=true&embed_options=light_theme")
    assert dark.endswith("embed_options=dark_theme")
    assert iframe.startswith(f'<iframe src="{embed}"')


def test_the_share_link_keeps_the_open_tab():
    """The Masks page's tabs are bound to the link; the share link once left the open tab out, so it
    reopened on Code."""
    (view, *_) = share_links(run_page("masks", scheme="padding", tab="Stats"))
    assert "tab=Stats" in view and "scheme=padding" in view
    (view, *_) = share_links(run_page("masks", scheme="padding"))
    assert "tab=" not in view  # the first tab is the default


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_the_share_panel_and_presentation_mode(page):
    # `present` is bound on every page; AppTest opens Home first and, on the switch, hands the page the
    # state Home had before the link's value; a second run is what a browser opening the link gets
    at = run_page(page, present="true").run()
    assert not at.exception
    links = share_links(at)
    assert len(links) == 4 and "present=true" in links[0]
    for figure in charts(at):
        assert figure["layout"]["font"]["size"] >= 20
        assert figure["layout"]["xaxis"]["tickfont"]["size"] >= 18


def test_normal_mode_keeps_normal_sizes():
    figure = charts(run_page("masks"))[0]
    assert figure["layout"]["font"]["size"] == figures.FONT["size"]


def test_standalone_html_carries_plotly_once_and_every_figure():
    a = figures.mask_figure(build("causal", 4), list("abcd"), list("abcd"), title="first")
    b = figures.mask_figure(build("full", 4), list("abcd"), list("abcd"), title="second")
    page = figures.standalone_html([a, b], "Two masks <b>")
    assert page.count("plotly.js v") == 1  # the library inside, once: works offline
    assert '<script src="http' not in page and "Two masks &lt;b&gt;" in page  # nothing fetched
    assert page.count('"text":"first"') == 1 and page.count('"text":"second"') == 1


def test_dark_theme_keeps_the_data_colours_and_changes_only_the_page():
    fig = figures.mask_figure(build("causal", 3), list("abc"), list("abc"), title="causal")
    colours = [colour for _, colour in fig.data[0].colorscale]
    figures.for_dark_theme(fig)
    dark = [colour for _, colour in fig.data[0].colorscale]
    assert fig.layout.paper_bgcolor == figures.DARK["paper"]
    # the data colours stay; blocked cells turn dark grey (light grey was the brightest thing on the page)
    assert dark == [figures.DARK["blocked"] if c == figures.BLOCKED else c for c in colours] != colours
    assert figures.ALLOWED in dark and figures.EMPTY_ROW in dark
    legend = {trace.name: trace.marker.color for trace in fig.data[1:]}
    assert legend["blocked"] == figures.DARK["blocked"] and legend["allowed"] == figures.ALLOWED
    head = figures.attention_figure(build("causal", 3).float(), build("causal", 3), list("abc"), list("abc"), title="h")
    assert figures.for_dark_theme(head).layout.plot_bgcolor == figures.DARK["blocked"]  # grey still means blocked
    # the gaps between a grid's maps are painted the paper's colour: white ones were a bright lattice
    grid = figures.grid_figure(torch.rand(2, 2, 3, 3), build("causal", 3), title="grid")
    assert {shape.fillcolor for shape in grid.layout.shapes} == {"white"}
    assert {shape.fillcolor for shape in figures.for_dark_theme(grid).layout.shapes} == {figures.DARK["paper"]}


def test_presentation_mode_does_not_change_the_figure_the_next_visitor_gets():
    """Figures come from a cache every session shares: a presenter's large ticks stay theirs."""
    ticks = lambda at: charts(at)[0]["layout"]["xaxis"].get("tickfont", {}).get("size")  # noqa: E731
    plain = ticks(run_page("masks", scheme="strided"))
    assert ticks(run_page("masks", scheme="strided", present="true").run()) > (plain or 0)  # see above
    assert ticks(run_page("masks", scheme="strided")) == plain


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", "(empty)"),
        ("   ", "(3 blank characters)"),
        ("a`b", "`a'b`"),
        # a right-to-left override would show the rest of the sentence backwards, as if the app said it
        ("\u202ewohs dluow", "`⟨U+202E⟩wohs dluow`"),
        ("\u2067a\u200fb", "`⟨U+2067⟩a⟨RLM⟩b`"),
    ],
)
def test_a_link_value_is_quoted_so_a_reader_sees_what_it_was(value, shown):
    at = run_page("masks", view=value)
    assert f"Link parameter `view` = {shown} is not allowed" in "\n".join(w.value for w in at.warning)


def test_the_class_gets_a_link_it_can_open_and_its_qr_code():
    """A lecturer browsing on the server's machine sees localhost, which is each student's own machine:
    the link handed out names this machine's network address when the server listens on every address
    (`make run`), says so when it listens on this machine only, and keeps a name a class can reach."""
    address = network_address()
    with patched_option("server.address", None):
        link, note = class_link("http://localhost:8611/masks?scheme=causal")
        if address is None:
            assert link == "http://localhost:8611/masks?scheme=causal" and "no network address" in note
        else:
            assert link == f"http://{address}:8611/masks?scheme=causal" and note is None
        assert class_link("http://lab.example.edu/masks") == ("http://lab.example.edu/masks", None)
    with patched_option("server.address", "127.0.0.1"):
        link, note = class_link("http://127.0.0.1:8611/")
        assert link == "http://127.0.0.1:8611/" and "listens on 127.0.0.1 only" in note
    # the share dialog opens on the QR code of that link, as a picture
    at = run_page("masks", scheme="padding")
    at.button(key=SHARE).click().run()
    assert not at.exception
    dialog = next(block for block in _elements(at._tree) if block.type == "dialog")
    assert any(element.type == "image" for element in _elements(dialog)), "no QR code in the share dialog"


def _elements(node):
    for child in (getattr(node, "children", None) or {}).values():
        yield child
        yield from _elements(child)


@contextlib.contextmanager
def patched_option(name: str, value):
    import streamlit as st

    before = st.get_option(name)
    st.config.set_option(name, value)
    try:
        yield
    finally:
        st.config.set_option(name, before)


def test_on_a_dark_page_the_marks_drawn_in_black_turn_light():
    """The normalization maps mark the followed cell in black, and rule a line between sentences in
    near black: on the dark page both (and the cell's legend box) vanished. They turn light; data
    colours stay."""
    categories = torch.tensor([[[0, 1], [2, 3]], [[4, 1], [3, 0]]])
    rows = ["s1 t0", "s1 t1", "s2 t0", "s2 t1"]
    fig = figures.for_dark_theme(figures.norm_cells_figure(categories, rows, "BatchNorm"))
    paper = figures.DARK["paper"]
    legend = {trace.name: trace.marker.color for trace in fig.data if trace.type == "scatter"}
    cell = fig.data[0].colorscale[-1][1]  # the last category: the cell being normalized
    assert contrast(legend["this cell"], paper) >= 3 and contrast(cell, paper) >= 3, (legend["this cell"], cell)
    assert legend["this cell"] == cell  # the legend's box is the cell's colour
    assert all(contrast(shape.line.color, paper) >= 3 for shape in fig.layout.shapes), fig.layout.shapes
    assert legend["averaged"] == figures.ALLOWED  # data colours stay
