"""The mask library: every attention mask scheme with one exact meaning.

A mask is a bool tensor (Q, K), or (B, 1, Q, K) for a batch: mask[i, j] is True when query i
may attend to key j (the convention of SDPA's bool attn_mask, FlexAttention and Hugging Face's
sdpa_mask). Rows are queries, columns are keys. The whole contract: masks/CONTRACT.md.

    >>> import masks
    >>> masks.build("causal", 3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)
"""

from masks.analysis import TILE, MaskStats, stats
from masks.batch import build_batch, padding_from_lengths
from masks.convert import (
    from_additive,
    from_hf_attention_mask,
    from_key_padding_mask,
    from_mha,
    to_additive,
    to_block_mask,
    to_hf_attention_mask,
    to_key_padding_mask,
    to_mask_mod,
    to_mha,
)
from masks.params import MAX_LEN, Param
from masks.predicate import Predicate, and_masks, build, draw, not_mask, or_masks, predicate
from masks.schemes import SCHEMES, Scheme, random_keys

__all__ = [
    "MAX_LEN",
    "SCHEMES",
    "TILE",
    "MaskStats",
    "Param",
    "Predicate",
    "Scheme",
    "and_masks",
    "build",
    "build_batch",
    "draw",
    "from_additive",
    "from_hf_attention_mask",
    "from_key_padding_mask",
    "from_mha",
    "not_mask",
    "or_masks",
    "padding_from_lengths",
    "predicate",
    "random_keys",
    "stats",
    "to_additive",
    "to_block_mask",
    "to_hf_attention_mask",
    "to_key_padding_mask",
    "to_mask_mod",
    "to_mha",
]
