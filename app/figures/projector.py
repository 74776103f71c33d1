"""A built figure made for a projector: text a back row reads, heights that fit the stage, the legend
and colour bar beside square cells, and the desk's sizes kept for a phone to put back (app/browser.js)."""

from __future__ import annotations

import re

import plotly.graph_objects as go

from app.figures.margins import GLYPH, longest, reserve_room
from app.figures.style import FONT

# readable from the back of a hall: text sizes, and the height of a figure under others on a projector
# (at most 540 px: whole above the fold of a 1080 px screen), of a small one beside the stage, and of
# the figure a view is about before the browser fits it to the screen (app/browser.js: to the bottom
# of the window, from where the stage starts)
PROJECTOR = {"font": 22, "ticks": 19, "title": 26, "height": 540, "small": 360, "main": 1000}
# px across a map of square cells gets at 1920 x 1080: beside the stage (the stage takes the rest), and
# under it (the page's whole width)
CELLS_WIDTH = {"small": 480, "under": 1850}


def cells_height(fig: go.Figure, top: int, across: int) -> int:
    """The height of a figure of square cells beside the stage (the grid of every head) or under it (the
    difference of two masks): as tall as filling its `across` px of width takes, so its maps and labels
    are not shrunk to a few px each by a fixed height; at least the usual small height, and at most a
    screen's (a map under the stage, scrolled to, fills the screen)."""
    x, y = fig.layout.xaxis.range, fig.layout.yaxis.range
    z = fig.data[0].z if fig.data and getattr(fig.data[0], "z", None) is not None else None
    if x and y:
        rows, columns = abs(y[0] - y[1]), abs(x[1] - x[0])
    elif z is not None and len(z):  # a heatmap on its own axes: one cell per value
        rows, columns = len(z), len(z[0])
    else:
        return PROJECTOR["small"]
    if fig.layout.yaxis.scaleanchor != "x":
        return PROJECTOR["small"]
    grown = PROJECTOR["ticks"] / FONT["size"]  # the margins' labels grew with the font
    width = across - ((fig.layout.margin.l or 80) + (fig.layout.margin.r or 20)) * grown
    plot = width * rows / columns
    return round(min(PROJECTOR["main"], max(PROJECTOR["small"], plot + top + (fig.layout.margin.b or 80) * grown)))


def for_projector(fig: go.Figure, role: str | None = None) -> go.Figure:
    """Presentation sizes: tick labels >= 19 px, larger text, titles and panel titles; at most 540
    px tall. `role` "main": the figure a view is about, marked so the browser fills the stage's
    height with it; "small": one beside the stage; "under": one under the stage, the page's width."""
    desk = desk_sizes(fig)
    top = round((fig.layout.margin.t or 60) * PROJECTOR["ticks"] / FONT["size"])  # labels and titles grew
    height = PROJECTOR["main"] if role == "main" else min(fig.layout.height or PROJECTOR["height"], PROJECTOR["height"])
    if role in CELLS_WIDTH:  # as tall as its square cells take; under the stage, never less than usual
        cells = cells_height(fig, top + PROJECTOR["title"], CELLS_WIDTH[role])
        height = max(height, cells) if role == "under" else cells
    fig.update_layout(font_size=PROJECTOR["font"], title_font_size=PROJECTOR["title"], height=height, margin_t=top)
    if fig.layout.title.subtitle.text:  # a thumbnail's parameters, an entropy bound: as large as body text
        fig.update_layout(title_subtitle_font_size=PROJECTOR["font"])
    fig.update_annotations(font_size=PROJECTOR["ticks"])
    for note in fig.layout.annotations:  # panel titles lifted over key labels that grew with their size
        if note.yshift:
            note.yshift = round(note.yshift * PROJECTOR["ticks"] / FONT["size"])
    fig.update_xaxes(tickfont_size=PROJECTOR["ticks"])
    fig.update_yaxes(tickfont_size=PROJECTOR["ticks"])
    if role == "main":
        bars = keys_beside(fig)
        fig.update_layout(meta={"desk": desk, "desk_bars": bars, "fill": height})
    elif role == "small" and ": " in (fig.layout.title.text or ""):  # a narrow column: the title on two lines
        desk["title.text"] = fig.layout.title.text
        fig.update_layout(title_text=fig.layout.title.text.replace(": ", ":<br>", 1), margin_t=top + PROJECTOR["title"])
        fig.update_layout(meta={"desk": desk})
    else:
        fig.update_layout(meta={"desk": desk})
    return reserve_room(fig)


