"""A student who closes the tab stops costing the server: the model's own answer, the one long
loop of the app (each token runs the whole model), stops at the next token, and what it stopped
is never kept as the answer."""

from __future__ import annotations

import random
import string

import pytest
import torch

from app.runs import toy_models
from model.inspect import greedy_decode
from tests.streamlit_client import open_and_leave, run, visit


def decode_link(rng: random.Random) -> str:
    source = "".join(rng.choice(string.ascii_lowercase) for _ in range(400))
    # no target: the model decodes its own. The shapes view draws no figure (a new run's head figures
    # are not what this is about)
    return f"model=random&layers=6&heads=8&view=shapes&source={source}"


def test_an_answer_stopped_by_a_closed_tab_is_not_kept_and_a_finished_one_is(monkeypatch):
    spec = toy_models.ModelSpec(toy_models.RANDOM, "encoder_decoder", 2, 2, "pre", 0)
    model, tokenizer, _ = toy_models.model_for(spec)
    src = tuple(tokenizer.encode("abcabc"))
    tokens_decoded = []

    def counted(*args, **kwargs):
        keep_going = args[-1]
        return greedy_decode(*args[:-1], lambda: tokens_decoded.append(1) or keep_going())

    monkeypatch.setattr(toy_models, "greedy_decode", counted)
    toy_models.own_answer.cache.clear()  # another test may have asked this answer already
    asked = [0]

    def closes_after_two_tokens():
        asked[0] += 1
        return asked[0] <= 2

    with pytest.raises(InterruptedError):  # the page ends the closed tab's run here
        toy_models.own_answer(spec, src, 32, closes_after_two_tokens)
    assert len(tokens_decoded) == 3  # stopped at the token after the tab closed
    tokens_decoded.clear()
    whole = toy_models.own_answer(spec, src, 32, lambda: True)
    assert tokens_decoded, "the stopped answer was kept: the next session would read a cut answer"
    expected = greedy_decode(model, torch.tensor([src]), tokenizer.bos_id, tokenizer.eos_id, 32)
    assert whole == expected
    tokens_decoded.clear()
    assert toy_models.own_answer(spec, src, 32, lambda: True) == whole and not tokens_decoded  # kept once finished


def test_the_link_a_closed_tab_left_opens_whole_afterwards(fresh_server):
    """On a real server: a session that asks for the model's answer and closes at once, then the same
    link opened again: the page shows the answer a fresh server gives it, not a cut one."""
    closed = decode_link(random.Random(1))
    with fresh_server() as (base, _):
        run(open_and_leave(base, "cross", closed))
        again = visit(base, "cross", closed)
    with fresh_server() as (base, _):
        alone = visit(base, "cross", closed)
    assert again.error is None and not again.exceptions
    said = [text for text in again.texts if text.startswith("Target: the model's own greedy answer")]
    assert said and said == [t for t in alone.texts if t.startswith("Target: the model's own greedy answer")]
