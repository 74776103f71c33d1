"""A small transformer written to be read: every attention weight comes back out.

Decoder-only, encoder-only and encoder-decoder from one set of modules; Pre-LN or Post-LN from
the same block; any mask from `masks/` (a bool tensor, True = may attend). Every attention site
uses the one `attention` function below, the manual path a student can follow line by line.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

import masks

ARCHS = ("decoder", "encoder", "encoder_decoder")


class Attention(NamedTuple):
    output: torch.Tensor  # (B, H, Q, d) weights @ v
    weights: torch.Tensor  # (B, H, Q, K) softmax of the masked scores (after dropout when training)
    scores: torch.Tensor  # (B, H, Q, K) q k^T / sqrt(d), before the mask


def attention(
    q, k, v, mask=None, dropout_p: float = 0.0, training: bool = False, scale: float | None = None
) -> Attention:
    """Scaled dot-product attention that hides nothing.

    q (B, H, Q, d), k and v (B, H, K, d); mask bool, broadcastable to (B, H, Q, K), True = may
    attend. Equals F.scaled_dot_product_attention with the same mask. A query with no allowed
    key gets weights 0 and output 0, never NaN (plain softmax over a row of -inf is NaN).
    `scale` multiplies q k^T; None is 1 / sqrt(d) (a real model may use another, model/hf.py).
    """
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale  # (B, H, Q, K)
    weights = F.dropout(masked_softmax(scores, mask), p=dropout_p, training=training)
    return Attention(weights @ v, weights, scores)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the keys each query may attend (mask True); a query with no allowed key gets
    weights 0, never NaN (plain softmax over a row of -inf is NaN). The one place this happens:
    the model and the pipeline view (model/inspect.py) both call it."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)


@dataclass
class TransformerConfig:
    arch: str = "decoder"
    vocab_size: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 256
    max_len: int = 64
    dropout: float = 0.0
    attn_dropout: float = 0.0
    norm: str = "pre"  # "pre": x + F(LN(x)); "post": LN(x + F(x)) as in the original Transformer
    activation: str = "gelu"
    positional: str = "learned"
    init: str = "normal"  # "normal": GPT-2's N(0, 0.02); "xavier": the original Transformer's
    pad_id: int = 0

    def __post_init__(self):
        choices = {
            "arch": ARCHS,
            "norm": ("pre", "post"),
            "activation": ("relu", "gelu"),
            "positional": ("learned", "sinusoidal"),
            "init": ("normal", "xavier"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {getattr(self, name)!r})")
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "d_ff", "max_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1 (got {value!r})")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        for name in ("dropout", "attn_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be between 0 and 1 (got {getattr(self, name)!r})")

    def to_dict(self) -> dict:
        return asdict(self)


class MultiHeadAttention(nn.Module):
    """Project to heads, attend with `attention`, merge heads. Self- or cross-attention."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.n_heads = config.n_heads
        self.query = nn.Linear(config.d_model, config.d_model)
        self.key = nn.Linear(config.d_model, config.d_model)
        self.value = nn.Linear(config.d_model, config.d_model)
        self.out = nn.Linear(config.d_model, config.d_model)
        self.attn_dropout = config.attn_dropout
        self.keep_weights = True  # False: SDPA's fused kernel, no weights kept (for speed comparisons)

    def split_heads(self, x):
        B, T, C = x.shape
        return x.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, d)

    def forward(self, x, context, mask) -> tuple[torch.Tensor, Attention | None]:
        """The attention's output (B, Q, C) and what it computed: None when weights are not kept."""
        q = self.split_heads(self.query(x))  # (B, H, Q, d)
        k = self.split_heads(self.key(context))  # (B, H, K, d)
        v = self.split_heads(self.value(context))
        if self.keep_weights:
            result = attention(q, k, v, mask, self.attn_dropout, self.training)
            output = result.output
        else:
            result = None
            p = self.attn_dropout if self.training else 0.0
            output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        B, H, Q, d = output.shape
        merged = output.transpose(1, 2).reshape(B, Q, H * d)  # (B, Q, C)
        return self.out(merged), result


