"""A view's other heads are sent without building each one's figure as the head drawn is built: the
enlarged head's as frames made from its values (app/views/heads.py, `head_figure`), the other views'
as figures built unchecked by Plotly (app/figures/style.py, `unchecked`). What they send must be
exactly what the figures built as the head drawn is send, with and without blocked cells, numbers in
cells, rows with no key, on a projector and on a dark page."""

from __future__ import annotations

import json

import pytest
import torch

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
