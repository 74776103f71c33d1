"""Every mask scheme, defined once: its rule, its parameters, its text for people and for code.

A rule takes query positions `i` and key positions `j` as integer tensors that broadcast
against each other (a column and a row when a whole mask is built, scalars inside
FlexAttention) and returns True where query i may attend to key j. The same rule serves
`build`, FlexAttention's `mask_mod`, composition and the analysis, so each scheme has
exactly one meaning. Rules and their helpers are plain PyTorch, so `source` hands the Code
tab these very functions: the code people copy is the code that runs, and a test executes it
against the rule.

Rules marked `offset_only` depend on i - j alone (Toeplitz masks); they are built from one
row of Q + K - 1 values, much faster than comparing Q x K index pairs.

Adding a scheme means writing one decorated function here, nothing else.
"""

from __future__ import annotations

import dis
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from masks.params import Param


@dataclass(frozen=True)
class Scheme:
    """A mask scheme's description: what the app shows and builds its controls from."""

    name: str
    summary: str  # one line, what a lecturer would say
    predicate: str  # the rule as text, in i (query) and j (key), Q and K the lengths
    used_by: str
    params: tuple[Param, ...]
    rule: Callable[..., torch.Tensor]
    note: str = ""  # the one subtle choice, said out loud
    when_empty: str = ""  # when this scheme leaves a query with no key
    check: Callable[..., None] | None = None  # relations between parameters and lengths
    offset_only: bool = False

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    @property
    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def defaults_for(self, q_len: int, kv_len: int) -> dict[str, object]:
        """Defaults that are valid for these lengths: numbers clamped into their bounds,
        document lengths cut to sum to q_len."""
        values = {}
        for p in self.params:
            low, high = p.bounds(q_len, kv_len)
            if p.kind == "int":
                values[p.name] = max(low, p.default) if high is None else min(max(low, p.default), high)
            elif p.kind == "ints" and sum(p.default) != q_len:  # as many parts, near-equal
                parts = min(len(p.default), q_len)
                values[p.name] = tuple(q_len // parts + (k < q_len % parts) for k in range(parts))
            else:
                values[p.name] = p.default
        return values


SCHEMES: dict[str, Scheme] = {}


def scheme(*, summary, predicate, used_by, params=(), note="", when_empty="", check=None, offset_only=False):
    """Register the decorated rule as a scheme named after the function."""

    def register(rule):
        SCHEMES[rule.__name__] = Scheme(
            name=rule.__name__,
            summary=summary,
            predicate=predicate,
            used_by=used_by,
            params=tuple(params),
            rule=rule,
            note=note,
            when_empty=when_empty,
            check=check,
            offset_only=offset_only,
        )
        return rule

    return register


def source(*functions) -> str:
    """The definitions of these functions and of every function of this module they call,
    callees first, decorators dropped: plain PyTorch that runs without this library."""
    found: dict = {}

    def visit(function):
        for name in _globals_read(function.__code__):
            callee = inspect.unwrap(globals().get(name))
            if inspect.isfunction(callee) and callee.__module__ == __name__ and callee not in found:
                visit(callee)
        found[function] = None

    for function in functions:
        if function not in found:
            visit(function)
    return "\n\n\n".join(_definition(function) for function in found)


def _globals_read(code) -> Iterator[str]:
    """The global names a function reads, in the lambdas it holds too."""
    yield from (op.argval for op in dis.get_instructions(code) if op.opname == "LOAD_GLOBAL")
    for constant in code.co_consts:
        if inspect.iscode(constant):
            yield from _globals_read(constant)


def _definition(function) -> str:
    text = inspect.getsource(function)
    return text[re.search(r"^def ", text, re.MULTILINE).start() :].rstrip()


def _is_grid(i, j, q_len: int, kv_len: int) -> bool:
    """True when i and j are every query position (a column) and every key position (a row):
    a whole mask is being built, so faster equivalent forms may be used."""
    return tuple(i.shape) == (q_len, 1) and tuple(j.shape) == (1, kv_len)


def by_diagonals(fn, q_len: int, kv_len: int) -> torch.Tensor:
    """The (q_len, kv_len) mask whose cell (i, j) is fn(i - j), built from its Q + K - 1
    diagonals with one copy instead of Q * K evaluations.

    mask[i, j] = value[i - j + K - 1]; row i reads a strip of values backwards, so a
    stride-1 view of the reversed strip, flipped upside down, is the mask.
    """
    offsets = torch.arange(-(kv_len - 1), q_len, dtype=torch.int32)
    values = torch.broadcast_to(fn(offsets), offsets.shape)
    strip = values.flip(0).contiguous()  # strip[t] = value at offset Q - 1 - t
    return strip.as_strided((q_len, kv_len), (1, 1)).flip(0).contiguous()


def _by_offset(i, j, q_len: int, kv_len: int, fn) -> torch.Tensor:
    """fn(i - j), from the diagonals when the whole grid is being built."""
    return by_diagonals(fn, q_len, kv_len) if _is_grid(i, j, q_len, kv_len) else fn(i - j)


def _keys(q_len: int, kv_len: int) -> int:
    return kv_len


def _window_param(default: int = 3) -> Param:
    return Param("window", "int", default, "Keys a query sees on each side, itself included.", min=1)


def _causal_param(default: bool) -> Param:
    return Param("causal", "bool", default, "Only look back (True) or both ways (False).")


def _needs_square(where: str, q_len: int, kv_len: int) -> None:
    if q_len != kv_len:
        raise ValueError(f"{where} needs q_len == kv_len (got q_len={q_len}, kv_len={kv_len})")


# ---------------------------------------------------------------------------------------


@scheme(
    summary="Every query sees every key.",
    predicate="always",
    used_by="BERT encoder, ViT",
    offset_only=True,
)
def full(i, j, q_len, kv_len):
    return torch.ones_like(i - j, dtype=torch.bool)


@scheme(
    summary="Each query sees itself and every earlier key: no peeking at the future.",
    predicate="top_left: j <= i; bottom_right: j <= i + (K - Q) (the same when Q == K)",
    used_by="GPT decoders; top_left = SDPA is_causal; bottom_right = KV-cache decoding, flash-attn >= 2.1",
    params=[
        Param(
            "align",
            "choice",
            "top_left",
            "Where the diagonal starts when Q != K: top_left (SDPA is_causal) or "
            "bottom_right (the last query sees every key, as in KV-cache decoding).",
            choices=("top_left", "bottom_right"),
        ),
    ],
    note="SDPA's is_causal is top_left; with a KV cache (Q < K) you want bottom_right.",
    when_empty="bottom_right with Q > K: the first Q - K queries come before every key",
    offset_only=True,
)
def causal(i, j, q_len, kv_len, align):
    offset = kv_len - q_len if align == "bottom_right" else 0
    return j <= i + offset


@scheme(
    summary="Each query sees itself and every later key.",
    predicate="j >= i",
    used_by="UniLM right-to-left LM",
    when_empty="Q > K: queries past the last key",
    offset_only=True,
)
def right_to_left(i, j, q_len, kv_len):
    return j >= i


def _padding_check(q_len, kv_len, pad, side, mask_queries):
    if mask_queries:
        _needs_square("padding with mask_queries=True", q_len, kv_len)


@scheme(
    summary="Padding keys are hidden from every query.",
    predicate="key j is real (right: j < K - pad; left: j >= pad), and, when mask_queries, query i is real too",
    used_by="any batched model",
    params=[
        Param("pad", "int", 2, "How many padding tokens.", min=0, max=_keys),
        Param(
            "side",
            "choice",
            "right",
            "Padding at the end (right) or the start (left).",
            choices=("right", "left"),
        ),
        Param("mask_queries", "bool", False, "Also give padding queries no keys (their rows become empty)."),
    ],
    note="Padding queries still see the real keys unless mask_queries: their outputs are "
    "garbage that the loss ignores.",
    when_empty="every key is padding (pad = K), or the query itself is padding (mask_queries)",
    check=_padding_check,
)
def padding(i, j, q_len, kv_len, pad, side, mask_queries):
    real_key = j < kv_len - pad if side == "right" else j >= pad
    if not mask_queries:
        return real_key
    real_query = i < q_len - pad if side == "right" else i >= pad
    return real_key & real_query


@scheme(
    summary="The prefix is read both ways; the rest is generated causally.",
    predicate="j < prefix or j <= i (prefix=0 is causal, prefix >= K is full)",
    used_by="UniLM seq-to-seq, T5 prefix-LM, PaliGemma",
    params=[Param("prefix", "int", 3, "Length of the bidirectional prefix (the source).", min=0)],
)
def prefix_lm(i, j, q_len, kv_len, prefix):
    return (j < prefix) | (j <= i)


@scheme(
    summary="Decoder queries see every real encoder key.",
    predicate="j < K - pad (Q and K differ: target queries x source keys)",
    used_by="Transformer / T5 / BART decoder-to-encoder",
    params=[Param("pad", "int", 0, "Padding tokens at the end of the source.", min=0, max=_keys)],
    when_empty="the source is all padding (pad = K)",
)
def cross(i, j, q_len, kv_len, pad):
    return j < kv_len - pad


def _band(d, window, causal):
    return (d >= 0) & (d < window) if causal else d.abs() < window


@scheme(
    summary="Each query sees the keys fewer than `window` positions away, itself included: `window` keys "
    "causal, 2 x `window` - 1 both ways.",
    predicate="causal: 0 <= i - j < window; bidirectional: abs(i - j) < window",
    used_by="Mistral, Gemma local layers, Longformer local part",
    params=[_window_param(), _causal_param(True)],
    note="window counts the query itself: window=3 sees 3 keys (Hugging Face sliding_window=3, "
    "attention-gym generate_sliding_window(2)).",
    offset_only=True,
)
def sliding_window(i, j, q_len, kv_len, window, causal):
    return _band(i - j, window, causal)


@scheme(
    summary="A sliding window with holes: every `dilation`-th key, `window` of them.",
    predicate="(i - j) % dilation == 0 and causal: 0 <= i - j < window * dilation, "
    "bidirectional: abs(i - j) < window * dilation",
    used_by="Longformer dilated windows",
    params=[
        _window_param(),
        Param("dilation", "int", 2, "Gap between the keys a query sees.", min=1),
        _causal_param(True),
    ],
    note="dilation=1 is the sliding window.",
    offset_only=True,
)
def dilated(i, j, q_len, kv_len, window, dilation, causal):
    d = i - j
    return (d % dilation == 0) & _band(d, window * dilation, causal)


@scheme(
    summary="The sequence is cut into chunks; a query sees only its own chunk.",
    predicate="i // chunk == j // chunk (and j <= i when causal)",
    used_by="block-local attention; Llama 4 chunked attention is the causal one",
    params=[Param("chunk", "int", 4, "Tokens per chunk.", min=1), _causal_param(False)],
)
def chunked(i, j, q_len, kv_len, chunk, causal):
    same = i // chunk == j // chunk
    return same & (j <= i) if causal else same


def _document_check(q_len, kv_len, lengths, causal):
    _needs_square("document", q_len, kv_len)
    if sum(lengths) != q_len:
        raise ValueError(f"document: lengths must sum to q_len = {q_len} (got {list(lengths)}, sum {sum(lengths)})")


def _document_ids(lengths) -> torch.Tensor:
    return torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))


