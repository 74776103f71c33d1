"""LayerNorm vs BatchNorm on padded batches, and the Pre-LN / Post-LN gradient numbers."""

import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from model.normalization import (
    averaged_cells,
    embed_sentences,
    gradient_norms,
    last_layer_by_depth,
    last_layer_gradient,
    normalize,
    padding_dependence,
    placement_findings,
    placement_study,
    shown,
    tiny_config,
    trend,
)
from model.tokenizer import split_words
from model.transformer import Transformer

FINDINGS = Path(__file__).resolve().parents[2] / "docs" / "findings.md"

SENTENCES = [split_words(s) for s in ["the cat sat on the mat .", "a dog barked", "it rained all day long"]]


def test_layernorm_of_a_sentence_ignores_padding_and_the_rest_of_the_batch():
    result = padding_dependence(SENTENCES, pick=1, extra_pad=5)
    assert result["layer"]["more_padding"] == 0.0 and result["layer"]["alone"] < 1e-6


def test_batchnorm_of_a_sentence_moves_when_the_batch_is_padded_more_or_changed():
    result = padding_dependence(SENTENCES, pick=1, extra_pad=5)
    assert result["batch"]["more_padding"] > 0.1
    edited = [SENTENCES[0], SENTENCES[1], split_words("something else entirely here")]
    assert not torch.allclose(padding_dependence(edited, 1, 5)["batch"]["output"], result["batch"]["output"])


def test_masked_batchnorm_is_unchanged_by_padding_but_not_by_other_sentences():
    result = padding_dependence(SENTENCES, pick=1, extra_pad=5)
    assert result["batch_masked"]["more_padding"] < 1e-6
    assert result["batch_masked"]["alone"] > 0.1


def test_batchnorm_matches_torch_batchnorm_and_layernorm_matches_torch_layernorm():
    x, _ = embed_sentences(SENTENCES, 8)
    bn = torch.nn.BatchNorm1d(8, affine=False, eps=1e-5).train()
    assert torch.allclose(normalize(x, "batch"), bn(x.transpose(1, 2)).transpose(1, 2), atol=1e-5)
    assert torch.allclose(normalize(x, "layer"), F.layer_norm(x, (8,)), atol=1e-6)


def test_the_cells_each_norm_averages():
    real = torch.tensor([[True, True, False], [True, True, True]])
    assert averaged_cells("layer", (2, 3, 4), (0, 1, 2), real).sum() == 4  # one token's features
    assert averaged_cells("batch", (2, 3, 4), (0, 1, 2), real).sum() == 6  # one feature, all positions
    assert averaged_cells("batch_masked", (2, 3, 4), (0, 1, 2), real).sum() == 5  # padding left out
    assert averaged_cells("batch_per_position", (2, 3, 4), (0, 1, 2), real).sum() == 2


def test_gradient_numbers_equal_autograd_on_the_same_tiny_model():
    grads, norms = gradient_norms(3, "post", "xavier", seed=1)
    generator = torch.Generator().manual_seed(1)  # the study's recipe: weights, then tokens, from one seed
    model = Transformer(tiny_config(3, "post", "xavier"), generator=generator)
    tokens = torch.randint(1, 64, (4, 17), generator=generator)
    loss = F.cross_entropy(model(tokens[:, :-1]).logits.flatten(0, 1), tokens[:, 1:].flatten())
    weights = [block.ff.down.weight for block in model.blocks]  # W2, the weight Xiong et al. measure
    expected = [g.norm().item() for g in torch.autograd.grad(loss, weights)]
    assert grads == pytest.approx(expected, rel=1e-5)
    assert len(norms) == 3 and all(n > 0 for n in norms)


@pytest.mark.parametrize(("depth", "norm", "init"), [(1, "pre", "xavier"), (4, "post", "normal"), (7, "pre", "normal")])
def test_the_last_layer_alone_gets_the_same_gradient_as_the_full_backward(depth, norm, init):
    grads, _ = gradient_norms(depth, norm, init, seed=3)
    assert last_layer_gradient(depth, norm, init, seed=3) == pytest.approx(grads[-1], rel=1e-6)


