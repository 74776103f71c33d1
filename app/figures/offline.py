"""A figure list as one HTML file that works offline (a download, a lecture pack's slide)."""

from __future__ import annotations

import html

import plotly.graph_objects as go


def standalone_html(
    figs: list[go.Figure], title: str, plotlyjs: bool | str = True, nav: str = "", caption: str = ""
) -> str:
    """One HTML file with every figure, in order, and plotly.js inside (works offline), or with
    plotlyjs="directory" a plotly.min.js beside it (a lecture pack shares one copy). `nav`: HTML
    of links above the title (a pack's Previous / Index / Next); `caption` under the title."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=plotlyjs if k == 0 else False) for k, fig in enumerate(figs)]
    under = f"<p>{html.escape(caption)}</p>" if caption else ""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body style='font-family: sans-serif'>{nav}<h1>{html.escape(title)}</h1>{under}{''.join(parts)}</body></html>"
    )
