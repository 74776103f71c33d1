"""Defaults that fit any length, library call text, padding positions, how each convention is written
(the conventions' masks and counts: test_window_conventions.py)."""

import pytest
import torch

import masks
from masks.analysis import padding_positions
from masks.windows import CONVENTIONS


@pytest.mark.parametrize("name", list(masks.SCHEMES))
@pytest.mark.parametrize(("q_len", "kv_len"), [(1, 1), (2, 2), (11, 11), (100, 100), (3, 7), (7, 3)])
def test_defaults_for_any_lengths_are_valid(name, q_len, kv_len):
    params = masks.SCHEMES[name].defaults_for(q_len, kv_len)
    if name == "document" and q_len != kv_len:  # no document mask exists: refused by name, never a wrong shape
        with pytest.raises(ValueError, match="document needs q_len == kv_len"):
            masks.build(name, q_len, kv_len, **params)
    else:
        assert masks.build(name, q_len, kv_len, **params).shape == (q_len, kv_len)


def test_defaults_for_keeps_the_spec_default_when_it_fits():
    assert masks.SCHEMES["document"].defaults_for(9, 9)["lengths"] == (3, 4, 2)
    assert masks.SCHEMES["document"].defaults_for(11, 11)["lengths"] == (4, 4, 3)
    assert masks.SCHEMES["padding"].defaults_for(1, 1)["pad"] == 1


def test_call_text_is_the_library_call_for_the_same_mask():
    pred = masks.predicate("causal", 6) & ~masks.predicate("padding", 6, pad=1, side="left")
    assert pred.call_text() == 'masks.predicate("causal", 6) & ~masks.predicate("padding", 6, pad=1, side=\'left\')'
    namespace = {"masks": masks}
    rebuilt = eval(pred.call_text(), namespace)  # noqa: S307 - our own generated text, in a test
    assert torch.equal(rebuilt.build(), pred.build())
    assert masks.predicate("cross", 3, 5).call_text() == 'masks.predicate("cross", 3, 5)'


def test_padding_positions_for_figures():
    pred = masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=2, side="left", mask_queries=True)
    assert padding_positions(pred) == ([0, 1], [0, 1])
    assert padding_positions(masks.predicate("cross", 2, 4, pad=1)) == ([], [3])
    assert padding_positions(masks.predicate("causal", 4)) == ([], [])


def test_each_convention_is_written_with_its_own_value():
    assert [conv.written(3) for conv in CONVENTIONS] == [
        "sliding_window=3",
        "generate_sliding_window(2)",
        "local attention window_size=3",
        "attention_window=4 (even, two-sided)",
    ]
