"""What a mask does, in numbers: keys per query, density, empty rows, skippable tiles."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

TILE = 128  # FlexAttention's default block size


@dataclass(frozen=True)
class MaskStats:
    keys_per_query: torch.Tensor  # (..., Q) how many keys each query may attend
    density: float  # allowed cells / all cells
    empty_rows: list[tuple[int, ...]]  # index of each query with no allowed key (batch dims first)
    tile: int
    tiles: int  # tile x tile blocks that cover the mask (all batch elements)
    skippable_tiles: int  # blocks with no allowed cell: FlexAttention skips them

    @property
    def skippable_fraction(self) -> float:
        return self.skippable_tiles / self.tiles


def stats(mask: torch.Tensor, tile: int = TILE) -> MaskStats:
    """Numbers for a bool mask (Q, K) or (B, 1, Q, K)."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.dim() < 2:
        raise ValueError("stats takes a bool mask of shape (Q, K) or (B, 1, Q, K)")
    if not isinstance(tile, int) or tile < 1:
        raise ValueError(f"tile must be an integer >= 1 (got {tile!r})")
    keys_per_query = mask.sum(dim=-1)
    q_len, kv_len = mask.shape[-2:]
    padded = F.pad(mask, (0, -kv_len % tile, 0, -q_len % tile), value=False)
    rows, cols = padded.shape[-2] // tile, padded.shape[-1] // tile
    blocks = padded.reshape(-1, rows, tile, cols, tile).any(dim=(2, 4))
    return MaskStats(
        keys_per_query=keys_per_query,
        density=keys_per_query.sum().item() / mask.numel(),
        empty_rows=[tuple(ix) for ix in (keys_per_query == 0).nonzero().tolist()],
        tile=tile,
        tiles=blocks.numel(),
        skippable_tiles=int((~blocks).sum()),
    )


PADDING = {"padding": "pad", "cross": "pad"}  # scheme -> its parameter: how many keys are padding


def padded_ends(name: str, params: dict) -> tuple[int, int]:
    """(start, end): how many keys at each end scheme `name` with `params` treats as padding.

    >>> padded_ends("padding", {"pad": 2, "side": "left"}), padded_ends("cross", {"pad": 1})
    ((2, 0), (0, 1))
    """
    if name not in PADDING:
        return 0, 0
    pad = params[PADDING[name]]
    return (pad, 0) if params.get("side") == "left" else (0, pad)


def mask_padding(pred) -> tuple[int, int] | None:
    """(start, end): the most keys at each end that a padding term of the mask `pred` treats as
    padding; None when it has no padding term."""
    ends = [padded_ends(leaf.scheme.name, leaf.params) for leaf in pred.leaves() if leaf.scheme.name in PADDING]
    return (max(e[0] for e in ends), max(e[1] for e in ends)) if ends else None


def padding_defaults(name: str, start: int, end: int) -> dict:
    """Parameters of scheme `name` that treat as padding the `start` keys at the start and the `end`
    keys at the end that are known to be padding (typed [PAD] tokens); the end wins when both are."""
    if name == "cross":
        return {"pad": end}
    if name == "padding" and (start or end):
        return {"pad": end, "side": "right"} if end else {"pad": start, "side": "left"}
    return {}


def attended(mask: torch.Tensor, keys: list[int]) -> list[int]:
    """Those of `keys` that some query may attend."""
    return [j for j in keys if mask[..., j].any()]


def padding_positions(pred) -> tuple[list[int], list[int]]:
    """(query positions, key positions) that the padding and cross schemes in a mask treat as
    padding, so figures can mark those tokens."""
    queries: set[int] = set()
    keys: set[int] = set()
    for leaf in pred.leaves():
        if leaf.scheme.name not in PADDING:
            continue
        mask = leaf.build()
        keys.update((~mask.any(dim=0)).nonzero().flatten().tolist())
        if leaf.params.get("mask_queries"):
            queries.update((~mask.any(dim=1)).nonzero().flatten().tolist())
    return sorted(queries), sorted(keys)
