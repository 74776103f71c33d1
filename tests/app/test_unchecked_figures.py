"""Figures Plotly does not check as they are built: those written as plain dicts
(app/figures/style.py, `plain_figure`: one head, the pipeline, the grid of every head), a view's other
heads built unchecked (`unchecked`), the enlarged head's other heads sent as frames made from its values
(app/views/heads.py, `head_figure`). What they send must be exactly what Plotly's checked copy of them
sends, with and without blocked cells, numbers in cells, rows with no key, on a projector and on a dark
page."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from plotly.utils import PlotlyJSONEncoder

import masks
from app import figure_element, figures
from app.cache import figure_json
from app.lecture.stage import dressed
from app.views.heads import AttentionSet, head_figure
from model.inspect import pipeline

T = 9
TOKENS = ["[BOS]", "the", "cat", " ", "<b>", "sat", "é", "\u200b", "."]
MASKS = {
    "causal": masks.build("causal", T),
    "full": torch.ones(T, T, dtype=torch.bool),
    "empty rows": masks.build("causal", T) & masks.build("padding", T, pad=3, side="left"),
}


def builders(mask: torch.Tensor):
    scores = torch.randn(4, T, T, generator=torch.Generator().manual_seed(0))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1).nan_to_num(0.0)
    return {
        "head": lambda: figures.attention_figure(weights[1], mask, TOKENS, TOKENS, title="head 1", numbers=True),
        "pipeline": lambda: figures.pipeline_figure(
            pipeline(scores[2], mask, 0.1, 3), mask, TOKENS, TOKENS, title="pipeline", training=True
        ),
        "lines": lambda: figures.lines_view(weights, TOKENS, TOKENS, title="lines", front=2),
        "matrix": lambda: figures.matrix_figure(scores[0], TOKENS, [f"f{c}" for c in range(T)], title="m"),
        "grid": lambda: figures.grid_figure(
            weights.view(2, 2, T, T), mask, title="grid", notes={(1, 0): "previous <i>"}, selected=(0, 1)
        ),
        "grid of one head": lambda: figures.grid_figure(weights[:1].view(1, 1, T, T), mask, title="one", notes={}),
        "signed matrix": lambda: figures.matrix_figure(
            scores[1], TOKENS, [f"f{c}" for c in range(T)], title="m", signed=True, fmt=".2f", subtitle="under"
        ),
        "mask": lambda: figures.mask_figure(mask, TOKENS, TOKENS, title="mask", pad_keys=[3]),
        "mask as an image": lambda: figures.mask_figure(
            masks.build("causal", 300), ["t"] * 300, ["t"] * 300, title="a large mask"
        ),
        "categories": lambda: figures.category_figure(
            mask.long(), ["#000000", "#ffffff"], ["no", "yes"], TOKENS, TOKENS, title="c", axes=("rows", "cols")
        ),
        "norm cells": lambda: figures.norm_cells_figure(
            (scores[3].reshape(3, 3, T) > 0).long() + 2 * (scores[3].reshape(3, 3, T) > 1).long(),
            [f"s{b} t{t}" for b in range(3) for t in range(3)],
            "LayerNorm",
        ),
    }


def sent_checked(fig: go.Figure):
    """What Plotly's checked copy of `fig` sends: every property checked and converted as Plotly
    stores it (a misspelt one refused)."""
    return json.loads(figure_json(go.Figure(fig.to_dict())))


@pytest.mark.parametrize("mask_name", MASKS)
def test_a_figure_built_unchecked_sends_what_its_checked_copy_sends(mask_name):
    for name, build in builders(MASKS[mask_name]).items():
        with figures.unchecked():  # as a view builds its other heads; plain figures are never checked
            fig = build()
        assert json.loads(figure_json(fig)) == sent_checked(fig), name
        assert json.loads(figure_json(build())) == sent_checked(fig), name  # and what it sends built checked


def test_the_checked_copy_finds_what_a_plain_figure_gets_wrong():
    """The comparison above fails on a plain figure that Plotly would refuse or store otherwise."""
    misspelt = figures.plain_figure([{"type": "heatmap", "z": np.zeros((2, 2)), "colorsale": "Viridis"}], {})
    with pytest.raises(ValueError, match="colorsale"):
        sent_checked(misspelt)
    shorthand = figures.plain_figure([], {"xaxis": {"title": "keys"}})  # Plotly stores {"text": "keys"}
    assert json.loads(figure_json(shorthand)) != sent_checked(shorthand)
    named = figures.plain_figure([{"type": "heatmap", "z": np.zeros((2, 2)), "colorscale": "Viridis"}], {})
    assert json.loads(figure_json(named)) != sent_checked(named)  # Plotly stores the scale's stops


def test_unchecked_ends_with_its_block():
    with figures.unchecked():
        pass
    with pytest.raises(ValueError):  # checked again: a wrong property is refused, as Plotly does
        figures.matrix_figure(torch.zeros(2, 2), ["a", "b"], ["c", "d"], title="x").update_layout(heigth=3)


@pytest.mark.parametrize("mask_name", MASKS)
@pytest.mark.parametrize(("presenting", "dark"), [(False, False), (True, False), (False, True), (True, True)])
def test_a_heads_frame_made_from_its_values_is_the_frame_its_whole_figure_gives(mask_name, presenting, dark):
    mask = MASKS[mask_name]
    scores = torch.randn(2, 3, T, T, generator=torch.Generator().manual_seed(1))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1).nan_to_num(0.0)
    attn = AttentionSet("self", weights, scores, mask, TOKENS, TOKENS, "causal <b>", numbers=True)
    _, draw, frame = head_figure(attn)
    pairs = [(layer, head) for layer in range(2) for head in range(3)]
    drawn = (1, 2)
    as_shown = (lambda fig: dressed(fig, presenting, dark, "main")) if presenting or dark else (lambda fig: fig)
    from_figures = figure_element.figure_frames({pair: as_shown(draw(*pair)) for pair in pairs}, drawn)
    from_values = {pair: frame(*pair) for pair in pairs}
    about = figure_element.heads_about(2, 3, (0, 0), round_trip=False)
    sent = [json.loads(figure_element.heads_sent(about, frames, drawn)) for frames in (from_values, from_figures)]
    assert sent[0] == sent[1]


@pytest.mark.parametrize("mask_name", MASKS)
def test_a_copy_sends_what_the_figure_sends_and_changing_it_leaves_the_figure_as_it_was(mask_name):
    for name, build in builders(MASKS[mask_name]).items():
        fig = build()
        sent = json.loads(figure_json(fig))
        copy = figures.copied(fig, {})
        assert json.loads(figure_json(copy)) == sent == sent_checked(copy), name
        changed = figures.copied(fig, {"margin": {"t": 321}, "height": 999})  # as figures side by side are levelled
        sent_changed = json.loads(figure_json(changed))
        assert sent_changed == sent_checked(changed), name
        assert (sent_changed["layout"]["margin"], sent_changed["layout"]["height"]) == (
            {**sent["layout"]["margin"], "t": 321},
            999,
        ), name
        assert json.loads(json.dumps(fig.to_dict(), cls=PlotlyJSONEncoder)) == sent, name  # the figure unchanged
