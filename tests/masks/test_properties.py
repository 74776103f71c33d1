"""Property tests: shapes, composition laws, batches, fast paths, code text, across random inputs."""

import builtins
import inspect

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import masks

SQUARE_ONLY = ("document", "padding")  # document needs Q == K; so does padding's mask_queries


@st.composite
def scheme_params(draw, name=None, lengths=None):
    """A scheme with random valid parameters and lengths, drawn from its own spec."""
    q_len, kv_len = lengths or (None, None)
    if name is None:
        names = [n for n in sorted(masks.SCHEMES) if q_len == kv_len or n not in SQUARE_ONLY]
        name = draw(st.sampled_from(names))
    scheme = masks.SCHEMES[name]
    if q_len is None:
        q_len = draw(st.integers(1, 24))
        kv_len = q_len if name in SQUARE_ONLY else draw(st.integers(1, 24))
    params = {}
    for p in scheme.params:
        low, high = p.bounds(q_len, kv_len)
        if p.kind == "bool":
            params[p.name] = draw(st.booleans())
        elif p.kind == "choice":
            params[p.name] = draw(st.sampled_from(p.choices))
        elif p.kind == "int":
            params[p.name] = draw(st.integers(low, high if high is not None else low + 30))
        else:  # document lengths: cut q_len at random points
            cuts = sorted(draw(st.sets(st.integers(1, q_len - 1), max_size=q_len - 1))) if q_len > 1 else []
            bounds = [0, *cuts, q_len]
            params[p.name] = tuple(b - a for a, b in zip(bounds, bounds[1:], strict=False))
    return name, q_len, kv_len, params


def naive_build(pred):
    """The rule evaluated on every (i, j) pair: what any fast path must equal."""
    i = torch.arange(pred.q_len)[:, None]
    j = torch.arange(pred.kv_len)[None, :]
    return torch.broadcast_to(pred(i, j), (pred.q_len, pred.kv_len))


@settings(max_examples=300, deadline=None)
@given(scheme_params())
def test_shape_dtype_and_fast_path_equal_the_rule_everywhere(case):
    name, q_len, kv_len, params = case
    pred = masks.predicate(name, q_len, kv_len, **params)
    mask = pred.build()
    assert mask.dtype == torch.bool and mask.shape == (q_len, kv_len) and mask.is_contiguous()
    assert torch.equal(mask, naive_build(pred))
    for query in range(q_len):
        assert torch.equal(pred.row(query), mask[query])


