"""The One block page in AppTest: each stage's figure, and every sentence checked against the numbers
the page draws (the figures' own data), on a trained checkpoint and on a random model."""

from __future__ import annotations

import re

import numpy as np
import pytest

from model.block import walk_order
from tests.app.conftest import as_array, charts, run_page, shown_text, title

RANDOM_RELU = {"model": "random", "activation": "relu", "text": "the cat sat on the mat"}


def figure_named(at, start: str) -> dict:
    return next(f for f in charts(at) if title(f).startswith(start))


def stage_values(at) -> np.ndarray:
    """The stage figure's values (the first figure: the one on stage)."""
    return as_array(charts(at)[0]["data"][0]["z"])


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_every_stage_draws_its_values_with_its_shape_in_the_users_numbers(norm):
    params = {**RANDOM_RELU, "norm": norm}
    for key in walk_order(norm == "pre"):
        at = run_page("block", **params, stage=key)
        assert not at.exception, (key, at.exception[0].value)
        shape = re.search(r": ([a-z_ x]+) = ([\d x]+)", title(charts(at)[0]))
        sizes = dict(zip(shape[1].split(" x "), map(int, shape[2].split(" x ")), strict=True))
        assert sizes["n"] == len("the cat sat on the mat")  # a random model reads characters, spaces too
        values = stage_values(at)
        if key == "weights":  # one head: n x n
            assert values.shape == (sizes["n"], sizes["n"])
        else:  # a row per token, heads side by side
            assert values.shape == (sizes["n"], np.prod([v for k, v in sizes.items() if k != "n"]))


def test_the_diagram_lists_the_stages_in_the_placements_order_and_marks_the_one_shown():
    for norm in ("pre", "post"):
        at = run_page("block", **RANDOM_RELU, norm=norm, stage="act")
        diagram = next(m.value for m in at.markdown if "one block:" in m.value)
        assert diagram.startswith("**Pre-LN" if norm == "pre" else "**Post-LN")
        lines = diagram.split("  \n")[1:]
        marked = [line for line in lines if line.startswith("▶")]
        assert len(marked) == 1 and "activation (ReLU)" in marked[0]
        names = [re.search(r"`\s*\d+` (.+?): [a-z_ x]+ = ", line)[1] for line in lines]
        # Post-LN: the first LayerNorm after the first residual
        assert (
            names.index("LayerNorm 1") < names.index("queries, split into heads")
            if norm == "pre"
            else (names.index("LayerNorm 1") == names.index("+ residual around attention") + 1)
        )


@pytest.mark.parametrize("params", [{}, {"change_at": "2"}, {"mask": "custom", "m_scheme": "full"}, RANDOM_RELU])
def test_the_sentences_about_changed_rows_say_what_the_figure_of_changed_rows_shows(params):
    at = run_page("block", **params)
    figure = figure_named(at, "Rows changed when token")
    changed = as_array(figure["data"][0]["z"])  # stages x rows, 1 = changed
    text = shown_text(at)
    at_row = int(re.search(r"Replacing token (\d+)", text)[1])
    assert changed[0].nonzero()[0].tolist() == [at_row]  # the input: only the replaced token's row
    unchanged = [k for k in range(changed.shape[1]) if not changed[-1, k]]
    said = re.search(r"Rows ([\d, ]+) leave the block exactly as before", text)
    assert (said[1].split(", ") if said else []) == [str(k) for k in unchanged]
    # the stage that first reaches another row is the attention weights' or the head outputs'
    stage_names = figure["layout"]["yaxis"].get("ticktext")
    first_other = next((s for s in range(changed.shape[0]) if set(changed[s].nonzero()[0]) - {at_row}), None)
    if first_other is not None:
        assert "attention weights" in text.split("Other rows changed first at:")[1].split(".")[0]
        assert stage_names[first_other] == "weights"  # the figure's rows are named as the Stage pills


def test_the_activation_sentence_counts_the_zero_units_the_figure_shows():
    at = run_page("block", **RANDOM_RELU, stage="act")
    values = stage_values(at)
    share = (values == 0).mean(axis=1)
    text = shown_text(at)
    said = re.search(
        r"ReLU: .*? After it, (\d+)% of the (\d+) units of a token are exactly 0 on average, "
        r"from (\d+)% \(row (\d+).*?to (\d+)% \(row (\d+)",
        text,
    )
    assert said, text
    assert int(said[2]) == values.shape[1]
    assert int(said[1]) == round(100 * share.mean())
    assert (int(said[3]), int(said[4])) == (round(100 * share.min()), int(share.argmin()))
    assert (int(said[5]), int(said[6])) == (round(100 * share.max()), int(share.argmax()))


def test_dropout_in_training_multiplies_by_0_or_1_over_1_minus_p_as_the_page_says_and_is_off_in_evaluation():
    training = {"train": "true", "p": "20", "seed": "4"}
    before = stage_values(run_page("block", **training, stage="proj"))
    at = run_page("block", **training, stage="drop1")
    after = stage_values(at)
    ratios = sorted({round(float(r), 4) for r in (after[before != 0] / before[before != 0])})
    assert ratios == [0.0, 1.25]
    assert "by 0 or by 1.25 (read off the values)" in shown_text(at) and "1 / (1 − p) = 1.2500" in shown_text(at)
    weights = run_page("block", **training, stage="weights", head="1")
    sums = np.nansum(stage_values(weights), axis=1)
    trace = charts(weights)[0]["data"][0]
    assert trace["zmax"] >= np.nanmax(stage_values(weights)) > 1  # kept weights scaled up: on the scale, not past it
    assert "then dropout" in title(charts(weights)[0])  # blocked cells are drawn grey: sent as NaN
    said = re.search(r"head 1's rows now sum to between ([\d.]+) and ([\d.]+) \(mean ([\d.]+)\)", shown_text(weights))
    assert [float(x) for x in said.groups()] == [round(float(v), 3) for v in (sums.min(), sums.max(), sums.mean())]
    evaluation = run_page("block", stage="drop1")
    assert np.array_equal(stage_values(evaluation), stage_values(run_page("block", stage="proj")))
    assert "Evaluation: dropout is the identity" in shown_text(evaluation)


def test_the_layernorm_sentence_is_computed_from_the_rows_it_normalizes():
    at = run_page("block", stage="input")
    rows = stage_values(at)
    normalized = (rows - rows.mean(1, keepdims=True)) / np.sqrt(rows.var(1, keepdims=True) + 1e-5)
    said = re.search(r"variance (?:from )?(\d+\.\d{4})(?: to (\d+\.\d{4}))?", shown_text(at))
    variance = normalized.var(1)
    low, high = float(said[1]), float(said[2] or said[1])
    assert [low, high] == [round(float(variance.min()), 4), round(float(variance.max()), 4)]