class FeedForward(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.up = nn.Linear(config.d_model, config.d_ff)
        self.down = nn.Linear(config.d_ff, config.d_model)
        self.activation = nn.GELU() if config.activation == "gelu" else nn.ReLU()

    def forward(self, x):
        return self.down(self.activation(self.up(x)))


class Block(nn.Module):
    """Self-attention, optional cross-attention, feed-forward; each a residual sublayer with its own
    LayerNorm (`ln_1`, `ln_cross`, `ln_2`), placed before the sublayer or after the residual sum."""

    def __init__(self, config: TransformerConfig, cross: bool = False):
        super().__init__()
        self.pre_norm = config.norm == "pre"
        self.self_attn = MultiHeadAttention(config)
        self.cross_attn = MultiHeadAttention(config) if cross else None
        self.ff = FeedForward(config)
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.ln_cross = nn.LayerNorm(config.d_model) if cross else None
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, mask, memory=None, cross_mask=None) -> tuple[torch.Tensor, Attention | None, Attention | None]:
        """x after the block, and the self- and cross-attention it used (None: none, or not kept)."""
        if self.pre_norm:
            return self.pre_ln(x, mask, memory, cross_mask)
        return self.post_ln(x, mask, memory, cross_mask)

    def pre_ln(self, x, mask, memory, cross_mask):
        """Pre-LN, x + F(LN(x)): GPT-2 and most models since. The residual path is never normalized."""
        h = self.ln_1(x)
        out, self_attention = self.self_attn(h, h, mask)
        x = x + self.dropout(out)
        cross_attention = None
        if self.cross_attn is not None:
            out, cross_attention = self.cross_attn(self.ln_cross(x), memory, cross_mask)
            x = x + self.dropout(out)
        x = x + self.dropout(self.ff(self.ln_2(x)))
        return x, self_attention, cross_attention

    def post_ln(self, x, mask, memory, cross_mask):
        """Post-LN, LN(x + F(x)): the 2017 paper. Every sum is normalized, the residual path too."""
        out, self_attention = self.self_attn(x, x, mask)
        x = self.ln_1(x + self.dropout(out))
        cross_attention = None
        if self.cross_attn is not None:
            out, cross_attention = self.cross_attn(x, memory, cross_mask)
            x = self.ln_cross(x + self.dropout(out))
        x = self.ln_2(x + self.dropout(self.ff(x)))
        return x, self_attention, cross_attention


@dataclass
class TransformerOutput:
    logits: torch.Tensor  # (B, T, vocab) for the decoder (or the encoder when it is the model)
    attentions: list[Attention]  # per layer of the main stack: weights (B, H, T, T); none if not kept
    encoder_attentions: list[Attention] = field(default_factory=list)
    decoder_attentions: list[Attention] = field(default_factory=list)
    cross_attentions: list[Attention] = field(default_factory=list)  # weights (B, H, T_tgt, T_src)
    masks: dict[str, torch.Tensor] = field(default_factory=dict)  # the masks applied, (B, 1, Q, K)


def sinusoidal(max_len: int, d_model: int) -> torch.Tensor:
    """The fixed positions of Vaswani et al.: sin on even features, cos on odd ones."""
    position = torch.arange(max_len)[:, None]
    frequency = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
    return table


