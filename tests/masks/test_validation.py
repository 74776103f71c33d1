"""Bad arguments raise ValueError naming the parameter, the value and what is allowed."""

import pytest
import torch

import masks


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: masks.build("sliding_window", 8, window=0), r"window must be an integer >= 1 \(got 0\)"),
        (lambda: masks.build("prefix_lm", 8, prefix=-1), r"prefix must be an integer >= 0 \(got -1\)"),
        (lambda: masks.build("padding", 8, pad=9), r"pad must be an integer between 0 and 8 \(got 9\)"),
        (lambda: masks.build("cross", 4, 6, pad=7), r"pad must be an integer between 0 and 6 \(got 7\)"),
        (lambda: masks.build("document", 8, lengths=(3, 4)), r"lengths must sum to q_len = 8"),
        (lambda: masks.build("document", 7, 8, lengths=(3, 4)), r"document needs q_len == kv_len"),
        (lambda: masks.build("document", 7, lengths=(3, 0, 4)), r"lengths must be a sequence of integers"),
        (lambda: masks.build("document", 7, lengths="34"), r"lengths must be"),
        (lambda: masks.build("padding", 4, 5, mask_queries=True), r"needs q_len == kv_len"),
        (
            lambda: masks.build("causal", 4, align="diagonal"),
            r"align must be one of 'top_left', 'bottom_right'",
        ),
        (lambda: masks.build("chunked", 4, causal="yes"), r"causal must be True or False \(got 'yes'\)"),
        (lambda: masks.build("strided", 4, stride=2.5), r"stride must be an integer >= 1 \(got 2.5\)"),
        (lambda: masks.build("strided", 4, stride=True), r"stride must be an integer"),
        (lambda: masks.build("strided", 4, stride="3"), r"stride must be an integer"),
        (lambda: masks.build("bigbird", 4, n_random=5), r"n_random must be an integer between 0 and 4"),
        (lambda: masks.build("causal", 0), r"q_len must be an integer between 1 and 65536 \(got 0\)"),
        (lambda: masks.build("causal", 4, -2), r"kv_len must be an integer between 1 and 65536"),
        (lambda: masks.build("causal", 10**9), r"q_len must be an integer between 1 and 65536"),
        (
            lambda: masks.build("causal", 4, window=3),
            r"causal has no parameter 'window'; its parameters: align",
        ),
        (lambda: masks.build("full", 4, window=3), r"full has no parameter 'window'; its parameters: none"),
    ],
)
def test_bad_argument_names_parameter_value_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unknown_scheme_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        masks.build("causual", 4)
    assert "'causual'" in str(error.value)
    for name in masks.SCHEMES:
        assert name in str(error.value)


def test_html_and_huge_values_are_only_reported_never_run():
    with pytest.raises(ValueError, match="unknown mask scheme"):
        masks.build("<img src=x onerror=alert(1)>", 4)
    with pytest.raises(ValueError, match="window must be"):
        masks.build("sliding_window", 4, window="__import__('os').system('true')")


def test_int_like_values_are_accepted():
    assert torch.equal(
        masks.build("sliding_window", 5, window=torch.tensor(2)), masks.build("sliding_window", 5, window=2)
    )


def test_combining_masks_of_different_shapes_is_refused():
    with pytest.raises(ValueError, match="different shapes"):
        masks.predicate("causal", 4) & masks.predicate("causal", 5)
    with pytest.raises(ValueError, match="cannot be combined"):
        masks.and_masks(masks.build("causal", 4), masks.build("causal", 5))
    with pytest.raises(ValueError, match="not a mix"):
        masks.and_masks(masks.build("causal", 4), masks.predicate("causal", 4))


def test_batch_needs_per_sequence_lists_of_one_length():
    with pytest.raises(ValueError, match="one value per sequence"):
        masks.build_batch("padding", 4, pad=1)
    with pytest.raises(ValueError, match="lengths \\[2, 3\\]"):
        masks.build_batch("document", 4, lengths=[(4,), (2, 2)], causal=[True, False, True])
    with pytest.raises(ValueError, match="pad must be"):
        masks.build_batch("padding", 4, pad=[1, 7])
