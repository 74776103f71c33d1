"""Models and their runs for the attention pages, cached: a model is loaded once per server, a
run is cached by model, input and mask (app/cache.py, bounded by bytes), so changing the layer,
the head or the view never runs the model again."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass

import streamlit as st
import torch

import masks
from app.cache import MiB, bounded, in_turn
from app.state import Link
from app.text import quoted
from model import pretrained
from model.inspect import greedy_decode
from model.tasks import TASKS
from model.tokenizer import SPECIALS, Tokenizer
from model.transformer import Transformer, TransformerConfig

RANDOM = "random"
# a random model reads any printable ASCII character; the space is a token too, as a person typing
# a sentence expects (other whitespace is skipped)
RANDOM_SYMBOLS = [c for c in string.printable if c == " " or not c.isspace()]
RANDOM_MAX_LEN = 512
KINDS = ["cross", "encoder", "decoder"]  # an encoder-decoder's attentions, as the Cross-attention page names them


def checkpoints(encoder_decoder: bool) -> list[str]:
    return [n for n in trained() if (TASKS[n].arch == "encoder_decoder") == encoder_decoder]


@functools.cache
def trained() -> tuple[str, ...]:
    """The checkpoints this server found when it started (`make train` writes them beforehand): every
    page run names its models, and looking again is a file system call per checkpoint."""
    return tuple(pretrained.available())


def own_names() -> list[str]:
    """The names of the app's own models, trained and random (a real model may not take one)."""
    return checkpoints(False) + checkpoints(True) + [RANDOM]


@st.cache_resource(max_entries=16, show_spinner=False)
def load(name: str) -> pretrained.Pretrained:
    return pretrained.load(name)


@st.cache_resource(max_entries=16, show_spinner=False)
def pattern_head(name: str) -> pretrained.PatternHead:
    """Where checkpoint `name`'s promised pattern is strongest (a forward pass on 200 examples)."""
    return load(name).strongest_head()


def opening_head(chosen, kind: str, trained_mask: bool = True) -> tuple[tuple[int, int], str | None]:
    """The (layer, head) a page opens on for attention `kind` ("self", "cross", "encoder"...), and a
    sentence saying why: a trained model's strongest pattern head, computed (said only for the kind
    of attention the pattern is in); a random model's (0, 0). The share is measured under the mask
    the model was trained with: with `trained_mask` False (the page shows another) it is not quoted."""
    if chosen.pretrained is None:
        return (0, 0), None
    found = pattern_head(chosen.name)
    if found.kind != kind:  # the same head, without a claim: the page's defaults stay put when the kind changes
        return (found.layer, found.head), None
    task = chosen.pretrained.task
    if not trained_mask:
        return (found.layer, found.head), (
            f"Opens on layer {found.layer}, head {found.head}: the head where the pattern ({task.pattern}) is "
            f"strongest under the mask the model was trained with ({task.trained_mask}); this view uses "
            "another mask, so the weights here may not show it."
        )
    return (found.layer, found.head), (
        f"Opens on layer {found.layer}, head {found.head}: the head where the pattern ({task.pattern}) is "
        f"strongest, with {found.share:.1%} of the queries it names putting their largest weight on the key "
        f"it names, over {found.examples} fresh examples of the task (under its trained mask, as here)."
    )


@bounded(max_bytes=96 * MiB, max_entries=16)
def random_model(
    arch: str, layers: int, heads: int, norm: str, seed: int, activation: str = "gelu"
) -> tuple[Transformer, Tokenizer]:
    """A fresh, untrained model: what attention looks like before any learning."""
    tokenizer = Tokenizer(RANDOM_SYMBOLS)
    config = TransformerConfig(
        arch=arch,
        vocab_size=len(tokenizer),
        d_model=16 * heads,
        n_heads=heads,
        n_layers=layers,
        d_ff=64 * heads,
        max_len=RANDOM_MAX_LEN,
        norm=norm,
        activation=activation,
    )
    return Transformer(config, generator=torch.Generator().manual_seed(seed)).eval(), tokenizer


def input_help(tokenizer: Tokenizer) -> str:
    """What this model reads, said from its own vocabulary (so it is exact for every model)."""
    symbols = [t for t in tokenizer.vocab if t not in SPECIALS and t != " "]
    known = (
        "any printable ASCII character (letters, digits, punctuation)"
        if set(symbols) >= set(RANDOM_SYMBOLS) - {" "}
        else f"the characters {''.join(symbols)}"
    )
    spaces = "a space is a token too (shown ␣)" if " " in tokenizer.ids else "spaces are skipped"
    return (
        "One token per character as a reader counts them (é, or an emoji with its skin tone, is one). "
        f"This model reads {known}; {spaces}; {' '.join(SPECIALS)} typed as themselves are one token each; "
        "any other character is refused, by name."
    )


def read_ids(tokenizer: Tokenizer, text: str, max_len: int, what: str, example: str | None = None) -> list[int]:
    """Ids of typed text; a problem is shown by name, and unreadable text falls back to the example."""
    ids, problem = encode(tokenizer, text, max_len, what)
    if problem:
        (st.warning if ids else st.error)(problem)
    if not ids and example is not None:
        ids, _ = encode(tokenizer, example, max_len, "example")
        st.info(f"Showing the example {what} instead: {example}")
    return ids


