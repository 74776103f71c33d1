"""The Cross-attention page's own answer, as a person reads it: an untrained model emits special
tokens such as [MASK] too, and each must read as one token, not as letters inside the text."""

import re

import pytest
import torch

from app.runs import toy_models
from app.text import visible
from model.inspect import greedy_decode
from model.tokenizer import SPECIALS
from tests.app.conftest import run_page, shown_text

CROSS = "cross"
STEPS = 32  # the page's ANSWER_STEPS


def own_answer(spec: toy_models.ModelSpec, source: str) -> list[str]:
    """The model's greedy answer, decoded here as the page does (its own model, its own source)."""
    model, tokenizer, _ = toy_models.model_for(spec)
    src = tokenizer.encode(source)
    ids = greedy_decode(model, torch.tensor([src]), tokenizer.bos_id, tokenizer.eos_id, STEPS)
    return tokenizer.decode(ids)


def random_with_specials() -> tuple[int, list[str]]:
    """The first seed whose untrained model answers the page's example with a special token."""
    for seed in range(20):
        spec = toy_models.ModelSpec(toy_models.RANDOM, "encoder_decoder", 2, 4, "pre", seed)
        tokens = own_answer(spec, "le chat dort.")
        if any(t in SPECIALS for t in tokens):
            return seed, tokens
    raise AssertionError("no seed of 20 answers with a special token")


def read_back(markdown: str) -> tuple[list[str], list[str]]:
    """The answer's tokens as a reader takes them from the caption: code spans are text, one token a
    character (every token of these models is one character, or a name such as ␣); anything outside
    them is a special token by name. Also returns what the code spans say."""
    tokens, spans = [], []
    for fence, code, outside in re.findall(r"(`+)(?!`) ?(.*?) ?(?<!`)\1(?!`)|([^`\s]+)", markdown):
        if fence:
            spans.append(code)
            tokens += list(code)
        else:
            tokens.append(outside.replace("\\", "").strip("*"))
    return tokens, spans


def answer_caption(at) -> re.Match:
    said = next(str(c.value) for c in at.caption if "own greedy answer" in str(c.value))
    found = re.fullmatch(r"Target: the model's own greedy answer, (\d+) tokens?(?: \([^)]*\))?: (.*)\.", said)
    assert found, said
    return found


def test_special_tokens_in_a_random_models_answer_read_as_tokens_not_letters():
    seed, tokens = random_with_specials()
    at = run_page(CROSS, model="random", model_seed=str(seed))
    assert not at.exception and not at.error
    found = answer_caption(at)
    assert int(found.group(1)) == len(tokens)
    shown, spans = read_back(found.group(2))
    assert shown == [visible(t) for t in tokens]
    assert not any(s in span for s in SPECIALS for span in spans)  # never "ab[MASK]c" as text
    specials = [t for t in tokens if t in SPECIALS]
    note = next(str(c.value) for c in at.caption if "special token" in str(c.value))
    names = ", ".join(dict.fromkeys(specials))
    assert note.startswith(f"{len(specials)} of the {len(tokens)} tokens ")
    assert f"({names})" in note and "untrained" in note


@pytest.mark.parametrize("name", ["reverse", "sort"])
def test_a_trained_models_answer_is_its_tokens_as_code(name):
    at = run_page(CROSS, model=name)
    loaded = toy_models.load(name)
    tokens = own_answer(toy_models.ModelSpec(name, "encoder_decoder"), loaded.task.example)
    assert not any(t in SPECIALS for t in tokens)
    found = answer_caption(at)
    assert read_back(found.group(2)) == ([visible(t) for t in tokens], ["".join(visible(t) for t in tokens)])
    assert not any("special token" in str(c.value) for c in at.caption)


@pytest.mark.parametrize(
    ("model", "source", "said"),
    [
        ("reverse", "a", "1 letter, and reverse was trained on 4 to 10"),
        ("reverse", "abcdefghijkl", "12 letters, and reverse was trained on 4 to 10"),
        ("sort", "hello", "a repeated letter (l), and sort was trained on distinct letters"),
        ("sort", "banana", "repeated letters (a, n), and sort was trained on distinct letters"),
        ("reverse", "abcdefg", None),
        ("sort", "hdbaifc", None),
    ],
)
def test_a_source_unlike_every_training_one_is_said_to_be(model, source, said):
    """reverse answers "a" with "agag" and sort drops repeated letters: the page says when the source
    is outside what the model learned, so the answer is not read as the task's."""
    from model.tasks import TASKS

    at = run_page("cross", model=model, source=source)
    assert not at.exception
    text = shown_text(at)
    if said is None:
        assert "outside what it learned" not in text
    else:
        assert f"The source has {said}: the answer and the attention show the model outside what it learned" in text
        assert TASKS[model].unlike_training(list(source)) in text
