"""Figure builders: tensors and labels in, a Plotly figure out. No Streamlit here.

Every figure has an explicit template and colours (Streamlit's default template only works
inside Streamlit, so exports would come out wrong) and colour-blind-safe colours (Okabe-Ito).
Blocked cells get their own colour, never the low end of a continuous scale.
"""

from __future__ import annotations

import base64
import html
import io
import re

import plotly.graph_objects as go
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
# colour bars lie under the plot: on a phone a bar beside it takes a quarter of the width
BAR_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top", "thickness": 12}
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top"}

CELL_TEXT_LIMIT = 64  # hover text names both tokens up to this many tokens per axis
HEATMAP_LIMIT = 256  # above this, the mask is sent as one PNG image (payload stays small)
IMAGE_LIMIT = 1024  # above this, the image is downsampled and says so
MAX_TICKS = 48
FIGURE_CELLS = 400_000  # weight cells one figure sends at most (1.6 MB as float32): a view stays under 5 MB


def chart_config(export_format: str = "png") -> dict:
    """Plotly config for st.plotly_chart: the modebar camera saves PNG or SVG at scale 2."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": export_format, "scale": 2}}


def axis_label(token: str, position: int, padding: bool = False) -> str:
    """Tick text: the token as text (HTML escaped, so '<img ...>' shows as typed; invisible characters
    named: app.text.visible), dimmed if padding."""
    text = html.escape(visible(token, limit=16), quote=False)
    return f"<span style='color:{PAD_LABEL}'>{text}·pad</span>" if padding else text


def shown(token: str) -> str:
    """A token in hover text: readable (see app.text.visible) and HTML escaped."""
    return html.escape(visible(token), quote=False)


def _ticks(labels: list[str], values: list | None = None) -> dict:
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


def _layout(
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
    _frame(
        fig,
        title,
        height,
        top=_title_band(k_labels),
        title_extra={"y": 0.99, "yref": "container", "yanchor": "top", "font": {"size": 18}},
        x={**xaxis, **hug, "constraintoward": "left", **_ticks(k_labels, k_values), **(x or {})},
        y={**yaxis, **hug, "constraintoward": "top", "scaleanchor": "x", **_ticks(q_labels, q_values), **(y or {})},
        **{"plot_bgcolor": "white", **layout},
    )


def _title_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """The top margin of a query x key figure: the title, then the keys' axis title and labels
    (Plotly makes room for an axis by itself, not for the title above it)."""
    return 62 + _label_band(k_labels, font)


def _label_band(k_labels: list[str], font: float = FONT["size"]) -> int:
    """How far the keys' axis title and labels slanted at 60 degrees reach above the plot: the
    longest label's slanted length and its glyph height, and the axis title's line."""
    longest = max((len(re.sub(r"<[^>]+>", "", html.unescape(label))) for label in k_labels), default=1)
    return int(2.4 * font + 0.87 * 0.62 * font * longest)


def _frame(
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


def _categorical(z: torch.Tensor, colors: list[str], names: list[str], hover) -> go.Heatmap:
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
        xgap=1 if z.shape[1] <= CELL_TEXT_LIMIT else 0,
        ygap=1 if z.shape[0] <= CELL_TEXT_LIMIT else 0,
        showscale=False,
        text=hover,
        hoverinfo="text" if hover is not None else "x+y+z",
        hovertemplate=None if hover is not None else "query %{y}, key %{x}<extra></extra>",
    )


def _image(z: torch.Tensor, colors: list[str]) -> tuple[go.Image, str | None]:
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


def _legend_traces(colors: list[str], names: list[str], present: set[int] | None = None) -> list[go.Scatter]:
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


def category_figure(
    z: torch.Tensor,
    colors: list[str],
    names: list[str],
    q_labels: list[str],
    k_labels: list[str],
    *,
    title: str,
    hover: list[list[str]] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Cells coloured by category z (0 .. len(colors) - 1); heatmap, or image when large."""
    q_len, kv_len = z.shape
    height = height or heatmap_height(q_len)
    legend = _legend_traces(colors, names, set(z.unique().tolist()))
    if max(q_len, kv_len) <= HEATMAP_LIMIT:
        fig = go.Figure([_categorical(z, colors, names, hover), *legend])
        _layout(fig, title, q_labels, k_labels, height, legend=LEGEND_BELOW)
        return fig
    image, note = _image(z, colors)
    fig = go.Figure([image, *legend])
    _layout(
        fig,
        f"{title} ({note})" if note else title,
        q_labels,
        k_labels,
        height,
        x={"range": [-0.5, kv_len - 0.5]},
        y={"range": [q_len - 0.5, -0.5]},
        legend=LEGEND_BELOW,
    )
    return fig


