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

The same object gives the dense mask (`build`), FlexAttention's `mask_mod`, the plain
PyTorch code that builds it (`code`) and, for a query with no allowed key, the reason
(`why_empty`).
"""

from __future__ import annotations

import operator
from functools import reduce

import torch

from masks.params import check_length
from masks.schemes import SCHEMES, Scheme, by_diagonals

_PRECEDENCE = {"|": 1, "&": 2, "~": 3, None: 4}  # None: a single scheme


class Predicate:
    """A mask rule bound to q_len and kv_len. Make one with `masks.predicate(...)`."""

    def __init__(
        self,
        q_len: int,
        kv_len: int,
        *,
        scheme: Scheme | None = None,
        params: dict | None = None,
        op: str | None = None,
        parts: tuple[Predicate, ...] = (),
    ):
        self.q_len, self.kv_len = q_len, kv_len
        self.scheme, self.params = scheme, params or {}
        self.op, self.parts = op, parts

    # -- composition -----------------------------------------------------------------------

    def _combine(self, op: str, other: Predicate) -> Predicate:
        if not isinstance(other, Predicate):
            return NotImplemented
        if (self.q_len, self.kv_len) != (other.q_len, other.kv_len):
            raise ValueError(
                f"cannot combine masks of different shapes: {self.name} is "
                f"{self.q_len}x{self.kv_len}, {other.name} is {other.q_len}x{other.kv_len}"
            )
        parts = tuple(p for side in (self, other) for p in (side.parts if side.op == op else (side,)))
        return Predicate(self.q_len, self.kv_len, op=op, parts=parts)

    def __and__(self, other: Predicate) -> Predicate:
        return self._combine("&", other)

    def __or__(self, other: Predicate) -> Predicate:
        return self._combine("|", other)

    def __invert__(self) -> Predicate:
        if self.op == "~":
            return self.parts[0]  # NOT NOT is the identity
        return Predicate(self.q_len, self.kv_len, op="~", parts=(self,))

    # -- identity: equal predicates build equal masks, so a cache may key on one ------------

    def _identity(self) -> tuple:
        params = tuple(sorted((name, _frozen(value)) for name, value in self.params.items()))
        scheme = self.scheme.name if self.scheme is not None else None
        return (self.q_len, self.kv_len, scheme, params, self.op, tuple(p._identity() for p in self.parts))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Predicate) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    # -- evaluation ------------------------------------------------------------------------

    def __call__(self, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        """True where query i may attend key j; i and j broadcast (or are scalars)."""
        if self.scheme is not None:
            return self.scheme.rule(i, j, self.q_len, self.kv_len, **self.params)
        if self.op == "~":
            return ~self.parts[0](i, j)
        combine = operator.and_ if self.op == "&" else operator.or_
        return reduce(combine, (part(i, j) for part in self.parts))

    @property
    def mask_mod(self):
        """FlexAttention's mask_mod: `create_mask(pred.mask_mod, B, H, Q, K)` equals `build()`."""

        def mask_mod(b, h, q_idx, kv_idx):
            return self(q_idx, kv_idx)

        self(torch.tensor(0), torch.tensor(0))  # draws and caches tables outside FlexAttention's vmap
        mask_mod.__name__ = self.name  # a ready plot title, as attention-gym does
        return mask_mod

    def build(self) -> torch.Tensor:
        """The dense mask: bool (q_len, kv_len), True = the query may attend the key."""
        shape = (self.q_len, self.kv_len)
        if self.op == "~":
            return ~self.parts[0].build()
        if self.op is not None:
            combine = operator.and_ if self.op == "&" else operator.or_
            return reduce(combine, (part.build() for part in self.parts))
        if self.scheme.offset_only:
            zero = torch.zeros((), dtype=torch.int32)
            return by_diagonals(lambda offset: self(offset, zero), *shape)
        i = torch.arange(self.q_len, dtype=torch.int32)[:, None]
        j = torch.arange(self.kv_len, dtype=torch.int32)[None, :]
        return torch.broadcast_to(self(i, j), shape).contiguous()

    def row(self, query: int) -> torch.Tensor:
        """The keys one query may attend: bool (kv_len,)."""
        j = torch.arange(self.kv_len)
        return torch.broadcast_to(self(torch.tensor(query), j), (self.kv_len,))

    # -- text ------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """A readable name for figure titles: 'causal & padding(pad=2, side=left)'."""
        if self.scheme is not None:
            shown = [
                f"{p.name}={_show(self.params[p.name])}"
                for p in self.scheme.params
                if p.kind in ("int", "ints") or self.params[p.name] != p.default
            ]
            return self.scheme.name + (f"({', '.join(shown)})" if shown else "")
        return self._join(lambda part: part.name)

    def _join(self, text_of) -> str:
        def wrapped(part):
            inner = _PRECEDENCE[part.op] <= _PRECEDENCE[self.op] and part.op is not None
            return f"({text_of(part)})" if inner else text_of(part)

        if self.op == "~":
            return "~" + wrapped(self.parts[0])
        return f" {self.op} ".join(wrapped(part) for part in self.parts)

    def leaves(self) -> list[Predicate]:
        """The single schemes this mask is made of, left to right."""
        return [self] if self.scheme is not None else [x for p in self.parts for x in p.leaves()]

    def code(self) -> str:
        """Plain PyTorch (no import of this library) that builds the same mask as `mask`."""
        lines = [
            "import torch",
            "",
            f"Q, K = {self.q_len}, {self.kv_len}  # queries, keys",
            "i = torch.arange(Q)[:, None]  # query positions, a column (Q, 1)",
            "j = torch.arange(K)[None, :]  # key positions, a row (1, K)",
        ]
        leaves = self.leaves()
        names: dict[int, str] = {}
        for leaf in leaves:
            base = "mask" if self.scheme is not None else leaf.scheme.name
            taken = sum(1 for n in names.values() if n == base or n.startswith(base + "_"))
            names[id(leaf)] = base if taken == 0 else f"{base}_{taken + 1}"
            lines += leaf.scheme.code(names[id(leaf)], **leaf.params)
        if self.scheme is None:
            lines.append(f"mask = {self._code_expression(names)}")
        probe = self(torch.arange(self.q_len)[:, None], torch.arange(self.kv_len)[None, :])
        if tuple(probe.shape) != (self.q_len, self.kv_len):
            lines.append("mask = mask.expand(Q, K)  # the rule ignores one axis")
        return "\n".join(lines) + "\n"

    def call_text(self) -> str:
        """The same mask through this library: 'masks.predicate("causal", 6) & ...'."""
        if self.scheme is None:
            return self._join(lambda part: part.call_text())
        lengths = f"{self.q_len}" if self.q_len == self.kv_len else f"{self.q_len}, {self.kv_len}"
        given = [f"{p.name}={self.params[p.name]!r}" for p in self.scheme.params if self.params[p.name] != p.default]
        return f'masks.predicate("{self.scheme.name}", {", ".join([lengths, *given])})'

    def _code_expression(self, names: dict[int, str]) -> str:
        if self.scheme is not None:
            return names[id(self)]
        return self._join(lambda part: part._code_expression(names))

    def blame(self) -> list[tuple[str, torch.Tensor]]:
        """Each term that can block a cell (a scheme, or a negated part), left to right, with the
        (Q, K) cells where it is a reason this mask blocks: a part of an AND wherever it blocks, a
        part of an OR only where every part blocks, ~p where p allows."""
        if self.scheme is not None:
            return [(self.name, ~self.build())]
        if self.op == "~":
            return [(self.name, self.parts[0].build())]
        blocked = ~self.build()
        return [(name, cells & blocked) for part in self.parts for name, cells in part.blame()]

    def why_empty(self, query: int) -> str:
        """Why this query may attend no key at all (it must be such a query)."""
        if self.row(query).any():
            raise ValueError(f"query {query} may attend some keys under {self.name}")
        if self.scheme is not None:
            hint = self.scheme.when_empty
            return f"{self.name} allows no key for this query" + (f" ({hint})" if hint else "")
        if self.op == "~":
            return f"{self.parts[0].name} allows every key, and ~ turns that into none"
        if self.op == "|":
            return "; ".join(part.why_empty(query) for part in self.parts)
        for part in self.parts:
            if not part.row(query).any():
                return part.why_empty(query)
        first, rest = self.parts[0], self.parts[1:]
        allowed = first.row(query).nonzero().flatten().tolist()
        return f"{first.name} allows keys {_spans(allowed)}, but {' & '.join(p.name for p in rest)} blocks all of them"

    def __repr__(self) -> str:
        return f"Predicate({self.name!r}, q_len={self.q_len}, kv_len={self.kv_len})"


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
    return Predicate(q_len, kv_len, scheme=scheme, params=values)


def _frozen(value):
    """A parameter value as a hashable one: a list or tensor of positions as a tuple."""
    if isinstance(value, torch.Tensor):
        return ("tensor", tuple(value.shape), tuple(value.flatten().tolist()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


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
