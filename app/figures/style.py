"""What every figure shares: the font, the palette (Okabe-Ito, colour-blind safe, once), the
template, how many cells a figure draws one by one, and the labels of axes and legends."""

from __future__ import annotations

import contextlib
import contextvars
import html

import plotly.graph_objects as go
import plotly.io as pio

from app.text import visible

FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 15, "color": "#1a1a1a"}


# The palette, once: Okabe-Ito's colour-blind-safe colours, and greys for what is not data
ALLOWED, BLOCKED, EMPTY_ROW = "#0072B2", "#E6E6E6", "#D55E00"  # Okabe-Ito blue, light grey, vermillion


ONLY_A, ONLY_B = "#E69F00", "#56B4E9"  # orange, sky blue


GREEN, PINK, YELLOW, BLACK = "#009E73", "#CC79A7", "#F0E442", "#000000"  # the rest of Okabe-Ito


SERIES = [ALLOWED, ONLY_A, EMPTY_ROW, ONLY_B, GREEN, PINK, YELLOW, BLACK]  # lines, heads: in this order


# greys; a padding token's label dimmed yet text (4.5:1 on white, WCAG AA; #8C8C8C was 3.4:1)
PADDING_CELL, EDGE, RULE, PAD_LABEL = "#F5F5F5", "#999999", "#333333", "#767676"


_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "ticks": "", "automargin": True}


# What plotly_white gives our figures and no more: a template's defaults for every trace type are
# deep-copied into each figure and slow Plotly's drawing in the browser, for traces we never draw.
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


# Ours is every new figure's template: Plotly's default ("plotly") would be deep-copied into each
# go.Figure() and again by each layout change, only for frame_figure to replace it.
pio.templates["attention-lab"] = TEMPLATE
pio.templates.default = "attention-lab"


_CHECKED = contextvars.ContextVar("figures_checked", default=True)


def new_figure(data=None, layout=None) -> go.Figure:
    """A go.Figure whose every property Plotly checks as it is set, unless built inside `unchecked()`."""
    return go.Figure(data, layout, _validate=checked())


def plain_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure of plain dicts (traces and layout written as Plotly stores them: no None, arrays as
    numpy arrays), taken as they are. Plotly's checking of each property is most of what building a
    figure costs, and of these it would change nothing: tests/app/test_unchecked_figures.py checks
    that each such figure sends exactly what Plotly's checked copy of it sends."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def copied(fig: go.Figure, layout: dict) -> go.Figure:
    """A copy of `fig` (a cached figure is shared) with `layout` merged into its layout: traces and
    layout as plain dicts, not checked again. Only for changes Plotly would store as given."""
    return plain_figure([trace.to_plotly_json() for trace in fig.data], merged(fig.layout.to_plotly_json(), layout))


def merged(layout: dict, update: dict) -> dict:
    """`layout` with `update` written over it, nested dicts merged key by key (as Plotly's
    update_layout merges them), lists replaced."""
    out = dict(layout)
    for key, value in update.items():
        inner = out.get(key)
        out[key] = merged(inner, value) if isinstance(value, dict) and isinstance(inner, dict) else value
    return out


def trace(kind: str, **properties) -> dict:
    """A trace as a plain dict for `plain_figure`: its kind and the properties set (Plotly stores no None)."""
    return {"type": kind, **{name: value for name, value in properties.items() if value is not None}}


def checked() -> bool:
    """Whether figures built now are checked by Plotly (outside `unchecked()`)."""
    return _CHECKED.get()


@contextlib.contextmanager
def unchecked():
    """Figures built inside skip Plotly's checking of each property set on them (most of what building
    a head's figure costs): for a view's other heads, built by the same code as the head built checked
    just before, with only their values differing. The JSON is the same (tests/app/test_unchecked_figures.py)."""
    token = _CHECKED.set(False)
    try:
        yield
    finally:
        _CHECKED.reset(token)


CELL_TEXT_LIMIT = 64  # hover text names both tokens up to this many tokens per axis


# a 1 px line between cells up to this many cells per axis: Plotly paints gapped cells one by one,
# ungapped ones as one image, so larger maps go without
CELL_GAP_LIMIT = 32


MAX_TICKS = 48


FIGURE_CELLS = 400_000  # weight cells one figure sends at most (1.6 MB as float32): a view stays under 5 MB


# nothing in a figure's modebar leaves the app: no Plotly logo linking to plotly.com, and no "Share
# chart..." button, which uploads the figure to Plotly Cloud (plotly.js 4 shows it unless told not to)
HOME_ONLY = {"displaylogo": False, "showSendToCloud": False}


def chart_config(export_format: str = "png") -> dict:
    """Plotly config for a shown figure (app/figure_element.py): the modebar camera saves PNG or SVG at scale 2."""
    return {**HOME_ONLY, "toImageButtonOptions": {"format": export_format, "scale": 2}}


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


def legend_traces(colors: list[str], names: list[str], present: set[int] | None = None) -> list[dict]:
    """Legend entries, one per category in `present` (default: all), as a box with a thin edge
    (the light grey shows on white): a legend names only what the figure shows."""
    return [
        trace(
            "scatter",
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
