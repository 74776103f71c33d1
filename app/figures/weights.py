"""Figures of attention weights: one head, a grid of layers x heads, the pipeline from scores to
weights, weights as lines between tokens, and a signed matrix."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import plotly.graph_objects as go
import torch
from _plotly_utils.utils import to_typed_array_spec  # how Plotly itself sends an array: its typed-array form

from app.figures.cells import empty_row_flags
from app.figures.frame import (
    BAR_BELOW,
    LEGEND_BELOW,
    frame_figure,
    framed_layout,
    heatmap_frame,
    heatmap_height,
    title_text,
)
from app.figures.margins import label_band, title_band, with_room
from app.figures.panels import grid_layout, in_cell
from app.figures.style import (
    BLOCKED,
    CELL_GAP_LIMIT,
    CELL_TEXT_LIMIT,
    EMPTY_ROW,
    FIGURE_CELLS,
    SERIES,
    axis_label,
    legend_traces,
    merged,
    new_figure,
    plain_figure,
    shown,
    tick_labels,
    trace,
)


def _stops(name: str) -> list[list]:
    """A named colour scale's stops, as Plotly's checking stores the name (a plain figure sends them so)."""
    return [list(stop) for stop in go.Heatmap(colorscale=name).colorscale]


WEIGHT_SCALE = _stops("Viridis")  # sequential, colour-blind safe; blocked cells are not on it at all
SIGNED_SCALE = _stops("RdBu")  # diverging about 0, colour-blind safe: scores


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
    numbers: bool = False,
) -> dict:
    """Allowed cells on the colour scale; blocked cells left empty, so the grey background shows:
    a blocked cell never looks like a small weight. `factor` > 1 sends block means instead of cells
    (positions stay token positions; only for figures without category axes). `numbers`: each
    allowed cell's value written in it (up to NUMBERS_LIMIT cells a side), in a colour Plotly picks
    to read on the cell's own."""
    z = _cells(weights, mask)
    if factor > 1:
        z = _block_means(z, factor)
    small = max(z.shape) <= CELL_GAP_LIMIT
    place = {} if factor == 1 else {"x0": (factor - 1) / 2, "dx": factor, "y0": (factor - 1) / 2, "dy": factor}
    return trace(
        "heatmap",
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
        texttemplate="%{z:.2f}" if numbers and max(z.shape) <= NUMBERS_LIMIT else None,
    )