@scheme(
    summary="Packed sequences: a query sees only tokens of its own document.",
    predicate="doc(i) == doc(j) (and j <= i when causal); sum(lengths) == Q == K",
    used_by="packed sequences, varlen / BlockDiagonal",
    params=[
        Param("lengths", "ints", (3, 4, 2), "Length of each packed document, in order.", min=1),
        _causal_param(True),
    ],
    check=_document_check,
)
def document(i, j, q_len, kv_len, lengths, causal):
    doc = _document_ids(lengths)
    same = doc[i] == doc[j]
    return same & (j <= i) if causal else same


_GLOBAL_LOCAL_PARAMS = (
    _window_param(2),
    Param("n_global", "int", 1, "How many leading tokens are global.", min=0, max=_keys),
)


@scheme(
    summary="A bidirectional window, plus global tokens that see and are seen by all.",
    predicate="abs(i - j) < window or i < n_global or j < n_global",
    used_by="Longformer ([CLS] global)",
    params=_GLOBAL_LOCAL_PARAMS,
)
def global_local(i, j, q_len, kv_len, window, n_global):
    near = _by_offset(i, j, q_len, kv_len, lambda d: d.abs() < window)
    return near | (i < n_global) | (j < n_global)


@scheme(
    summary="Causal: the last `stride` keys plus every `stride`-th key before them.",
    predicate="j <= i and (i - j < stride or (i - j) % stride == 0)",
    used_by="Sparse Transformer (strided)",
    params=[Param("stride", "int", 3, "Local span and the step between far keys.", min=1)],
    offset_only=True,
)
def strided(i, j, q_len, kv_len, stride):
    d = i - j
    return (d >= 0) & ((d < stride) | (d % stride == 0))


