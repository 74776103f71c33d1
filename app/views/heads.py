"""The views both attention pages share: grid, one head, pipeline, aggregates, lines, shapes.

Everything here reads tensors the model already returned; changing the layer, the head or the
view never runs the model again (the run is cached by the page).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st
import torch

import masks
from app import figure_element, figures
from app.cache import derived
from app.lecture.stage import Lecture
from app.state import Link, current_page, varying
from app.text import counted
from model.inspect import block_shapes, entropy, max_entropy, pipeline, rollout

VIEWS = ["grid", "pipeline", "aggregate", "lines", "shapes"]
GRID_LAYERS = 10  # layers the grid of every head shows at once: 10 x 9 maps of SmolLM2's 30 x 9 fill a projector


@dataclass
class AttentionSet:
    """One kind of attention from one run: (L, H, Q, K) weights and scores, the (Q, K) mask."""

    name: str
    weights: torch.Tensor
    scores: torch.Tensor
    mask: torch.Tensor
    q_tokens: list[str]
    k_tokens: list[str]
    mask_name: str  # what blocked cells were blocked by, for hover text
    start: tuple[int, int] = (0, 0)  # the (layer, head) the page opens on
    why_start: str | None = None  # a sentence saying why, computed from the weights
    head_notes: dict[tuple[int, int], str] | None = None  # a label per (layer, head) on the grid (its role)
    notes_caption: str | None = None  # what the labels mean, with their threshold
    heads_table: list[dict] | None = None  # every named head and its measured share, under the grid
    numbers: bool = False  # each weight of one head written in its cell

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    def figure(self, *key, build):
        """`build()` drawn once per view (`key`) for as long as these weights (a cached run's,
        shared by every session) live: the sessions of a class stepping to one view share it."""
        notes = tuple(sorted((self.head_notes or {}).items()))
        view = (*key, self.name, tuple(self.q_tokens), tuple(self.k_tokens), self.mask_name, notes, self.numbers)
        return derived(self.weights, view, build)


MODEL_SHOWN = "_model_shown"  # session state: page -> the model its last run showed
REOPEN = "_reopen"  # session state: the model changed by a click; its pickers start from its own head


def model_opened(name: str) -> None:
    """A model picked in place of another (a click, not Back / Forward to a link that names its head)
    opens on its own opening head and first sentence: the layer, head and sentence picked for the
    one before are not this one's, nor is a sentence saying why that head was opened on."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    shown = st.session_state.setdefault(MODEL_SHOWN, {})
    page = current_page()
    before, shown[page] = shown.get(page), name
    context = get_script_run_ctx(suppress_warning=True)
    history = context is not None and context.is_history_navigation
    st.session_state[REOPEN] = before is not None and before != name and not history


def head_of_link(link: Link, attn: AttentionSet) -> tuple[int, int]:
    """The layer and head the link names (checked), else the view's opening head. A model picked in
    place of another opens on its own: the last model's layer and head leave the address bar."""
    if st.session_state.pop(REOPEN, False):
        link.forget("layer", "head")
        for key in ("layer", "head"):
            st.query_params.pop(key, None)
    return link.held("layer", attn.layers, attn.start[0]), link.held("head", attn.heads, attn.start[1])


def warn_empty_rows(mask: torch.Tensor) -> None:
    empty = derived(mask, "empty rows", lambda: len(masks.stats(mask).empty_rows))  # a cached run's mask
    if empty:
        st.warning(
            f"{counted(empty, 'query has', 'queries have')} no allowed key under this mask: "
            "their weights are all 0 (not NaN)."
        )


def head_figure(attn: AttentionSet):
    """The enlarged head: the view's name, its figure of a (layer, head), and a head's frame (what the
    browser redraws on a pick: its values alone, the rest of the figure being the same for every head)."""

    def title(layer: int, head: int) -> str:
        return f"{attn.name} attention, layer {layer}, head {head}"

    def draw(layer: int, head: int):
        return figures.attention_figure(
            attn.weights[layer, head],
            attn.mask,
            attn.q_tokens,
            attn.k_tokens,
            title=title(layer, head),
            mask_name=attn.mask_name,
            numbers=attn.numbers,
        )

    def frame(layer: int, head: int) -> dict:
        weights = attn.weights[layer, head]
        return figures.head_frame(weights, attn.mask, title=title(layer, head), mask_name=attn.mask_name)

    return ("head",), draw, frame


