"""Batches: one mask per sequence from per-sequence parameters, shape (B, 1, Q, K).

The 1 is the head axis, so the batch broadcasts over heads in SDPA and FlexAttention.
"""

from __future__ import annotations

import torch

from masks.predicate import predicate
from masks.schemes import SCHEMES


def _is_per_sequence(kind: str, value: object) -> bool:
    if not isinstance(value, (list, tuple)):
        return False
    # document lengths are a sequence already: per sequence means a sequence of sequences
    return kind != "ints" or all(isinstance(v, (list, tuple)) for v in value)


def build_batch(name: str, q_len: int, kv_len: int | None = None, **params) -> torch.Tensor:
    """(B, 1, Q, K): a list value gives one parameter per sequence, the rest are shared.

    >>> build_batch("padding", 4, pad=[0, 1, 3]).shape
    torch.Size([3, 1, 4, 4])
    """
    scheme = SCHEMES.get(name) if isinstance(name, str) else None
    kinds = {p.name: p.kind for p in scheme.params} if scheme else {}
    varying = {k: v for k, v in params.items() if k in kinds and _is_per_sequence(kinds[k], v)}
    sizes = {len(v) for v in varying.values()}
    if not varying or 0 in sizes or len(sizes) > 1:
        raise ValueError(
            "build_batch needs at least one parameter given as a non-empty list, one value per "
            f"sequence, all lists of one length (got {', '.join(varying) or 'no list'}"
            + (f" with lengths {sorted(sizes)})" if varying else ")")
        )
    batch_size = sizes.pop()
    singles = [
        predicate(name, q_len, kv_len, **{**params, **{k: v[b] for k, v in varying.items()}}).build()
        for b in range(batch_size)
    ]
    return torch.stack(singles)[:, None]


def padding_from_lengths(
    lengths: list[int], max_len: int | None = None, side: str = "right", mask_queries: bool = False
) -> torch.Tensor:
    """(B, 1, T, T) padding masks for sequences of these real lengths, padded to max_len."""
    if not isinstance(lengths, (list, tuple)) or not lengths:
        raise ValueError(f"lengths must be a non-empty list of integers (got {lengths!r})")
    if max_len is None:
        max_len = max(lengths) if all(isinstance(n, int) for n in lengths) else 1
    bad = [n for n in lengths if not isinstance(n, int) or not 0 <= n <= max_len]
    if bad:
        raise ValueError(f"each length must be an integer between 0 and {max_len} (got {bad[0]!r})")
    return build_batch("padding", max_len, pad=[max_len - n for n in lengths], side=side, mask_queries=mask_queries)