def heatmap_height(rows: int) -> int:
    """One height rule for query x key figures: the title and key labels above, the colour bar below,
    and cells of about 36 px between them, within 480 .. 950 px."""
    return min(950, max(480, 200 + 36 * rows))


def mask_figure(
    mask: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    blockers: list[tuple[str, torch.Tensor]] = (),
    pad_queries: list[int] = (),
    pad_keys: list[int] = (),
    height: int | None = None,
) -> go.Figure:
    """A mask: allowed, blocked, and rows with no allowed key in a colour of their own.

    blockers: (name, mask) of each part of a combination, so hover can say which part
    blocks a cell.
    """
    empty = ~mask.any(dim=1)
    z = mask.to(torch.uint8)  # 0 blocked, 1 allowed, 2 a row with no allowed key
    z[empty] = 2
    q_labels = [axis_label(t, k, k in set(pad_queries)) for k, t in enumerate(q_tokens)]
    k_labels = [axis_label(t, k, k in set(pad_keys)) for k, t in enumerate(k_tokens)]
    hover = None
    if max(mask.shape) <= CELL_TEXT_LIMIT:
        hover = _mask_hover(mask, q_tokens, k_tokens, blockers)
    fig = category_figure(
        z,
        [BLOCKED, ALLOWED, EMPTY_ROW],
        ["blocked", "allowed", "no key"],
        q_labels,
        k_labels,
        title=title,
        hover=hover,
        height=height,
    )
    _flag_empty_rows(fig, mask, "∅ no key")
    return fig


def _mask_hover(mask, q_tokens, k_tokens, blockers) -> list[list[str]]:
    def q_text(i):
        return f"query '{shown(q_tokens[i])}' ({i})"

    rows = []
    for i in range(mask.shape[0]):
        row = []
        for j in range(mask.shape[1]):
            key = f"key '{shown(k_tokens[j])}' ({j})"
            if mask[i, j]:
                state = "allowed"
            else:
                by = [name for name, part in blockers if not part[i, j]]
                state = f"blocked ({', '.join(by)})" if by else "blocked"
            row.append(f"{q_text(i)} → {key}: {state}")
        rows.append(row)
    return rows


def _flag_empty_rows(fig: go.Figure, mask: torch.Tensor, text: str) -> None:
    """Write `text` at the right end of each row with no allowed key (readable sizes only)."""
    if max(mask.shape) > CELL_TEXT_LIMIT:
        return
    rows = (~mask.any(dim=1)).nonzero().flatten().tolist()
    if not rows:
        return
    flags = [
        {
            "x": mask.shape[1] - 0.5,
            "y": row,
            "text": text,
            "xanchor": "left",
            "showarrow": False,
            "font": {"color": EMPTY_ROW, "size": 13},
        }
        for row in rows
    ]
    fig.layout.annotations = [*fig.layout.annotations, *flags]
    fig.layout.margin.r = 64  # short: on a phone every pixel of width is the grid's
    # Plotly widens an autoranged axis to hold its annotations: the grid would shrink to make room
    fig.layout.xaxis.range = [-0.5, mask.shape[1] - 0.5]
    fig.layout.yaxis.update(range=[mask.shape[0] - 0.5, -0.5], autorange=False)


