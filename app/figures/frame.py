"""The frame of a figure: template, font, title and margins every figure shares, and a heatmap of
queries x keys laid out in it (keys on top, square cells, one height rule, colour bar and legend
under the cells)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from app.figures.margins import title_band
from app.figures.style import FONT, TEMPLATE, checked, tick_labels

# colour bars lie under the plot: on a phone a bar beside it takes a quarter of the width
BAR_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top", "thickness": 12}


LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top"}


def heatmap_frame(
    title: str,
    q_labels: list[str],
    k_labels: list[str],
    height: int,
    q_values: list | None = None,
    k_values: list | None = None,
    x: dict | None = None,
    y: dict | None = None,
    **layout,
) -> dict:
    """The layout of a query x key figure: keys on top, queries down the side, square cells that
    hug the query labels (top left: the room a wide screen has left over goes to the right and the
    bottom, not between the labels and the cells). x, y and layout add to the axes and the layout."""
    # titles as Plotly stores them: a figure built unchecked (style.plain_figure) sends them as written
    plain = {"showgrid": False, "zeroline": False}
    xaxis = {"title": {"text": "keys (attended to)"}, "side": "top", "tickangle": -60, **plain}
    yaxis = {"title": {"text": "queries (attending)"}, "autorange": "reversed", **plain}
    hug = {"constrain": "domain"}
    return framed_layout(
        {},
        title,
        height,
        top=title_band(k_labels),
        title_extra={"y": 0.99, "yref": "container", "yanchor": "top", "font": {"size": 18}},
        x={**xaxis, **hug, "constraintoward": "left", **tick_labels(k_labels, k_values), **(x or {})},
        y={
            **yaxis,
            **hug,
            "constraintoward": "top",
            "scaleanchor": "x",
            **tick_labels(q_labels, q_values),
            **(y or {}),
        },
        **{"plot_bgcolor": "white", **layout},
    )


def heatmap_height(rows: int) -> int:
    """One height rule for query x key figures: the title and key labels above, the colour bar below,
    and cells of about 36 px between them, within 480 .. 950 px."""
    return min(950, max(480, 200 + 36 * rows))


def title_text(title: str) -> str:
    """A title as Plotly gets it: its text, not HTML (Plotly reads a few tags in titles)."""
    return html.escape(title, quote=False)


def framed_layout(
    current: dict,
    title: str,
    height: int,
    top: int = 60,
    title_extra: dict | None = None,
    x: dict | None = None,
    y: dict | None = None,
    **layout,
) -> dict:
    """`current` (a layout as a dict: the axes a grid of panels placed) with the template, font,
    title and margins every figure shares (explicit: exports need them); x and y go to every x and
    y axis."""
    current = dict(current)
    for letter, extra in (("x", x), ("y", y)):
        for name in [k for k in current if k.startswith(letter + "axis")] or [letter + "axis"]:
            current[name] = {**current.get(name, {}), **(extra or {})}
    return {
        **current,
        "template": TEMPLATE,
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "title": {"text": title_text(title), "x": 0.01, **(title_extra or {})},
        **layout,
    }


def frame_figure(fig: go.Figure, title: str, height: int, **frame) -> go.Figure:
    """`fig` framed (see framed_layout) in one assignment, not update_layout / update_xaxes:
    Plotly's update path checks and copies the layout at every call."""
    framed = framed_layout(fig.layout.to_plotly_json(), title, height, **frame)
    if checked():
        fig.layout = framed  # Plotly checks every property assigned
    else:  # the layout setter would check all the same: an update keeps the unchecked layout's setting
        fig.layout.update(framed, overwrite=True)
    return fig
