"""Each conversion, checked against the library whose convention it is."""

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import create_mask

import masks

torch.manual_seed(0)


def qkv(B=2, H=3, Q=7, K=7, d=8):
    return torch.randn(B, H, Q, d), torch.randn(B, H, K, d), torch.randn(B, H, K, d)


EXAMPLES = [
    masks.predicate("causal", 7),
    masks.predicate("sliding_window", 7, window=2, causal=False),
    masks.predicate("causal", 7) & masks.predicate("padding", 7, pad=2),
    masks.predicate("prefix_lm", 7, prefix=3),
    masks.predicate("bigbird", 7),
    masks.predicate("document", 7, lengths=(3, 4)),
]


@pytest.mark.parametrize("pred", EXAMPLES, ids=lambda p: p.name)
def test_sdpa_gives_the_same_output_with_bool_and_additive_masks(pred):
    q, k, v = qkv()
    mask = pred.build()
    with_bool = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    with_additive = F.scaled_dot_product_attention(q, k, v, attn_mask=masks.to_additive(mask))
    assert torch.allclose(with_bool, with_additive, atol=1e-6)


def test_causal_equals_sdpa_is_causal_including_q_ne_k():
    for Q, K in [(7, 7), (3, 7), (7, 3)]:
        q, k, v = qkv(Q=Q, K=K)
        ours = F.scaled_dot_product_attention(q, k, v, attn_mask=masks.build("causal", Q, K))
        theirs = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        assert torch.allclose(ours, theirs, atol=1e-6, equal_nan=True)


def test_generate_square_subsequent_mask_is_our_additive_causal_mask():
    for n in (1, 2, 9):
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(n)
        assert torch.equal(masks.to_additive(masks.build("causal", n)), theirs)


@pytest.mark.parametrize("pred", EXAMPLES, ids=lambda p: p.name)
def test_multihead_attention_with_to_mha_equals_sdpa_with_ours(pred):
    embed, heads, T = 12, 3, 7
    mha = torch.nn.MultiheadAttention(embed, heads, batch_first=True).eval()
    x = torch.randn(2, T, embed)
    mask = pred.build()
    out, _ = mha(x, x, x, attn_mask=masks.to_mha(mask), need_weights=False)
    # the same computation by hand through SDPA with our mask
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
    split = lambda t: t.view(2, T, heads, embed // heads).transpose(1, 2)  # noqa: E731
    attended = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=mask)
    expected = mha.out_proj(attended.transpose(1, 2).reshape(2, T, embed))
    assert torch.allclose(out, expected, atol=1e-5)


def test_batched_to_mha_repeats_per_head_in_the_order_mha_expects():
    embed, heads, T = 8, 2, 5
    mha = torch.nn.MultiheadAttention(embed, heads, batch_first=True).eval()
    x = torch.randn(3, T, embed)
    batch = masks.build_batch("padding", T, pad=[0, 1, 3]) & masks.build("causal", T)
    together, _ = mha(x, x, x, attn_mask=masks.to_mha(batch, num_heads=heads))
    one_by_one = [
        mha(x[b : b + 1], x[b : b + 1], x[b : b + 1], attn_mask=masks.to_mha(batch[b, 0]))[0] for b in range(3)
    ]
    assert torch.allclose(together, torch.cat(one_by_one), atol=1e-6)


def test_key_padding_mask_form_matches_mha_semantics():
    embed, heads, T = 8, 2, 5
    mha = torch.nn.MultiheadAttention(embed, heads, batch_first=True).eval()
    x = torch.randn(3, T, embed)
    batch = masks.padding_from_lengths([5, 3, 2])
    kpm = masks.to_key_padding_mask(batch)
    assert kpm.tolist() == [[False] * 5, [False] * 3 + [True] * 2, [False] * 2 + [True] * 3]
    a, _ = mha(x, x, x, key_padding_mask=kpm)
    b, _ = mha(x, x, x, attn_mask=masks.to_mha(batch, num_heads=heads))
    assert torch.allclose(a, b, atol=1e-6)
    assert torch.equal(masks.from_key_padding_mask(kpm, T), batch)


