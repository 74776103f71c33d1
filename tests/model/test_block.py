"""One block stage by stage (model/block.py), checked against the model's own forward and against
each stage recomputed here from the block's weights."""

from __future__ import annotations

import pytest
import torch

import masks
from model import block as walk_through
from model.transformer import Transformer, TransformerConfig

N = 9


def model(norm: str = "pre", activation: str = "gelu", seed: int = 0) -> Transformer:
    config = TransformerConfig(norm=norm, activation=activation, vocab_size=24, n_layers=2)
    return Transformer(config, generator=torch.Generator().manual_seed(seed)).eval()


def ids(seed: int = 1) -> torch.Tensor:
    return torch.randint(4, 24, (N,), generator=torch.Generator().manual_seed(seed))


def walked(m, token_ids, mask, layer=1, dropout=None) -> list:
    return walk_through.walk(m.blocks[layer], walk_through.layer_input(m, token_ids, layer, mask), mask, dropout)


def stages_of(m, token_ids, mask, layer=1, dropout=None) -> dict:
    return {s.key: s for s in walked(m, token_ids, mask, layer, dropout)}


@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_the_last_stage_is_the_blocks_own_forward_and_the_stages_run_in_the_placements_order(norm, activation):
    m, mask = model(norm, activation), masks.build("causal", N)
    x = walk_through.layer_input(m, ids(), 1, mask)
    walked = walk_through.walk(m.blocks[1], x, mask)
    with torch.no_grad():
        expected = m.blocks[1](x[None], mask)[0][0]
    torch.testing.assert_close(walked[-1].values, expected, rtol=0, atol=1e-6)
    assert [s.key for s in walked] == walk_through.walk_order(norm == "pre")
    assert walked[0].values.shape == walked[-1].values.shape == (N, m.config.d_model)  # n in, n out


def test_each_stage_recomputed_from_the_weights():
    m, mask = model(), masks.build("sliding_window", N, window=3)
    block = m.blocks[1]
    s = stages_of(m, ids(), mask)
    x = s["input"].values
    mean, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
    normed = (x - mean) / torch.sqrt(var + block.ln_1.eps)
    torch.testing.assert_close(s["LN1"].values, normed * block.ln_1.weight + block.ln_1.bias)
    H, d = m.config.n_heads, m.config.d_model // m.config.n_heads
    q = (s["LN1"].values @ block.self_attn.query.weight.T + block.self_attn.query.bias).view(N, H, d).transpose(0, 1)
    k = (s["LN1"].values @ block.self_attn.key.weight.T + block.self_attn.key.bias).view(N, H, d).transpose(0, 1)
    torch.testing.assert_close(s["Q"].values, q)
    scores = (q @ k.transpose(1, 2) / d**0.5).masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(s["weights"].values, torch.softmax(scores, -1))
    assert (s["weights"].values[:, ~mask] == 0).all()
    torch.testing.assert_close(s["weights"].values.sum(-1), torch.ones(H, N))
    torch.testing.assert_close(s["res1"].values, x + s["proj"].values)
    torch.testing.assert_close(s["act"].values, torch.nn.functional.gelu(s["up"].values))
    torch.testing.assert_close(s["res2"].values, s["res1"].values + s["down"].values)


@pytest.mark.parametrize("at", [0, 4, N - 1])
def test_a_changed_token_reaches_other_rows_only_through_attention_and_never_an_earlier_row_under_causal(at):
    m, mask = model(), masks.build("causal", N)
    before = ids()
    after = before.clone()
    after[at] = 3 if before[at] != 3 else 5
    # layer 0: its input rows are the tokens' own embeddings, so only row `at` differs going in
    changed = walk_through.changed_rows(walked(m, before, mask, 0), walked(m, after, mask, 0))
    order = walk_through.walk_order(True)
    # a query with one allowed key keeps its weight of exactly 1 on it, whatever the key's token
    several_keys = {i for i in range(N) if mask[i].sum() > 1}
    for key in order:
        rows = set(torch.nonzero(changed[key]).flatten().tolist())
        if order.index(key) < order.index("weights"):
            expected = {at}
        elif key == "weights":
            expected = set(range(at, N)) & several_keys
        else:
            expected = set(range(at, N))
        assert rows == expected, (key, rows)


def test_a_mask_that_lets_no_one_read_a_token_keeps_every_other_row_unchanged():
    m = model()
    mask = masks.build("sliding_window", N, window=1)  # each token attends itself only
    before = ids()
    after = before.clone()
    after[4] = 3 if before[4] != 3 else 5
    changed = walk_through.changed_rows(walked(m, before, mask, 0), walked(m, after, mask, 0))
    for key, rows in changed.items():  # the weights are 1 on the diagonal either way
        assert torch.nonzero(rows).flatten().tolist() == ([] if key == "weights" else [4]), key


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.7])
def test_dropout_factors_name_each_factor_once_though_float32_ratios_differ_in_the_last_digit(p):
    """after / before in float32 gives 1 / (1 - p) give or take a unit in the last place, on either side
    of a rounding edge: the page said "by 0 or by 1.42857 or by 1.42857" for p = 0.3."""
    m, mask = model(), masks.build("causal", N)
    s = stages_of(m, ids(), mask, dropout=walk_through.Dropout(p, seed=3))
    zero, kept = walk_through.dropout_factors(s["proj"].values, s["drop1"].values)
    assert zero == 0.0 and kept == pytest.approx(1 / (1 - p), rel=1e-6)


def test_dropout_scales_each_value_by_0_or_1_over_1_minus_p_and_keeps_row_sums_1_in_expectation():
    m, mask = model(), masks.build("causal", N)
    p = 0.25
    s = stages_of(m, ids(), mask, dropout=walk_through.Dropout(p, seed=3))
    assert walk_through.dropout_factors(s["proj"].values, s["drop1"].values) == [0.0, round(1 / (1 - p), 6)]
    x = s["input"].values
    torch.testing.assert_close(s["res1"].values, x + s["drop1"].values)
    sums = torch.stack(
        [
            stages_of(m, ids(), mask, dropout=walk_through.Dropout(p, seed))["weights"].values.sum(-1)
            for seed in range(300)
        ]
    )
    one_draw = sums[0]
    assert (one_draw - 1).abs().max() > 0.05  # one draw: rows no longer sum to 1
    assert (sums.mean(0) - 1).abs().max() < 0.1  # over many draws they do, on average
    evaluation = stages_of(m, ids(), mask)
    assert torch.equal(evaluation["drop1"].values, evaluation["proj"].values)  # identity in evaluation


def test_the_activations_quiet_units_counted_as_the_page_says():
    m, mask = model(activation="relu"), masks.build("causal", N)
    act = stages_of(m, ids(), mask)["act"]
    share = walk_through.near_zero_share(act, relu=True)
    assert torch.equal(share, (act.values == 0).sum(-1) / act.values.shape[-1])
    assert 0 < share.mean() < 1
    gelu = stages_of(model(), ids(), mask)["act"]
    quiet = walk_through.near_zero_share(gelu, relu=False)
    assert torch.equal(quiet, (gelu.values.abs() <= 0.01).float().mean(-1))