class Embedding(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.tokens = nn.Embedding(config.vocab_size, config.d_model)
        if config.positional == "learned":
            self.positions = nn.Embedding(config.max_len, config.d_model)
        else:
            self.register_buffer("table", sinusoidal(config.max_len, config.d_model), persistent=False)
            self.positions = None
        self.dropout = nn.Dropout(config.dropout)
        self.max_len = config.max_len

    def forward(self, tokens):
        length = tokens.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequence of {length} tokens is longer than max_len = {self.max_len}")
        where = torch.arange(length, device=tokens.device)
        positions = self.positions(where) if self.positions is not None else self.table[:length]
        return self.dropout(self.tokens(tokens) + positions)  # (B, T, C)


def as_batch_mask(mask: torch.Tensor | None, batch: int, q_len: int, kv_len: int, what: str) -> torch.Tensor | None:
    """A mask from masks/ as (B, 1, Q, K) bool, from (Q, K) or (B, 1, Q, K)."""
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError(f"{what} must be a bool tensor, True = may attend (see masks.build)")
    if mask.dim() == 2:
        mask = mask[None, None]
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[-2:] != (q_len, kv_len) or mask.shape[0] not in (1, batch):
        raise ValueError(
            f"{what} must have shape ({q_len}, {kv_len}) or ({batch}, 1, {q_len}, {kv_len}) (got {tuple(mask.shape)})"
        )
    return mask.expand(batch, 1, q_len, kv_len)


class Transformer(nn.Module):
    """Decoder or encoder: forward(tokens, mask=None). Encoder-decoder: forward(src, tgt, ...)."""

    def __init__(self, config: TransformerConfig, generator: torch.Generator | None = None):
        """`generator` draws the initial weights; None draws from torch's global generator. Give one
        wherever threads build models at once: the global generator is shared by all of them."""
        super().__init__()
        self.config = config
        self.embed = Embedding(config)
        cross = config.arch == "encoder_decoder"
        self.blocks = nn.ModuleList(Block(config, cross=cross) for _ in range(config.n_layers))
        if cross:
            self.src_embed = Embedding(config)
            self.encoder = nn.ModuleList(Block(config) for _ in range(config.n_layers))
            self.encoder_norm = nn.LayerNorm(config.d_model)
        self.final_norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None):
        n_layers = self.config.n_layers
        for name, param in self.named_parameters():
            if param.dim() < 2:
                continue  # biases and LayerNorm keep their defaults (0, and 1 for LN weights)
            if self.config.init == "xavier":
                nn.init.xavier_uniform_(param, generator=generator)
            else:
                std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("out.weight", "down.weight")) else 0.02
                nn.init.normal_(param, std=std, generator=generator)  # GPT-2: residual projections scaled down by depth
        for module in self.modules():
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def keep_weights(self, keep: bool = True) -> Transformer:
        """Keep every attention weight (our `attention`), or not: SDPA's fused kernel, the same logits
        and no attention in the output (its lists are empty)."""
        for module in self.modules():
            if isinstance(module, MultiHeadAttention):
                module.keep_weights = keep
        return self

    def default_mask(self, tokens: torch.Tensor, causal: bool) -> torch.Tensor:
        """Padding keys hidden (pad_id tokens), and causal for a decoder: (B, 1, T, T)."""
        T = tokens.shape[1]
        mask = (tokens != self.config.pad_id)[:, None, None, :].expand(-1, 1, T, T)
        return mask & masks.build("causal", T) if causal else mask

    def _stack(self, blocks, x, mask, memory=None, cross_mask=None):
        self_attentions, cross_attentions = [], []
        for block in blocks:
            x, self_attention, cross_attention = block(x, mask, memory, cross_mask)
            if self_attention is not None:  # None: weights not kept (keep_weights(False))
                self_attentions.append(self_attention)
            if cross_attention is not None:
                cross_attentions.append(cross_attention)
        return x, self_attentions, cross_attentions

    def forward(
        self, tokens, target=None, *, mask=None, src_mask=None, tgt_mask=None, cross_mask=None
    ) -> TransformerOutput:
        """Decoder or encoder: forward(tokens, mask=None).
        Encoder-decoder: forward(src, tgt, src_mask=None, tgt_mask=None, cross_mask=None).
        Masks are bool (T, T) or (B, 1, T, T), True = may attend; None takes the default
        (decoder: causal, all: padding tokens hidden)."""
        pair = {"target": target, "src_mask": src_mask, "tgt_mask": tgt_mask, "cross_mask": cross_mask}
        if self.config.arch == "encoder_decoder":
            if target is None or mask is not None:
                raise ValueError("an encoder-decoder takes (src, tgt) and src_mask / tgt_mask / cross_mask, not mask")
            return self.encode_decode(tokens, target, src_mask, tgt_mask, cross_mask)
        given = [name for name, value in pair.items() if value is not None]
        if given:
            raise ValueError(f"a {self.config.arch} takes (tokens, mask=...), not {', '.join(given)}")
        return self.single_stack(tokens, mask)

    def single_stack(self, tokens, mask=None) -> TransformerOutput:
        B, T = tokens.shape
        mask = as_batch_mask(mask, B, T, T, "mask")
        mask = self.default_mask(tokens, causal=self.config.arch == "decoder") if mask is None else mask
        x, attentions, _ = self._stack(self.blocks, self.embed(tokens), mask)
        logits = self.head(self.final_norm(x) if self.config.norm == "pre" else x)  # (B, T, vocab)
        return TransformerOutput(logits=logits, attentions=attentions, masks={"self": mask})

    def encode_decode(self, src, tgt, src_mask=None, tgt_mask=None, cross_mask=None) -> TransformerOutput:
        memory, encoder_attentions, src_mask = self.encode(src, src_mask)
        out = self.decode(tgt, memory, src, tgt_mask, cross_mask)
        out.encoder_attentions, out.masks["encoder"] = encoder_attentions, src_mask
        return out

    def encode(self, src, src_mask=None) -> tuple[torch.Tensor, list[Attention], torch.Tensor]:
        """The encoder alone: the memory the decoder reads (B, S, C), its attentions and its mask.
        Decoding token by token encodes the source once (model/inspect.py, greedy_decode)."""
        B, S = src.shape
        src_mask = as_batch_mask(src_mask, B, S, S, "src_mask")
        src_mask = self.default_mask(src, causal=False) if src_mask is None else src_mask
        memory, attentions, _ = self._stack(self.encoder, self.src_embed(src), src_mask)
        return (self.encoder_norm(memory) if self.config.norm == "pre" else memory), attentions, src_mask

    def decode(self, tgt, memory, src, tgt_mask=None, cross_mask=None) -> TransformerOutput:
        """The decoder on `memory`, the encoding of `src` (B, S): by default its queries read the real
        source tokens, not the padding."""
        (B, S), T = src.shape, tgt.shape[1]
        tgt_mask = as_batch_mask(tgt_mask, B, T, T, "tgt_mask")
        tgt_mask = self.default_mask(tgt, causal=True) if tgt_mask is None else tgt_mask
        cross_mask = as_batch_mask(cross_mask, B, T, S, "cross_mask")
        if cross_mask is None:
            cross_mask = (src != self.config.pad_id)[:, None, None, :].expand(-1, 1, T, S)
        x, attentions, cross_attentions = self._stack(self.blocks, self.embed(tgt), tgt_mask, memory, cross_mask)
        logits = self.head(self.final_norm(x) if self.config.norm == "pre" else x)
        return TransformerOutput(
            logits=logits,
            attentions=attentions,
            decoder_attentions=attentions,
            cross_attentions=cross_attentions,
            masks={"decoder": tgt_mask, "cross": cross_mask},
        )
