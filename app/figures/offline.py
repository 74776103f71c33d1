"""A figure list as one HTML file that works offline (a download, a lecture pack's slide)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from app.figures.style import HOME_ONLY


def standalone_html(
    figs: list[go.Figure], title: str, plotlyjs: bool | str = True, nav: str = "", caption: str = ""
) -> str:
    """One HTML file with every figure, in order, and plotly.js inside (works offline), or with
    plotlyjs="directory" a plotly.min.js beside it (a lecture pack shares one copy). `nav`: HTML
    of links above the title (a pack's Previous / Index / Next); `caption` under the title. The figure
    a view is about, made for a projector (its meta.fill), takes the window's height under them."""
    parts = [_figure_html(fig, plotlyjs if k == 0 else False) for k, fig in enumerate(figs)]
    under = f"<p>{html.escape(caption)}</p>" if caption else ""
    projector = any((fig.layout.meta or {}).get("fill") for fig in figs)  # text a back row reads, as in the app
    body = "font-family: sans-serif" + ("; font-size: 22px" if projector else "")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body style='{body}'>{nav}<h1>{html.escape(title)}</h1>{under}{''.join(parts)}</body></html>"
    )


FILLED = "calc(100vh - 11rem)"  # the window under the navigation, the title and a line of caption
# as wide as square cells of that height and their labels, legend and colour bar need: on a wide
# window the legend would otherwise stand at its far edge
FILLED_WIDTH = "min(100%, calc(100vh + 4rem))"


def _figure_html(fig: go.Figure, plotlyjs: bool | str) -> str:
    if (fig.layout.meta or {}).get("fill"):
        fig = go.Figure(fig).update_layout(height=None)  # the window's height, as in the app
        return fig.to_html(
            full_html=False,
            include_plotlyjs=plotlyjs,
            default_height=FILLED,
            default_width=FILLED_WIDTH if fig.layout.yaxis.scaleanchor else "100%",
            config={**HOME_ONLY, "responsive": True},
        )
    return fig.to_html(full_html=False, include_plotlyjs=plotlyjs, config=HOME_ONLY)