def pipeline_figure(lecture: Lecture, attn: AttentionSet):
    """The pipeline's controls (beside the stage); the view's name, its figure of a (layer, head), and
    no frame of its own (each head's frame comes from its figure)."""
    link = lecture.link
    with lecture.beside():
        training = link.flag("Training mode (dropout on)", "train", False)
        left, right = st.columns(2)
        percent = link.integer("Dropout p (%)", "p", 0, 90, 10, where=left)
        seed = link.integer("Dropout seed", "seed", 0, 10_000, 0, where=right)
        st.caption(
            "Grey cells are blocked by the mask: -inf before softmax, exactly 0 after it. In training mode "
            f"dropout zeroes about {percent}% of the allowed weights and scales the rest by 1 / (1 - p), "
            "so a row no longer sums to 1."
        )
    p = percent / 100 if training else 0.0

    def draw(layer: int, head: int):
        return figures.pipeline_figure(
            pipeline(attn.scores[layer, head], attn.mask, p, seed),
            attn.mask,
            attn.q_tokens,
            attn.k_tokens,
            title=f"{attn.name} attention, layer {layer}, head {head}: where the mask and the dropout act",
            training=training,
            numbers=attn.numbers,
        )

    return ("pipeline", training, p, seed), draw, None  # heads differ in several panels: frames from figures


def lines_figure(lecture: Lecture, attn: AttentionSet):
    """The lines view's control (beside the stage); the view's name, its figure of a (layer, head), and
    no frame of its own."""
    with lecture.beside():
        every = lecture.link.flag("All heads of the layer, one colour each", "all_heads", False)

    def build(layer: int, head: int):
        weights = attn.weights[layer] if every else attn.weights[layer, head : head + 1]
        label = f"all heads, head {head} in front" if every else f"head {head}"
        return figures.lines_view(
            weights,
            attn.q_tokens,
            attn.k_tokens,
            title=f"{attn.name}, layer {layer}, {label}: queries left, keys right",
            front=head if every else None,
        )

    return ("lines", every), build, None  # heads differ in their traces: frames from figures


def show_aggregate(lecture: Lecture, attn: AttentionSet, self_attention: bool) -> None:
    summary = torch.stack([attn.weights.mean(dim=1), attn.weights.amax(dim=1)], dim=1)  # (L, 2, Q, K)
    with lecture.on_stage():
        lecture.show(
            figures.grid_figure(
                summary, attn.mask, title=f"{attn.name}: mean and max over heads, per layer", col_titles=["mean", "max"]
            ),
            key="aggregate_figure",
            alt="mean and max over heads",
            main=True,
        )
    values, top = entropy(attn.weights), max_entropy(attn.mask)  # (L, H); the most under this mask
    lecture.show(
        figures.matrix_figure(
            values,
            [f"layer {k}" for k in range(attn.layers)],
            [f"h{h}" for h in range(attn.heads)],  # short: 12 side by side on a phone, not slanted into the title
            title="mean entropy per head (nats)",
            subtitle=f"0 = all weight on one key; {top:.2f} = uniform over the allowed keys",
            fmt=".2f",
            limits=(0.0, top) if top > 0 else None,
        ),
        key="entropy_figure",
        alt="entropy per head",
    )
    if self_attention:
        flow = rollout(attn.weights)
        lecture.show(
            figures.attention_figure(
                flow,
                torch.ones_like(attn.mask),
                attn.q_tokens,
                attn.k_tokens,
                title="attention rollout across layers (Abnar and Zuidema 2020)",
            ),
            key="rollout_figure",
            alt="attention rollout",
            under=True,  # a map of square cells: on a projector, scrolled to, it fills the screen
        )


@dataclass(frozen=True)
class Shapes:
    """The shapes view: (tensor, shape, note) rows through one block, and a caption naming the sizes."""

    rows: list[tuple[str, tuple[int, ...], str]]
    caption: str


