"""Shipped checkpoints: they load, reach their accuracy, and show the pattern each task promises."""

import pickle
from pathlib import Path

import pytest
import torch

import masks
from model import pretrained
from model.tasks import TASKS, accuracy

README = Path(__file__).resolve().parents[2] / "README.md"

NAMES = list(TASKS)


def test_every_task_ships_a_small_checkpoint():
    assert pretrained.available() == NAMES
    for name in NAMES:
        assert (pretrained.CHECKPOINTS / f"{name}.pt").stat().st_size <= 2 * 1024 * 1024


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_loads_and_reaches_its_accuracy(name):
    loaded = pretrained.load(name)
    assert loaded.accuracy >= 0.99  # as measured on 1000 fresh examples when trained
    assert accuracy(loaded.model, loaded.task, n=300, seed=77) >= 0.99
    assert loaded.description and loaded.task.example
    ids = loaded.tokenizer.encode(loaded.task.example)
    assert loaded.tokenizer.decode(ids)  # the example is typeable


def test_the_shipped_files_norms_list_loads_as_named_norms_every_tensor_unchanged():
    """The shipped checkpoints were written when a Block kept its LayerNorms as `norms.0 / 1 / 2`: each
    loads under `ln_1`, `ln_cross` (a block with cross-attention) and `ln_2`, the same tensor bit for bit."""
    saved = torch.load(pretrained.CHECKPOINTS / "reverse.pt", weights_only=True)["state_dict"]  # encoder-decoder
    loaded = pretrained.load("reverse").model.state_dict()
    renamed = {
        "blocks.1.norms.0.bias": "blocks.1.ln_1.bias",
        "blocks.1.norms.1.weight": "blocks.1.ln_cross.weight",
        "blocks.1.norms.2.weight": "blocks.1.ln_2.weight",
        "encoder.0.norms.1.bias": "encoder.0.ln_2.bias",
    }
    assert all(torch.equal(saved[old], loaded[new]) for old, new in renamed.items())
    assert len(saved) == len(loaded)
    assert all(torch.equal(a, b) for a, b in zip(saved.values(), loaded.values(), strict=True))  # same order


def best_head_agreement(name: str, n: int = 200) -> float:
    """The fraction of queries whose argmax is where the task's pattern says, in the best head."""
    loaded = pretrained.load(name)
    batch = loaded.task.sample(torch.Generator().manual_seed(5), n)
    with torch.no_grad():
        out = loaded.model(*batch.inputs, **batch.masks)
    kind, expected = loaded.task.expected_focus(batch)
    layers = out.cross_attentions if kind == "cross" else out.attentions
    scored = expected >= 0
    best = 0.0
    for layer in layers:
        looks_at = layer.weights.argmax(dim=-1)  # (B, H, Q)
        for head in range(looks_at.shape[1]):
            best = max(best, (looks_at[:, head][scored] == expected[scored]).float().mean().item())
    return best


@pytest.mark.parametrize("name", NAMES)
def test_the_promised_attention_pattern_is_there(name):
    assert best_head_agreement(name) >= 0.9


def test_mirror_fill_in_fails_under_a_causal_mask():
    """The first half's masked letters have their mirror in the future: a causal mask hides it."""
    loaded = pretrained.load("mirror")
    batch = loaded.task.sample(torch.Generator().manual_seed(9), 500)
    tokens, targets = batch.inputs[0], batch.targets
    T = tokens.shape[1]
    causal = masks.build("causal", T)
    with torch.no_grad():
        bidirectional = loaded.model(tokens).logits.argmax(-1)
        causal_guess = loaded.model(tokens, mask=causal & (tokens != 0)[:, None, None, :]).logits.argmax(-1)
    scored = targets != -100
    first_half = scored & (torch.arange(T) < (tokens != 0).sum(1, keepdim=True) // 2)
    assert (bidirectional[scored] == targets[scored]).float().mean() >= 0.99
    assert (causal_guess[scored] == targets[scored]).float().mean() < 0.8
    chance = 1 / 16
    assert (causal_guess[first_half] == targets[first_half]).float().mean() < 3 * chance


def test_the_mirror_example_can_be_filled_from_its_mirrors():
    """The page says a [MASK] is filled from its mirror position: in the shipped example each masked
    position's mirror holds a letter (never another [MASK]), the letters around it form a palindrome,
    one [MASK] is in the first half (whose mirror a causal mask hides), and the model fills each
    [MASK] with its mirror's letter, its pattern head reading that mirror."""
    loaded = pretrained.load("mirror")
    tokenizer = loaded.tokenizer
    ids = tokenizer.encode(loaded.task.example)
    assert ids[0] == tokenizer.bos_id and ids[-1] == tokenizer.eos_id
    n = len(ids)
    hidden = [p for p in range(1, n - 1) if ids[p] == tokenizer.mask_id]
    mirrors = [n - 1 - p for p in hidden]
    assert hidden and not set(hidden) & set(mirrors)
    assert all(ids[p] == ids[n - 1 - p] for p in range(1, n - 1) if p not in hidden and p not in mirrors)
    assert any(p < n - 1 - p for p in hidden)
    head = loaded.strongest_head()
    with torch.no_grad():
        out = loaded.model(torch.tensor([ids]))
    assert out.logits[0, hidden].argmax(-1).tolist() == [ids[m] for m in mirrors]
    assert out.attentions[head.layer].weights[0, head.head, hidden].argmax(-1).tolist() == mirrors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a checkpoint at all", "is not a checkpoint of this project"),
        (pickle.dumps(print), "is not a checkpoint of this project"),
    ],
    ids=["text", "pickle of a function"],
)
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch notes the foreign pickle, then refuses it
def test_files_that_are_not_checkpoints_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        pretrained.load("copy", path)