def encode(tokenizer: Tokenizer, text: str, max_len: int, what: str) -> tuple[list[int], str | None]:
    """Ids for `text`, or a message naming what the tokenizer cannot take (then no ids)."""
    try:
        ids = tokenizer.encode(text)
    except ValueError as error:
        return [], f"The {what} cannot be read by this model: {quoted(str(error), limit=300)}."
    if not ids:
        return [], f"The {what} is empty."
    if len(ids) > max_len:
        return ids[
            :max_len
        ], f"The {what} has {len(ids)} tokens; this model reads at most {max_len}: using the first {max_len}."
    return ids, None


@dataclass(frozen=True)
class ModelSpec:
    """What decides a model's weights, hashable: the key of every cached run. A checkpoint by its
    name, or a random model by its architecture, shape and seed."""

    name: str
    arch: str
    layers: int = 0
    heads: int = 0
    norm: str = ""
    seed: int = 0
    activation: str = "gelu"


def model_for(spec: ModelSpec) -> tuple[Transformer, Tokenizer, pretrained.Pretrained | None]:
    """The model a spec names (each cached once per server), its tokenizer, and for a checkpoint its
    task and training facts (None for a random model)."""
    if spec.name == RANDOM:
        return (*random_model(spec.arch, spec.layers, spec.heads, spec.norm, spec.seed, spec.activation), None)
    loaded = load(spec.name)
    return loaded.model, loaded.tokenizer, loaded


@dataclass
class Choice:
    """The model picked in the sidebar, with what the page needs to show about it."""

    spec: ModelSpec
    model: Transformer
    tokenizer: Tokenizer
    example: str
    description: str
    pretrained: pretrained.Pretrained | None  # None for a random model

    @property
    def name(self) -> str:
        return self.spec.name


def model_name(link: Link, arch: str, real: list[str] = ()) -> str:
    """The model picker: checkpoints of this architecture, then `real` pretrained models, then random."""
    options = checkpoints(encoder_decoder=arch == "encoder_decoder") + list(real) + [RANDOM]
    what = "a shipped checkpoint trained on a task"
    what += f", a real pretrained model ({', '.join(real)})" if real else ""
    return link.choice("Model", "model", options, options[0], help=f"{what}, or a fresh random model")


def choose_model(link: Link, arch: str, name: str | None = None) -> Choice:
    """A checkpoint of this architecture, or a fresh random model with its own controls (`name`:
    already picked with `model_name`)."""
    name = name or model_name(link, arch)
    if name == RANDOM:
        layers = link.integer("Layers", "layers", 1, 6, 2)
        heads = int(link.choice("Heads", "heads", ["1", "2", "4", "8"], "4"))
        norm = link.choice("Norm placement", "norm", ["pre", "post"], "pre")
        seed = link.integer("Seed", "model_seed", 0, 10_000, 0)
        activation = link.choice(
            "Feed-forward activation",
            "activation",
            ["gelu", "relu"],
            "gelu",
            help="gelu: as GPT-2, BERT and the trained checkpoints; relu: as the original Transformer",
        )
        spec = ModelSpec(RANDOM, arch, layers, heads, norm, seed, activation)
        example = "le chat dort." if arch == "encoder_decoder" else "the cat sat on the mat."
        description = "An untrained model: attention before any learning."
    else:
        spec = ModelSpec(name, arch)
        example, description = TASKS[name].example, f"{TASKS[name].description} Pattern: {TASKS[name].pattern}."
    model, tokenizer, loaded = model_for(spec)
    choice = Choice(spec, model, tokenizer, example, description, loaded)
    st.caption(choice.description)
    return choice


def stacked(attentions, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What a cached run keeps of the model's per-layer results, for the first sequence of the
    batch: weights and scores (L, H, Q, K) and the (Q, K) mask. Stacked once, not on every rerun."""
    weights = torch.stack([a.weights[0] for a in attentions])
    scores = torch.stack([a.scores[0] for a in attentions])
    return weights, scores, mask[0, 0]


@bounded(max_bytes=192 * MiB)
def self_run(spec: ModelSpec, ids: tuple, mask: masks.Predicate | None):
    """All attention of one forward pass of the model `spec` names, under `mask` (None: the mask it
    was trained with)."""
    model, _, loaded = model_for(spec)
    tokens_in = torch.tensor([ids])
    with in_turn(len(ids) ** 2 * model.config.n_layers * model.config.n_heads):
        given = {"mask": mask.build()} if mask is not None else loaded.default_masks(tokens_in) if loaded else {}
        with torch.no_grad():
            out = model(tokens_in, **given)
        return stacked(out.attentions, out.masks["self"])


@bounded(max_bytes=8 * MiB)
def own_answer(spec: ModelSpec, src: tuple, steps: int, _keep_going) -> list[int]:
    """The model's greedy answer of at most `steps` tokens, decoded once per source (not on every
    rerun), stopped if the tab that asked for it closes (another session asking for it then decodes
    it itself)."""
    model, tokenizer, _ = model_for(spec)
    return greedy_decode(model, torch.tensor([src]), tokenizer.bos_id, tokenizer.eos_id, steps, _keep_going)


@bounded(max_bytes=192 * MiB)
def cross_run(spec: ModelSpec, src_ids: tuple, tgt_ids: tuple):
    """Every attention of an encoder-decoder's forward pass, by kind (KINDS), each as `stacked` keeps it."""
    model, _, _ = model_for(spec)
    S, T = len(src_ids), len(tgt_ids)
    with in_turn((S * S + T * T + T * S) * model.config.n_layers * model.config.n_heads), torch.no_grad():
        out = model(torch.tensor([src_ids]), torch.tensor([tgt_ids]))
        found = {"cross": out.cross_attentions, "encoder": out.encoder_attentions, "decoder": out.decoder_attentions}
        return {kind: stacked(found[kind], out.masks[kind]) for kind in KINDS}
