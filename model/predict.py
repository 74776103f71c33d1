"""What a language model predicts, read from the logits of one run: the next token after a text, and
how often it predicts each next token of the text itself (teacher forcing: every position is given
the true tokens before it). Under the causal mask position t sees tokens 0..t only; under a mask that
shows it token t + 1 it can read the answer off, which is why a decoder trains with the causal mask.

    from model import hf, predict
    real = hf.load("smollm2-135m")
    ids = real.tokenize(["The capital of France is"])[0]
    out = real.run_ids([ids])
    predict.next_token_predictions(out.logits[0], ids).top  # [(4649 ' Paris', 0.6...), ...]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Predictions:
    """A language model's predictions for one sequence under one mask."""

    top: list[tuple[int, float]]  # the k most likely tokens after the last one, with probabilities
    correct: int  # positions whose most likely next token is the sequence's next token
    predicted: int  # positions that have a next token in the sequence: T - 1
    loss: float  # mean cross-entropy (nats) of the sequence's next tokens; NaN for one token

    @property
    def accuracy(self) -> float:
        """Teacher-forced next-token accuracy, `correct / predicted` (NaN for one token)."""
        return self.correct / self.predicted if self.predicted else float("nan")


def next_token_predictions(logits: torch.Tensor, ids: list[int], k: int = 5) -> Predictions:
    """logits (T, vocab) of one sequence's T real tokens `ids` (no padding): the top `k` next tokens
    after the last one, and how each position's most likely token compares with the true next one."""
    if logits.dim() != 2 or logits.shape[0] != len(ids) or not ids:
        raise ValueError(f"logits must be (T, vocab) for the T = {len(ids)} tokens given (got {tuple(logits.shape)})")
    vocab = logits.shape[1]
    if not 1 <= k <= vocab:
        raise ValueError(f"k must be between 1 and {vocab} (got {k})")
    probabilities, tokens = logits[-1].softmax(dim=-1).topk(k)
    targets = torch.tensor(ids[1:], dtype=torch.long)
    guessed = logits[:-1].argmax(dim=-1)
    loss = torch.nn.functional.cross_entropy(logits[:-1], targets).item() if len(targets) else float("nan")
    top = list(zip(tokens.tolist(), probabilities.tolist(), strict=True))
    return Predictions(top, int((guessed == targets).sum()), len(targets), loss)


def copying_loss(logits: torch.Tensor, ids: list[int], length: int) -> tuple[float, float]:
    """For a sequence whose second `length` tokens repeat its first (logits (2 length, vocab)): the mean
    loss (nats) of predicting the first copy's tokens 1 .. length - 1, and the second copy's: what
    reading the first copy off the context is worth (the second copy's first token is no repeat)."""
    if len(ids) != 2 * length or logits.shape[0] != len(ids) or length < 2:
        raise ValueError(f"logits and ids must be of 2 x length tokens (length {length}, got {len(ids)})")
    losses = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="none")
    return losses[: length - 1].mean().item(), losses[length:].mean().item()


@torch.no_grad()
def greedy_continuation(real, ids: list[int], mask_of=None, max_new: int = 16, keep_going=None) -> list[int]:
    """Up to `max_new` tokens after `ids`, each the most likely after all before it, the whole sequence
    run again for each under `mask_of(T)`, the (T, T) bool mask for T tokens (None: the model's own
    causal mask), through `real.run_ids` (model/hf.py). Stops after the end-of-text token. `keep_going()`
    is asked before each token: False stops with InterruptedError, never with a shorter continuation
    that would pass for the whole one."""
    if not 1 <= max_new <= 64:
        raise ValueError(f"max_new must be between 1 and 64 (got {max_new})")
    end = getattr(real.tokenizer, "eos_token_id", None)
    out = list(ids)
    for step in range(max_new):
        if keep_going is not None and not keep_going():
            raise InterruptedError(f"continuation stopped after {step} of at most {max_new} tokens")
        if real.max_len is not None and len(out) >= real.max_len:
            break
        run = real.run_ids([out], None if mask_of is None else mask_of(len(out)), keep=())
        token = int(run.next_logits[0].argmax())
        out.append(token)
        if token == end:
            break
    return out[len(ids) :]
