"""The Attention page with a real pretrained model: the shipped MiniLM and a model directory the
server's operator lists; the mask replaces the model's own, and the page says what it changes."""

import os
import re
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import Gemma2Config, Gemma2ForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from app.runs import real_models
from model import hf
from model.tasks import TASKS
from tests.app.conftest import address, as_array, charts, head_view, run_page, shown_text

TWO = "the cat sat on the mat while the dog barked loudly outside\na dog barked"


def table(at, k: int = 0) -> list[dict]:
    return at.dataframe[k].value.to_dict("records")


def test_the_shipped_model_is_offered_and_its_padded_batch_keeps_each_embedding():
    at = run_page("attention", model="minilm-l6")
    assert not at.exception
    picker = next(p for p in at.sidebar.get("button_group") if p.label == "Model")
    assert (
        picker.options == ["copy", "mirror", "reverse_prefix", "minilm-l6", "smollm2-135m", "random"]
        and picker.value == "minilm-l6"
    )
    rows = table(at)
    assert [r["padding"] for r in rows] == [0, 9]  # "a dog barked" padded to the long sentence
    assert all(r["cosine to sentence alone"] >= 0.9999 for r in rows)
    assert "2 of 2 sentences have in this padded batch the embedding they have alone" in shown_text(at)
    grid, head = charts(at)
    assert "layers x heads, 14 x 14 tokens" in grid["layout"]["title"]["text"]
    assert head["data"][0]["x"][:2] == ["[CLS] (0)", "the (1)"]


def test_without_the_padding_mask_the_short_sentence_changes_and_the_page_says_by_how_much():
    own = table(run_page("attention", model="minilm-l6"))
    at = run_page("attention", model="minilm-l6", mask="custom", m_scheme="full", seq="2")
    assert not at.exception
    rows = table(at)
    real = hf.load("minilm-l6")  # recomputed here, from the library, the way the page states it
    alone = real.run([TWO.splitlines()[1]]).pooled()[0]
    batch = real.run(TWO.splitlines(), mask=torch.ones(14, 14, dtype=torch.bool)).pooled()[1]
    expected = F.cosine_similarity(alone, batch, dim=0).item()
    assert own[1]["cosine to sentence alone"] >= 0.9999  # so "to its own mask" is "to itself alone" here
    assert rows[1]["cosine to own mask"] == pytest.approx(expected, abs=1e-6) and expected < 0.95
    assert rows[0]["cosine to own mask"] >= 0.9999  # the long sentence has no padding to attend
    text = shown_text(at)
    assert "This mask changes 1 of 2 sentence embeddings" in text and f"lowest {expected:.4f}, sentence 2" in text
    assert "these are also cosines to each sentence run alone" in text
    weights = as_array(charts(at)[1]["data"][0]["z"])  # the head shown, sentence 2: blocked cells are NaN
    assert weights.shape == (14, 14) and not np.isnan(weights).any()  # the padding is attended now
    own_weights = as_array(charts(run_page("attention", model="minilm-l6", seq="2"))[1]["data"][0]["z"])
    assert np.isnan(own_weights[:, 5:]).all() and not np.isnan(own_weights[:, :5]).any()  # hidden there


def test_a_causal_mask_on_the_encoder_changes_every_embedding():
    at = run_page("attention", model="minilm-l6", mask="custom", m_scheme="causal")
    rows = table(at)
    assert all(r["cosine to own mask"] < 0.9999 for r in rows)
    assert "This mask changes 2 of 2 sentence embeddings" in shown_text(at)


def test_head_labels_are_the_roles_the_weights_show():
    at = run_page("attention", model="minilm-l6", role_at="90")
    grid = charts(at)[0]
    heads, layers = grid["layout"]["xaxis"]["tickvals"], grid["layout"]["yaxis"]["tickvals"]

    def under(value, ticks):  # the head (layer) whose column (row) of the grid a note sits in
        return min(range(len(ticks)), key=lambda k: abs(ticks[k] - value))

    notes = {
        (under(a["y"], layers), under(a["x"], heads)): a["text"]
        for a in grid["layout"]["annotations"]
        if a.get("name", "").startswith("cell note")
    }
    assert notes, "some head passes 90% on the example"
    out = hf.load("minilm-l6").run(TWO.splitlines())
    for (layer, head), label in notes.items():
        if label != "prev":
            continue
        hits = rows = 0  # by hand: real query rows from 1 on whose largest weight is the previous token
        for b, length in enumerate(out.lengths):
            for q in range(1, length):
                rows += 1
                hits += int(out.attentions[layer][b, head, q, :].argmax()) == q - 1
        assert hits / rows >= 0.9
    assert notes[(0, 2)] == "prev"  # layer 0, head 2 of MiniLM: every row on the previous token
    assert "at least 90% of its real query rows" in shown_text(at)