def random_keys(q_len: int, kv_len: int, n_random: int, seed: int) -> torch.Tensor:
    """BigBird's R(i): `n_random` distinct keys for each query, (q_len, n_random), seeded.

    Floyd's sampling, vectorised over queries: one step per key drawn, never a loop over rows.
    """
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.empty(q_len, n_random, dtype=torch.long)
    for step, top in enumerate(range(kv_len - n_random, kv_len)):
        pick = torch.randint(0, top + 1, (q_len,), generator=generator)
        taken = (chosen[:, :step] == pick[:, None]).any(dim=1)
        chosen[:, step] = torch.where(taken, top, pick)
    return chosen


@scheme(
    summary="Global + local, plus a few random keys per query (seeded: the same every time).",
    predicate="global_local or j in R(i), R(i) = n_random keys drawn for row i from seed",
    used_by="BigBird (token-level form)",
    params=[
        *_GLOBAL_LOCAL_PARAMS,
        Param("n_random", "int", 2, "Random keys per query.", min=0, max=lambda q, k: min(k, 32)),
        Param("seed", "int", 0, "Seed of the random keys.", min=0, max=2**31 - 1),
    ],
    note="BigBird draws random blocks; this is its token-level form (block size 1).",
)
def bigbird(i, j, q_len, kv_len, window, n_global, n_random, seed):
    hit = _lookup(_random_table(q_len, kv_len, n_random, seed), i, j)
    return global_local(i, j, q_len, kv_len, window, n_global) | hit


def _lookup(table: torch.Tensor, i, j) -> torch.Tensor:
    """table[i, j]; for the whole grid that is the table itself."""
    return table if _is_grid(i, j, *table.shape) else table[i, j]


@functools.lru_cache(maxsize=4)
def _random_table(q_len: int, kv_len: int, n_random: int, seed: int) -> torch.Tensor:
    """R(i) as a dense (q_len, kv_len) bool table, so a rule can look cells up."""
    table = torch.zeros(q_len, kv_len, dtype=torch.bool)
    return table.scatter_(1, random_keys(q_len, kv_len, n_random, seed), True)
