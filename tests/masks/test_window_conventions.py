"""Window conventions as data: each library's count of keys, what it cannot take, which code a name means."""

import re

import pytest
import torch

import masks
from masks.windows import ALL_CONVENTIONS, CONVENTIONS, NAMED_CODE, disagreements

BY_NAME = {conv.library: conv for conv in ALL_CONVENTIONS}
HF_CAUSAL = BY_NAME["Hugging Face, causal"]
HF_BIDIRECTIONAL = BY_NAME["Hugging Face, bidirectional"]
GYM = BY_NAME["attention-gym"]
XFORMERS = BY_NAME["xformers"]
LONGFORMER = BY_NAME["Longformer (Hugging Face)"]
MISTRAL_HF = BY_NAME["Mistral (Hugging Face, mistral-inference)"]
MISTRAL_REF = BY_NAME["Mistral (reference one_file_ref.py)"]

# keys one query sees, itself included, for their parameter value v (each library's code, read by hand)
KEYS = [
    (HF_CAUSAL, lambda v: v),  # kv_idx > q_idx - v and kv_idx <= q_idx
    (GYM, lambda v: v + 1),  # q_idx - kv_idx <= v and q_idx >= kv_idx
    (XFORMERS, lambda v: v),  # triu(tril(ones), diagonal=-v + 1)
    (LONGFORMER, lambda v: 2 * (v // 2) + 1),  # one side = attention_window // 2
    (HF_BIDIRECTIONAL, lambda v: 2 * v + 1),  # abs(q_idx - kv_idx) <= v
    (MISTRAL_HF, lambda v: v),
    (MISTRAL_REF, lambda v: v + 1),  # triu(tril(ones), diagonal=-v)
]


def test_the_table_has_every_convention_once_and_the_first_four_are_the_libraries():
    assert ALL_CONVENTIONS == CONVENTIONS + NAMED_CODE
    assert len(BY_NAME) == len(ALL_CONVENTIONS) == 7
    assert [c.library for c in ALL_CONVENTIONS[:2]] == ["Hugging Face, causal", "attention-gym"]


@pytest.mark.parametrize(("conv", "keys"), KEYS, ids=[conv.library for conv, _ in KEYS])
@pytest.mark.parametrize("value", [1, 2, 3, 4, 8, 64])
def test_each_convention_sees_its_own_number_of_keys(conv, keys, value):
    assert conv.keys_seen(value) == keys(value)
    row = conv.mask(value, 4 * value + 9)[2 * value + 4]  # a query with room on both sides
    assert int(row.sum()) == keys(value)
    assert row[2 * value + 4]  # a query always sees itself


@pytest.mark.parametrize("w", range(0, 9))
def test_hugging_face_bidirectional_w_is_our_bidirectional_window_w_plus_1(w):
    assert HF_BIDIRECTIONAL.keys_seen(w) == 2 * w + 1
    for length in (1, 2, 7, 40):
        ours = masks.build("sliding_window", length, window=w + 1, causal=False)
        assert torch.equal(HF_BIDIRECTIONAL.mask(w, length), ours)
    assert HF_BIDIRECTIONAL.ours_for(w) == w + 1
    assert HF_BIDIRECTIONAL.written(w + 1) == f"sliding_window={w}, is_causal=False"


def test_the_two_mistrals_count_one_key_apart():
    for w in range(1, 9):
        assert MISTRAL_REF.keys_seen(w) == MISTRAL_HF.keys_seen(w) + 1 == w + 1
        assert MISTRAL_HF.ours_for(w) == w and MISTRAL_REF.ours_for(w) == w + 1
    assert MISTRAL_HF.family == MISTRAL_REF.family == "Mistral"
    assert "one_file_ref.py" in MISTRAL_REF.code and "one_file_ref.py" not in MISTRAL_HF.code
    assert "xformers" in MISTRAL_HF.code and "MistralModel" in MISTRAL_HF.code


@pytest.mark.parametrize("window", [1, 2])
def test_longformer_cannot_express_windows_1_and_2(window):
    value = LONGFORMER.their_value(window)
    assert value == 2 * window - 2
    reason = LONGFORMER.cannot_express(window)
    assert reason.startswith(f"cannot express window {window}: `attention_window={value} (even, two-sided)` fails in ")
    assert LONGFORMER.refusal(value) in reason


@pytest.mark.parametrize("window", [3, 4, 5, 256])
def test_longformer_expresses_windows_from_3(window):
    assert LONGFORMER.cannot_express(window) is None
    assert LONGFORMER.written(window) == f"attention_window={2 * window - 2} (even, two-sided)"


def test_what_else_cannot_be_expressed():
    """Only these refuse one of our windows 1..64 (xformers' window_size > 0 check never fires for ours)."""
    refused = {(c.library, w) for c in ALL_CONVENTIONS for w in range(1, 65) if c.cannot_express(w)}
    assert refused == {(LONGFORMER.library, 1), (LONGFORMER.library, 2), (MISTRAL_REF.library, 1)}
    assert MISTRAL_REF.cannot_express(1).endswith("RuntimeError: ZeroDivisionError")
    assert XFORMERS.refusal(0).endswith("ValueError: Expected `window_size > 0`, but window_size=0")


@pytest.mark.parametrize("conv", ALL_CONVENTIONS, ids=lambda c: c.library)
@pytest.mark.parametrize("window", [1, 2, 3, 4, 8])
def test_their_rule_with_their_value_is_our_window(conv, window):
    """The mapping is right even where the library refuses the value: the mask its rule describes is ours."""
    for length in (1, 5, 20):
        assert torch.equal(conv.mask(conv.their_value(window), length), conv.ours(window, length))
    assert conv.keys_seen(conv.their_value(window)) == (window if conv.causal else 2 * window - 1)


@pytest.mark.parametrize("conv", ALL_CONVENTIONS, ids=lambda c: c.library)
def test_reasons_write_code_as_code(conv):
    """A reason is shown as Markdown: outside its code spans no name with underscores (`__init__`
    would show as a bold "init") and no star."""
    for value in range(-1, 4):
        reason = conv.refusal(value) or ""
        prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", " ", reason)
        assert "*" not in prose and not re.search(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", prose), reason


def test_a_number_no_window_of_ours_has():
    assert LONGFORMER.ours_for(3) is None  # abs(q - kv) <= 1 is window 2, but 3 is not 2 * 2 - 2
    assert LONGFORMER.ours_for(4) == 3
    assert GYM.ours_for(0) == 1 and HF_CAUSAL.ours_for(0) is None  # sliding_window=0: no key at all


def test_families_that_read_one_number_differently():
    found = {family: [(c.library, keys) for c, keys in read] for family, read in disagreements(3)}
    assert found == {
        "Hugging Face": [(HF_CAUSAL.library, 3), (HF_BIDIRECTIONAL.library, 7)],
        "Mistral": [(MISTRAL_HF.library, 3), (MISTRAL_REF.library, 4)],
    }
    refusing = dict(disagreements(0))["Mistral"]
    assert [keys for _, keys in refusing] == [0, None]  # one_file_ref cannot take sliding_window=0


def longformer_error(attention_window: int) -> tuple[str, str] | None:
    """What the installed transformers raises for `LongformerConfig(attention_window=...)`, built and run
    on a few tokens: ("Class.function" that raised it, "Type: message"), or None when it runs."""
    from transformers import LongformerConfig, LongformerModel

    config = LongformerConfig(
        vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16
    )
    config.attention_window = attention_window
    try:
        with torch.no_grad():
            LongformerModel(config).eval()(torch.arange(3, 19)[None])
    except Exception as error:  # noqa: BLE001 - whatever it raises is what we quote
        frame = error.__traceback__
        while frame.tb_next:
            frame = frame.tb_next
        owner = type(frame.tb_frame.f_locals["self"]).__name__
        return f"{owner}.{frame.tb_frame.f_code.co_name}", f"{type(error).__name__}: {error}"
    return None


@pytest.mark.parametrize("value", [-3, -2, 0, 2, 3, 4, 6])
def test_longformer_refusals_quote_what_the_installed_transformers_raises(value):
    """The Windows tab quotes Longformer's errors: run the pinned library and compare, word for word
    (our quote may stop before the shapes it appends), and the function it names."""
    raised, refusal = longformer_error(value), LONGFORMER.refusal(value)
    if raised is None:
        assert refusal is None
        return
    where, error = raised
    assert refusal is not None and f"`{where}`" in refusal
    quoted = refusal[refusal.index(error.split(":")[0] + ": ") :]
    assert error.startswith(quoted), (error, quoted)
