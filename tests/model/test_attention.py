"""model.attention: equal to SDPA, honest about blocked cells, never NaN."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import masks
from model.transformer import attention

torch.manual_seed(0)


def qkv(B=2, H=3, Q=9, K=9, d=16):
    return torch.randn(B, H, Q, d), torch.randn(B, H, K, d), torch.randn(B, H, K, d)


MASKS = {
    "causal": masks.build("causal", 9),
    "sliding bidirectional": masks.build("sliding_window", 9, window=2, causal=False),
    "left padding + causal (empty rows)": masks.build("causal", 9) & masks.build("padding", 9, pad=3, side="left"),
    "bigbird": masks.build("bigbird", 9),
    "batch of prefixes": masks.build_batch("prefix_lm", 9, prefix=[0, 4]),
    "all blocked": ~masks.build("full", 9),
}


@pytest.mark.parametrize("mask", MASKS.values(), ids=MASKS.keys())
def test_equals_sdpa_including_rows_with_no_allowed_key(mask):
    q, k, v = qkv()
    ours = attention(q, k, v, mask)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(ours.output, theirs, atol=1e-5)
    assert not ours.weights.isnan().any() and not ours.output.isnan().any()


@pytest.mark.parametrize("mask", MASKS.values(), ids=MASKS.keys())
def test_weights_sum_to_one_over_allowed_keys_and_blocked_cells_are_exactly_zero(mask):
    q, k, v = qkv()
    weights = attention(q, k, v, mask).weights
    full = mask.expand_as(weights)
    assert (weights[~full] == 0).all()
    rows = full.any(dim=-1)
    assert torch.allclose(weights.sum(-1)[rows], torch.ones(int(rows.sum())), atol=1e-6)
    assert (weights.sum(-1)[~rows] == 0).all()  # empty rows: zero weights, zero output


def test_scores_are_before_the_mask_and_rectangular_masks_work():
    q, k, v = qkv(Q=4, K=7)
    mask = masks.build("cross", 4, 7, pad=2)
    result = attention(q, k, v, mask)
    assert torch.allclose(result.scores, q @ k.transpose(-2, -1) / 4.0)
    assert result.weights.shape == (2, 3, 4, 7) and (result.weights[..., 5:] == 0).all()


def test_dropout_acts_on_the_weights_only_in_training():
    q, k, v = qkv(Q=32, K=32)
    mask = masks.build("causal", 32)
    evaluation = attention(q, k, v, mask, dropout_p=0.5, training=False)
    torch.manual_seed(3)
    trained = attention(q, k, v, mask, dropout_p=0.5, training=True)
    assert torch.equal(evaluation.scores, trained.scores)
    kept = trained.weights != 0
    dropped = mask.expand_as(kept) & ~kept
    assert 0.4 < dropped.sum() / mask.expand_as(kept).sum() < 0.6  # about half of the allowed cells dropped
    assert torch.allclose(trained.weights[kept], 2 * evaluation.weights[kept])  # survivors scaled by 1 / (1 - p)
    assert torch.allclose(trained.output, trained.weights @ v)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.sampled_from(sorted(masks.SCHEMES)), st.integers(0, 10**6))
def test_any_scheme_any_shape_matches_sdpa(q_len, kv_len, name, seed):
    if name in ("document", "padding") and q_len != kv_len:
        kv_len = q_len
    scheme = masks.SCHEMES[name]
    mask = masks.build(name, q_len, kv_len, **scheme.defaults_for(q_len, kv_len))
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(1, 2, q_len, 8, generator=generator)
    k, v = torch.randn(2, 1, 2, kv_len, 8, generator=generator)
    ours = attention(q, k, v, mask)
    assert torch.allclose(ours.output, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5)
