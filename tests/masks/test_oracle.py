"""Oracle: every scheme equals FlexAttention's create_mask run on the predicate of the spec.

The mask_mods below are written from the contract (masks/CONTRACT.md), not from masks/ code, and
torch (not us) materialises them.
"""

import itertools

import pytest
import torch
from torch.nn.attention.flex_attention import create_mask

import masks


def spec_mask_mod(name, Q, K, p):
    """The predicate column of mask-semantics.md, one mask_mod per scheme."""
    if name == "full":
        return lambda b, h, i, j: j >= 0
    if name == "causal":
        offset = K - Q if p["align"] == "bottom_right" else 0
        return lambda b, h, i, j: j <= i + offset
    if name == "right_to_left":
        return lambda b, h, i, j: j >= i
    if name == "padding":

        def real(x, n):
            return x < n - p["pad"] if p["side"] == "right" else x >= p["pad"]

        if p["mask_queries"]:
            return lambda b, h, i, j: real(j, K) & real(i, Q)
        return lambda b, h, i, j: real(j, K)
    if name == "prefix_lm":
        return lambda b, h, i, j: (j < p["prefix"]) | (j <= i)
    if name == "cross":
        return lambda b, h, i, j: j < K - p["pad"]
    if name == "sliding_window":
        w = p["window"]
        if p["causal"]:
            return lambda b, h, i, j: (i - j >= 0) & (i - j < w)
        return lambda b, h, i, j: (i - j).abs() < w
    if name == "dilated":
        span, dil = p["window"] * p["dilation"], p["dilation"]
        if p["causal"]:
            return lambda b, h, i, j: ((i - j) % dil == 0) & (i - j >= 0) & (i - j < span)
        return lambda b, h, i, j: ((i - j) % dil == 0) & ((i - j).abs() < span)
    if name == "chunked":
        c = p["chunk"]
        if p["causal"]:
            return lambda b, h, i, j: (i // c == j // c) & (j <= i)
        return lambda b, h, i, j: i // c == j // c
    if name == "document":
        doc = torch.tensor([d for d, n in enumerate(p["lengths"]) for _ in range(n)])
        if p["causal"]:
            return lambda b, h, i, j: (doc[i] == doc[j]) & (j <= i)
        return lambda b, h, i, j: doc[i] == doc[j]
    if name == "global_local":
        w, g = p["window"], p["n_global"]
        return lambda b, h, i, j: ((i - j).abs() < w) | (i < g) | (j < g)
    if name == "strided":
        s = p["stride"]
        return lambda b, h, i, j: (j <= i) & ((i - j < s) | ((i - j) % s == 0))
    if name == "bigbird":
        w, g = p["window"], p["n_global"]
        chosen = torch.zeros(Q, K, dtype=torch.bool)
        chosen.scatter_(1, masks.random_keys(Q, K, p["n_random"], p["seed"]), True)
        return lambda b, h, i, j: ((i - j).abs() < w) | (i < g) | (j < g) | chosen[i, j]
    raise AssertionError(f"no oracle for {name}")


SHAPES = [(1, 1), (5, 5), (7, 7), (3, 8), (8, 3), (130, 130)]


def grid(name, Q, K):
    """Parameter sets with edges: 0, 1, Q, K, beyond, each choice and flag."""
    edges = sorted({0, 1, 2, 3, Q, K, min(Q, K)})
    if name == "causal":
        return [{"align": a} for a in ("top_left", "bottom_right")]
    if name == "padding":
        return [
            {"pad": n, "side": s, "mask_queries": m}
            for n in edges
            if n <= K
            for s in ("right", "left")
            for m in ((False, True) if Q == K else (False,))
        ]
    if name == "prefix_lm":
        return [{"prefix": n} for n in edges + [K + 3]]
    if name == "cross":
        return [{"pad": n} for n in edges if n <= K]
    if name in ("sliding_window", "dilated"):
        extra = [{"dilation": d} for d in (1, 2, 3)] if name == "dilated" else [{}]
        return [
            {"window": w, "causal": c, **e}
            for w in [n for n in edges if n >= 1] + [K + 2]
            for c in (True, False)
            for e in extra
        ]
    if name == "chunked":
        return [{"chunk": c, "causal": k} for c in [n for n in edges if n >= 1] for k in (True, False)]
    if name == "document":
        if Q != K:
            return []
        splits = [(Q,), (1,) * Q, (Q - 1, 1) if Q > 1 else (1,), (2, Q - 2) if Q > 2 else (Q,)]
        return [{"lengths": s, "causal": c} for s in splits for c in (True, False)]
    if name == "global_local":
        return [{"window": w, "n_global": g} for w in (1, 2, Q + 1) for g in (0, 1, min(3, K), K)]
    if name == "strided":
        return [{"stride": s} for s in [n for n in edges if n >= 1]]
    if name == "bigbird":
        return [
            {"window": w, "n_global": g, "n_random": r, "seed": s}
            for w in (1, 2)
            for g in (0, 1)
            for r in sorted({0, 1, 2, min(K, 32)})
            if r <= K
            for s in (0, 7)
        ]
    return [{}]


CASES = [
    pytest.param(name, Q, K, params, id=f"{name}-{Q}x{K}-{params}")
    for name in masks.SCHEMES
    for Q, K in SHAPES
    for params in grid(name, Q, K)
]


def test_every_scheme_is_in_the_oracle_grid():
    assert {case.values[0] for case in CASES} == set(masks.SCHEMES)
    assert len(masks.SCHEMES) == 13


@pytest.mark.parametrize(("name", "Q", "K", "params"), CASES)
def test_build_equals_create_mask_of_the_spec(name, Q, K, params):
    full_params = {**masks.SCHEMES[name].defaults, **params}
    expected = create_mask(spec_mask_mod(name, Q, K, full_params), 1, 1, Q, K, device="cpu")[0, 0]
    got = masks.build(name, Q, K, **params)
    assert got.dtype == torch.bool and got.shape == (Q, K)
    assert torch.equal(got, expected)


@pytest.mark.parametrize("name", list(masks.SCHEMES))
def test_our_mask_mod_gives_the_same_mask_through_flex(name):
    n = 9
    pred = masks.predicate(name, n)
    via_flex = create_mask(pred.mask_mod, 2, 3, n, n, device="cpu")
    assert torch.equal(via_flex, pred.build().expand(2, 3, n, n))


def test_mask_mod_of_a_combination():
    pred = masks.predicate("causal", 6) & ~masks.predicate("padding", 6, pad=2, side="left")
    assert torch.equal(create_mask(pred.mask_mod, 1, 1, 6, 6, device="cpu")[0, 0], pred.build())


def test_bigbird_random_keys_are_distinct_in_range_and_seeded():
    for Q, K, r in itertools.product((1, 6, 50), (3, 40), (0, 1, 3)):
        if r > K:
            continue
        keys = masks.random_keys(Q, K, r, 5)
        assert keys.shape == (Q, r)
        assert ((keys >= 0) & (keys < K)).all()
        assert all(len(set(row)) == r for row in keys.tolist())
        assert torch.equal(keys, masks.random_keys(Q, K, r, 5))
    assert not torch.equal(masks.random_keys(50, 40, 3, 0), masks.random_keys(50, 40, 3, 1))


def test_bigbird_draws_every_key_about_equally_often():
    keys = masks.random_keys(4000, 10, 3, 0)
    counts = torch.bincount(keys.flatten(), minlength=10).float()
    assert (counts / counts.mean() - 1).abs().max() < 0.1  # 1200 per key expected
