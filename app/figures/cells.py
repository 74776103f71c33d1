"""Figures of cells by category: a mask (allowed, blocked, rows with no key), two masks' difference,
the Home page's thumbnails, and the cells a normalization averages."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import torch

from app.figures.frame import LEGEND_BELOW, frame_figure, heatmap_frame, heatmap_height
from app.figures.image import HEATMAP_LIMIT, image_trace
from app.figures.margins import label_band, reserve_room, title_band, with_room
from app.figures.panels import grid_layout, in_cell
from app.figures.style import (
    ALLOWED,
    BLACK,
    BLOCKED,
    CELL_GAP_LIMIT,
    CELL_TEXT_LIMIT,
    EMPTY_ROW,
    FONT,
    ONLY_A,
    ONLY_B,
    PADDING_CELL,
    RULE,
    axis_label,
    legend_traces,
    merged,
    new_figure,
    plain_figure,
    shown,
    tick_labels,
    trace,
)


def categorical_heatmap(z: torch.Tensor, colors: list[str], names: list[str], hover) -> dict:
    """A heatmap of small integer categories with one flat colour each (named in a legend:
    a legend wraps its entries on a narrow screen, a colour bar's labels pile up)."""
    n = len(colors)
    scale = []
    for k, color in enumerate(colors):
        scale += [[k / n, color], [(k + 1) / n, color]]
    return trace(
        "heatmap",
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


@with_room
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
    axes: tuple[str, str] | None = None,
) -> go.Figure:
    """Cells coloured by category z (0 .. len(colors) - 1); heatmap, or image when large. `axes`: the
    titles of the rows' and the columns' axes, when they are not queries and keys."""
    return plain_figure(*category_parts(z, colors, names, q_labels, k_labels, title, hover, height, axes))


def roomed(data: list[dict], layout: dict) -> dict:
    """`layout` with the margins `reserve_room` gives the figure of `data` and `layout`: the room of
    the categories' map, before a figure adds to it (the room then only grows)."""
    return merged(layout, {"margin": reserve_room(plain_figure(data, layout)).layout.margin.to_plotly_json()})


def category_parts(z, colors, names, q_labels, k_labels, title, hover=None, height=None, axes=None):
    """`category_figure`'s traces and layout, as plain dicts, for figures that add to them."""
    q_len, kv_len = z.shape
    titled = {"x": {"title": {"text": axes[1]}}, "y": {"title": {"text": axes[0]}}} if axes else {}
    height = height or heatmap_height(q_len)
    legend = legend_traces(colors, names, set(z.unique().tolist()))
    if max(q_len, kv_len) <= HEATMAP_LIMIT:
        layout = heatmap_frame(title, q_labels, k_labels, height, legend=LEGEND_BELOW, **titled)
        return [categorical_heatmap(z, colors, names, hover), *legend], layout
    image, note = image_trace(z, colors)
    layout = heatmap_frame(
        f"{title} ({note})" if note else title,
        q_labels,
        k_labels,
        height,
        x={"range": [-0.5, kv_len - 0.5], **titled.get("x", {})},
        y={"range": [q_len - 0.5, -0.5], **titled.get("y", {})},
        legend=LEGEND_BELOW,
    )
    return [image, *legend], layout


@with_room
def mask_figure(
    mask: torch.Tensor,
    q_tokens: list[str],
    k_tokens: list[str],
    *,
    title: str,
    blame=None,
    pad_queries: list[int] = (),
    pad_keys: list[int] = (),
    height: int | None = None,
) -> go.Figure:
    """A mask: allowed, blocked, and rows with no allowed key in a colour of their own.

    blame: a function giving each term that can block and the cells where it does (the mask's
    Predicate.blame), called only when cells get hover text: hover says which terms block a cell.
    """
    empty = ~mask.any(dim=1)
    z = mask.to(torch.uint8)  # 0 blocked, 1 allowed, 2 a row with no allowed key
    z[empty] = 2
    q_labels = [axis_label(t, k, k in set(pad_queries)) for k, t in enumerate(q_tokens)]
    k_labels = [axis_label(t, k, k in set(pad_keys)) for k, t in enumerate(k_tokens)]
    hover = None
    if max(mask.shape) <= CELL_TEXT_LIMIT:
        hover = _mask_hover(mask, q_tokens, k_tokens, blame() if blame else [])
    data, layout = category_parts(
        z, [BLOCKED, ALLOWED, EMPTY_ROW], ["blocked", "allowed", "no key"], q_labels, k_labels, title, hover, height
    )
    return plain_figure(data, merged(roomed(data, layout), empty_row_flags(mask, "∅ no key")))


def _mask_hover(mask, q_tokens, k_tokens, blame) -> list[list[str]]:
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
                by = list(dict.fromkeys(name for name, cells in blame if cells[i, j]))  # a term once
                state = f"blocked ({', '.join(by)})" if by else "blocked"
            row.append(f"{q_text(i)} → {key}<br>{state}")  # on one line it ran past a phone's screen
        rows.append(row)
    return rows


@with_room
def mask_panels(panels: list[tuple[str, torch.Tensor]], q_tokens: list[str], k_tokens: list[str], *, title: str):
    """Masks on the same tokens side by side, two to a row (UniLM's four): one legend; the keys labelled
    over the top row, whose columns the rows below share; the queries down the left. Side by side is
    the point: one network, only the mask changes."""
    colors, names = [BLOCKED, ALLOWED, EMPTY_ROW], ["blocked", "allowed", "no key"]
    traces, present = [], set()
    for k, (name, mask) in enumerate(panels):
        z = mask.to(torch.uint8)
        z[~mask.any(dim=1)] = 2  # a row with no allowed key
        present |= set(z.unique().tolist())
        hover = None
        if max(mask.shape) <= CELL_TEXT_LIMIT:
            hover = [
                [
                    f"{html.escape(name, quote=False)}: query '{shown(q_tokens[i])}' ({i}) → key "
                    f"'{shown(k_tokens[j])}' ({j}): {names[int(z[i, j])]}"
                    for j in range(mask.shape[1])
                ]
                for i in range(mask.shape[0])
            ]
        traces.append(in_cell(categorical_heatmap(z, colors, names, hover), k))
    rows = -(-len(panels) // 2)
    k_labels = [axis_label(t, k) for k, t in enumerate(k_tokens)]
    gap = 0.07  # between rows: the lower panels' titles
    layout = grid_layout(rows, 2, gap_x=0.1, gap_y=gap, col_titles=[name for name, _ in panels])
    slant = label_band(k_labels) - round(1.2 * FONT["size"])  # the key labels, no axis title over them
    for note in layout["annotations"][:2]:  # the top row's titles above its key labels
        note["yshift"] = slant + 4
    fig = new_figure([*traces, *legend_traces(colors, names, present)], layout=layout)
    cells = max(160, min(420, 30 * len(q_tokens)))  # px per row of panels
    top = title_band(k_labels) - round(1.2 * FONT["size"]) + 22  # the title, the panels' titles, the labels
    frame_figure(
        fig,
        title,
        top + rows * cells + round(gap * rows * cells) + 60,
        top=top,
        title_extra={"y": 0.99, "yref": "container", "yanchor": "top", "font": {"size": 18}},
        x={"side": "top", "tickangle": -60, "showgrid": False, "zeroline": False, **tick_labels(k_labels)},
        y={"autorange": "reversed", "showgrid": False, "zeroline": False, "showticklabels": False},
        legend=LEGEND_BELOW,
        margin={"l": 10, "r": 10, "t": top, "b": 64},  # the legend's row under the panels
    )
    q_ticks = tick_labels([axis_label(t, k) for k, t in enumerate(q_tokens)])
    for k in range(len(panels)):
        suffix = "" if k == 0 else str(k + 1)
        if k >= 2:  # the columns of the panel above
            fig.layout[f"xaxis{suffix}"].showticklabels = False
        if k % 2 == 0:
            fig.layout[f"yaxis{suffix}"].update(showticklabels=True, **q_ticks)
    return fig


def empty_row_flags(mask: torch.Tensor, text: str) -> dict:
    """What a query x key layout of no annotations adds (style.merged) to write `text` at the right end
    of each row with no allowed key (readable sizes only; nothing if every row has a key)."""
    if max(mask.shape) > CELL_TEXT_LIMIT:
        return {}
    rows = (~mask.any(dim=1)).nonzero().flatten().tolist()
    if not rows:
        return {}
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
    return {
        "annotations": flags,
        "margin": {"r": 64},  # short: on a phone every pixel of width is the grid's
        # Plotly widens an autoranged axis to hold its annotations: the grid would shrink to make room
        "xaxis": {"range": [-0.5, mask.shape[1] - 0.5]},
        "yaxis": {"range": [mask.shape[0] - 0.5, -0.5], "autorange": False},
    }


@with_room
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
    fig = new_figure(
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
    return frame_figure(
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


ROW_PX = 18  # a row of a map whose rows are labelled: a 15 px label and the gap it needs


def norm_cells_figure(categories: torch.Tensor, row_labels: list[str], title: str) -> go.Figure:
    """The (B, T, C) block drawn flat: one row per (sentence, position), one column per feature;
    categories: 0 not averaged, 1 averaged, 2 a padding cell that is averaged (the leak),
    3 padding not averaged, 4 the cell being normalized."""
    B, T, C = categories.shape
    z = categories.reshape(B * T, C)
    names = ["not averaged", "averaged", "padding, averaged", "padding", "this cell"]
    hover = [
        [f"{label}, f{c}: {names[k]}" for c, k in enumerate(row)]
        for label, row in zip(row_labels, z.tolist(), strict=True)
    ]
    colors = [BLOCKED, ALLOWED, EMPTY_ROW, PADDING_CELL, BLACK]
    data, layout = category_parts(z, colors, names, row_labels, [f"f{c}" for c in range(C)], title, hover)
    # a line between sentences
    rule = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "line": {"color": RULE, "width": 2}}
    layout = merged(
        roomed(data, layout),  # as square cells first: its legend wraps at the width the cells would take
        {
            "shapes": [{**rule, "y0": b * T - 0.5, "y1": b * T - 0.5} for b in range(1, B)],
            "xaxis": {"title": {"text": "features"}},
            "yaxis": {"title": {"text": "sentence s, position t"}},
        },
    )
    layout["yaxis"] = {k: v for k, v in layout["yaxis"].items() if k != "scaleanchor"}  # rows as tall as labels
    fig = reserve_room(plain_figure(data, layout))
    # every row as tall as its label, whatever the margins take (a legend of two rows under a batch's
    # map hid half a phone's row labels): up to 900 px, past which the labels thin
    fig.layout.height = min(900, fig.layout.margin.t + fig.layout.margin.b + ROW_PX * B * T)
    return fig
