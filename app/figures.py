"""Figure builders: tensors and labels in, a Plotly figure out. No Streamlit here.

Every figure has an explicit template and colours (Streamlit's default template only works
inside Streamlit, so exports would come out wrong) and colour-blind-safe colours (Okabe-Ito).
Blocked cells get their own colour, never the low end of a continuous scale.
"""

from __future__ import annotations

import base64
import html
import io

import plotly.graph_objects as go
import torch
from PIL import Image

TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 15, "color": "#1a1a1a"}
ALLOWED, BLOCKED, EMPTY_ROW = "#0072B2", "#E6E6E6", "#D55E00"  # Okabe-Ito blue, light grey, vermillion
ONLY_A, ONLY_B = "#E69F00", "#56B4E9"  # orange, sky blue
PAD_LABEL = "#8C8C8C"

CELL_TEXT_LIMIT = 64  # hover text names both tokens up to this many tokens per axis
HEATMAP_LIMIT = 256  # above this, the mask is sent as one PNG image (payload stays small)
IMAGE_LIMIT = 1024  # above this, the image is downsampled and says so
MAX_TICKS = 48

CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def chart_config(export_format: str = "png") -> dict:
    """Plotly config for st.plotly_chart: the modebar camera saves PNG or SVG at scale 2."""
    return {**CHART_CONFIG, "toImageButtonOptions": {"format": export_format, "scale": 2}}


def axis_label(token: str, position: int, padding: bool = False) -> str:
    """Tick text: the token as text (HTML escaped, so '<img ...>' shows as typed), dimmed if padding."""
    text = html.escape(token if len(token) <= 16 else token[:15] + "…", quote=False)
    return f"<span style='color:{PAD_LABEL}'>{text}·pad</span>" if padding else text


def _ticks(labels: list[str]) -> dict:
    """Every label when they fit, else labels at a round step (1, 2, 5, 10, 20, 50, ...)."""
    step = 1
    while len(labels) / step > MAX_TICKS:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    shown = list(range(0, len(labels), step))
    return {"tickmode": "array", "tickvals": shown, "ticktext": [labels[k] for k in shown]}


def _layout(fig: go.Figure, title: str, q_labels: list[str], k_labels: list[str], height: int) -> None:
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={
            "text": html.escape(title, quote=False),
            "x": 0.01,
            "y": 0.99,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 18},
        },
        height=height,
        margin={"l": 10, "r": 10, "t": 150, "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(
        title="keys (attended to)",
        side="top",
        tickangle=-60,
        showgrid=False,
        zeroline=False,
        **_ticks(k_labels),
    )
    fig.update_yaxes(
        title="queries (attending)",
        autorange="reversed",
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        **_ticks(q_labels),
    )


def _categorical(z: torch.Tensor, colors: list[str], names: list[str], hover, labels) -> go.Heatmap:
    """A heatmap of small integer categories with one flat colour each and a legend bar."""
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
        colorbar={"tickvals": list(range(n)), "ticktext": names, "thickness": 14, "len": 0.6},
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
        padded = torch.full((rows * factor, cols * factor), len(colors), dtype=torch.uint8)  # counts as nothing
        padded[: z.shape[0], : z.shape[1]] = z
        counts = [_block_sums(padded == c, factor) for c in range(1, len(colors))]
        cells = _block_sums(padded < len(colors), factor)  # real cells per block (edge blocks have fewer)
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
    """Sums over factor x factor blocks, reducing contiguous runs first (5x faster than one
    reduction over two strided axes)."""
    rows, cols = cells.shape[0] // factor, cells.shape[1] // factor
    per_row = cells.view(rows * factor, cols, factor).sum(dim=-1, dtype=torch.int16)
    return per_row.view(rows, factor, cols).sum(dim=1)


def _legend_traces(colors: list[str], names: list[str]) -> list[go.Scatter]:
    """Legend entries for an image, which has no colour bar of its own."""
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"size": 14, "color": c, "symbol": "square"},
            name=n,
            showlegend=True,
        )
        for c, n in zip(colors, names, strict=True)
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
    height = height or min(950, max(420, 190 + 24 * q_len))
    if max(q_len, kv_len) <= HEATMAP_LIMIT:
        fig = go.Figure(_categorical(z, colors, names, hover, (q_labels, k_labels)))
    else:
        image, note = _image(z, colors)
        fig = go.Figure([image, *_legend_traces(colors, names)])
        fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top"})
        if note:
            title = f"{title} ({note})"
        fig.update_xaxes(range=[-0.5, kv_len - 0.5])
        fig.update_yaxes(range=[q_len - 0.5, -0.5])
    _layout(fig, title, q_labels, k_labels, height)
    return fig


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
        ["blocked", "allowed", "no key at all"],
        q_labels,
        k_labels,
        title=title,
        hover=hover,
        height=height,
    )
    if int(empty.sum()) and max(mask.shape) <= CELL_TEXT_LIMIT:
        for row in empty.nonzero().flatten().tolist():
            fig.add_annotation(
                x=mask.shape[1] - 0.5,
                y=row,
                text="∅ no key: NaN in softmax",
                xanchor="left",
                showarrow=False,
                font={"color": EMPTY_ROW, "size": 13},
            )
        fig.update_layout(margin={"r": 190})
    return fig