class Payload:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": "attention-mask-lab/1", "payload": Payload()}, path)
    with pytest.raises(ValueError, match="is not a checkpoint of this project"):
        pretrained.load("copy", path)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_and_mismatched_checkpoints_are_refused(tmp_path):
    good = (pretrained.CHECKPOINTS / "copy.pt").read_bytes()
    torn = tmp_path / "torn.pt"
    torn.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="is not a checkpoint of this project"):
        pretrained.load("copy", torn)
    data = torch.load(pretrained.CHECKPOINTS / "copy.pt", weights_only=True)
    data["config"]["d_model"] = 32
    wrong = tmp_path / "wrong.pt"
    torch.save(data, wrong)
    with pytest.raises(ValueError, match="does not fit its own config"):
        pretrained.load("copy", wrong)
    data["config"]["norm"] = "sideways"
    torch.save(data, wrong)
    with pytest.raises(ValueError, match="bad config: norm must be one of"):
        pretrained.load("copy", wrong)


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="available: copy, reverse"):
        pretrained.load("translate")


def test_the_prefix_lm_model_reads_its_source_both_ways():
    """Source letters put most of their attention on later source letters: the look-ahead that
    the prefix_lm mask allows and a causal mask forbids."""
    loaded = pretrained.load("reverse_prefix")
    batch = loaded.task.sample(torch.Generator().manual_seed(5), 200)
    with torch.no_grad():
        first_layer = loaded.model(*batch.inputs, **batch.masks).attentions[0].weights  # (B, H, T, T)
    tokens = batch.inputs[0]
    n = ((tokens != 0).sum(dim=1) - 3) // 2  # [BOS] s [SEP] reversed(s) [EOS]
    T = tokens.shape[1]
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    source_query = (i >= 1) & (i <= n[:, None, None])  # (B, T, 1)
    ahead = (j > i) & source_query
    share = (first_layer * ahead[:, None]).sum(dim=(-1, -2)) / source_query.sum(dim=(-1, -2))[:, None]
    assert share.mean(dim=0).max() > 0.5


@pytest.mark.parametrize("field", ["d_model", "d_ff", "vocab_size", "max_len"])
def test_a_config_that_claims_a_huge_model_is_refused_before_anything_is_allocated(tmp_path, field):
    data = pretrained.read_checkpoint(pretrained.CHECKPOINTS / "copy.pt")
    config = dict(data["config"])
    config[field] = 10**12 if field != "d_model" else 10**12 - 10**12 % config["n_heads"]
    torch.save({**data, "config": config}, tmp_path / "huge.pt")
    with pytest.raises(ValueError, match="huge.pt (has a bad config|does not fit its own config)"):
        pretrained.load("copy", tmp_path / "huge.pt")


def test_the_readme_states_each_pattern_with_the_number_measured_now():
    """README's table of checkpoints names, for each, the head where its pattern is strongest and
    the share: one computation (strongest_head, as the page uses), so the two cannot drift apart."""
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for name in NAMES:
        found = pretrained.load(name).strongest_head()
        assert f"layer {found.layer} head {found.head}, {found.share:.1%}" in rows[name], rows[name]
