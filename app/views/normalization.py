"""Normalization: LayerNorm vs BatchNorm on a padded batch, and Pre-LN vs Post-LN at initialization."""

from __future__ import annotations

import html

import streamlit as st
import torch

from app import figures
from app.cache import MiB, bounded
from app.lecture.stage import Lecture
from app.state import Link, varying
from app.text import WORDS_HELP, markdown_table, visible
from model.normalization import (
    NORMS,
    averaged_cells,
    last_layer_by_depth,
    padding_dependence,
    placement_findings,
    placement_study,
)
from model.tokenizer import split_words

DEFAULT_SENTENCES = "the cat sat on the mat .\na dog barked\nit rained all day long in the old city"
MAX_SENTENCES, MAX_WORDS, FEATURES, MAX_DEPTH = 8, 24, 8, 12
NAMES = {
    "layer": "LayerNorm",
    "batch": "BatchNorm",
    "batch_masked": "BatchNorm, padding skipped",
    "batch_per_position": "BatchNorm per position",
}
FIXES = {
    "layer": "Nothing to fix: each token is normalized over its own features only.",
    "batch": "Averages every position of every sentence, padding included: a sentence's output moves when "
    "the batch is padded more or another sentence changes.",
    "batch_masked": "Skipping padding in the statistics removes the padding leak; the output still depends on "
    "the other sentences in the batch (and at inference on running averages).",
    "batch_per_position": "Not averaging over length keeps positions apart; each position still averages over "
    "the batch, padding of shorter sentences included, and one sentence alone has no statistics at all.",
}


@bounded(max_bytes=64 * MiB)
def batch_views(sentences: tuple, pick: int, extra_pad: int, feature: int) -> dict:
    """The section's numbers and figures for one batch and setting, made once and shared by every
    session showing it: per normalization, how far the followed sentence moves, the cells its
    statistics average, its output and the output's change under more padding."""
    result = padding_dependence([list(s) for s in sentences], pick, extra_pad, FEATURES)
    length = max(len(s) for s in sentences)
    real = torch.tensor([[t < len(s) for t in range(length)] for s in sentences])
    # one notation for a row in every figure: sentence b, position t, the word there (as text: a label
    # is HTML to Plotly); the followed row in bold, which a phone's label thinning keeps (app/browser.js)
    rows = [
        f"s{b + 1} t{t} {html.escape(visible(s[t])) if t < len(s) else '[PAD]'}"
        for b, s in enumerate(sentences)
        for t in range(length)
    ]
    rows[pick * length] = f"<b>{rows[pick * length]}</b>"
    words = [f"s{pick + 1} t{t} {visible(w)}" for t, w in enumerate(sentences[pick])]
    feature_names = [f"f{c}" for c in range(FEATURES)]
    views = {}
    for kind in ("layer", "batch"):
        cells = averaged_cells(kind, (len(sentences), length, FEATURES), (pick, 0, feature), real)
        padding = ~real[..., None].expand_as(cells)
        categories = torch.where(padding, torch.where(cells, 2, 3), cells.long())
        categories[pick, 0, feature] = 4
        views[kind] = {
            "cells": figures.norm_cells_figure(categories, rows, NAMES[kind]),
            "output": figures.matrix_figure(
                result[kind]["output"], words, feature_names, title=f"{NAMES[kind]} output", signed=True
            ),
            "difference": figures.matrix_figure(
                result[kind]["difference"],
                words,
                feature_names,
                signed=True,
                title=f"{NAMES[kind]}: change when padded {extra_pad} more",
            ),
        }
    # a table in Markdown: light to draw (st.table and st.dataframe load a 0.7 MB Arrow bundle in the
    # browser, which on a first visit held the figures above it back by half a second)
    table = markdown_table(
        [
            "normalization",
            f"moves with {extra_pad} more padding",
            "moves when the sentence is alone",
            "what it fixes, what it still depends on",
        ],
        [
            [NAMES[kind], f"{result[kind]['more_padding']:.4f}", f"{result[kind]['alone']:.4f}", FIXES[kind]]
            for kind in NORMS
        ],
    )
    return {"table": table, "views": views}