@st.composite
def two_schemes(draw):
    """Two predicates of the same shape."""
    lengths = (draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    if draw(st.booleans()):
        lengths = (lengths[0], lengths[0])
    cases = [draw(scheme_params(lengths=lengths)) for _ in range(2)]
    return [masks.predicate(name, q, k, **params) for name, q, k, params in cases]


@settings(max_examples=150, deadline=None)
@given(two_schemes())
def test_composition_laws(pair):
    a, b = pair
    q_len, kv_len = a.q_len, a.kv_len
    full = masks.predicate("full", q_len, kv_len)
    A, B = a.build(), b.build()
    assert torch.equal((a & full).build(), A)  # AND with full is the identity
    assert torch.equal((a | ~full).build(), A)  # OR with nothing is the identity
    assert torch.equal((~~a).build(), A)  # NOT NOT is the identity
    assert torch.equal((a & b).build(), A & B)
    assert torch.equal((a | b).build(), A | B)
    assert torch.equal((~(a & b)).build(), (~a | ~b).build())  # De Morgan
    assert torch.equal(masks.and_masks(A, B), (a & b).build())
    assert torch.equal(masks.or_masks(A, B), masks.or_masks(a, b).build())
    assert torch.equal(masks.not_mask(A), masks.not_mask(a).build())


@settings(max_examples=100, deadline=None)
@given(st.lists(scheme_params("prefix_lm"), min_size=1, max_size=4), st.integers(1, 20))
def test_batch_equals_stacked_singles(cases, length):
    prefixes = [min(params["prefix"], length) for _, _, _, params in cases]
    batch = masks.build_batch("prefix_lm", length, prefix=prefixes)
    assert batch.shape == (len(prefixes), 1, length, length)
    for b, prefix in enumerate(prefixes):
        assert torch.equal(batch[b, 0], masks.build("prefix_lm", length, prefix=prefix))


def test_batch_of_document_lengths_and_shared_parameters():
    batch = masks.build_batch("document", 6, lengths=[(6,), (2, 4), (1, 1, 4)], causal=False)
    for b, lengths in enumerate([(6,), (2, 4), (1, 1, 4)]):
        assert torch.equal(batch[b, 0], masks.build("document", 6, lengths=lengths, causal=False))


def test_padding_from_lengths_right_and_left():
    batch = masks.padding_from_lengths([3, 1], side="left")
    assert torch.equal(batch[1, 0], masks.build("padding", 3, pad=2, side="left"))
    assert masks.stats(batch).keys_per_query.tolist() == [[[3, 3, 3]], [[1, 1, 1]]]


def torch_only_import(name, *args, **kwargs):
    """An import that finds PyTorch and nothing else (not this library)."""
    if name.split(".")[0] != "torch":
        raise ImportError(f"the generated code imports {name}; it may import only torch")
    return builtins.__import__(name, *args, **kwargs)


@settings(max_examples=200, deadline=None)
@given(scheme_params(), st.sampled_from(["&", "|", "~"]), scheme_params("causal"))
def test_code_text_builds_the_same_mask_without_the_library(case, op, other_case):
    name, q_len, kv_len, params = case
    pred = masks.predicate(name, q_len, kv_len, **params)
    other = masks.predicate("causal", q_len, kv_len, **other_case[3])
    pred = {"&": pred & other, "|": pred | other, "~": ~pred}[op]
    code = pred.code()
    # run it where only PyTorch can be imported, as in a notebook without this library
    namespace = {"__builtins__": {**vars(builtins), "__import__": torch_only_import}}
    exec(compile(code, "<mask code>", "exec"), namespace)  # our own generated text, in a test
    assert torch.equal(namespace["mask"], pred.build())


def test_code_text_is_the_source_of_the_functions_that_run():
    """bigbird's code shows random_keys itself, not a retyped copy that could drift from it."""
    code = masks.predicate("bigbird", 8).code()
    assert inspect.getsource(masks.random_keys) in code
    assert code.count("def global_local(") == 1 and "@scheme" not in code


@settings(max_examples=100, deadline=None)
@given(scheme_params())
def test_conversions_round_trip(case):
    name, q_len, kv_len, params = case
    mask = masks.build(name, q_len, kv_len, **params)
    assert torch.equal(masks.from_additive(masks.to_additive(mask)), mask)
    assert torch.equal(masks.from_mha(masks.to_mha(mask)), mask)
    additive = masks.to_additive(mask)
    assert set(additive.unique().tolist()) <= {0.0, float("-inf")}


@settings(max_examples=100, deadline=None)
@given(scheme_params())
def test_stats_agree_with_the_mask(case):
    name, q_len, kv_len, params = case
    mask = masks.build(name, q_len, kv_len, **params)
    for tile in (1, 4, 128):
        s = masks.stats(mask, tile=tile)
        assert s.keys_per_query.tolist() == [int(row.sum()) for row in mask]
        assert abs(s.density - mask.sum().item() / mask.numel()) < 1e-6
        assert s.empty_rows == [(i,) for i in range(q_len) if not mask[i].any()]
        blocks = [mask[r : r + tile, c : c + tile] for r in range(0, q_len, tile) for c in range(0, kv_len, tile)]
        assert s.tiles == len(blocks)
        assert s.skippable_tiles == sum(1 for b in blocks if not b.any())
