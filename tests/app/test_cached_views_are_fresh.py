"""Cached runs read only their arguments, and their keys cover them. The caches are shared by every
session of the process (AppTests here share them too), so each walk below goes through views that a
narrower key would confuse: random models that differ only in shape or norm placement, one mask name
on other lengths, texts that differ only in padding. Every figure must equal a fresh computation
made here with no cache at all."""

import numpy as np
import pytest
import torch

import masks
from app.runs import toy_models
from model import pretrained
from tests.app.conftest import as_array, charts, run_page, title

ATTENTION, CROSS, MASKS = "attention", "cross", "masks"


def drawn(at, words: str) -> np.ndarray:
    return as_array(next(f for f in charts(at) if words in title(f))["data"][0]["z"])


def fresh_model(arch: str, layers: int, heads: int, norm: str, seed: int):
    return toy_models.random_model.__wrapped__(arch, layers, heads, norm, seed)


def same_weights(picture: np.ndarray, weights: torch.Tensor, mask: torch.Tensor) -> bool:
    """The head as drawn: weights on allowed cells, nothing (NaN) on blocked ones."""
    allowed = mask.numpy()
    return (
        picture.shape == tuple(weights.shape)
        and np.allclose(picture[allowed], weights[mask].numpy(), atol=1e-6)
        and bool(np.isnan(picture[~allowed]).all())
    )


RANDOM_DECODERS = [(2, 4, "pre", 0), (3, 4, "pre", 0), (2, 2, "pre", 0), (2, 4, "post", 0), (2, 4, "pre", 1)]


def test_random_decoders_that_differ_only_in_shape_each_draw_their_own_weights():
    text = "the cat sat."
    for layers, heads, norm, seed in RANDOM_DECODERS:
        params = {"layers": str(layers), "heads": str(heads), "norm": norm, "model_seed": str(seed)}
        at = run_page(ATTENTION, model="random", text=text, layer=str(layers - 1), head=str(heads - 1), **params)
        model, tokenizer = fresh_model("decoder", layers, heads, norm, seed)
        ids = torch.tensor([tokenizer.encode(text)])
        with torch.no_grad():
            out = model(ids)
        weights, mask = out.attentions[layers - 1].weights[0, heads - 1], out.masks["self"][0, 0]
        assert same_weights(drawn(at, f"layer {layers - 1}, head {heads - 1}"), weights, mask), params


def test_texts_that_differ_only_in_padding_each_draw_their_own_weights():
    loaded = pretrained.load("copy")
    for text in ["[BOS]abcabc[EOS]", "[BOS]abcabc[EOS][PAD]", "[BOS]abcabc[EOS][PAD][PAD]"]:
        at = run_page(ATTENTION, model="copy", text=text, layer="1", head="1")
        ids = torch.tensor([loaded.tokenizer.encode(text)])
        with torch.no_grad():
            out = loaded.model(ids, **loaded.default_masks(ids))
        weights, mask = out.attentions[1].weights[0, 1], out.masks["self"][0, 0]
        assert same_weights(drawn(at, "layer 1, head 1"), weights, mask), text


def test_one_custom_mask_name_on_other_models_and_lengths_draws_each_run():
    """`sliding_window(window=2)` prints the same for every length and model: the run is keyed on the
    mask itself and the model, not on the text of its call."""
    for layers, text in [(2, "abcd"), (3, "abcd"), (2, "abcdef")]:
        params = {"layers": str(layers), "heads": "2", "mask": "custom", "m_scheme": "sliding_window"}
        at = run_page(ATTENTION, model="random", text=text, layer="0", head="0", m_window="2", **params)
        model, tokenizer = fresh_model("decoder", layers, 2, "pre", 0)
        ids = torch.tensor([tokenizer.encode(text)])
        mask = masks.build("sliding_window", len(text), window=2)
        with torch.no_grad():
            out = model(ids, mask=mask)
        assert same_weights(drawn(at, "layer 0, head 0"), out.attentions[0].weights[0, 0], mask), (layers, text)


def test_random_encoder_decoders_that_differ_only_in_shape_each_draw_their_own_weights():
    source, target = "abc", "xy"
    for layers, heads in [(2, 4), (3, 4), (2, 2)]:
        params = {"layers": str(layers), "heads": str(heads)}
        at = run_page(CROSS, model="random", source=source, target=target, layer="0", head="0", **params)
        model, tokenizer = fresh_model("encoder_decoder", layers, heads, "pre", 0)
        src = torch.tensor([tokenizer.encode(source)])
        tgt = torch.tensor([[tokenizer.bos_id, *tokenizer.encode(target)]])
        with torch.no_grad():
            out = model(src, tgt)
        weights, mask = out.cross_attentions[0].weights[0, 0], out.masks["cross"][0, 0]
        assert same_weights(drawn(at, "layer 0, head 0"), weights, mask), params


@pytest.mark.parametrize("side", ["right", "left"])
def test_one_mask_name_on_other_texts_draws_each_mask(side):
    """`padding(pad=2, side=...)` on sentences of other lengths, one after the other (two [PAD]
    tokens added to each)."""
    for text in ["a b c", "a b c d e", "a b c"]:
        at = run_page(MASKS, text=text, scheme="padding", pad="2", side=side)
        expected = masks.build("padding", len(text.split()) + 2, pad=2, side=side)
        assert np.array_equal(drawn(at, "padding(pad=2") == 1, expected.numpy()), (text, side)


def test_equal_predicates_are_one_key_and_different_ones_are_not():
    a = masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=1)
    assert a == masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=1) and hash(a) == hash(
        masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=1)
    )
    others = [
        masks.predicate("causal", 6) & masks.predicate("padding", 6, pad=1),  # same name, other length
        masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=1, side="left"),
        masks.predicate("causal", 5) | masks.predicate("padding", 5, pad=1),
    ]
    assert all(a != other for other in others)
    assert {a: 1, others[0]: 2}[masks.predicate("causal", 6) & masks.predicate("padding", 6, pad=1)] == 2