def toy_shapes(config, length: int) -> Shapes:
    """Our transformer's block (model/transformer.py) for an input of `length` tokens."""
    return Shapes(
        block_shapes(config, length),
        f"B = 1 sentence, T = {length} tokens, C = d_model = {config.d_model}, H = {config.n_heads} heads "
        f"of d = {config.d_model // config.n_heads}: T vectors in, T vectors out.",
    )


def show_shapes(shapes: Shapes) -> None:
    rows = [{"tensor": name, "shape": " x ".join(map(str, shape)), "note": note} for name, shape, note in shapes.rows]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(shapes.caption)


def show(lecture: Lecture, attn: AttentionSet, shapes: Shapes, self_attention: bool = True) -> None:
    """The chosen view of one kind of attention: the View picker, then the view. The views of one head
    get the Layer and Head pickers, which switch heads in the browser (`show_heads`)."""
    with lecture.beside():
        view = lecture.link.choice(
            "View",
            "view",
            VIEWS,
            "grid",
            help="grid: every layer and head; pipeline: one head step by step; aggregate: mean, max, "
            "entropy, rollout; lines: BertViz-style; shapes: tensors through one block",
        )
        numbers = lecture.link.flag(
            "Numbers in cells",
            "numbers",
            False,
            help=f"each weight of one head written in its cell, up to {figures.NUMBERS_LIMIT} tokens",
        )
        too_many = max(len(attn.q_tokens), len(attn.k_tokens)) > figures.NUMBERS_LIMIT
        if numbers and too_many:
            varying().caption(
                f"Numbers in cells are written up to {figures.NUMBERS_LIMIT} tokens; this view has "
                f"{len(attn.q_tokens)} x {len(attn.k_tokens)}: hover a cell for its weight."
            )
    attn = dataclasses.replace(attn, numbers=numbers)
    if view == "aggregate":
        show_aggregate(lecture, attn, self_attention)
    elif view == "shapes":
        show_shapes(shapes)
    elif view == "grid":
        show_heads(lecture, attn, head_figure(attn), key="head_figure", every_head=True)
    elif view == "pipeline":
        show_heads(lecture, attn, pipeline_figure(lecture, attn), key="pipeline_figure")
    else:
        show_heads(lecture, attn, lines_figure(lecture, attn), key="lines_figure")


def show_heads(lecture: Lecture, attn: AttentionSet, view, *, key: str, every_head: bool = False) -> None:
    """A view of one head (`view`: its name, `draw(layer, head)`, its figure, and `frame(layer, head)`,
    what a head's figure has that the others' have not, or None): the Layer and Head pickers and the
    figure, sent with every head of the run so that a pick redraws it in the browser, with no run of
    the page (the address bar, Back / Forward and the share link follow it). A view whose heads would
    send more than a view may (figure_element.HEADS_PAYLOAD) sends one, and the server draws each head
    picked, saying so. What is sent is made once per view while the run is cached: from each head's
    frame where the view has them (no figure is built for a head nobody picks), else from every head's
    figure. `every_head`: the grid of every head too, above the pickers (beside the stage on a
    projector), where a click on a head picks it."""
    name, draw, frame = view
    layer, head = head_of_link(lecture.link, attn)
    count = attn.layers * attn.heads
    pairs = [(k, h) for k in range(attn.layers) for h in range(attn.heads)]

    def one(k: int, h: int):
        return attn.figure(*name, k, h, build=lambda: draw(k, h))

    fits = figure_element.every_head_fits(lecture.dress(one(layer, head), main=True), count)
    figure_of = one

    def other(pair: tuple[int, int]):  # the code of the head just built, with other values: Plotly need not check
        with figures.unchecked():  # (a figure of plain dicts never is: tests/app/test_unchecked_figures.py)
            return draw(*pair)

    if fits and frame is None:
        # the head sent is the one just made (`one`), not built again
        every = attn.figure(
            *name,
            "every head",
            build=lambda: {pair: one(*pair) if pair == (layer, head) else other(pair) for pair in pairs},
        )
        figure_of = lambda k, h: every[k, h]  # noqa: E731
    about = figure_element.heads_about(attn.layers, attn.heads, attn.start, round_trip=not fits)
    if every_head and not lecture.presenting:
        with varying():
            show_every_head(lecture, attn, about, layer)
    # why the view opens on its head: beside the pickers on a projector, under the figure on a screen
    # (above it, it would push the figure below the fold)
    notes = {attn.start: attn.why_start} if attn.why_start else {}
    with lecture.beside():
        figure_element.picker(about, key=f"{key}_heads", notes=notes if lecture.presenting else {})
        if not fits:
            st.caption(
                f"{count} heads of {len(attn.q_tokens)} x {len(attn.k_tokens)} tokens are more than a view sends "
                f"at once ({figure_element.HEADS_PAYLOAD // 1_000_000} MB): the server draws each head you pick."
            )

    def every_frame() -> bytes:
        if frame is not None:  # values only: dressing for a projector or a dark page changes none of them
            return figure_element.heads_sent(about, {pair: frame(*pair) for pair in pairs}, (layer, head))
        dressed = {pair: lecture.dress(figure_of(*pair), main=True) for pair in pairs}
        return figure_element.heads_sent(about, figure_element.figure_frames(dressed, (layer, head)), (layer, head))

    # made once per figure sent (as dressed: frames made from figures carry its sizes and colours)
    drawn = lecture.dress(figure_of(layer, head), main=True)
    sent = derived(drawn, ("heads", tuple(attn.start)), every_frame) if fits else None
    with lecture.on_stage():
        lecture.show(
            figure_of(layer, head),
            key=key,
            alt=f"{attn.name} attention of the layer and head picked",
            main=True,
            heads=sent or figure_element.heads_sent(about, None, (layer, head)),
            figure_of=figure_of,
            notes={} if lecture.presenting else notes,
        )
    if every_head and lecture.presenting:
        with lecture.beside():
            show_every_head(lecture, attn, about, layer)