@bounded(max_bytes=16 * MiB)
def placement_views(depth: int, init: str) -> tuple[list, list[str]]:
    """The three charts of the study at this depth and initialization, and the sentences computed
    from their numbers: made once, shared by every session."""
    per_layer, by_depth = placement_study(depth, init), last_layer_by_depth(depth, init)
    layers = list(range(1, depth + 1))
    charts = [
        (
            "grad",
            {"Pre-LN": per_layer.ffn_grad["pre"], "Post-LN": per_layer.ffn_grad["post"]},
            "gradient norm of each layer's FFN weight W²",
            "layer",
            "‖∂L/∂W‖",
        ),
        (
            "depth",
            {"Pre-LN": by_depth["pre"], "Post-LN": by_depth["post"]},
            "last layer's FFN gradient norm as depth grows",
            "number of layers",
            "‖∂L/∂W‖ (last layer)",
        ),
        (
            "residual",
            {"Pre-LN": per_layer.residual_norm["pre"], "Post-LN": per_layer.residual_norm["post"]},
            "residual stream norm after each layer",
            "layer",
            "mean ‖x‖",
        ),
    ]
    shown = [
        (key, title, figures.lines_figure(series, layers, title=title, x_title=x_title, y_title=y_title))
        for key, series, title, x_title, y_title in charts
    ]
    return shown, placement_findings(per_layer, by_depth)


@bounded(max_bytes=4 * MiB)
def read_sentences(text: str) -> tuple[tuple[str, ...], ...]:
    """The batch's sentences, one per non-empty line, each cut at MAX_WORDS words, at most MAX_SENTENCES:
    read once per text, not by every session showing it."""
    lines = (split_words(line) for line in text.splitlines())
    return tuple(tuple(words[:MAX_WORDS]) for words in lines if words)[:MAX_SENTENCES]


def batch_section(link: Link, lecture: Lecture) -> None:
    """LayerNorm vs BatchNorm on a padded batch: the controls, the cells each averages, how far the
    followed sentence moves."""
    with lecture.beside():
        st.header("LayerNorm vs BatchNorm on a padded batch")
        # the batch's controls beside the text; folded on a projector, where the maps fill the stage
        expander, notice = st.expander("The batch", expanded=not lecture.presenting, icon=":material/tune:"), varying()
    with expander:
        left, right = st.columns([2, 1])
        with left:
            text = link.text(
                "Sentences, one per line", "sentences", DEFAULT_SENTENCES, max_chars=5_000, lines=True, help=WORDS_HELP
            )
            st.caption(
                f"Up to {MAX_SENTENCES} sentences of {MAX_WORDS} words; each word is a fixed vector of {FEATURES} "
                "features (the same word always looks the same), padding is the zero vector."
            )
        sentences = read_sentences(text)
        if not sentences:
            notice.info("No sentence given; showing the example batch.")  # outside: seen when folded
            sentences = read_sentences(DEFAULT_SENTENCES)
        with right:
            pick = link.integer("Sentence to follow", "pick", 1, len(sentences), 2) - 1
            extra_pad = link.integer(
                "Extra padding", "extra_pad", 1, 16, 4, help="pad the batch by this many more tokens"
            )
            feature = link.integer("Feature", "feature", 0, FEATURES - 1, 0)

    batch = batch_views(sentences, pick, extra_pad, feature)

    with lecture.beside():
        st.subheader("Which cells each normalization averages")
        st.caption(
            f"For the first token of sentence {pick + 1}, feature f{feature} (black): blue cells enter its mean "
            "and variance; vermillion ones are padding that does."
        )
    with lecture.on_stage():
        cells = [
            (batch["views"][kind]["cells"], f"cells_{kind}", f"cells {NAMES[kind]} averages")
            for kind in ("layer", "batch")
        ]
        lecture.side_by_side(cells, main=True)

    st.subheader(f"Sentence {pick + 1} after each normalization: does it depend on the rest of the batch?")
    st.markdown(batch["table"])  # a table wraps its text: a data grid clipped the last column
    columns = st.columns(2)
    for column, kind in zip(columns, ["layer", "batch"], strict=True):
        with column:
            views = batch["views"][kind]
            lecture.show(views["output"], key=f"out_{kind}", alt=f"{NAMES[kind]} output")
            lecture.show(views["difference"], key=f"diff_{kind}", alt=f"{NAMES[kind]} change with more padding")


