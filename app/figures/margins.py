"""Room around the cells, estimated before Plotly draws: margins for labels from their glyph widths,
a legend's rows, and a colour bar's length under square cells. Plotly would make the room itself
(automargin), at the cost of drawing the figure twice."""

from __future__ import annotations

import functools
import html
import re

import plotly.graph_objects as go

from app.figures.style import FONT


def title_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """The top margin of a query x key figure: the title, then the keys' axis title and labels
    (Plotly makes room for an axis by itself, not for the title above it)."""
    return 62 + label_band(k_labels, font)


def label_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """How far the keys' axis title and labels slanted at 60 degrees reach above the plot: the
    longest label's slanted length and its glyph height, and the axis title's line."""
    return int(2.4 * font + 0.87 * GLYPH * font * longest(k_labels))


GLYPH = 0.62  # a character's width as a share of the font size, a little over the average (room to spare)
UPRIGHT_GLYPH = 0.55  # the same for upright labels beside the plot, where a phone has no width to spare


def longest(labels, default: int = 1) -> int:
    """Characters in the longest label as shown (markup and entities do not take room)."""
    return max((len(re.sub(r"<[^>]+>", "", html.unescape(str(label)))) for label in labels), default=default)


NUMBER_CHARS = 4  # a numeric axis's labels ("0.25", "1.5k"): Plotly picks them while drawing


FIGURE_WIDTH = 460  # px a figure is assumed to be wide (half a desk screen): where its legend wraps


def _legend_width(fig: go.Figure, layout: dict, left: float, top: float) -> float:
    """How wide a legend under the plot may be: the plot's width, which square cells narrow to
    columns x the height of a row of cells."""
    width = FIGURE_WIDTH - left - 10
    cells = next((trace.z for trace in fig.data if trace.type == "heatmap"), None)
    if cells is not None and layout.get("yaxis", {}).get("scaleanchor") and layout.get("height"):
        rows, cols = len(cells), len(cells[0])
        width = min(width, cols * (layout["height"] - top - 3 * FONT["size"]) / rows)
    return max(width, 1.0)


def _categories(fig: go.Figure, axis_name: str) -> list:
    """The category names an axis without tick text shows: its traces' x or y values, if text."""
    letter, suffix = axis_name[0], axis_name[5:]
    values = []
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) == letter + suffix:
            found = getattr(trace, letter, None)
            if found is not None and len(found) and isinstance(found[0], str):
                values += list(found)
    return values


def reserve_room(fig: go.Figure) -> go.Figure:
    """Margins that already hold what Plotly would make room for by itself (automargin): the query
    labels and axis titles on the left, slanted key labels past the right edge, a colour bar or a
    legend under the plot. Plotly then has nothing to push and draws the figure once; every push is a
    second full draw, on every page load and every change. Margins only
    grow; automargin stays on for what an estimate misses (a legend wrapping on a phone)."""
    layout = fig.layout.to_plotly_json()
    font = layout.get("font", {}).get("size", FONT["size"])
    margin = {"l": 10, "r": 10, "t": 60, "b": 10, **layout.get("margin", {})}
    left = right = bottom = 0.0
    for name, axis in layout.items():
        shown = isinstance(axis, dict) and axis.get("visible", True) and axis.get("showticklabels", True)
        if not (name.startswith(("xaxis", "yaxis")) and shown):
            continue
        tick = axis.get("tickfont", {}).get("size", font)
        chars = longest(axis.get("ticktext") or _categories(fig, name), NUMBER_CHARS)
        titled = bool((axis.get("title") or {}).get("text"))
        if name.startswith("yaxis"):
            left = max(left, UPRIGHT_GLYPH * tick * chars + 10 + (1.75 * font if titled else 0))
        elif axis.get("side") == "top" and axis.get("tickangle") == -60:
            right = max(right, 0.5 * GLYPH * tick * chars + 0.9 * tick + 4)  # the last label leans past the plot
    for trace in fig.data:
        if trace.type != "heatmap" or trace.showscale is False or trace.colorbar.orientation != "h":
            continue
        if trace.colorbar.y is None or trace.colorbar.y < 0:  # under the plot, not beside it
            titled = bool(trace.colorbar.title.text)
            bottom = max(bottom, (trace.colorbar.thickness or 30) + (1.5 * font if titled else 0) + 1.5 * font + 40)
    entries = [trace.name or "" for trace in fig.data if getattr(trace, "showlegend", False)]
    if layout.get("legend", {}).get("y", 1) < 0 and entries:
        across = _legend_width(fig, layout, margin["l"] + left, margin["t"])
        rows, room = 1, across
        for name in entries:  # Plotly fills a row left to right, an entry wider than what is left starts the next
            wide = GLYPH * font * len(name) + 44  # marker, gap, text
            rows, room = (rows, room - wide) if wide <= room or room == across else (rows + 1, across - wide)
        bottom = max(bottom, rows * 1.5 * font + 36)
    fig.layout.margin = {
        **margin,
        "l": max(margin["l"], round(left)),
        "r": max(margin["r"], round(right)),
        "b": max(margin["b"], round(bottom)),
    }
    return bar_under_cells(fig)


BAR_MAX = 200  # px: the longest colour bar under square cells, what a phone's plot area holds


def bar_under_cells(fig: go.Figure) -> go.Figure:
    """The colour bar under one map of square cells no longer than the cells are wide: on a wide
    screen the cells take the height they are given and leave the rest of the width empty, where a
    bar set as a share of the width would run on under nothing (left-aligned, as the cells are)."""
    layout, heatmaps = fig.layout, [trace for trace in fig.data if trace.type == "heatmap"]
    if len(heatmaps) != 1 or not layout.yaxis.scaleanchor or not layout.height:
        return fig
    bar = heatmaps[0].colorbar
    beside = any(getattr(trace, "showlegend", False) for trace in fig.data)  # a legend at a share of the width
    if heatmaps[0].showscale is False or bar.orientation != "h" or (bar.x or 0) != 0 or beside:
        return fig
    rows, cols = len(heatmaps[0].z), len(heatmaps[0].z[0])
    wide = (layout.height - layout.margin.t - layout.margin.b) * cols / rows
    bar.update(lenmode="pixels", len=round(min(BAR_MAX, max(wide, 100))))
    return fig


def with_room(build):
    """A figure builder whose figures leave it with their margins reserved (see reserve_room)."""

    @functools.wraps(build)
    def built(*args, **kwargs):
        return reserve_room(build(*args, **kwargs))

    return built