def difference_figure(a, b, q_tokens, k_tokens, *, name_a: str, name_b: str) -> go.Figure:
    """Where two masks differ: only in A, only in B, in both, in neither."""
    z = a.to(torch.uint8) + 2 * b.to(torch.uint8)  # 0 neither, 1 only A, 2 only B, 3 both
    labels = [[axis_label(t, k) for k, t in enumerate(tokens)] for tokens in (q_tokens, k_tokens)]
    hover = None
    if max(a.shape) <= CELL_TEXT_LIMIT:
        words = ["neither", "only in A", "only in B", "both"]
        hover = [
            [
                f"query '{shown(q_tokens[i])}' ({i}) → key '{shown(k_tokens[j])}' ({j}): {words[int(z[i, j])]}"
                for j in range(a.shape[1])
            ]
            for i in range(a.shape[0])
        ]
    return category_figure(
        z,
        [BLOCKED, ONLY_A, ONLY_B, ALLOWED],
        ["neither", "only A", "only B", "both"],
        *labels,
        title=f"difference: A = {name_a}, B = {name_b}",
        hover=hover,
    )


def thumbnail(mask: torch.Tensor, title: str, subtitle: str = "") -> go.Figure:
    """A small gallery heatmap, no axes text, same colours as the full view; `subtitle` (the
    parameters) on a line of its own, where a quarter of a screen has room for it."""
    empty = ~mask.any(dim=1)
    z = mask.to(torch.uint8)
    z[empty] = 2
    fig = go.Figure(
        go.Heatmap(
            z=z.numpy(),
            zmin=-0.5,
            zmax=2.5,
            showscale=False,
            xgap=1,
            ygap=1,
            hoverinfo="skip",
            colorscale=[
                [0, BLOCKED],
                [1 / 3, BLOCKED],
                [1 / 3, ALLOWED],
                [2 / 3, ALLOWED],
                [2 / 3, EMPTY_ROW],
                [1, EMPTY_ROW],
            ],
        )
    )
    return _frame(
        fig,
        title,
        250,
        title_extra={
            "font": {"size": 14},
            "x": 0.02,
            "subtitle": {"text": html.escape(subtitle, quote=False), "font": {"size": 12}},
        },
        x={"visible": False},
        y={"visible": False, "autorange": "reversed", "scaleanchor": "x"},
        margin={"l": 4, "r": 4, "t": 54, "b": 4},
    )


def keys_per_query_figure(keys_per_query: torch.Tensor, q_tokens: list[str]) -> go.Figure:
    counts = keys_per_query.tolist()
    fig = go.Figure(
        go.Bar(
            x=list(range(len(counts))),
            y=counts,
            marker_color=[ALLOWED if c else EMPTY_ROW for c in counts],
            text=[f"{c} key" if c == 1 else f"{c} keys" for c in counts],
            textposition="none",
            hovertemplate="query %{x}: %{text}<extra></extra>",
        )
    )
    return _frame(
        fig,
        "keys per query",
        300,
        top=50,
        x={"title": "query", **_ticks([axis_label(t, k) for k, t in enumerate(q_tokens)])},
        y={"title": "keys it may attend"},
        bargap=0.1,
    )


def norm_cells_figure(categories: torch.Tensor, row_labels: list[str], title: str) -> go.Figure:
    """The (B, T, C) block drawn flat: one row per (sentence, position), one column per feature;
    categories: 0 not averaged, 1 averaged, 2 a padding cell that is averaged (the leak),
    3 padding not averaged, 4 the cell being normalized."""
    B, T, C = categories.shape
    z = categories.reshape(B * T, C)
    fig = category_figure(
        z,
        [BLOCKED, ALLOWED, EMPTY_ROW, PADDING_CELL, BLACK],
        ["not averaged", "averaged", "padding, averaged", "padding", "this cell"],
        row_labels,
        [f"f{c}" for c in range(C)],
        title=title,
        height=min(900, 200 + 16 * B * T),
    )
    for b in range(1, B):  # a line between sentences
        fig.add_hline(y=b * T - 0.5, line_color=RULE, line_width=2)
    fig.update_xaxes(title="features")
    fig.update_yaxes(title="sentence s, position t", scaleanchor=None)
    return fig