def _mask_hover(mask, q_tokens, k_tokens, blockers) -> list[list[str]]:
    def q_text(i):
        return f"query '{html.escape(q_tokens[i], quote=False)}' ({i})"

    rows = []
    for i in range(mask.shape[0]):
        row = []
        for j in range(mask.shape[1]):
            key = f"key '{html.escape(k_tokens[j], quote=False)}' ({j})"
            if mask[i, j]:
                state = "allowed"
            else:
                by = [name for name, part in blockers if not part[i, j]]
                state = f"blocked ({', '.join(by)})" if by else "blocked"
            row.append(f"{q_text(i)} → {key}: {state}")
        rows.append(row)
    return rows


def difference_figure(a, b, q_tokens, k_tokens, *, name_a: str, name_b: str) -> go.Figure:
    """Where two masks differ: only in A, only in B, in both, in neither."""
    z = a.to(torch.uint8) + 2 * b.to(torch.uint8)  # 0 neither, 1 only A, 2 only B, 3 both
    labels = [[axis_label(t, k) for k, t in enumerate(tokens)] for tokens in (q_tokens, k_tokens)]
    hover = None
    if max(a.shape) <= CELL_TEXT_LIMIT:
        words = ["neither", "only in A", "only in B", "both"]
        hover = [
            [
                f"query '{html.escape(q_tokens[i], quote=False)}' ({i}) → key "
                f"'{html.escape(k_tokens[j], quote=False)}' ({j}): {words[int(z[i, j])]}"
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


def thumbnail(mask: torch.Tensor, title: str) -> go.Figure:
    """A small gallery heatmap, no axes text, same colours as the full view."""
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
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=230,
        margin={"l": 4, "r": 4, "t": 34, "b": 4},
        title={"text": html.escape(title, quote=False), "font": {"size": 14}, "x": 0.02},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def keys_per_query_figure(keys_per_query: torch.Tensor, q_tokens: list[str]) -> go.Figure:
    counts = keys_per_query.tolist()
    fig = go.Figure(
        go.Bar(
            x=list(range(len(counts))),
            y=counts,
            marker_color=[ALLOWED if c else EMPTY_ROW for c in counts],
            hovertemplate="query %{x}: %{y} keys<extra></extra>",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=300,
        title="keys per query",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        bargap=0.1,
    )
    fig.update_xaxes(title="query", **_ticks([axis_label(t, k) for k, t in enumerate(q_tokens)]))
    fig.update_yaxes(title="keys it may attend")
    return fig


def norm_cells_figure(categories: torch.Tensor, row_labels: list[str], title: str) -> go.Figure:
    """The (B, T, C) block drawn flat: one row per (sentence, position), one column per feature;
    categories: 0 not averaged, 1 averaged, 2 a padding cell that is averaged (the leak),
    3 padding not averaged, 4 the cell being normalized."""
    B, T, C = categories.shape
    z = categories.reshape(B * T, C)
    fig = category_figure(
        z,
        [BLOCKED, ALLOWED, EMPTY_ROW, "#F5F5F5", "#000000"],
        ["not averaged", "averaged", "padding, averaged", "padding", "this cell"],
        row_labels,
        [f"f{c}" for c in range(C)],
        title=title,
        height=min(900, 200 + 16 * B * T),
    )
    for b in range(1, B):  # a line between sentences
        fig.add_hline(y=b * T - 0.5, line_color="#333333", line_width=2)
    fig.update_xaxes(title="features")
    fig.update_yaxes(title="sentence · position", scaleanchor=None)
    return fig


def signed_figure(values: torch.Tensor, row_labels: list[str], col_labels: list[str], title: str) -> go.Figure:
    """A signed (T, C) matrix on a diverging scale centred on 0 (RdBu: colour-blind safe)."""
    bound = max(values.abs().max().item(), 1e-12)
    fig = go.Figure(
        go.Heatmap(
            z=values.float().numpy(),
            zmin=-bound,
            zmax=bound,
            colorscale="RdBu",
            reversescale=True,
            hovertemplate="%{y} · %{x}: %{z:.4f}<extra></extra>",
            x=col_labels,
            y=row_labels,
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={"text": html.escape(title, quote=False), "x": 0.01},
        height=min(700, 160 + 26 * len(row_labels)),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return fig


def lines_figure(
    series: dict[str, list[float]], x: list[int], *, title: str, x_title: str, y_title: str, log_y: bool = False
) -> go.Figure:
    """One line per named series, markers on, colour-blind-safe colours."""
    colors = [ALLOWED, ONLY_A, EMPTY_ROW, ONLY_B]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=ys,
                name=name,
                mode="lines+markers",
                line={"color": colors[k % 4], "width": 3},
                marker={"size": 8},
                hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>",
            )
            for k, (name, ys) in enumerate(series.items())
        ]
    )
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={"text": html.escape(title, quote=False), "x": 0.01},
        height=380,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_xaxes(title=x_title, dtick=1)
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear")
    return fig
