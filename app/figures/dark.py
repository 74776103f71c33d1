"""A built figure made for a dark page: the paper and the text change, the greys of what is not data
turn dark, the data's colours stay."""

from __future__ import annotations

import plotly.graph_objects as go

from app.figures.style import BLACK, BLOCKED, PAD_LABEL, PADDING_CELL, RULE

# Streamlit's paper and text; padding labels 7.8:1 on the paper; blocked and padding cells in dark greys
# (nothing that is not data may be the brightest thing on the page), still far from the dark end of
# Viridis (#440154)
DARK = {"paper": "#0E1117", "text": "#FAFAFA", "pad": "#A6A6A6", "blocked": "#5A5F6B", "padding": "#2E323B"}
# marks the light page draws in black or near black (the cell a normalization map follows, the rule
# between its sentences, the eighth line of a lines view): light on the dark paper, or they vanish
INKS = {BLACK: DARK["text"], RULE: "#BFBFBF"}


def for_dark_theme(fig: go.Figure) -> go.Figure:
    """Dark page: the background and the text change, the greys of what is not data (blocked and
    padding cells, in the maps, their legends and a blocked plot area) turn dark, and marks drawn in
    black turn light (INKS); data colours stay."""
    greys = {BLOCKED: DARK["blocked"], PADDING_CELL: DARK["padding"]}
    swap = {**greys, **INKS}
    recolour = lambda color: swap.get(color.upper(), color) if isinstance(color, str) else color  # noqa: E731
    for trace in fig.data:
        if getattr(trace, "colorscale", None) and trace.type == "heatmap":
            trace.colorscale = [[at, recolour(color)] for at, color in trace.colorscale]
        if trace.type == "scatter":  # a legend's box, a line
            trace.marker.color, trace.line.color = recolour(trace.marker.color), recolour(trace.line.color)
    for shape in fig.layout.shapes:  # rules drawn over the cells
        shape.line.color = recolour(shape.line.color)
    fig.update_layout(paper_bgcolor=DARK["paper"], font_color=DARK["text"])

    def lighter_padding(axis) -> None:  # the light page's dimmed padding grey is 4.2:1 on the dark paper
        if axis.ticktext:
            axis.ticktext = [str(label).replace(PAD_LABEL, DARK["pad"]) for label in axis.ticktext]

    fig.for_each_xaxis(lighter_padding)
    fig.for_each_yaxis(lighter_padding)
    fig.update_shapes(fillcolor=DARK["paper"], selector={"fillcolor": "white"})  # a grid's gaps: the paper
    if fig.layout.plot_bgcolor in (None, "white"):
        fig.update_layout(plot_bgcolor=DARK["paper"])
    elif fig.layout.plot_bgcolor.upper() in greys:  # the plot area shows through blocked (NaN) cells
        fig.update_layout(plot_bgcolor=greys[fig.layout.plot_bgcolor.upper()])
    return fig
