"""The views both attention pages share: grid, one head, pipeline, aggregates, lines, shapes.

Everything here reads tensors the model already returned; changing the layer, the head or the
view never runs the model again (the run is cached by the page).
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass

import streamlit as st
import torch

import masks
from app import figures
from app.cache import derived
from app.lecture import Lecture
from app.state import Link, part_rerun, varying
from app.text import counted
from model.inspect import block_shapes, entropy, max_entropy, pipeline, rollout

VIEWS = ["grid", "pipeline", "aggregate", "lines", "shapes"]


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


def stacked(attentions, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What a cached run keeps of the model's per-layer results, for the first sequence of the
    batch: weights and scores (L, H, Q, K) and the (Q, K) mask. Stacked once, not on every rerun."""
    weights = torch.stack([a.weights[0] for a in attentions])
    scores = torch.stack([a.scores[0] for a in attentions])
    return weights, scores, mask[0, 0]


MODEL_SHOWN = "_model_shown"  # session state: page -> the model its last run showed
REOPEN = "_reopen"  # session state: the model changed by a click; its pickers start from its own head


def model_opened(name: str) -> None:
    """A model picked in place of another (a click, not Back / Forward to a link that names its head)
    opens on its own opening head and first sentence: the layer, head and sentence picked for the
    one before are not this one's, nor is a sentence saying why that head was opened on."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    shown = st.session_state.setdefault(MODEL_SHOWN, {})
    page = st.session_state.get("_page")
    before, shown[page] = shown.get(page), name
    context = get_script_run_ctx(suppress_warning=True)
    history = context is not None and context.is_history_navigation
    st.session_state[REOPEN] = before is not None and before != name and not history


def head_picker(link: Link, attn: AttentionSet) -> tuple[int, int]:
    left, right = st.columns(2)
    first = [str(k) for k in attn.start]
    if st.session_state.pop(REOPEN, False):
        st.session_state["layer"], st.session_state["head"] = first
        link.forget("layer", "head")  # the last model's, still in the address bar
    layer = int(link.choice("Layer", "layer", [str(k) for k in range(attn.layers)], first[0], where=left))
    head = int(link.choice("Head", "head", [str(k) for k in range(attn.heads)], first[1], where=right))
    return layer, head


def why_start(attn: AttentionSet, layer: int, head: int) -> None:
    """Under the head's figure (above it, it would push the figure below a projector's fold), when it
    is the head shown."""
    if attn.why_start and (layer, head) == attn.start:
        st.caption(attn.why_start)


def warn_empty_rows(mask: torch.Tensor) -> None:
    empty = len(masks.stats(mask).empty_rows)
    if empty:
        st.warning(
            f"{counted(empty, 'query has', 'queries have')} no allowed key under this mask: "
            "their weights are all 0 (not NaN)."
        )


def show_head(lecture: Lecture, attn: AttentionSet, layer: int, head: int) -> None:
    """The enlarged head."""
    with lecture.on_stage():
        lecture.show(
            attn.figure(
                "head",
                layer,
                head,
                build=lambda: figures.attention_figure(
                    attn.weights[layer, head],
                    attn.mask,
                    attn.q_tokens,
                    attn.k_tokens,
                    title=f"{attn.name} attention, layer {layer}, head {head}",
                    mask_name=attn.mask_name,
                    numbers=attn.numbers,
                ),
            ),
            key="head_figure",
            alt=f"{attn.name} attention weights of layer {layer} head {head}",
            main=True,
        )
    with lecture.beside():
        why_start(attn, layer, head)


def show_pipeline(lecture: Lecture, attn: AttentionSet, layer: int, head: int) -> None:
    link = lecture.link
    with lecture.beside():
        training = link.flag("Training mode (dropout on)", "train", False)
        left, right = st.columns(2)
        percent = link.integer("Dropout p (%)", "p", 0, 90, 10, where=left)
        seed = link.integer("Dropout seed", "seed", 0, 10_000, 0, where=right)
    stages = pipeline(attn.scores[layer, head], attn.mask, percent / 100 if training else 0.0, seed)
    with lecture.on_stage():
        lecture.show(
            figures.pipeline_figure(
                stages,
                attn.mask,
                attn.q_tokens,
                attn.k_tokens,
                title=f"{attn.name} attention, layer {layer}, head {head}: where the mask and the dropout act",
                training=training,
                numbers=attn.numbers,
            ),
            key="pipeline_figure",
            alt="scores, masked scores, softmax, dropout",
            main=True,
        )
    with lecture.beside():
        why_start(attn, layer, head)
        st.caption(
            "Grey cells are blocked by the mask: -inf before softmax, exactly 0 after it. In training mode "
            f"dropout zeroes about {percent}% of the allowed weights and scales the rest by 1 / (1 - p), "
            "so a row no longer sums to 1."
        )


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
        )


def show_lines(lecture: Lecture, attn: AttentionSet, layer: int, head: int) -> None:
    link = lecture.link
    with lecture.beside():
        every = link.flag("All heads of the layer, one colour each", "all_heads", False)
    weights = attn.weights[layer] if every else attn.weights[layer, head : head + 1]
    label = f"all heads, head {head} in front" if every else f"head {head}"
    with lecture.on_stage():
        lecture.show(
            figures.lines_view(
                weights,
                attn.q_tokens,
                attn.k_tokens,
                title=f"{attn.name}, layer {layer}, {label}: queries left, keys right",
                front=head if every else None,
            ),
            key="lines_figure",
            alt="attention as lines",
            main=True,
        )
    with lecture.beside():
        why_start(attn, layer, head)


@dataclass(frozen=True)
class Shapes:
    """The shapes view: (tensor, shape, note) rows through one block, and a caption naming the sizes."""

    rows: list[tuple[str, tuple[int, ...], str]]
    caption: str


def block(config, length: int) -> Shapes:
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
    """The chosen view of one kind of attention: the View picker, then the view. In the views of one
    head, the Layer and Head pickers and what they pick rerun on their own (`head_views`), from the
    same place in every such view (see app/state.py); the grid of every head stays above them."""
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
    else:
        with varying():  # on a screen, every head above the pickers: a head change does not send it again
            if view == "grid" and not lecture.presenting:
                show_every_head(lecture, attn)
        head_views(lecture, attn, {"grid": show_grid, "pipeline": show_pipeline, "lines": show_lines}[view])


def head_views(lecture: Lecture, attn: AttentionSet, draw) -> None:
    """The pickers and `draw(lecture, attn, layer, head)` as one part of the page that reruns by itself
    (a fragment): a layer or head change sends that part, not the whole page and its sidebar (the
    browser re-renders every element a run sends). One fragment, called from one place, for every view
    of one head: its pickers never move to another fragment (Streamlit 1.67 unties a bound control that
    does from the address bar). Its reruns come from a click in it, never from a link: the link was
    checked by the whole run (`Link.clicked`). It holds the run's weights and scores only as long as the
    shared cache does (weak references: Streamlit keeps a fragment for the session's life); once the
    cache has let them go, a change runs the whole page."""
    if lecture.presenting:  # the pickers beside the stage, where a fragment cannot put its controls
        with lecture.beside():
            layer, head = head_picker(lecture.link, attn)
        draw(lecture, attn, layer, head)
        return
    weights, scores = weakref.ref(attn.weights), weakref.ref(attn.scores)
    rest = dataclasses.replace(attn, weights=None, scores=None)
    kept = len(lecture.figures)

    @st.fragment
    def part() -> None:
        current = dataclasses.replace(rest, weights=weights(), scores=scores())
        if current.weights is None or current.scores is None:
            st.rerun(scope="app")
        if part_rerun():
            lecture.link.clicked()
            del lecture.figures[kept:]  # the part's figures replaced, not added to
        layer, head = head_picker(lecture.link, current)
        draw(lecture, current, layer, head)
        lecture.link.remember()  # the page's link, as the share button and other pages read it

    part()


def show_grid(lecture: Lecture, attn: AttentionSet, layer: int, head: int) -> None:
    """The picked head enlarged; on a projector every layer and head small beside it (drawn here then)."""
    show_head(lecture, attn, layer, head)
    if lecture.presenting:
        with lecture.beside():
            show_every_head(lecture, attn)


def show_every_head(lecture: Lecture, attn: AttentionSet) -> None:
    """Every layer and head, one small map each, with the roles found and a table of them."""
    tokens = f"{len(attn.q_tokens)} x {len(attn.k_tokens)} tokens"
    lecture.show(
        attn.figure(
            "grid",
            build=lambda: figures.grid_figure(
                attn.weights, attn.mask, title=f"{attn.name} attention: layers x heads, {tokens}", notes=attn.head_notes
            ),
        ),
        key="grid_figure",
        alt="all layers and heads",
        small=True,
    )
    if attn.notes_caption:
        st.caption(attn.notes_caption)
    if attn.heads_table:
        with st.expander(f"Named heads ({len(attn.heads_table)})", icon=":material/label:"):
            share = st.column_config.NumberColumn(format="percent")
            st.dataframe(attn.heads_table, hide_index=True, column_config={"share of rows": share})
