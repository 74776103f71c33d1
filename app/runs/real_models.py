"""Real pretrained models (model/hf.py) and their runs, cached: a model is loaded once per server; a
run is cached by model, token ids and mask (app/cache.py, bounded by bytes), keeping the weights of the
sentence a page shows; a greedy continuation and the repeated-words example are cached the same way."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st
import torch

import masks
from app.cache import MiB, bounded, in_turn
from model import hf
from model.inspect import copying_scores
from model.predict import copying_loss, greedy_continuation

REPEATED = 20  # words of the repeated-sequence example (Olsson et al. 2022 use random tokens, repeated)
# each token runs the whole sentence again, so a continuation stays short
CONTINUATION = 16

log = logging.getLogger(__name__)
_logged: set[str] = set()  # what the log said already: once per process, not once per run


def names(reserved: list[str]) -> tuple[list[str], list[str]]:
    """Real models this server offers: the shipped one if installed, and the operator's directories
    but those whose name is taken (`reserved`: the app's own models); and why those are not (on the
    server's log too, once per process)."""
    found, refused = hf.offered(reserved)
    for why in refused:
        if why not in _logged:
            _logged.add(why)
            log.warning(why)
    return list(found), refused


@st.cache_resource(max_entries=4, show_spinner="Loading the model (once per server)…")
def load(name: str) -> hf.RealModel:
    return hf.load(name)


def override(ids: tuple[tuple[int, ...], ...], mask: masks.Predicate | None, padding: bool) -> torch.Tensor | None:
    """The mask that replaces the model's own: the scheme (T, T), and with `padding` each sequence's
    padding keys hidden too, (B, 1, T, T)."""
    if mask is None:
        return None
    built = mask.build()
    if not padding:
        return built
    T = built.shape[0]
    real = torch.arange(T)[None, :] < torch.tensor([len(row) for row in ids])[:, None]
    return built & real[:, None, None, :]


@bounded(max_bytes=256 * MiB, max_entries=32)
def run(
    name: str, ids: tuple[tuple[int, ...], ...], mask: masks.Predicate | None, padding: bool, keep: tuple[int, ...]
) -> hf.Run:
    """One forward pass of the batch `ids` (padded on the right) under `mask` (None: the model's own),
    keeping the weights and scores of the sentences `keep` only: the page shows one sentence at a
    time, and the batch's would be eight times the memory (every sentence's head roles are kept)."""
    model = load(name)
    cells = len(ids) * max(map(len, ids)) ** 2 * model.layers * model.heads
    with in_turn(cells):
        return model.run_ids([list(row) for row in ids], override(ids, mask, padding), keep)


@bounded(max_bytes=MiB)
def continuation(name: str, row: tuple[int, ...], mask: masks.Predicate | None, _keep_going) -> str:
    """The model's greedy continuation of one sentence, CONTINUATION tokens at most, under `mask`'s rule
    read at every position of the longer text (None: the model's own causal mask); stopped when the tab
    that asked for it closes (another session asking for it then computes it itself)."""
    model = load(name)

    def mask_of(n: int) -> torch.Tensor:
        return mask(torch.arange(n)[:, None], torch.arange(n)[None, :])

    with in_turn(len(row) ** 2 * model.layers * model.heads):
        found = greedy_continuation(model, list(row), None if mask is None else mask_of, CONTINUATION, _keep_going)
    return model.tokenizer.decode(found).replace("\n", "↵")  # a line break made visible, as on the axes


@dataclass(frozen=True)
class Copying:
    """Induction and previous-token heads, found on the repeated-words example."""

    text: str
    ids: tuple[int, ...]
    scores: dict[str, torch.Tensor]  # kind -> (L, H)
    losses: tuple[float, float]  # mean loss of the first copy's words, of the second copy's

    def strongest(self, kind: str) -> tuple[int, int, float]:
        values = self.scores[kind]
        layer, head = divmod(int(values.argmax()), values.shape[1])
        return layer, head, values[layer, head].item()


@st.cache_resource(max_entries=4, show_spinner=False)
def copying(name: str) -> Copying:
    """The repeated-words example run once per server (model/inspect.copying_scores on its weights),
    through the page's own run cache: the one-click view of it reuses that run."""
    model = load(name)
    text, row = model.repeated_words(REPEATED)
    out = run(name, (tuple(row),), None, False, (0,))
    scores = copying_scores(torch.stack([a[0] for a in out.attentions]), REPEATED)
    return Copying(text, tuple(row), scores, copying_loss(out.logits[0], row, REPEATED))
