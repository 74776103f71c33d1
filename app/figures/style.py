"""What every figure shares: the palette (Okabe-Ito, colour-blind safe, once), the template,
the layout of a heatmap of queries x keys and its one height rule, axis labels, and the restyling
for a projector and a dark page."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import html
import io
import re

import plotly.graph_objects as go
import plotly.io as pio
import torch
from PIL import Image

from app.text import visible

FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 15, "color": "#1a1a1a"}


# The palette, once: Okabe-Ito's colour-blind-safe colours, and greys for what is not data
ALLOWED, BLOCKED, EMPTY_ROW = "#0072B2", "#E6E6E6", "#D55E00"  # Okabe-Ito blue, light grey, vermillion


ONLY_A, ONLY_B = "#E69F00", "#56B4E9"  # orange, sky blue


GREEN, PINK, YELLOW, BLACK = "#009E73", "#CC79A7", "#F0E442", "#000000"  # the rest of Okabe-Ito


SERIES = [ALLOWED, ONLY_A, EMPTY_ROW, ONLY_B, GREEN, PINK, YELLOW, BLACK]  # lines, heads: in this order


PADDING_CELL, EDGE, RULE, PAD_LABEL = "#F5F5F5", "#999999", "#333333", "#8C8C8C"  # greys


_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "ticks": "", "automargin": True}


# What plotly_white gives our figures and no more: its defaults for every trace type cost ~20 ms
# of deep copy per figure here and double Plotly's own drawing time in the browser (measured).
TEMPLATE = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": SERIES,
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "modebar": {"orientation": "v"},  # down the right edge, never over the title
        "xaxis": _AXIS,
        "yaxis": _AXIS,
    }
)


# Ours is every new figure's template: Plotly's default ("plotly") is deep-copied into each go.Figure()
# and again by each layout change, only for frame_figure to replace it (0.6 of a framed figure's 1.5 ms).
pio.templates["attention-lab"] = TEMPLATE
pio.templates.default = "attention-lab"


_CHECKED = contextvars.ContextVar("figures_checked", default=True)


def new_figure(data=None, layout=None) -> go.Figure:
    """A go.Figure whose every property Plotly checks as it is set, unless built inside `unchecked()`."""
    return go.Figure(data, layout, _validate=_CHECKED.get())


@contextlib.contextmanager
def unchecked():
    """Figures built inside skip Plotly's checking of each property set on them (three quarters of a
    head's figure's cost): for a view's other heads, built by the same code as the head built checked
    just before, with only their values differing. The JSON is the same (tests/app/test_figures.py)."""
    token = _CHECKED.set(False)
    try:
        yield
    finally:
        _CHECKED.reset(token)


# colour bars lie under the plot: on a phone a bar beside it takes a quarter of the width
BAR_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top", "thickness": 12}


LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top"}


CELL_TEXT_LIMIT = 64  # hover text names both tokens up to this many tokens per axis


# a 1 px line between cells up to this many cells per axis: Plotly paints gapped cells one by one
# (30 of a 64 x 64 head's 70 ms in Chromium here), ungapped ones as one image
CELL_GAP_LIMIT = 32


HEATMAP_LIMIT = 256  # above this, the mask is sent as one PNG image (payload stays small)


IMAGE_LIMIT = 1024  # above this, the image is downsampled and says so


MAX_TICKS = 48


FIGURE_CELLS = 400_000  # weight cells one figure sends at most (1.6 MB as float32): a view stays under 5 MB


def chart_config(export_format: str = "png") -> dict:
    """Plotly config for a shown figure (app/figure_element.py): the modebar camera saves PNG or SVG at scale 2."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": export_format, "scale": 2}}


def axis_label(token: str, position: int, padding: bool = False) -> str:
    """Tick text: the token as text (HTML escaped, so '<img ...>' shows as typed; invisible characters
    named: app.text.visible), dimmed if the mask treats it as padding (a [PAD] token it attends is not)."""
    text = html.escape(visible(token, limit=16), quote=False)
    return f"<span style='color:{PAD_LABEL}'>{text}</span>" if padding else text