def lines_figure(
    series: dict[str, list[float]], x: list[int], *, title: str, x_title: str, y_title: str, log_y: bool = False
) -> go.Figure:
    """One line per named series, markers on, colour-blind-safe colours."""
    fig = go.Figure(
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
    return _frame(
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


WEIGHT_SCALE = "Viridis"  # sequential, colour-blind safe; blocked cells are not on it at all


def shrink_factor(cells: int, budget: int) -> int:
    """The smallest block side f such that cells / f^2 fits in `budget`."""
    factor = 1
    while cells > budget * factor * factor:
        factor += 1
    return factor


def _block_means(z: torch.Tensor, factor: int) -> torch.Tensor:
    """Means over factor x factor blocks, NaN (blocked) cells left out; a block with no allowed
    cell stays NaN, so it still shows as blocked."""
    rows, cols = -(-z.shape[0] // factor), -(-z.shape[1] // factor)
    padded = torch.full((rows * factor, cols * factor), float("nan"))
    padded[: z.shape[0], : z.shape[1]] = z
    return padded.view(rows, factor, cols, factor).nanmean(dim=(1, 3))


def _downsampled(title: str, factor: int) -> str:
    note = f"downsampled {factor}x: each cell the mean of a {factor} x {factor} block"
    return title if factor == 1 else f"{title} ({note})"


def weights_trace(
    weights: torch.Tensor,
    mask: torch.Tensor,
    *,
    factor: int = 1,
    zmax: float = 1.0,
    showscale=True,
    colorscale=WEIGHT_SCALE,
    zmid=None,
    x=None,
    y=None,
    hovertemplate=None,
    text=None,
    colorbar: dict | None = None,
) -> go.Heatmap:
    """Allowed cells on the colour scale; blocked cells left empty, so the grey background shows:
    a blocked cell never looks like a small weight. `factor` > 1 sends block means instead of cells
    (positions stay token positions; only for figures without category axes)."""
    z = weights.float().masked_fill(~mask, float("nan"))
    if factor > 1:
        z = _block_means(z, factor)
    small = max(weights.shape) <= CELL_TEXT_LIMIT
    place = {} if factor == 1 else {"x0": (factor - 1) / 2, "dx": factor, "y0": (factor - 1) / 2, "dy": factor}
    return go.Heatmap(
        z=z.numpy(),
        x=x,
        y=y,
        **place,
        zmin=-zmax if zmid is not None else 0.0,
        zmax=zmax,
        zmid=zmid,
        colorscale=colorscale,
        showscale=showscale,
        hoverongaps=text is not None,  # with text, a blocked cell says what blocked it
        hovertemplate=hovertemplate,
        text=text,
        colorbar={**BAR_BELOW, "len": 0.5, "title": {"text": "weight" if zmid is None else "score", "side": "top"}}
        | (colorbar or {}),
        xgap=1 if small else 0,
        ygap=1 if small else 0,
    )


def _blocked_legend() -> go.Scatter:
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        name="blocked (masked)",
        showlegend=True,
        marker={"size": 14, "color": BLOCKED, "symbol": "square", "line": {"color": EDGE, "width": 1}},
    )


def _named(tokens: list[str]) -> list[str]:
    """Unique category names 'token (position)': hover reads them, no text per cell is sent."""
    return [f"{shown(t)} ({k})" for k, t in enumerate(tokens)]


def attention_figure(
    weights: torch.Tensor,
    mask: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    mask_name: str = "the mask",
    height: int | None = None,
) -> go.Figure:
    """One head (Q, K): weights on Viridis, blocked cells grey, rows with no allowed key flagged.
    Hover names the query token, the key token and the weight, or what blocked the cell."""
    q_names, k_names = _named(q_tokens), _named(k_tokens)
    text = None
    if max(mask.shape) <= CELL_TEXT_LIMIT:
        blocked = f"blocked by {html.escape(mask_name, quote=False)}"
        text = [
            [f"weight {w:.3f}" if ok else blocked for w, ok in zip(row, allowed, strict=True)]
            for row, allowed in zip(weights.tolist(), mask.tolist(), strict=True)
        ]
    trace = weights_trace(
        weights,
        mask,
        x=k_names,
        y=q_names,
        text=text,
        hovertemplate="query %{y} → key %{x}: " + ("%{text}" if text else "weight %{z:.3f}") + "<extra></extra>",
    )
    fig = go.Figure([trace, _blocked_legend()])
    _layout(
        fig,
        title,
        [axis_label(t, k) for k, t in enumerate(q_tokens)],
        [axis_label(t, k) for k, t in enumerate(k_tokens)],
        height or heatmap_height(len(q_tokens)),
        q_values=q_names,
        k_values=k_names,
        # the plot area hugs the cells: grey outside them would read as blocked cells
        x={"type": "category", "constrain": "domain"},
        y={"type": "category", "constrain": "domain"},
        plot_bgcolor=BLOCKED,
        legend={**LEGEND_BELOW, "x": 0.55},  # beside the colour bar (len 0.5), not on its title
    )
    _flag_empty_rows(fig, mask, "∅ no key")
    return fig


def _grid(rows: int, cols: int, *, gap_x: float, gap_y: float = 0.0, col_titles=(), row_titles=()) -> dict:
    """The layout make_subplots builds for a rows x cols grid (cell k = row * cols + col, row 0 on
    top, titles as annotations) at a fraction of its cost: it was 30% of an attention page run.
    Cells are square (a query x key map keeps its shape however wide the screen), centred in their
    slots; titles are placed on the cells themselves, so they stay beside them."""
    width, height = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    xs = [(c * (width + gap_x), c * (width + gap_x) + width) for c in range(cols)]
    ys = [(max(0.0, 1 - r * (height + gap_y) - height), 1 - r * (height + gap_y)) for r in range(rows)]  # no -1e-17
    layout = {}
    for k in range(rows * cols):
        n = _cell_suffix(k)
        layout[f"xaxis{n}"] = {"anchor": f"y{n}", "domain": xs[k % cols], "constrain": "domain"}
        layout[f"yaxis{n}"] = {
            "anchor": f"x{n}",
            "domain": ys[k // cols],
            "constrain": "domain",
            "scaleanchor": f"x{n}",
        }
    title = {"font": {"size": 16}, "showarrow": False}

    def on(k: int) -> dict:
        return {"xref": f"x{_cell_suffix(k)} domain", "yref": f"y{_cell_suffix(k)} domain"}

    on_top = {"x": 0.5, "xanchor": "center", "y": 1.0, "yanchor": "bottom"}
    # row titles down the left edge: the right edge is the modebar's
    on_left = {"textangle": -90, "x": 0, "xanchor": "right", "xshift": -4, "y": 0.5, "yanchor": "middle"}
    layout["annotations"] = [{**title, **on(c), **on_top, "text": t} for c, t in enumerate(col_titles)] + [
        {**title, **on(r * cols), **on_left, "text": t} for r, t in enumerate(row_titles)
    ]
    return layout


def _cell_suffix(k: int) -> str:
    """Axis names of grid cell k: x, y for the first, x2, y2 for the second, ..."""
    return "" if k == 0 else str(k + 1)


def _in_cell(trace, k: int):
    trace.update(xaxis=f"x{_cell_suffix(k)}", yaxis=f"y{_cell_suffix(k)}")
    return trace


def grid_figure(
    weights: torch.Tensor,
    mask: torch.Tensor,
    *,
    title: str,
    selected: tuple[int, int] | None = None,
    row_name: str = "layer",
    col_titles: list[str] | None = None,
) -> go.Figure:
    """Layers x heads small heatmaps (BertViz's model view), one colour scale, blocked cells grey."""
    layers, heads = weights.shape[:2]
    factor = shrink_factor(weights.numel(), FIGURE_CELLS)
    traces = [
        _in_cell(
            weights_trace(weights[layer, head], mask, factor=factor, showscale=layer == head == 0),
            layer * heads + head,
        )
        for layer in range(layers)
        for head in range(heads)
    ]
    grid = _grid(
        layers,
        heads,
        gap_x=0.01,
        gap_y=0.02,
        col_titles=col_titles or [f"head {h}" for h in range(heads)],
        row_titles=[f"{row_name} {r}" for r in range(layers)],
    )
    fig = go.Figure(traces, layout=grid)
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False}
    frame = []  # a rectangle around the selected head
    if selected is not None:
        suffix = _cell_suffix(selected[0] * heads + selected[1])
        frame.append(
            {
                "type": "rect",
                "xref": f"x{suffix} domain",
                "yref": f"y{suffix} domain",
                "x0": -0.02,
                "x1": 1.02,
                "y0": -0.02,
                "y1": 1.02,
                "line": {"color": EMPTY_ROW, "width": 4},
            }
        )
    fig = _frame(
        fig,
        _downsampled(title, factor),
        # square cells about 800 px across the row (a desk's or projector's width), within 300 .. 900
        min(900, max(300, round(layers * min(220, 800 / heads) * weights.shape[2] / weights.shape[3]) + 110)),
        top=80,
        x=hidden,
        y={**hidden, "autorange": "reversed"},
        plot_bgcolor=BLOCKED,
        shapes=frame,
    )
    fig.layout.margin.l = 30  # the row titles
    return fig


def pipeline_figure(
    stages: dict, mask: torch.Tensor, q_tokens: list[str], k_tokens: list[str], *, title: str, training: bool
) -> go.Figure:
    """One head step by step: scores -> masked scores -> softmax -> dropout. Scores and weights
    each have their own colour scale and bar."""
    # two short lines each: four panels share a phone's width
    last = "after dropout<br>(training)" if training else "dropout off<br>(evaluation)"
    names = ["scores<br>= q·k / √d", "masked<br>scores", "softmax<br>weights", last]
    bound = max(stages["scores"].abs().max().item(), 1e-6)
    everywhere = torch.ones_like(mask)
    top = max(stages["dropout"].max().item(), 1.0)
    factor = shrink_factor(4 * mask.numel(), FIGURE_CELLS)
    signed = {"zmid": 0, "colorscale": "RdBu", "factor": factor}
    bar = {"len": 0.45, "x": 0.0}  # under the score panels, and under the weight panels
    traces = [
        weights_trace(stages["scores"], everywhere, zmax=bound, showscale=True, colorbar=bar, **signed),
        weights_trace(stages["scores"], mask, zmax=bound, showscale=False, **signed),
        weights_trace(stages["weights"], mask, zmax=top, showscale=True, colorbar={**bar, "x": 0.52}, factor=factor),
        weights_trace(stages["dropout"], mask, zmax=top, showscale=False, factor=factor),
    ]
    k_labels = [axis_label(t, k) for k, t in enumerate(k_tokens)]
    band = _title_band(k_labels)  # the figure title, the keys' labels and axis title on top, as elsewhere
    layout = _grid(1, 4, gap_x=0.03, col_titles=names)
    for note in layout["annotations"]:  # the panel titles above the key labels
        note["yshift"] = _label_band(k_labels) + 6
    fig = go.Figure([_in_cell(t, k) for k, t in enumerate(traces)], layout=layout)
    _frame(
        fig,
        _downsampled(title, factor),
        min(760, 300 + 18 * len(q_tokens)) + 40,
        top=band + 40,
        title_extra={"y": 0.99, "yref": "container", "yanchor": "top"},
        x={
            "showgrid": False,
            "zeroline": False,
            "side": "top",
            "tickangle": -60,
            "title": {"text": "keys", "standoff": 4},
            **_ticks(k_labels),
        },
        y={"showgrid": False, "zeroline": False, "autorange": "reversed", "showticklabels": False},
        plot_bgcolor=BLOCKED,
    )
    q_ticks = _ticks([axis_label(t, k) for k, t in enumerate(q_tokens)])
    fig.layout.yaxis.update(showticklabels=True, title="queries", **q_ticks)  # the query tokens once, left
    return fig


def lines_view(
    weights: torch.Tensor, q_tokens: list[str], k_tokens: list[str], *, title: str, threshold: float = 0.05
) -> go.Figure:
    """BertViz's head view: queries left, keys right, one line per weight above `threshold`,
    opacity = weight; several heads get several colours. weights: (H, Q, K)."""
    traces = []
    levels = [(0.05, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)]  # a trace per opacity band
    for head in range(weights.shape[0]):
        for low, high in levels:
            xs, ys = [], []
            for i, j in ((weights[head] >= max(low, threshold)) & (weights[head] < high)).nonzero().tolist():
                xs += [0, 1, None]
                ys += [i, j, None]
            if xs:
                traces.append(
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="lines",
                        hoverinfo="skip",
                        showlegend=False,
                        name=f"head {head}",
                        legendgroup=f"head {head}",
                        line={"color": SERIES[head % len(SERIES)], "width": 3},
                        opacity=(low + high) / 2,
                    )
                )
    # one legend entry per head, at full strength: a line's swatch would carry its faint opacity
    traces += [
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=f"head {head}",
            legendgroup=f"head {head}",
            line={"color": SERIES[head % len(SERIES)], "width": 3},
        )
        for head in range(weights.shape[0])
    ]
    labels = [
        {
            "x": side,
            "y": k,
            "text": axis_label(token, k),
            "showarrow": False,
            "xanchor": "right" if side == 0 else "left",
            "xshift": -6 if side == 0 else 6,
        }
        for side, tokens in ((0, q_tokens), (1, k_tokens))
        for k, token in enumerate(tokens)
    ]
    return _frame(
        go.Figure(traces),
        title,
        max(360, 60 + 26 * max(len(q_tokens), len(k_tokens))),
        x={"visible": False, "range": [-0.35, 1.35]},
        y={"visible": False, "autorange": "reversed"},
        showlegend=weights.shape[0] > 1,
        annotations=labels,
    )