def _cells(weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A map's cell values: blocked cells empty (NaN), so the grey under them shows."""
    return weights.float().masked_fill(~mask, float("nan"))


NUMBERS_LIMIT = 12  # cells a side a map writes its values in (Transformer Explainer's way): more would not fit


def _named(tokens: list[str]) -> list[str]:
    """Unique category names 'token (position)': hover reads them, no text per cell is sent."""
    return [f"{shown(t)} ({k})" for k, t in enumerate(tokens)]


@with_room
def attention_figure(
    weights: torch.Tensor,
    mask: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    mask_name: str = "the mask",
    height: int | None = None,
    numbers: bool = False,
    zmax: float = 1.0,
) -> go.Figure:
    """One head (Q, K): weights on Viridis, blocked cells grey, rows with no allowed key flagged.
    Hover names the query token, the key token and the weight, or what blocked the cell; `numbers`
    writes each weight in its cell (up to 12 x 12). `zmax`: the scale's top, past 1 for weights after
    dropout (kept ones scaled by 1 / (1 - p))."""
    q_names, k_names = _named(q_tokens), _named(k_tokens)
    text = _hover_text(weights, mask, mask_name)
    cells = weights_trace(
        weights,
        mask,
        x=k_names,
        y=q_names,
        text=text,
        # the cell, then what it holds, on a line of its own: one line ran past a phone's screen
        hovertemplate="query %{y} → key %{x}<br>" + ("%{text}" if text else "weight %{z:.3f}") + "<extra></extra>",
        numbers=numbers,
        zmax=zmax,
    )
    layout = heatmap_frame(
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
    legend = legend_traces([BLOCKED], ["blocked (masked)"]) if not mask.all() else []
    return plain_figure([cells, *legend], merged(layout, empty_row_flags(mask, "∅ no key")))


def _hover_text(weights: torch.Tensor, mask: torch.Tensor, mask_name: str) -> list[list[str]] | None:
    """Each cell's hover text, its weight or what blocked it; None where %{z} says all it would (past
    CELL_TEXT_LIMIT tokens a side, or nothing blocked)."""
    if max(mask.shape) > CELL_TEXT_LIMIT or mask.all():
        return None
    blocked = f"blocked under {html.escape(mask_name, quote=False)}"  # the mask in force, not each part
    return [
        [f"weight {w:.3f}" if ok else blocked for w, ok in zip(row, allowed, strict=True)]
        for row, allowed in zip(weights.tolist(), mask.tolist(), strict=True)
    ]


def head_frame(weights: torch.Tensor, mask: torch.Tensor, *, title: str, mask_name: str = "the mask") -> dict:
    """What `attention_figure` draws differently for one head than for another head of the same tokens
    and mask (its cells, their hover text, the title), as Plotly.update takes it: the browser switches
    heads with it (app/figure_element.py), and no figure is built for a head nobody has picked."""
    data = {"z": [to_typed_array_spec(_cells(weights, mask).numpy())]}
    text = _hover_text(weights, mask, mask_name)
    if text is not None:
        data["text"] = [text]
    return {"data": data, "layout": {"title.text": title_text(title)}, "traces": [0]}


def grid_maps(shape: tuple[int, int, int, int]) -> tuple[int, int, int]:
    """Where the grid of every head (`grid_figure`, weights of this (L, H, Q, K) shape) puts each map:
    a map's rows and columns of cells and the gap between maps, in cells (the figure's data units)."""
    factor = shrink_factor(math.prod(shape), FIGURE_CELLS)
    rows, cols = -(-shape[2] // factor), -(-shape[3] // factor)
    return rows, cols, max(1, round(max(rows, cols) / 8))


@dataclass(frozen=True)
class _Tiles:
    """The grid's maps in one array of cells (the figure's data units): `layers` x `heads` maps of
    `rows` x `cols` cells each (see grid_maps), `gap` cells between maps."""

    layers: int
    heads: int
    rows: int
    cols: int
    gap: int

    @classmethod
    def of(cls, shape: tuple[int, int, int, int]) -> _Tiles:
        return cls(shape[0], shape[1], *grid_maps(shape))

    @property
    def shape(self) -> tuple[int, int]:
        return self.top(self.layers) - self.gap, self.left(self.heads) - self.gap

    def top(self, layer: int) -> int:
        return layer * (self.rows + self.gap)

    def left(self, head: int) -> int:
        return head * (self.cols + self.gap)


@with_room
def grid_figure(
    weights: torch.Tensor,
    mask: torch.Tensor,
    *,
    title: str,
    selected: tuple[int, int] | None = None,
    row_name: str = "layer",
    col_titles: list[str] | None = None,
    notes: dict[tuple[int, int], str] | None = None,
    first_row: int = 0,
) -> go.Figure:
    """Layers x heads small heatmaps (BertViz's model view), one colour scale, blocked cells grey.
    `first_row`: the number of the first row shown (a range of a deep model's layers).

    Drawn as one heatmap on one pair of axes, the heads' maps side by side with a gap between them:
    a subplot per head costs Plotly many times more to build and to draw, and a model has dozens of
    heads. `notes`: a short label on a head's lower edge, by (layer, head) (its role); `selected`: a
    frame around one head."""
    factor = shrink_factor(weights.numel(), FIGURE_CELLS)
    tiles = _Tiles.of(weights.shape)
    z = _tiled(weights, mask, factor, tiles)
    x, y = _grid_axes(tiles, col_titles, row_name, first_row)
    shapes = _gaps_between(tiles) + _around_head(tiles, selected)
    layout = framed_layout(
        {},
        _downsampled(title, factor),
        _grid_height(weights.shape),
        top=80,
        x=x,
        y=y,
        plot_bgcolor=BLOCKED,
        # none sent when empty, as Plotly's checked figure sends none
        **{k: v for k, v in (("annotations", _head_notes(tiles, notes or {})), ("shapes", shapes)) if v},
    )
    return plain_figure([_grid_trace(z)], layout)


def _tiled(weights: torch.Tensor, mask: torch.Tensor, factor: int, tiles: _Tiles) -> torch.Tensor:
    """Every head's weights (block means if `factor` > 1) in one array: blocked cells and the gaps
    between maps NaN (no weight to draw)."""
    z = torch.full(tiles.shape, float("nan"))
    rows, cols = tiles.rows, tiles.cols
    for layer in range(tiles.layers):
        for head in range(tiles.heads):
            top, left = tiles.top(layer), tiles.left(head)
            values = weights[layer, head].float().masked_fill(~mask, float("nan"))
            z[top : top + rows, left : left + cols] = _block_means(values, factor) if factor > 1 else values
    return z


def _grid_trace(z: torch.Tensor) -> dict:
    """The tiled maps as one heatmap on the weights' scale (z is masked already, gaps and all, where
    `weights_trace` masks one map as it goes)."""
    return trace(
        "heatmap",
        z=z.numpy(),
        zmin=0.0,
        zmax=1.0,
        colorscale=WEIGHT_SCALE,
        hovertemplate="weight %{z:.3f}<extra></extra>",
        hoverongaps=False,  # a blocked cell or a gap between maps has no weight to show ("NaN")
        colorbar={**BAR_BELOW, "len": 0.5, "title": {"text": "weight", "side": "top"}},
        xgap=1 if max(z.shape) <= CELL_GAP_LIMIT else 0,
        ygap=1 if max(z.shape) <= CELL_GAP_LIMIT else 0,
    )


def _grid_height(shape: tuple[int, int, int, int]) -> int:
    """Square cells about 800 px across the row (a desk's or projector's width), within 300 .. 900 px."""
    layers, heads, Q, K = shape
    return min(900, max(300, round(layers * min(220, 800 / heads) * Q / K) + 110))


def _grid_axes(tiles: _Tiles, col_titles: list[str] | None, row_name: str, first_row: int) -> tuple[dict, dict]:
    """Heads along the top, layers down the left, each name at its map's centre: "head 0", then
    numbers ("head 10" over each of 12 maps would not fit; an axis title, neither: it meets the
    figure's title on a projector)."""
    axis = {"showgrid": False, "zeroline": False, "ticks": "", "tickangle": 0}
    height, width = tiles.shape
    x = {
        **axis,
        "side": "top",
        "tickvals": [tiles.left(h) + (tiles.cols - 1) / 2 for h in range(tiles.heads)],
        "ticktext": col_titles or ["head 0", *map(str, range(1, tiles.heads))],
        "range": [-0.5, width - 0.5],
        "constrain": "domain",
        "constraintoward": "left",  # the maps start at their row labels, and the colour bar under them
    }
    y = {
        **axis,
        "tickvals": [tiles.top(r) + (tiles.rows - 1) / 2 for r in range(tiles.layers)],
        "ticktext": [f"{row_name} {first_row}", *map(str, range(first_row + 1, first_row + tiles.layers))],
        "range": [height - 0.5, -0.5],  # layer 0 on top
        "scaleanchor": "x",
        "constrain": "domain",
        "constraintoward": "top",
    }
    return x, y


def _gaps_between(tiles: _Tiles) -> list[dict]:
    """The gaps between maps painted white under the cells: blocked cells are empty on the grey
    background, and a gap must not look like one."""
    white = {"type": "rect", "layer": "below", "line": {"width": 0}, "fillcolor": "white"}
    height, width = tiles.shape
    gap = tiles.gap
    return [
        {**white, "x0": tiles.left(h) - 0.5 - gap, "x1": tiles.left(h) - 0.5, "y0": -0.5, "y1": height - 0.5}
        for h in range(1, tiles.heads)
    ] + [
        {**white, "y0": tiles.top(r) - 0.5 - gap, "y1": tiles.top(r) - 0.5, "x0": -0.5, "x1": width - 0.5}
        for r in range(1, tiles.layers)
    ]


def _head_notes(tiles: _Tiles, notes: dict[tuple[int, int], str]) -> list[dict]:
    """Each note on its head's lower edge, centred on the map."""
    return [
        {
            "x": tiles.left(head) + (tiles.cols - 1) / 2,
            "y": tiles.top(layer) + tiles.rows - 0.5,
            "name": f"cell note:{tiles.cols}",  # app/browser.js hides a note wider than the map's cols cells
            "text": html.escape(text, quote=False),
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 12, "color": "black"},
            "bgcolor": "rgba(255, 255, 255, 0.8)",
        }
        for (layer, head), text in notes.items()
    ]


def _around_head(tiles: _Tiles, selected: tuple[int, int] | None) -> list[dict]:
    """A frame around the selected head's map, in the gap around it (none if no head is selected)."""
    if selected is None:
        return []
    layer, head = selected
    margin = tiles.gap / 4
    return [
        {
            "type": "rect",
            "x0": tiles.left(head) - 0.5 - margin,
            "x1": tiles.left(head) + tiles.cols - 0.5 + margin,
            "y0": tiles.top(layer) - 0.5 - margin,
            "y1": tiles.top(layer) + tiles.rows - 0.5 + margin,
            "line": {"color": EMPTY_ROW, "width": 4},
        }
    ]


@with_room
def pipeline_figure(
    stages: dict,
    mask: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    training: bool,
    numbers: bool = False,
) -> go.Figure:
    """One head step by step, two by two: scores -> masked scores over softmax -> dropout (square
    panels of a useful size on a projector and on a phone). Scores and weights each have their own
    colour scale and bar, beside their row; the keys are labelled over the top row, whose columns
    the bottom row shares, and the queries down the left."""
    last = "after dropout (training)" if training else "dropout off (evaluation)"
    names = ["scores = q·k / √d", "masked scores", "softmax weights", last]
    bound = max(stages["scores"].abs().max().item(), 1e-6)
    everywhere = torch.ones_like(mask)
    top = max(stages["dropout"].max().item(), 1.0)
    factor = shrink_factor(4 * mask.numel(), FIGURE_CELLS)
    signed = {"zmid": 0, "colorscale": SIGNED_SCALE, "factor": factor, "numbers": numbers}
    gap = 0.12  # between the rows: the bottom row's panel titles

    def bar(row: int) -> dict:  # upright, right of its row of panels
        middle = 1 - (1 + gap) / 2 * row - (1 - gap) / 4
        return {"orientation": "v", "x": 1.0, "xanchor": "left", "xpad": 12, "y": middle, "yanchor": "middle",
                "len": 0.4, "thickness": 12}  # fmt: skip

    # positions on both axes (the query labels are the left panels' only); 3 significant digits, not
    # Plotly's SI prefixes (a weight of 1.67e-7 would read "167.2659n")
    hover = [f"query %{{y}}, key %{{x}}: {what} %{{z:.3g}}<extra></extra>" for what in ("score", "weight")]
    traces = [
        weights_trace(
            stages["scores"], everywhere, zmax=bound, showscale=True, colorbar=bar(0), hovertemplate=hover[0], **signed
        ),
        weights_trace(stages["scores"], mask, zmax=bound, showscale=False, hovertemplate=hover[0], **signed),
        weights_trace(
            stages["weights"],
            mask,
            zmax=top,
            showscale=True,
            colorbar=bar(1),
            factor=factor,
            hovertemplate=hover[1],
            numbers=numbers,
        ),
        weights_trace(
            stages["dropout"], mask, zmax=top, showscale=False, factor=factor, hovertemplate=hover[1], numbers=numbers
        ),
    ]
    k_labels = [axis_label(t, k) for k, t in enumerate(k_tokens)]
    band = title_band(k_labels)  # the figure title, the keys' labels and axis title on top, as elsewhere
    layout = grid_layout(2, 2, gap_x=0.06, gap_y=gap, col_titles=names)
    for note in layout["annotations"][:2]:  # the top row's panel titles above the key labels
        note["yshift"] = label_band(k_labels) + 6
    rows = max(160, min(420, 24 * len(q_tokens)))  # px of cells per row of panels
    layout = framed_layout(
        layout,
        _downsampled(title, factor),
        band + 40 + 2 * rows + 70,
        top=band + 40,
        title_extra={"y": 0.99, "yref": "container", "yanchor": "top"},
        x={
            "showgrid": False,
            "zeroline": False,
            "side": "top",
            "tickangle": -60,
            "title": {"text": "keys", "standoff": 4},
            **tick_labels(k_labels),
        },
        y={"showgrid": False, "zeroline": False, "autorange": "reversed", "showticklabels": False},
        plot_bgcolor=BLOCKED,
        margin={"l": 10, "r": 100, "t": band + 40, "b": 10},
    )
    for name in ("xaxis3", "xaxis4"):  # the bottom row's keys are the top row's columns
        layout[name] = {**{k: v for k, v in layout[name].items() if k != "title"}, "showticklabels": False}
    q_ticks = tick_labels([axis_label(t, k) for k, t in enumerate(q_tokens)])
    for name in ("yaxis", "yaxis3"):  # the query tokens down the left of each row
        layout[name] = {**layout[name], "showticklabels": True, "title": {"text": "queries"}, **q_ticks}
    return plain_figure([in_cell(t, k) for k, t in enumerate(traces)], layout)


@with_room
def lines_view(
    weights: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    threshold: float = 0.05,
    front: int | None = None,
) -> go.Figure:
    """BertViz's head view: queries left, keys right, one line per weight above `threshold`,
    opacity = weight; several heads get several colours. weights: (H, Q, K). Head `front`, if
    given, is drawn last and the others at a third of their strength."""
    traces = []
    levels = [(0.05, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)]  # a trace per opacity band
    heads = list(range(weights.shape[0]))
    order = heads if front is None else [h for h in heads if h != front] + [front]
    for head in order:
        strength = 1 if front in (None, head) else 1 / 3
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
                        opacity=strength * (low + high) / 2,
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
    return frame_figure(
        new_figure(traces),
        title,
        max(360, 60 + 26 * max(len(q_tokens), len(k_tokens))),
        x={"visible": False, "range": [-0.35, 1.35]},
        y={"visible": False, "autorange": "reversed"},
        showlegend=weights.shape[0] > 1,
        annotations=labels,
    )


@with_room
def matrix_figure(
    values: torch.Tensor,
    row_labels: list[str],
    col_labels: list[str],
    *,
    title: str,
    signed: bool = False,
    fmt: str | None = None,
    subtitle: str = "",
    limits: tuple[float, float] | None = None,
) -> go.Figure:
    """A labelled matrix: signed values on RdBu centred on 0, others on Viridis (both colour-blind
    safe) from `limits` if given (else from the values' own range, which would colour values that
    barely differ from darkest to brightest); with `fmt`, the values are written in the cells. The
    bar shows plain numbers (Plotly's own would write 1e-12 as "1p"), and a matrix of zeros says so.
    `subtitle`: a second, smaller line under the title (one long line would not fit a phone)."""
    largest = values.abs().max().item()
    zero = largest < 1e-9
    bound = 1.0 if zero else largest
    scale = (
        {"zmin": -bound, "zmax": bound, "colorscale": SIGNED_SCALE, "reversescale": True}
        if signed
        else {"colorscale": WEIGHT_SCALE, **({"zmin": limits[0], "zmax": limits[1]} if limits else {})}
    )
    cells = trace(
        "heatmap",
        z=values.float().numpy(),
        x=col_labels,
        y=row_labels,
        **scale,
        colorbar={**BAR_BELOW, "len": 0.5, "tickformat": ".2~g", "exponentformat": "none"},
        texttemplate=f"%{{z:{fmt}}}" if fmt else None,
        hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>",
    )
    layout = framed_layout(
        {},
        f"{title}: 0 everywhere" if zero else title,
        min(700, max(260, 120 + 30 * len(row_labels))) + (24 if subtitle else 0),
        top=108 if subtitle else 84,
        title_extra={"subtitle": {"text": html.escape(subtitle, quote=False)}} if subtitle else None,
        # the colour bar has the bottom; upright labels (slanted ones would rise into the title on a phone)
        # past 32 columns (a block's 64 or 256 features) a label on every few columns overlaps: 16 at most
        x={"type": "category", "side": "top", "tickangle": 0, **({"nticks": 16} if len(col_labels) > 32 else {})},
        y={"autorange": "reversed", "type": "category"},
    )
    return plain_figure([cells], layout)