@pytest.mark.parametrize(
    ("values", "word"),
    [
        ([0.3, 0.45, 0.7, 1.0], "grows"),
        ([1.0, 0.6, 0.45, 0.3], "falls"),
        ([1.0, 1.05, 0.97, 1.02], "stays about the same"),
        ([1.0, 2.0, 0.8, 1.9, 1.1], "goes up and down"),
        ([1.0, 1.6, 1.5, 2.4, 3.0], "grows"),  # a dip of 6% from the best so far: still one way
        ([1.0, 1.6, 1.3, 2.4, 3.0], "goes up and down"),  # a dip of 19%
        ([3.0, 2.0, 2.1, 1.2, 1.0], "falls"),  # a rise of 5% from the lowest so far
        ([1.0, 1.1, 1.2, 1.3, 1.4], "grows a little"),  # one way, but 1.4x is not a clear factor
        ([1.4, 1.3, 1.2, 1.1, 1.0], "falls a little"),
    ],
)
def test_a_series_gets_the_word_its_shape_earns(values, word):
    assert trend(values).word == word


def test_a_17_percent_drop_is_not_called_a_fall():
    """The old wording compared the first and last values with a ratio of 1.2: 0.83 / 1 < 1 / 1.2 was "falls"."""
    said = trend([1.0, 0.95, 0.9, 0.83])
    assert said.word == "stays about the same"
    assert said.text == "stays about the same (within 20%: between 0.830 and 1.00)"


def test_numbers_side_by_side_keep_one_precision():
    """ "between 0.73 and 0.842": 0.73 was 0.730, its last digit dropped beside its neighbour's three."""
    assert trend([0.73, 0.842, 0.8]).text == "stays about the same (within 20%: between 0.730 and 0.842)"
    assert trend([1.03, 0.5, 0.37]).text == "falls (1.03 → 0.370)"
    assert (
        trend([8.0, 3.0, 4.0, 100.0]).text
        == "goes up and down (8.00 → 100; lowest 3.00 at layer 2, highest 100 at layer 4)"
    )


@pytest.mark.parametrize("init", ["xavier", "normal"])
def test_every_number_the_findings_quote_has_three_significant_digits(init):
    """The page's sentences once mixed precisions: "between 0.73 and 0.842", "17.8 / 8 = 2.2"."""
    *measured, paper = placement_findings(placement_study(6, init), last_layer_by_depth(6, init))
    for sentence in measured:  # every number but a count of layers, a layer's place and the 20% band
        quoted = re.findall(
            r"(?<![\w.])(?<!layer )(?<!depth )(?<!from )(?<!to )\d+(?:\.\d+)?(?![\d.%]| layers)", sentence
        )
        assert len(quoted) >= 4 and all(len(n.replace(".", "").lstrip("0")) == 3 for n in quoted), (quoted, sentence)
    assert not re.search(r"\d\.\d", paper)  # the paper's claims, in words: no number measured here


def test_a_flat_series_that_rounds_to_one_number_says_it_once():
    assert trend([0.7521, 0.7518]).text == "stays about the same (within 20%: 0.752 throughout)"


def test_rises_and_falls_quote_the_first_and_last_value_as_shown():
    assert trend([0.31234, 0.5, 0.72345]).text == "grows (0.312 → 0.723)"
    assert trend([1.13, 0.749, 0.578, 0.37]).text == "falls (1.13 → 0.370)"


def test_up_and_down_names_its_lowest_and_highest_point_and_where():
    said = trend([1.0, 2.0, 0.8, 1.9, 1.1], where="depth")
    assert said.text == "goes up and down (1.00 → 1.10; lowest 0.800 at depth 3, highest 2.00 at depth 2)"
    assert trend([1.0, 3.0, 2.0]).text == (
        "goes up and down (1.00 → 2.00; lowest 1.00 at layer 1, highest 3.00 at layer 2)"
    )


def numbers(text: str) -> list[str]:
    return re.findall(r"(?<![\w.])\d[\d.e+-]*(?![\w])", text)


def check_trend(text: str, name: str, values: list[float], where: str) -> None:
    """The phrase the text says of this series: its word earned by the series' shape, its numbers
    the series' own (3 significant digits)."""
    words = "grows a little|falls a little|grows|falls|stays about the same|goes up and down"
    phrase = re.search(rf"{name} ({words}) \(([^)]*)\)", text)
    assert phrase, (name, text)
    word, quoted = phrase.groups()
    as_quoted = {shown(v) for v in values}
    first, last, low, high = values[0], values[-1], min(values), max(values)
    if word == "stays about the same":
        span = f"{shown(low)} throughout" if shown(low) == shown(high) else f"between {shown(low)} and {shown(high)}"
        assert low >= 0.8 * high and quoted == f"within 20%: {span}"
        return
    assert low < 0.8 * high
    if word == "goes up and down":
        assert f"lowest {shown(low)} at {where} {values.index(low) + 1}" in quoted
        assert f"highest {shown(high)} at {where} {values.index(high) + 1}" in quoted
    else:
        rising = word.startswith("grows")
        best = [max(values[: k + 1]) if rising else min(values[: k + 1]) for k in range(len(values))]
        assert all(v >= b / 1.1 if rising else v <= b * 1.1 for v, b in zip(values, best, strict=True))
        factor = last / first if rising else first / last
        assert factor >= 1.5 if word in ("grows", "falls") else 1 < factor < 1.5
    assert quoted.startswith(f"{shown(first)} → {shown(last)}")
    assert set(numbers(quoted.replace(f" {where} ", " "))) - {str(k) for k in range(1, 25)} <= as_quoted