def matrix_figure(
    values: torch.Tensor,
    row_labels: list[str],
    col_labels: list[str],
    *,
    title: str,
    signed: bool = False,
    fmt: str | None = None,
    subtitle: str = "",
) -> go.Figure:
    """A labelled matrix: signed values on RdBu centred on 0, others on Viridis (both colour-blind
    safe); with `fmt`, the values are written in the cells. The bar shows plain numbers (Plotly's
    own would write 1e-12 as "1p"), and a matrix of zeros says so. `subtitle`: a second, smaller
    line under the title (one long line would not fit a phone)."""
    largest = values.abs().max().item()
    zero = largest < 1e-9
    bound = 1.0 if zero else largest
    scale = (
        {"zmin": -bound, "zmax": bound, "colorscale": "RdBu", "reversescale": True}
        if signed
        else {"colorscale": WEIGHT_SCALE}
    )
    fig = go.Figure(
        go.Heatmap(
            z=values.float().numpy(),
            x=col_labels,
            y=row_labels,
            **scale,
            colorbar={**BAR_BELOW, "len": 0.5, "tickformat": ".2~g", "exponentformat": "none"},
            texttemplate=f"%{{z:{fmt}}}" if fmt else None,
            hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>",
        )
    )
    return _frame(
        fig,
        f"{title}: 0 everywhere" if zero else title,
        min(700, max(260, 120 + 30 * len(row_labels))) + (24 if subtitle else 0),
        top=108 if subtitle else 84,
        title_extra={"subtitle": {"text": html.escape(subtitle, quote=False)}} if subtitle else None,
        x={"type": "category", "side": "top"},  # the colour bar has the bottom
        y={"autorange": "reversed", "type": "category"},
    )


