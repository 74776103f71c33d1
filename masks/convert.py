"""The same mask in every library's convention, and the way back.

Ours (SDPA bool, FlexAttention, Hugging Face sdpa_mask): True = the query may attend the key.

- to_additive: float, 0 allowed, -inf blocked: SDPA's float attn_mask and
  nn.Transformer.generate_square_subsequent_mask; blocked="finfo.min" gives Hugging Face's
  eager 4-D mask.
- to_mha: bool, True = NOT allowed: nn.MultiheadAttention / nn.Transformer attn_mask.
- to_key_padding_mask: bool (B, K), True = ignore this key: nn.MultiheadAttention.
- to_hf_attention_mask: int (B, K), 1 = real token, 0 = padding: Hugging Face input.
- to_mask_mod, to_block_mask: FlexAttention's mask_mod(b, h, q_idx, kv_idx) and BlockMask.
Each has its way back (from_*).
"""

from __future__ import annotations

import torch

from masks.predicate import Predicate

BLOCKED_VALUES = ("-inf", "finfo.min")


def _check_bool(mask, where: str) -> None:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.dim() < 2:
        got = (
            f"{mask.dtype} tensor of shape {tuple(mask.shape)}"
            if isinstance(mask, torch.Tensor)
            else type(mask).__name__
        )
        raise ValueError(f"{where} takes a bool mask of shape (Q, K) or (B, 1, Q, K) (got {got})")


def to_additive(mask: torch.Tensor, dtype: torch.dtype = torch.float32, blocked: str = "-inf") -> torch.Tensor:
    """0 where allowed, -inf (or finfo(dtype).min) where blocked, to add to the scores.

    Note: with blocked="finfo.min" (Hugging Face's eager choice) a row with no allowed key
    is not blocked at all: every score is shifted by the same huge number, so softmax gives a
    uniform average over the blocked keys, a silent leak. With -inf that row is NaN in plain
    softmax and zeros in SDPA. Prefer -inf and handle empty rows.
    """
    _check_bool(mask, "to_additive")
    if blocked not in BLOCKED_VALUES:
        raise ValueError(f"blocked must be one of {BLOCKED_VALUES} (got {blocked!r})")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating point dtype (got {dtype})")
    value = float("-inf") if blocked == "-inf" else torch.finfo(dtype).min
    return torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, value)


def from_additive(additive: torch.Tensor) -> torch.Tensor:
    """Back to bool: a cell is blocked when its value is -inf or near finfo.min."""
    if not isinstance(additive, torch.Tensor) or not additive.dtype.is_floating_point:
        raise ValueError("from_additive takes a floating point tensor")
    return additive > torch.finfo(additive.dtype).min / 2


def to_mha(mask: torch.Tensor, num_heads: int | None = None) -> torch.Tensor:
    """nn.MultiheadAttention / nn.Transformer attn_mask: True = NOT allowed (inverted).

    A batch (B, 1, Q, K) needs num_heads and gives (B * num_heads, Q, K), batch-major, the
    order nn.MultiheadAttention expects.
    """
    _check_bool(mask, "to_mha")
    if mask.dim() == 2:
        return ~mask
    if mask.dim() != 4 or mask.shape[1] != 1 or not isinstance(num_heads, int) or num_heads < 1:
        raise ValueError("to_mha takes (Q, K), or (B, 1, Q, K) with num_heads >= 1")
    return (~mask[:, 0]).repeat_interleave(num_heads, dim=0)


def from_mha(mha_mask: torch.Tensor) -> torch.Tensor:
    """Back from an nn.MultiheadAttention attn_mask, bool (True = blocked) or float (-inf)."""
    if isinstance(mha_mask, torch.Tensor) and mha_mask.dtype.is_floating_point:
        return from_additive(mha_mask)
    _check_bool(mha_mask, "from_mha")
    return ~mha_mask


def _key_columns(mask: torch.Tensor, where: str) -> torch.Tensor:
    """The (B, K) allowed keys of a mask that only hides keys (the same keys for every query)."""
    _check_bool(mask, where)
    batch = mask.reshape(-1, *mask.shape[-2:]) if mask.dim() == 4 and mask.shape[1] == 1 else None
    if mask.dim() == 2:
        batch = mask[None]
    if batch is None:
        raise ValueError(f"{where} takes a mask of shape (Q, K) or (B, 1, Q, K)")
    keys = batch.any(dim=1)  # (B, K)
    if not torch.equal(batch, keys[:, None, :].expand_as(batch)):
        raise ValueError(
            f"{where}: this mask hides different keys from different queries, so it is not a "
            "pure key padding mask; pass it whole as attn_mask instead"
        )
    return keys


def to_key_padding_mask(mask: torch.Tensor) -> torch.Tensor:
    """nn.MultiheadAttention key_padding_mask (B, K): True = ignore this key."""
    return ~_key_columns(mask, "to_key_padding_mask")


def to_hf_attention_mask(mask: torch.Tensor) -> torch.Tensor:
    """Hugging Face's 2-D attention_mask (B, K): 1 = real token, 0 = padding."""
    return _key_columns(mask, "to_hf_attention_mask").long()


def _from_keys(keys: torch.Tensor, q_len: int, where: str) -> torch.Tensor:
    if not isinstance(keys, torch.Tensor) or keys.dim() != 2:
        raise ValueError(f"{where} takes a (B, K) tensor")
    if not isinstance(q_len, int) or q_len < 1:
        raise ValueError(f"{where}: q_len must be an integer >= 1 (got {q_len!r})")
    return keys[:, None, None, :].expand(-1, 1, q_len, -1).contiguous()


def from_key_padding_mask(key_padding_mask: torch.Tensor, q_len: int) -> torch.Tensor:
    """(B, K) True = ignore -> our (B, 1, Q, K) mask."""
    return _from_keys(~key_padding_mask.bool(), q_len, "from_key_padding_mask")


def from_hf_attention_mask(attention_mask: torch.Tensor, q_len: int) -> torch.Tensor:
    """(B, K) 1 = real, 0 = pad -> our (B, 1, Q, K) mask."""
    return _from_keys(attention_mask != 0, q_len, "from_hf_attention_mask")


def to_mask_mod(mask: torch.Tensor | Predicate):
    """A FlexAttention mask_mod(b, h, q_idx, kv_idx) for a tensor (a lookup) or a predicate."""
    if isinstance(mask, Predicate):
        return mask.mask_mod
    _check_bool(mask, "to_mask_mod")
    if mask.dim() == 2:
        return lambda b, h, q_idx, kv_idx: mask[q_idx, kv_idx]
    return lambda b, h, q_idx, kv_idx: mask[b, 0, q_idx, kv_idx]


def to_block_mask(mask: torch.Tensor | Predicate, block_size: int = 128):
    """A FlexAttention BlockMask (torch builds one on CPU): which tiles FlexAttention skips."""
    from torch.nn.attention.flex_attention import create_block_mask

    if isinstance(mask, Predicate):
        batch, q_len, kv_len = None, mask.q_len, mask.kv_len
    else:
        _check_bool(mask, "to_block_mask")
        batch = None if mask.dim() == 2 else mask.shape[0]
        q_len, kv_len = mask.shape[-2:]
    return create_block_mask(to_mask_mod(mask), batch, None, q_len, kv_len, device="cpu", BLOCK_SIZE=block_size)