def test_bad_input_is_said_and_the_page_still_draws():
    at = run_page("attention", model="minilm-l6", sentences="word " * 600)
    assert not at.exception
    assert "has 602 tokens; minilm-l6 reads at most 256 (sentence-transformers" in shown_text(at)
    at = run_page("attention", model="minilm-l6", sentences="\n".join(f"sentence {k}" for k in range(12)))
    assert "12 sentences given; this page runs at most 8" in shown_text(at)
    assert len(table(at)) == 8
    at = run_page("attention", model="/etc/passwd")
    assert "is not allowed" in shown_text(at) and not at.exception  # a path in the URL is never a model


@pytest.fixture
def operator_model(tmp_path, monkeypatch):
    """A tiny GPT-2 (a language model, no tokenizer) in a directory the operator lists."""
    torch.manual_seed(0)
    directory = tmp_path / "tiny-gpt2"
    GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=50, n_positions=32)).save_pretrained(
        directory
    )
    listed(monkeypatch, directory)
    return directory


def test_an_operator_listed_language_model_shows_its_next_token_under_each_mask(operator_model):
    at = run_page("attention", model="tiny-gpt2", sentences="1 2 3 4 5\n6 7", mask="custom", m_scheme="full")
    assert not at.exception, [e.value for e in at.exception]
    rows = table(at)
    assert {"next token", "next token, own mask"} <= set(rows[0])
    real = hf.load(operator_model)
    own = real.run_ids([[1, 2, 3, 4, 5], [6, 7]])
    expected = int(own.logits[0, 4].argmax())
    assert rows[0]["next token, own mask"].startswith(f"#{expected} (")
    assert "decoder" in shown_text(at)
    at = run_page("attention", model="tiny-gpt2", sentences="one two")
    assert "has no tokenizer, so a line is token ids 0 .. 49" in shown_text(at) and not at.exception
    at = run_page("attention", model="tiny-gpt2", sentences="1 ²\n" + "9" * 4400 + "\n3 4")  # int() refuses both
    assert not at.exception, at.exception[0].value
    assert "Line 1 left out" in shown_text(at) and "Line 2 left out" in shown_text(at) and len(table(at)) == 1


def test_a_user_picks_the_model_types_two_sentences_and_toggles_the_mask():
    at = run_page("attention")

    def pick(label: str, option: str):
        next(p for p in at.sidebar.get("button_group") if p.label == label).set_value(option).run()
        assert not at.exception, [e.value for e in at.exception]

    pick("Model", "minilm-l6")
    at.sidebar.text_area(key="sentences").set_value("the quick brown fox jumps over the lazy dog\nhello").run()
    assert [r["tokens"] for r in table(at)] == [11, 3]
    pick("Mask", "custom")
    pick("Mask scheme", "full")
    without = table(at)[1]["cosine to own mask"]
    assert without < 0.99 and f"lowest {without:.4f}, sentence 2" in shown_text(at)
    pick("Mask", "own")
    assert table(at)[1]["cosine to sentence alone"] >= 0.9999
    assert "cosine to own mask" not in table(at)[1]


def listed(monkeypatch, directory):
    monkeypatch.setenv(hf.ENVIRONMENT, str(directory))
    real_models.load.clear()


def shapes(at) -> dict[str, str]:
    return {row["tensor"]: row["shape"] for row in table(at, -1)}


def test_the_shapes_view_shows_the_tensors_the_model_gave_our_function(tmp_path, monkeypatch):
    at = run_page("attention", model="minilm-l6", view="shapes")
    found = shapes(at)
    assert found["q"] == "1 x 12 x 14 x 32" and found["k, v"] == "1 x 12 x 14 x 32"
    assert found["FFN hidden"] == "1 x 14 x 1536" and found["last hidden state"] == "1 x 14 x 384"
    torch.manual_seed(0)  # grouped-query attention: 2 key / value heads serve 4 query heads
    config = LlamaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         intermediate_size=64, vocab_size=50)  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(tmp_path / "tiny-llama")
    listed(monkeypatch, tmp_path / "tiny-llama")
    found = shapes(run_page("attention", model="tiny-llama", view="shapes", sentences="1 2 3"))
    assert found["q"] == "1 x 4 x 3 x 8" and found["k, v"] == "1 x 2 x 3 x 8"


def test_a_model_our_function_cannot_compute_is_refused_on_the_page_with_the_reason(tmp_path, monkeypatch):
    config = Gemma2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                          head_dim=8, intermediate_size=64, vocab_size=50, attn_logit_softcapping=50.0)  # fmt: skip
    Gemma2ForCausalLM(config).save_pretrained(tmp_path / "tiny-gemma2")
    listed(monkeypatch, tmp_path / "tiny-gemma2")
    at = run_page("attention", model="tiny-gemma2", sentences="1 2 3")
    assert not at.exception and not charts(at)
    assert "tiny-gemma2 cannot run through our attention function" in shown_text(at)
    assert "logit soft-capping" in shown_text(at)


def pick(at, label: str, option: str):
    next(p for p in at.sidebar.get("button_group") if p.label == label).set_value(option).run()
    assert not at.exception, [e.value for e in at.exception]


