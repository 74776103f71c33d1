"""A mask as a rule over (query, key) positions for fixed lengths, composable with & | ~.

    >>> from masks import predicate
    >>> decoder = predicate("causal", 4) & predicate("padding", 4, pad=1)
    >>> decoder.name
    'causal & padding(pad=1)'
    >>> print(draw(decoder.build()))
    ■ · · ·
    ■ ■ · ·
    ■ ■ ■ ·
    ■ ■ ■ ·

A predicate is a tree: a `Leaf` is one scheme with its parameters, `And`, `Or` and `Not` combine
predicates. Each node knows how to evaluate itself (`build`, the rule at `(i, j)`), how to write
itself (`name`, `call_text`, `code`) and why it blocks (`blame`, `why_empty`); the base class
`Predicate` holds what they share: composition, equality, FlexAttention's `mask_mod`.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from functools import reduce

import torch

from masks.params import check_length
from masks.schemes import SCHEMES, Scheme, by_diagonals, source


@dataclass(frozen=True, eq=False, repr=False)
class Predicate:
    """A mask rule bound to q_len and kv_len. Make one with `masks.predicate(...)`.

    Each node class gives its `_identity` (what equality compares), `_join` (its text from its
    parts' texts) and `_reason` (why_empty for a query known to have no key)."""

    q_len: int
    kv_len: int

    precedence = 4  # how tightly the node binds when written: | < & < ~ < a single scheme

    # -- composition -----------------------------------------------------------------------

    def _combine(self, kind: type[Combination], other: Predicate) -> Predicate:
        if not isinstance(other, Predicate):
            return NotImplemented
        if (self.q_len, self.kv_len) != (other.q_len, other.kv_len):
            raise ValueError(
                f"cannot combine masks of different shapes: {self.name} is "
                f"{self.q_len}x{self.kv_len}, {other.name} is {other.q_len}x{other.kv_len}"
            )
        parts = tuple(p for side in (self, other) for p in (side.parts if type(side) is kind else (side,)))
        return kind(self.q_len, self.kv_len, parts)

    def __and__(self, other: Predicate) -> Predicate:
        return self._combine(And, other)

    def __or__(self, other: Predicate) -> Predicate:
        return self._combine(Or, other)

    def __invert__(self) -> Predicate:
        return Not(self.q_len, self.kv_len, self)

    # -- identity: equal predicates build equal masks, so a cache may key on one ------------

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    # -- evaluation ------------------------------------------------------------------------

    def __call__(self, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        """True where query i may attend key j; i and j broadcast (or are scalars)."""
        raise NotImplementedError

    def build(self) -> torch.Tensor:
        """The dense mask: bool (q_len, kv_len), True = the query may attend the key."""
        raise NotImplementedError

    def row(self, query: int) -> torch.Tensor:
        """The keys one query may attend: bool (kv_len,)."""
        j = torch.arange(self.kv_len)
        return torch.broadcast_to(self(torch.tensor(query), j), (self.kv_len,))

    @property
    def mask_mod(self):
        """FlexAttention's mask_mod: `create_mask(pred.mask_mod, B, H, Q, K)` equals `build()`.

        The same function on every access; each access first fills the rule's tables (bigbird's
        random keys), since FlexAttention's vmap refuses to draw random numbers."""
        self(torch.tensor(0), torch.tensor(0))
        return self._mask_mod

    @functools.cached_property
    def _mask_mod(self):
        def mask_mod(b, h, q_idx, kv_idx):
            return self(q_idx, kv_idx)

        mask_mod.__name__ = self.name  # a ready plot title, as attention-gym does
        return mask_mod

    # -- text ------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """A readable name for figure titles: 'causal & padding(pad=2, side=left)'."""
        return self._join(lambda part: part.name)

    def call_text(self) -> str:
        """The same mask through this library: 'masks.predicate("causal", 6) & ...'."""
        return self._join(lambda part: part.call_text())

    def _expression(self) -> str:
        """This mask in the code of `code`: calls of the schemes' functions, combined."""
        return self._join(lambda part: part._expression())

    def _wrapped(self, part: Predicate, text_of) -> str:
        return f"({text_of(part)})" if part.precedence <= self.precedence else text_of(part)

    def leaves(self) -> list[Leaf]:
        """The single schemes this mask is made of, left to right."""
        raise NotImplementedError

    def code(self) -> str:
        """Plain PyTorch (no import of this library) that builds the same mask: the schemes'
        functions as they run here (their own source), then the call that builds this mask."""
        rules = dict.fromkeys(leaf.scheme.rule for leaf in self.leaves())
        lines = [
            "import torch",
            "",
            "",
            source(*rules),
            "",
            "",
            f"Q, K = {self.q_len}, {self.kv_len}  # queries, keys",
            "i = torch.arange(Q)[:, None]  # query positions, a column (Q, 1)",
            "j = torch.arange(K)[None, :]  # key positions, a row (1, K)",
            f"mask = {self._expression()}",
        ]
        probe = self(torch.arange(self.q_len)[:, None], torch.arange(self.kv_len)[None, :])
        if tuple(probe.shape) != (self.q_len, self.kv_len):
            lines.append("mask = mask.expand(Q, K)  # the rule ignores one axis")
        return "\n".join(lines) + "\n"

    # -- reasons ---------------------------------------------------------------------------

    def blame(self) -> list[tuple[str, torch.Tensor]]:
        """Each term that can block a cell (a scheme, or a negated part), left to right, with the
        (Q, K) cells where it is a reason this mask blocks: a part of an AND wherever it blocks, a
        part of an OR only where every part blocks, ~p where p allows."""
        raise NotImplementedError

    def why_empty(self, query: int) -> str:
        """Why this query may attend no key at all (it must be such a query)."""
        if self.row(query).any():
            raise ValueError(f"query {query} may attend some keys under {self.name}")
        return self._reason(query)

    def __repr__(self) -> str:
        return f"Predicate({self.name!r}, q_len={self.q_len}, kv_len={self.kv_len})"


@dataclass(frozen=True, eq=False, repr=False)
class Leaf(Predicate):
    """One scheme with its validated parameters."""

    scheme: Scheme
    params: dict

    def _identity(self) -> tuple:
        return (self.q_len, self.kv_len, self.scheme.name, tuple(sorted(self.params.items())))

    def __call__(self, i, j):
        return self.scheme.rule(i, j, self.q_len, self.kv_len, **self.params)

    def build(self) -> torch.Tensor:
        shape = (self.q_len, self.kv_len)
        if self.scheme.offset_only:
            zero = torch.zeros((), dtype=torch.int32)
            return by_diagonals(lambda offset: self(offset, zero), *shape)
        i = torch.arange(self.q_len, dtype=torch.int32)[:, None]
        j = torch.arange(self.kv_len, dtype=torch.int32)[None, :]
        return torch.broadcast_to(self(i, j), shape).contiguous()

    @property
    def name(self) -> str:
        shown = [
            f"{p.name}={_show(self.params[p.name])}"
            for p in self.scheme.params
            if p.kind in ("int", "ints") or self.params[p.name] != p.default
        ]
        return self.scheme.name + (f"({', '.join(shown)})" if shown else "")

    def call_text(self) -> str:
        lengths = f"{self.q_len}" if self.q_len == self.kv_len else f"{self.q_len}, {self.kv_len}"
        given = [f"{p.name}={self.params[p.name]!r}" for p in self.scheme.params if self.params[p.name] != p.default]
        return f'masks.predicate("{self.scheme.name}", {", ".join([lengths, *given])})'

    def _expression(self) -> str:
        return f"{self.scheme.name}({', '.join(['i, j, Q, K', *(f'{k}={v!r}' for k, v in self.params.items())])})"

    def leaves(self) -> list[Leaf]:
        return [self]

    def blame(self):
        return [(self.name, ~self.build())]

    def _reason(self, query: int) -> str:
        hint = self.scheme.when_empty
        return f"{self.name} allows no key for this query" + (f" ({hint})" if hint else "")


@dataclass(frozen=True, eq=False, repr=False)
class Combination(Predicate):
    """Parts of one shape joined by one operator: And or Or (each gives `symbol` and `combine`)."""

    parts: tuple[Predicate, ...]

    def _identity(self) -> tuple:
        return (self.q_len, self.kv_len, self.symbol, self.parts)

    def __call__(self, i, j):
        return reduce(self.combine, (part(i, j) for part in self.parts))

    def build(self) -> torch.Tensor:
        return reduce(self.combine, (part.build() for part in self.parts))

    def _join(self, text_of) -> str:
        return f" {self.symbol} ".join(self._wrapped(part, text_of) for part in self.parts)

    def leaves(self) -> list[Leaf]:
        return [leaf for part in self.parts for leaf in part.leaves()]

    def blame(self):
        blocked = ~self.build()
        return [(name, cells & blocked) for part in self.parts for name, cells in part.blame()]


class And(Combination):
    """Allowed where every part allows."""

    symbol, combine, precedence = "&", operator.and_, 2

    def _reason(self, query: int) -> str:
        for part in self.parts:
            if not part.row(query).any():
                return part._reason(query)
        first, rest = self.parts[0], self.parts[1:]
        allowed = first.row(query).nonzero().flatten().tolist()
        return f"{first.name} allows keys {_spans(allowed)}, but {' & '.join(p.name for p in rest)} blocks all of them"


class Or(Combination):
    """Allowed where any part allows."""

    symbol, combine, precedence = "|", operator.or_, 1

    def _reason(self, query: int) -> str:
        return "; ".join(part._reason(query) for part in self.parts)


@dataclass(frozen=True, eq=False, repr=False)
class Not(Predicate):
    """Allowed where the part blocks."""

    part: Predicate

    precedence = 3

    def _identity(self) -> tuple:
        return (self.q_len, self.kv_len, "~", self.part)

    def __invert__(self) -> Predicate:
        return self.part  # NOT NOT is the identity

    def __call__(self, i, j):
        return ~self.part(i, j)

    def build(self) -> torch.Tensor:
        return ~self.part.build()

    def _join(self, text_of) -> str:
        return "~" + self._wrapped(self.part, text_of)

    def leaves(self) -> list[Leaf]:
        return self.part.leaves()

    def blame(self):
        return [(self.name, self.part.build())]

    def _reason(self, query: int) -> str:
        return f"{self.part.name} allows every key, and ~ turns that into none"


def predicate(name: str, q_len: int, kv_len: int | None = None, **params) -> Predicate:
    """The scheme `name` for q_len queries and kv_len keys (default: kv_len = q_len).

    Parameters not given take their defaults; every value is checked against the scheme's
    spec and a bad one raises ValueError naming the parameter, the value and the range.
    """
    if not isinstance(name, str) or name not in SCHEMES:
        raise ValueError(f"unknown mask scheme {name!r}; known schemes: {', '.join(SCHEMES)}")
    scheme = SCHEMES[name]
    q_len = check_length("q_len", q_len)
    kv_len = q_len if kv_len is None else check_length("kv_len", kv_len)
    unknown = sorted(set(params) - set(scheme.defaults))
    if unknown:
        known = ", ".join(scheme.defaults) or "none"
        raise ValueError(f"{name} has no parameter {unknown[0]!r}; its parameters: {known}")
    values = {p.name: p.validate(params.get(p.name, p.default), q_len, kv_len, name) for p in scheme.params}
    if scheme.check is not None:
        scheme.check(q_len, kv_len, **values)
    return Leaf(q_len, kv_len, scheme, values)


def build(name: str, q_len: int, kv_len: int | None = None, **params) -> torch.Tensor:
    """The dense bool mask (q_len, kv_len) of a scheme; True = the query may attend the key.

    >>> build("sliding_window", 4, window=2).int()
    tensor([[1, 0, 0, 0],
            [1, 1, 0, 0],
            [0, 1, 1, 0],
            [0, 0, 1, 1]], dtype=torch.int32)
    """
    return predicate(name, q_len, kv_len, **params).build()


def _combine_all(op, masks: tuple) -> torch.Tensor | Predicate:
    if not masks:
        raise ValueError("give at least one mask to combine")
    if all(isinstance(m, Predicate) for m in masks):
        return reduce(op, masks)
    if not all(isinstance(m, torch.Tensor) and m.dtype == torch.bool for m in masks):
        raise ValueError("combine either bool tensors or predicates, not a mix of them")
    try:
        torch.broadcast_shapes(*(m.shape for m in masks))
    except RuntimeError:
        shapes = ", ".join(str(tuple(m.shape)) for m in masks)
        raise ValueError(f"masks of shapes {shapes} cannot be combined") from None
    return reduce(op, masks)


def and_masks(*masks):
    """Allowed where every mask allows (tensors or predicates): causal & padding = a decoder."""
    return _combine_all(operator.and_, masks)


def or_masks(*masks):
    """Allowed where any mask allows (tensors or predicates): local | global."""
    return _combine_all(operator.or_, masks)


def not_mask(mask):
    """Allowed where the mask blocks (a tensor or a predicate)."""
    if isinstance(mask, Predicate):
        return ~mask
    if not (isinstance(mask, torch.Tensor) and mask.dtype == torch.bool):
        raise ValueError("not_mask takes a bool tensor or a predicate")
    return ~mask


def draw(mask: torch.Tensor, allowed: str = "■", blocked: str = "·") -> str:
    """A (Q, K) mask as text, one row per query: what docstrings and the terminal show."""
    return "\n".join(" ".join(allowed if x else blocked for x in row) for row in mask.tolist())


def _show(value) -> str:
    return str(tuple(value)) if isinstance(value, tuple) else str(value)


def _spans(indices: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    spans: list[list[int]] = []
    for k in indices:
        if spans and k == spans[-1][1] + 1:
            spans[-1][1] = k
        else:
            spans.append([k, k])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