def keys_beside(fig: go.Figure) -> dict | None:
    """The legend and a colour bar right of the plot, not under it: on a projector the screen's height
    goes to square cells (at 720 px, 24 rows of 19 px labels need all of it). A figure of panels with
    a colour bar each, or of cells that take the width they are given, keeps them where they are.
    Returns where the colour bars were, for Plotly.restyle (a phone puts them back: app/browser.js)."""
    bars = [k for k, trace in enumerate(fig.data) if trace.type == "heatmap" and trace.showscale is not False]
    bars = [k for k in bars if fig.data[k].colorbar.orientation == "h"]
    if len(bars) > 1 or not fig.layout.yaxis.scaleanchor:  # cells not square: the width is theirs
        return None
    moved = ("x", "xanchor", "xpad", "y", "yanchor", "len", "lenmode")
    desk = {  # Plotly.restyle's form: one value per colour bar
        "indices": bars,
        "restyle": {f"colorbar.{key}": [fig.data[k].colorbar[key] for k in bars] for key in moved},
    }
    font = fig.layout.font.size or FONT["size"]
    entries = [trace.name or "" for trace in fig.data if getattr(trace, "showlegend", False)]
    wide = GLYPH * font * longest(entries, 0) + 50 if entries else 0
    if entries:
        fig.update_layout(legend={"orientation": "v", "x": 1, "xanchor": "left", "y": 1, "yanchor": "top"})
    for bar in (fig.data[k] for k in bars):  # under the legend's entries, still lying (Plotly redraws a bar
        # turned upright by a restyle with its old ticks left behind, and a phone turns it back)
        below = (len(entries) * 1.6 * font + 3.2 * font + 20) / max(fig.layout.height, 1) if entries else 0.05
        bar.colorbar.update(x=1, xanchor="left", xpad=20, y=1 - below, yanchor="top", len=150, lenmode="pixels")
        wide = max(wide, 190)
    if wide:
        fig.update_layout(margin_b=10, margin_r=round(wide) + 10)
    return desk


def desk_sizes(fig: go.Figure) -> dict:
    """The sizes `for_projector` changes, as the figure had them, in Plotly.relayout's terms: app/browser.js
    puts them back on a phone, where a presentation link (a student opening the lecturer's) would
    bury the cells under projector-sized text. (A title is kept only where it changes: beside the stage.
    A view of one head keeps the title of the head the browser shows, not of the head sent.)"""
    layout = fig.layout
    legend = layout.legend
    sizes = {
        **{f"legend.{k}": legend[k] for k in ("orientation", "x", "xanchor", "y", "yanchor")},
        "font.size": layout.font.size,
        "title.font.size": layout.title.font.size,
        "title.subtitle.font.size": layout.title.subtitle.font.size,
        "height": layout.height,
        **{f"margin.{side}": layout.margin[side] for side in "lrtb"},
    }
    for k, note in enumerate(layout.annotations):
        sizes |= {f"annotations[{k}].font.size": note.font.size, f"annotations[{k}].yshift": note.yshift}
    axes = [name for name in layout.to_plotly_json() if re.fullmatch(r"[xy]axis\d*", name)]
    return sizes | {f"{name}.tickfont.size": layout[name].tickfont.size for name in axes}
