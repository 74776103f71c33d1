"""A view's other heads are built unchecked by Plotly (app/figures/style.py, `unchecked`): what they
send must be exactly what the same figure built checked sends, for every figure a head view builds,
with and without blocked cells, numbers in cells, and rows with no key."""

from __future__ import annotations

import json

import pytest
import torch

import masks
from app import figures
from app.cache import figure_json
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
    }


@pytest.mark.parametrize("mask_name", MASKS)
def test_a_figure_built_unchecked_sends_what_it_sends_built_checked(mask_name):
    for name, build in builders(MASKS[mask_name]).items():
        checked = json.loads(figure_json(build()))
        with figures.unchecked():
            unchecked = json.loads(figure_json(build()))
        assert unchecked == checked, name


def test_unchecked_ends_with_its_block():
    with figures.unchecked():
        pass
    with pytest.raises(ValueError):  # checked again: a wrong property is refused, as Plotly does
        figures.matrix_figure(torch.zeros(2, 2), ["a", "b"], ["c", "d"], title="x").update_layout(heigth=3)