# Streamlit's code font, on a grey that reads on the light and the dark theme alike
DIAGRAM_STYLE = (
    "font-family: 'Source Code Pro', monospace; font-size: 0.875rem; line-height: 1.5; margin: 0; padding: 1rem; "
    "background: rgba(151, 166, 195, 0.15); border-radius: 0.5rem; overflow-x: auto"
)


def diagram(where, name: str, drawing: list[str], rule: str) -> None:
    """A block's diagram in monospace, as plain HTML: st.code would load a 1.5 MB syntax highlighter
    in the browser for it, which on a first visit held the page's figures back by half a second."""
    text = html.escape("\n".join([name, *drawing, rule]))
    label = html.escape(f"{name}: {rule}")
    where.html(f'<pre role="img" aria-label="{label}" style="{DIAGRAM_STYLE}">{text}</pre>')


def placement_section(link: Link, lecture: Lecture) -> None:
    """Pre-LN vs Post-LN at initialization: the controls, three charts and what they show."""
    st.header("Pre-LN vs Post-LN")
    # one block per diagram: side by side on a wide screen, one under the other on a phone
    post, pre = st.columns(2)
    diagram(
        post,
        "Post-LN (Vaswani et al. 2017)",
        ["x ──┬──► F ──►(+)──► LayerNorm ──►", "    └──────────┘"],
        "x_next = LN(x + F(x))",
    )
    diagram(
        pre,
        "Pre-LN (GPT-2, Xiong et al. 2020)",
        ["x ──┬──► LayerNorm ──► F ──►(+)──►", "    └────────────────────────┘"],  # under the + of (+)
        "x_next = x + F(LN(x))",
    )
    left, right = st.columns(2)
    with left:
        depth = link.integer("Layers", "depth", 1, MAX_DEPTH, 6)
    with right:
        init = link.choice(
            "Initialization",
            "init",
            ["xavier", "normal"],
            "xavier",
            help="xavier: as in the paper and the original Transformer; normal: GPT-2's N(0, 0.02)",
        )
    st.caption(
        "A decoder from `model/` at initialization (d_model 64, 4 heads), a language-modelling loss on random "
        "tokens, averaged over 3 seeds; the gradient of each layer's FFN weight W² in FFN(x) = act(x W¹) W² "
        "(the weight Xiong et al. 2020 measure). The sentences under the charts are computed from their numbers."
    )
    with st.spinner("Computing gradients at initialization…"):  # shown after half a second: a new depth
        charts, findings = placement_views(depth, init)
    for column, (key, title, figure) in zip(st.columns(3), charts, strict=True):
        with column:
            lecture.show(figure, key=f"chart_{key}", alt=title)
    for sentence in findings:
        st.markdown(sentence)


def show() -> None:
    link = Link()
    lecture = Lecture(link, "Normalization")
    with varying():
        if not lecture.presenting:  # on a projector the lecturer says it, and the figures start above the fold
            st.markdown(
                "Why transformers use **LayerNorm** and not BatchNorm: sentences differ in length, so a batch "
                "carries padding, and BatchNorm's statistics mix sentences and padding. Everything below is "
                "computed live."
            )
    with varying():
        batch_section(link, lecture)
    placement_section(link, lecture)
    lecture.share()