def shown_head(at) -> tuple[int, int]:
    head = next(f for f in charts(at) if ", head " in f["layout"]["title"]["text"])
    layer, head = re.search(r"layer (\d+), head (\d+)", head["layout"]["title"]["text"]).groups()
    return int(layer), int(head)


def test_another_model_opens_on_its_own_head_and_the_sentence_under_it_names_the_head_shown():
    at = run_page("attention")  # copy: opens on its induction head, layer 1 head 1
    assert shown_head(at) == (1, 1)
    pick(at, "Model", "minilm-l6")
    said = re.search(r"Opens on layer (\d+), head (\d+)", shown_text(at))
    assert said and tuple(map(int, said.groups())) == shown_head(at) == (0, 2)
    assert at.query_params.get("layer") is None and at.query_params.get("head") is None  # its default: no param
    pick(at, "Mask", "custom")
    pick(at, "Mask scheme", "right_to_left")  # the clearest head moves; the head shown does not
    said = re.search(r"Opens on layer (\d+), head (\d+)", shown_text(at))
    assert said is None or tuple(map(int, said.groups())) == shown_head(at)


def test_a_head_the_next_model_lacks_is_not_reported_as_a_bad_link_and_the_pickers_keep_working():
    """Head 11 of MiniLM, then a model of 4 heads picked by a click: it opens on its own head without
    a warning about a link nobody opened, and the next head picked is the one shown."""
    at = run_page("attention", model="minilm-l6", layer="4", head="11")
    pick(at, "Model", "copy")
    assert not [w.value for w in at.warning], "no warning: the reader changed the model, not a link"
    assert shown_head(at) == (1, 1) and "head" not in address(at) and "layer" not in address(at)
    frames = head_view(at)["heads"]["frames"]  # what the pickers draw in the browser: this model's heads
    assert frames["1,3"]["layout"]["title.text"] == "self attention, layer 1, head 3" and "4,11" not in frames


def test_sentences_typed_for_a_real_model_stay_out_of_a_toy_models_input():
    at = run_page("attention", model="minilm-l6")
    at.sidebar.text_area(key="sentences").set_value("only one here").run()
    pick(at, "Model", "copy")
    assert not at.get("error") and at.sidebar.text_input(key="text").value != "only one here"


def test_a_cut_sentence_keeps_its_end_token():
    at = run_page("attention", model="minilm-l6", sentences="word " * 600)
    head = next(f for f in charts(at) if ", head " in f["layout"]["title"]["text"])
    keys = head["data"][0]["x"]
    assert len(keys) == 256 and keys[0] == "[CLS] (0)" and keys[-1] == "[SEP] (255)"
    said = shown_text(at)
    assert "has 602 tokens; minilm-l6 reads at most 256 (sentence-transformers' max_seq_length for it" in said
    assert "its positions go to 512): cut to 256, as its tokenizer cuts (its end token kept)" in said


def test_the_alone_column_is_shown_where_it_means_what_it_says():
    own = run_page("attention", model="minilm-l6")
    assert "cosine to sentence alone" in table(own)[0]
    at = run_page("attention", model="minilm-l6", mask="custom", m_scheme="causal")
    assert "cosine to sentence alone" not in table(at)[0]  # a changed mask is not padding's doing
    assert "in this padded batch the embedding they have alone" not in shown_text(at)


def test_a_link_naming_a_head_its_model_lacks_is_still_reported():
    """(A head the reader's own change of Heads left behind is not: tests/browser, where the address
    bar follows the controls.)"""
    at = run_page("attention", model="random", heads="2", head="7")
    assert any("`head` = `7` is not allowed" in w.value for w in at.warning)


def test_a_listed_directory_cannot_take_a_name_already_in_use(operator_model, tmp_path, monkeypatch, caplog):
    """A folder the operator named `copy` would have replaced the trained copy model, and a second
    folder of one name the first: a name means one model, and the operator is told why one is missing."""
    copy = tmp_path / "copy"
    shutil.copytree(operator_model, copy)
    twin = tmp_path / "twin" / operator_model.name
    shutil.copytree(operator_model, twin)
    monkeypatch.setenv(hf.ENVIRONMENT, os.pathsep.join(map(str, [operator_model, copy, twin])))
    with caplog.at_level("WARNING"):
        at = run_page("attention", model="copy")
    assert not at.exception
    model = next(p for p in at.sidebar.get("button_group") if p.label == "Model")
    assert model.value == "copy" and model.options.count("copy") == 1 and "tiny-gpt2" in model.options
    assert TASKS["copy"].description in shown_text(at)  # the trained model, not the folder
    said = shown_text(at)
    assert f"{copy} is not offered: its name, copy, is a model of this app's own." in said
    assert f"{twin} is not offered: its name, tiny-gpt2, is {operator_model}'s." in said
    assert f"{copy} is not offered" in caplog.text