def shown(token: str) -> str:
    """A token in hover text: readable (see app.text.visible) and HTML escaped."""
    return html.escape(visible(token), quote=False)


def tick_labels(labels: list[str], values: list | None = None) -> dict:
    """Every label when they fit, else labels at a round step (1, 2, 5, 10, 20, 50, ...).
    `values` are the axis coordinates (positions by default, category names on a category axis)."""
    step = 1
    while len(labels) / step > MAX_TICKS:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    shown = list(range(0, len(labels), step))
    return {
        "tickmode": "array",
        "tickvals": [values[k] for k in shown] if values else shown,
        "ticktext": [labels[k] for k in shown],
    }


def heatmap_layout(
    fig: go.Figure,
    title: str,
    q_labels: list[str],
    k_labels: list[str],
    height: int,
    q_values: list | None = None,
    k_values: list | None = None,
    x: dict | None = None,
    y: dict | None = None,
    **layout,
) -> None:
    """The frame of a query x key figure: keys on top, queries down the side, square cells that
    hug the query labels (top left: the room a wide screen has left over goes to the right and the
    bottom, not between the labels and the cells). x, y and layout add to the axes and the layout."""
    xaxis = {"title": "keys (attended to)", "side": "top", "tickangle": -60, "showgrid": False, "zeroline": False}
    yaxis = {"title": "queries (attending)", "autorange": "reversed", "showgrid": False, "zeroline": False}
    hug = {"constrain": "domain"}
    frame_figure(
        fig,
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


def title_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """The top margin of a query x key figure: the title, then the keys' axis title and labels
    (Plotly makes room for an axis by itself, not for the title above it)."""
    return 62 + label_band(k_labels, font)


def label_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """How far the keys' axis title and labels slanted at 60 degrees reach above the plot: the
    longest label's slanted length and its glyph height, and the axis title's line."""
    return int(2.4 * font + 0.87 * GLYPH * font * _longest(k_labels))


GLYPH = 0.62  # a character's width as a share of the font size, a little over the average (room to spare)
UPRIGHT_GLYPH = 0.55  # the same for upright labels beside the plot, where a phone has no width to spare


def _longest(labels, default: int = 1) -> int:
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
    second full draw (20-30 ms per figure here, on every page load and every change). Margins only
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
        chars = _longest(axis.get("ticktext") or _categories(fig, name), NUMBER_CHARS)
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


def frame_figure(
    fig: go.Figure,
    title: str,
    height: int,
    top: int = 60,
    title_extra: dict | None = None,
    x: dict | None = None,
    y: dict | None = None,
    **layout,
) -> go.Figure:
    """Template, font, title and margins every figure shares (explicit: exports need them);
    x and y go to every x and y axis. One assignment, not update_layout / update_xaxes:
    Plotly's update path costs 5x more per figure."""
    current = fig.layout.to_plotly_json()  # what make_subplots placed: axes, subplot titles
    for letter, extra in (("x", x), ("y", y)):
        for name in [k for k in current if k.startswith(letter + "axis")] or [letter + "axis"]:
            current[name] = {**current.get(name, {}), **(extra or {})}
    fig.layout = {
        **current,
        "template": TEMPLATE,
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "title": {"text": html.escape(title, quote=False), "x": 0.01, **(title_extra or {})},
        **layout,
    }
    return fig


def categorical_heatmap(z: torch.Tensor, colors: list[str], names: list[str], hover) -> go.Heatmap:
    """A heatmap of small integer categories with one flat colour each (named in a legend:
    a legend wraps its entries on a narrow screen, a colour bar's labels pile up)."""
    n = len(colors)
    scale = []
    for k, color in enumerate(colors):
        scale += [[k / n, color], [(k + 1) / n, color]]
    return go.Heatmap(
        z=z.to(torch.uint8).numpy(),
        zmin=-0.5,
        zmax=n - 0.5,
        colorscale=scale,
        xgap=1 if max(z.shape) <= CELL_GAP_LIMIT else 0,
        ygap=1 if max(z.shape) <= CELL_GAP_LIMIT else 0,
        showscale=False,
        text=hover,
        hoverinfo="text" if hover is not None else "x+y+z",
        hovertemplate=None if hover is not None else "query %{y}, key %{x}<extra></extra>",
    )


def image_trace(z: torch.Tensor, colors: list[str]) -> tuple[go.Image, str | None]:
    """The categories as one PNG: a few KB even at 4096 x 4096. Above IMAGE_LIMIT each pixel
    is a square block, coloured by the mix of its cells' categories (a block's shade shows it)."""
    palette = torch.tensor([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=torch.float32)
    factor = -(-max(z.shape) // IMAGE_LIMIT)
    note = None
    if factor == 1:
        rgb = palette[z.long()]
    else:
        rows, cols = -(-z.shape[0] // factor), -(-z.shape[1] // factor)
        padded = z
        if z.shape != (rows * factor, cols * factor):  # edge blocks: pad with category 0, not counted below
            padded = torch.zeros((rows * factor, cols * factor), dtype=torch.uint8)
            padded[: z.shape[0], : z.shape[1]] = z
        counts = [_block_sums(padded == c, factor) for c in range(1, len(colors))]
        in_rows = (z.shape[0] - factor * torch.arange(rows)).clamp(max=factor)
        in_cols = (z.shape[1] - factor * torch.arange(cols)).clamp(max=factor)
        cells = in_rows[:, None] * in_cols[None, :]  # real cells per block (edge blocks have fewer)
        counts = torch.stack([cells - sum(counts), *counts], dim=-1).float()
        rgb = counts / counts.sum(dim=-1, keepdim=True) @ palette
        note = f"downsampled {factor}x: each pixel is a {factor} x {factor} block, its shade the mix"
    buffer = io.BytesIO()
    Image.fromarray(rgb.round().to(torch.uint8).numpy()).save(buffer, format="PNG", compress_level=3)
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    offset = (factor - 1) / 2  # pixel centres sit in the middle of their blocks
    image = go.Image(source=source, x0=offset, dx=factor, y0=offset, dy=factor, hoverinfo="x+y")
    return image, note


def _block_sums(cells: torch.Tensor, factor: int) -> torch.Tensor:
    """Sums over factor x factor blocks: the block's rows added as whole contiguous rows first,
    then runs of `factor` (2x faster than the other order, 4x faster than strided sums)."""
    rows, cols = cells.shape[0] // factor, cells.shape[1] // factor
    stacked = cells.view(rows, factor, cols * factor)
    total = stacked[:, 0].to(torch.int16)
    for k in range(1, factor):
        total += stacked[:, k]
    return total.view(rows, cols, factor).sum(dim=-1, dtype=torch.int16)


def legend_traces(colors: list[str], names: list[str], present: set[int] | None = None) -> list[go.Scatter]:
    """Legend entries, one per category in `present` (default: all), as a box with a thin edge
    (the light grey shows on white): a legend names only what the figure shows."""
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"size": 14, "color": c, "symbol": "square", "line": {"color": EDGE, "width": 1}},
            name=n,
            showlegend=True,
            hoverinfo="skip",
        )
        for k, (c, n) in enumerate(zip(colors, names, strict=True))
        if present is None or k in present
    ]


def heatmap_height(rows: int) -> int:
    """One height rule for query x key figures: the title and key labels above, the colour bar below,
    and cells of about 36 px between them, within 480 .. 950 px."""
    return min(950, max(480, 200 + 36 * rows))


# readable from the back of a hall: text sizes, and the height of a figure under others on a projector
# (at most 540 px: whole above the fold of a 1080 px screen), of a small one beside the stage, and of
# the figure a view is about before the browser fits it to the screen (app/browser.js: to the bottom
# of the window, from where the stage starts)
PROJECTOR = {"font": 22, "ticks": 19, "title": 26, "height": 540, "small": 360, "main": 1000}
BESIDE_WIDTH = 480  # px a figure beside the stage gets at 1920 x 1080 (the stage takes the rest)


def beside_height(fig: go.Figure, top: int) -> int:
    """The height of a figure of square cells (the grid of every head) beside the stage: as tall as
    filling the column's width takes, so its maps and labels are not shrunk to a thumbnail by a
    fixed height (360 px left a 30 x 9 grid's maps 11 px each); at least the usual small height."""
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
    width = BESIDE_WIDTH - ((fig.layout.margin.l or 80) + (fig.layout.margin.r or 20)) * grown
    plot = width * rows / columns
    return round(min(PROJECTOR["main"], max(PROJECTOR["small"], plot + top + (fig.layout.margin.b or 80) * grown)))


def for_projector(fig: go.Figure, role: str | None = None) -> go.Figure:
    """Presentation sizes: tick labels >= 19 px, larger text, titles and panel titles; at most 540
    px tall. `role` "main": the figure a view is about, marked so the browser fills the stage's
    height with it; "small": one beside the stage."""
    desk = desk_sizes(fig)
    top = round((fig.layout.margin.t or 60) * PROJECTOR["ticks"] / FONT["size"])  # labels and titles grew
    height = PROJECTOR[role] if role else min(fig.layout.height or PROJECTOR["height"], PROJECTOR["height"])
    if role == "small":
        height = beside_height(fig, top + PROJECTOR["title"])
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
    wide = GLYPH * font * _longest(entries, 0) + 50 if entries else 0
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
    """What `for_projector` changes, as the figure had it, in Plotly.relayout's terms: app/browser.js
    puts it back on a phone, where a presentation link (a student opening the lecturer's) would
    bury the cells under projector-sized text."""
    layout = fig.layout
    legend = layout.legend
    sizes = {
        **{f"legend.{k}": legend[k] for k in ("orientation", "x", "xanchor", "y", "yanchor")},
        "font.size": layout.font.size,
        "title.text": layout.title.text,  # a small figure's title goes on two lines beside the stage
        "title.font.size": layout.title.font.size,
        "title.subtitle.font.size": layout.title.subtitle.font.size,
        "height": layout.height,
        **{f"margin.{side}": layout.margin[side] for side in "lrtb"},
    }
    for k, note in enumerate(layout.annotations):
        sizes |= {f"annotations[{k}].font.size": note.font.size, f"annotations[{k}].yshift": note.yshift}
    axes = [name for name in layout.to_plotly_json() if re.fullmatch(r"[xy]axis\d*", name)]
    return sizes | {f"{name}.tickfont.size": layout[name].tickfont.size for name in axes}


# Streamlit's paper and text; padding labels 7.8:1 on the paper; blocked and padding cells in dark greys
# (light grey was the brightest thing on a dark page), still far from the dark end of Viridis (#440154)
DARK = {"paper": "#0E1117", "text": "#FAFAFA", "pad": "#A6A6A6", "blocked": "#5A5F6B", "padding": "#2E323B"}


def for_dark_theme(fig: go.Figure) -> go.Figure:
    """Dark page: the background and the text change, and the greys of what is not data (blocked and
    padding cells, in the maps, their legends and a blocked plot area) turn dark; data colours stay."""
    greys = {BLOCKED: DARK["blocked"], PADDING_CELL: DARK["padding"]}
    for trace in fig.data:
        if getattr(trace, "colorscale", None) and trace.type == "heatmap":
            trace.colorscale = [[at, greys.get(color.upper(), color)] for at, color in trace.colorscale]
        if trace.type == "scatter" and isinstance(trace.marker.color, str):  # a legend's box
            trace.marker.color = greys.get(trace.marker.color.upper(), trace.marker.color)
    fig.update_layout(paper_bgcolor=DARK["paper"], font_color=DARK["text"])

    def lighter_padding(axis) -> None:  # the light page's dimmed padding grey is 5.6:1 on the dark paper
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