@pytest.mark.parametrize("init", ["xavier", "normal"])
@pytest.mark.parametrize("depth", [1, 2, 6, 12])
def test_every_sentence_under_the_charts_says_what_their_numbers_show(init, depth):
    study, by_depth = placement_study(depth, init), last_layer_by_depth(depth, init)
    text = " ".join(placement_findings(study, by_depth))
    assert "do not shrink" not in text  # the old caption's claim, false for the "normal" init
    ratio = float(re.search(r"Post-LN's gradient is \*\*([\d.e+-]+)x\*\* Pre-LN's", text).group(1))
    assert ratio == pytest.approx(study.ffn_grad["post"][-1] / study.ffn_grad["pre"][-1], rel=0.05)
    if depth == 1:
        return
    layers, depths = text.split("As depth grows")
    check_trend(layers, "Pre-LN's gradient", study.ffn_grad["pre"], "layer")
    check_trend(layers, "Post-LN's", study.ffn_grad["post"], "layer")
    check_trend(depths, "Pre-LN's last-layer gradient", by_depth["pre"], "depth")
    check_trend(depths, "Post-LN's", by_depth["post"], "depth")


def test_the_findings_compare_with_the_paper_by_the_numbers():
    """Xavier (the paper's init): Pre-LN's last-layer gradient shrinks with depth and Post-LN's does not,
    as Xiong et al. prove; GPT-2's small normal init: the last layer's gradient does not shrink with
    depth, and Post-LN's is about 30x smaller than Pre-LN's (the final LayerNorm of a tiny stream)."""
    xavier = placement_findings(placement_study(6, "xavier"), last_layer_by_depth(6, "xavier"))[-1]
    assert "the depth trend is the one they prove" in xavier
    study = placement_study(6, "normal")
    normal = " ".join(placement_findings(study, last_layer_by_depth(6, "normal")))
    assert "the depth trend is not the one they prove" in normal
    assert study.ffn_grad["post"][-1] < study.ffn_grad["pre"][-1] / 10 and "close to the gradients' ratio" in normal


def test_the_findings_page_quotes_for_each_init_what_the_page_computes_now():
    """docs/findings.md quotes the page's sentences under the init they hold for, so its numbers are
    the page's own: Pre-LN's gradient falls toward the output with Xavier only, and with GPT-2's init
    it stays about the same."""
    sections = re.split(r"^### ", FINDINGS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for init, heading in (("xavier", "With Xavier\n"), ("normal", "With GPT-2's init\n")):
        (section,) = [s for s in sections if s.startswith(heading)]
        quoted = " ".join(line.removeprefix(">") for line in section.splitlines() if line.startswith(">"))
        quoted = " ".join(quoted.split())  # lines unwrapped
        study = placement_study(6, init)
        for finding in placement_findings(study, last_layer_by_depth(6, init)):
            assert " ".join(finding.split()) in quoted, (init, finding)
        pre = trend(study.ffn_grad["pre"]).text
        assert pre.startswith("falls" if init == "xavier" else "stays about the same"), pre


def test_post_ln_last_layer_gradient_is_larger_than_pre_ln():
    study = placement_study(6, "xavier", seeds=2)
    assert study.ffn_grad["post"][-1] > study.ffn_grad["pre"][-1]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: normalize(torch.zeros(1, 2, 3), "group"), "kind must be one of"),
        (lambda: normalize(torch.zeros(1, 2, 3), "batch_masked"), "needs `real`"),
        (lambda: placement_study(0), "depth must be an integer between 1 and 24"),
        (lambda: padding_dependence(SENTENCES, 7, 1), "pick must be between 0 and 2"),
        (lambda: embed_sentences([]), "at least one sentence"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