# readable from the back of a hall; a figure at most 540 px tall, so that under the page's title and
# controls it is whole above the fold of a 1080 px projector
PROJECTOR = {"font": 22, "ticks": 19, "title": 26, "height": 540}


def for_projector(fig: go.Figure, height: int | None = None) -> go.Figure:
    """Presentation sizes: tick labels >= 19 px, larger text, titles and panel titles; at most 540
    px tall, or `height` (a page's one main figure, high on the page, takes the room it has)."""
    height = height or min(fig.layout.height or PROJECTOR["height"], PROJECTOR["height"])
    top = round((fig.layout.margin.t or 60) * PROJECTOR["ticks"] / FONT["size"])  # labels and titles grew
    fig.update_layout(font_size=PROJECTOR["font"], title_font_size=PROJECTOR["title"], height=height, margin_t=top)
    fig.update_annotations(font_size=PROJECTOR["ticks"])
    for note in fig.layout.annotations:  # panel titles lifted over labels that grew with the font
        if note.yshift:
            note.yshift = round(note.yshift * PROJECTOR["font"] / FONT["size"])
    fig.update_xaxes(tickfont_size=PROJECTOR["ticks"])
    fig.update_yaxes(tickfont_size=PROJECTOR["ticks"])
    return fig


DARK = {"paper": "#0E1117", "text": "#FAFAFA"}  # Streamlit's dark background and text


def for_dark_theme(fig: go.Figure) -> go.Figure:
    """Dark page, same data colours: only the background and the text change (a grey plot area
    stays grey: it means 'blocked')."""
    fig.update_layout(paper_bgcolor=DARK["paper"], font_color=DARK["text"])
    if fig.layout.plot_bgcolor in (None, "white"):
        fig.update_layout(plot_bgcolor=DARK["paper"])
    return fig


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
