"""Line and bar charts: keys per query of a mask, and series across layers or depths."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

from app.figures.frame import frame_figure
from app.figures.margins import with_room
from app.figures.style import ALLOWED, EMPTY_ROW, SERIES, axis_label, new_figure, tick_labels


@with_room
def keys_per_query_figure(keys_per_query: torch.Tensor, q_tokens: list[str]) -> go.Figure:
    counts = keys_per_query.tolist()
    fig = new_figure(
        go.Bar(
            x=list(range(len(counts))),
            y=counts,
            marker_color=[ALLOWED if c else EMPTY_ROW for c in counts],
            text=[f"{c} key" if c == 1 else f"{c} keys" for c in counts],
            textposition="none",
            hovertemplate="query %{x}: %{text}<extra></extra>",
        )
    )
    return frame_figure(
        fig,
        "keys per query",
        300,
        top=50,
        x={"title": "query", **tick_labels([axis_label(t, k) for k, t in enumerate(q_tokens)])},
        y={"title": "keys it may attend"},
        bargap=0.1,
    )


@with_room
def lines_figure(
    series: dict[str, list[float]], x: list[int], *, title: str, x_title: str, y_title: str, log_y: bool = False
) -> go.Figure:
    """One line per named series, markers on, colour-blind-safe colours."""
    fig = new_figure(
        [
            go.Scatter(
                x=x,
                y=ys,
                name=name,
                mode="lines+markers",
                line={"color": SERIES[k % len(SERIES)], "width": 3},
                marker={"size": 8},
                hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>",
            )
            for k, (name, ys) in enumerate(series.items())
        ]
    )
    return frame_figure(
        fig,
        title,
        380,
        x={"title": x_title, "dtick": 1},
        y={"title": y_title, "type": "log" if log_y else "linear"},
        hovermode="x unified",
        # under the x axis's title, at the figure's foot (placed in the plot's fraction, it would
        # sit on that title at some heights)
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"},
        margin={"l": 10, "r": 10, "t": 60, "b": 100},
    )