def test_key_padding_forms_refuse_masks_that_hide_keys_per_query():
    with pytest.raises(ValueError, match="not a pure key padding mask"):
        masks.to_key_padding_mask(masks.build("causal", 4))
    with pytest.raises(ValueError, match="not a pure key padding mask"):
        masks.to_hf_attention_mask(masks.build("causal", 4))


def test_hugging_face_attention_mask_round_trip():
    batch = masks.padding_from_lengths([4, 2], side="left")
    hf = masks.to_hf_attention_mask(batch)
    assert hf.dtype == torch.long and hf.tolist() == [[1, 1, 1, 1], [0, 0, 1, 1]]
    assert torch.equal(masks.from_hf_attention_mask(hf, 4), batch)


def test_additive_and_mha_round_trips():
    mask = (masks.predicate("strided", 9) | masks.predicate("global_local", 9)).build()
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        for blocked in ("-inf", "finfo.min"):
            assert torch.equal(masks.from_additive(masks.to_additive(mask, dtype, blocked)), mask)
    assert torch.equal(masks.from_mha(masks.to_mha(mask)), mask)
    assert torch.equal(masks.from_mha(masks.to_additive(mask)), mask)


def test_finfo_min_leaks_on_a_row_with_no_allowed_key_and_minus_inf_does_not():
    """The documented leak: HF's finfo.min turns an empty row into a uniform average."""
    mask = masks.build("causal", 4) & masks.build("padding", 4, pad=2, side="left")  # rows 0, 1 empty
    q, k, v = qkv(B=1, H=1, Q=4, K=4)
    leaky = F.scaled_dot_product_attention(q, k, v, attn_mask=masks.to_additive(mask, blocked="finfo.min"))
    safe = F.scaled_dot_product_attention(q, k, v, attn_mask=masks.to_additive(mask))
    assert torch.allclose(leaky[0, 0, 0], v[0, 0].mean(dim=0), atol=1e-5)  # uniform over blocked keys
    assert torch.equal(safe[0, 0, :2], torch.zeros(2, 8))


def test_mask_mod_of_a_tensor_and_of_a_batch():
    pred = masks.predicate("chunked", 6, chunk=2, causal=True)
    assert torch.equal(create_mask(masks.to_mask_mod(pred.build()), 1, 1, 6, 6, device="cpu")[0, 0], pred.build())
    batch = masks.build_batch("prefix_lm", 6, prefix=[0, 2, 6])
    assert torch.equal(create_mask(masks.to_mask_mod(batch), 3, 1, 6, 6, device="cpu"), batch)


def test_block_mask_skips_exactly_the_tiles_stats_counts():
    for pred in [
        masks.predicate("causal", 512),
        masks.predicate("sliding_window", 512, window=100),
        masks.predicate("document", 384, lengths=(128, 128, 128), causal=False),
    ]:
        block = masks.to_block_mask(pred)
        used = block.to_dense()[0, 0]  # 1 where FlexAttention computes a tile
        assert int((used == 0).sum()) == masks.stats(pred.build()).skippable_tiles


def test_conversions_reject_wrong_inputs_with_a_message():
    with pytest.raises(ValueError, match="bool mask"):
        masks.to_additive(torch.ones(3, 3))
    with pytest.raises(ValueError, match="blocked must be one of"):
        masks.to_additive(masks.build("full", 3), blocked="-1e9")
    with pytest.raises(ValueError, match="floating point"):
        masks.to_additive(masks.build("full", 3), dtype=torch.int64)
    with pytest.raises(ValueError, match="num_heads"):
        masks.to_mha(masks.build_batch("padding", 3, pad=[0, 1]))