def layer_ranges(layers: int) -> list[tuple[int, int]]:
    """The grid's ranges of layers, GRID_LAYERS each: one for a model of at most GRID_LAYERS layers."""
    return [(first, min(first + GRID_LAYERS, layers)) for first in range(0, layers, GRID_LAYERS)]


def show_every_head(lecture: Lecture, attn: AttentionSet, about: dict, layer: int) -> None:
    """Every layer and head, one small map each (a click on one picks it: `about` as for the pickers),
    with the roles found and a table of them. A model of more than GRID_LAYERS layers shows a range of
    them at a time (30 x 9 maps at once are a few pixels each on a projector), opening on `layer`'s."""
    ranges = layer_ranges(attn.layers)
    first, last = ranges[0]
    if len(ranges) > 1:
        names = [f"{a}-{b - 1}" for a, b in ranges]
        picked = lecture.link.choice(
            "Grid layers",
            "grid_layers",
            names,
            names[layer // GRID_LAYERS],
            help=f"the grid shows {GRID_LAYERS} of the {attn.layers} layers at a time; the pickers reach every one",
        )
        first, last = ranges[names.index(picked)]
    tokens = f"{len(attn.q_tokens)} x {len(attn.k_tokens)} tokens"
    shown = f"layers {first}-{last - 1} (of {attn.layers}) x heads" if len(ranges) > 1 else "layers x heads"
    notes = {(k - first, h): note for (k, h), note in (attn.head_notes or {}).items() if first <= k < last}
    weights = attn.weights[first:last]
    lecture.show(
        attn.figure(
            "grid",
            first,
            build=lambda: figures.grid_figure(
                weights, attn.mask, title=f"{attn.name} attention: {shown}, {tokens}", notes=notes, first_row=first
            ),
        ),
        key="grid_figure",
        alt="all layers and heads",
        small=True,
        grid={**about, "maps": figures.grid_maps(tuple(weights.shape)), "first": first, "shown": last - first},
    )
    if attn.notes_caption:
        st.caption(attn.notes_caption)
    if attn.heads_table:
        with st.expander(f"Named heads ({len(attn.heads_table)})", icon=":material/label:"):
            share = st.column_config.NumberColumn(format="percent")
            st.dataframe(attn.heads_table, hide_index=True, column_config={"share of rows": share})
