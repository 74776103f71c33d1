"""LayerNorm vs BatchNorm on a padded batch, and Pre-LN vs Post-LN at initialization.

Computed, not drawn: what each normalization averages over, how padding leaks into
BatchNorm's statistics, and the gradient norms that made Pre-LN the default
(Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture").
Activations are (B, T, C): batch, time (tokens), features.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from model.transformer import Transformer, TransformerConfig

EPS = 1e-5
NORMS = ("layer", "batch", "batch_masked", "batch_per_position")


def normalize(x: torch.Tensor, kind: str, real: torch.Tensor | None = None) -> torch.Tensor:
    """Normalize activations x (B, T, C) without learned scale and shift.

    layer: each token over its own features (what transformers use);
    batch: each feature over batch and time, padding included (as nn.BatchNorm1d would);
    batch_masked: each feature over batch and time, real tokens only (`real` (B, T) bool);
    batch_per_position: each feature at each position over the batch only.
    """
    if kind == "layer":
        return F.layer_norm(x, x.shape[-1:], eps=EPS)
    if kind == "batch":
        mean, var = x.mean(dim=(0, 1)), x.var(dim=(0, 1), unbiased=False)
    elif kind == "batch_masked":
        if real is None:
            raise ValueError("batch_masked needs `real`, the (B, T) bool mask of real tokens")
        weight = real[..., None].to(x.dtype)  # (B, T, 1)
        count = weight.sum(dim=(0, 1)).clamp(min=1)
        mean = (x * weight).sum(dim=(0, 1)) / count
        var = ((x - mean) ** 2 * weight).sum(dim=(0, 1)) / count
    elif kind == "batch_per_position":
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)  # (T, C)
    else:
        raise ValueError(f"kind must be one of {', '.join(NORMS)} (got {kind!r})")
    return (x - mean) / torch.sqrt(var + EPS)


def averaged_cells(
    kind: str, shape: tuple[int, int, int], cell: tuple[int, int, int], real: torch.Tensor | None = None
) -> torch.Tensor:
    """Which cells of a (B, T, C) block enter the statistics that normalize `cell`: bool (B, T, C)."""
    b, t, c = cell
    cells = torch.zeros(shape, dtype=torch.bool)
    if kind == "layer":
        cells[b, t, :] = True
    elif kind == "batch":
        cells[:, :, c] = True
    elif kind == "batch_masked":
        cells[:, :, c] = real
    elif kind == "batch_per_position":
        cells[:, t, c] = True
    else:
        raise ValueError(f"kind must be one of {', '.join(NORMS)} (got {kind!r})")
    return cells


def embed_sentences(sentences: list[list[str]], features: int = 8, extra_pad: int = 0):
    """A padded batch (B, T, C): each word a fixed pseudo-random vector (seeded by the word, so
    the same word always looks the same), padding the zero vector (nn.Embedding's padding_idx).
    Returns (activations, real) with real (B, T) True at real tokens."""
    if not sentences or any(not s for s in sentences):
        raise ValueError("give at least one sentence, none of them empty")
    length = max(len(s) for s in sentences) + extra_pad
    x = torch.zeros(len(sentences), length, features)
    real = torch.zeros(len(sentences), length, dtype=torch.bool)
    for b, words in enumerate(sentences):
        for t, word in enumerate(words):
            generator = torch.Generator().manual_seed(zlib.crc32(word.encode()))
            x[b, t] = torch.randn(features, generator=generator) * 2 + 1  # not centred: means matter
            real[b, t] = True
    return x, real


def padding_dependence(sentences: list[list[str]], pick: int, extra_pad: int, features: int = 8) -> dict:
    """For each normalization: sentence `pick`'s normalized real tokens in the batch as given,
    and how far they move (max |difference|) when the batch gets `extra_pad` more padding, and
    when the sentence stands alone (no other sentence, no padding)."""
    if not 0 <= pick < len(sentences):
        raise ValueError(f"pick must be between 0 and {len(sentences) - 1} (got {pick})")
    n = len(sentences[pick])
    x, real = embed_sentences(sentences, features)
    padded, padded_real = embed_sentences(sentences, features, extra_pad)
    alone, alone_real = embed_sentences([sentences[pick]], features)
    result = {}
    for kind in NORMS:
        here = normalize(x, kind, real)[pick, :n]
        more = normalize(padded, kind, padded_real)[pick, :n]
        single = normalize(alone, kind, alone_real)[0, :n]
        result[kind] = {
            "output": here,
            "more_padding": (here - more).abs().max().item(),
            "alone": (here - single).abs().max().item(),
            "difference": here - more,
        }
    return result


@dataclass
class PlacementStudy:
    """Gradient and activation norms at initialization, averaged over seeds."""

    depth: int
    ffn_grad: dict[str, list[float]]  # "pre" / "post" -> per layer, |dL/dW2| of the FFN's second weight
    residual_norm: dict[str, list[float]]  # per layer, mean L2 norm of the residual stream after the block


def tiny_config(depth: int, norm: str, init: str) -> TransformerConfig:
    return TransformerConfig(
        arch="decoder", vocab_size=64, d_model=64, n_heads=4, n_layers=depth, d_ff=256, max_len=32, norm=norm, init=init
    )


def _initial_loss(depth: int, norm: str, init: str, seed: int, batch: int, length: int, residual: list | None = None):
    """A freshly initialised decoder (seeded) and its language-modelling loss on random tokens;
    `residual` collects the residual stream after each block."""
    generator = torch.Generator().manual_seed(seed)
    model = Transformer(tiny_config(depth, norm, init), generator=generator)
    tokens = torch.randint(1, 64, (batch, length + 1), generator=generator)
    hooks = [
        block.register_forward_hook(lambda module, args, out: residual.append(out[0].detach()))
        for block in (model.blocks if residual is not None else [])
    ]
    logits = model(tokens[:, :-1]).logits
    for hook in hooks:
        hook.remove()
    return model, F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten())


def ffn_weight(block) -> torch.Tensor:
    """The weight whose gradient the study reports: the FFN's second one, W2 in
    FFN(x) = act(x W1) W2, as Xiong et al. (their W^{2,l})."""
    return block.ff.down.weight


def gradient_norms(depth: int, norm: str, init: str, seed: int, batch: int = 4, length: int = 16):
    """One freshly initialised decoder: per layer, the gradient norm of its FFN weight W2 for a
    language-modelling loss on random tokens, and the residual stream's norm after each block."""
    residual = []
    model, loss = _initial_loss(depth, norm, init, seed, batch, length, residual)
    loss.backward()
    grads = [ffn_weight(block).grad.norm().item() for block in model.blocks]
    norms = [h.norm(dim=-1).mean().item() for h in residual]
    return grads, norms


def last_layer_gradient(depth: int, norm: str, init: str, seed: int, batch: int = 4, length: int = 16) -> float:
    """gradient_norms(...)[0][-1], with autograd asked for that one weight only: the backward pass
    then stops at the last block instead of running through every layer."""
    model, loss = _initial_loss(depth, norm, init, seed, batch, length)
    return torch.autograd.grad(loss, ffn_weight(model.blocks[-1]))[0].norm().item()


def placement_study(depth: int, init: str = "xavier", seeds: int = 3) -> PlacementStudy:
    """Pre-LN and Post-LN side by side, each averaged over `seeds` initializations."""
    if not isinstance(depth, int) or not 1 <= depth <= 24:
        raise ValueError(f"depth must be an integer between 1 and 24 (got {depth!r})")
    grads, norms = {}, {}
    for norm in ("pre", "post"):
        runs = [gradient_norms(depth, norm, init, seed) for seed in range(seeds)]
        grads[norm] = [sum(r[0][k] for r in runs) / seeds for k in range(depth)]
        norms[norm] = [sum(r[1][k] for r in runs) / seeds for k in range(depth)]
    return PlacementStudy(depth, grads, norms)


def last_layer_by_depth(max_depth: int, init: str = "xavier", seeds: int = 3) -> dict[str, list[float]]:
    """For depths 1 .. max_depth: the last layer's FFN gradient norm, Pre-LN and Post-LN."""
    return {
        norm: [
            sum(last_layer_gradient(d, norm, init, s) for s in range(seeds)) / seeds for d in range(1, max_depth + 1)
        ]
        for norm in ("pre", "post")
    }


# How a series across layers or depths is put in words. The numbers are means over 3 seeds; one
# seed's last-layer gradient at 6 layers differs from seed to seed by 3-12% (standard deviation), a
# mean of 3 by 2-7%. So a step back of up to NOISE from the best value so far still counts as moving
# one way; "grows" / "falls" need CLEAR, several times that noise and plain on the chart (the paper's
# 1/sqrt(L) is 2.4x from 1 to 6 layers); within STEADY of its highest value a series stays about the same.
NOISE, CLEAR, STEADY = 0.1, 1.5, 0.2


def shown(value: float) -> str:
    """A measured number as the sentences quote it: 3 significant digits, trailing zeros kept, so
    numbers side by side have one precision ("between 0.730 and 0.842", not "0.73 and 0.842")."""
    return f"{value:#.3g}".removesuffix(".")


@dataclass(frozen=True)
class Trend:
    word: str  # grows, falls (a little), stays about the same, goes up and down
    text: str  # the word and the numbers it rests on, each to 3 significant digits (`shown`)


def trend(values: list[float], where: str = "layer") -> Trend:
    """A positive series in words: "grows" / "falls" when it moves one way (no step back of more than
    NOISE from its best value so far) by at least CLEAR from first to last, "a little" when it moves one
    way by less; "stays about the same" when every value is within STEADY of the highest; else "goes up
    and down", with its lowest and highest value and where (`where` 1, 2, ...)."""
    first, last, low, high = values[0], values[-1], min(values), max(values)
    if low >= (1 - STEADY) * high:
        word, span = "stays about the same", f"between {shown(low)} and {shown(high)}"
        if shown(low) == shown(high):  # not "between 0.752 and 0.752"
            span = f"{shown(low)} throughout"
        return Trend(word, f"{word} (within {STEADY:.0%}: {span})")
    ends = f"{shown(first)} → {shown(last)}"
    if all(v >= max(values[: k + 1]) * (1 - NOISE) for k, v in enumerate(values)):
        word = "grows" if last >= CLEAR * first else "grows a little"
    elif all(v <= min(values[: k + 1]) * (1 + NOISE) for k, v in enumerate(values)):
        word = "falls" if last * CLEAR <= first else "falls a little"
    else:
        lowest, highest = values.index(low) + 1, values.index(high) + 1
        return Trend(
            "goes up and down",
            f"goes up and down ({ends}; lowest {shown(low)} at {where} {lowest}, highest {shown(high)} at {where} "
            f"{highest})",
        )
    return Trend(word, f"{word} ({ends})")


def placement_findings(study: PlacementStudy, by_depth: dict[str, list[float]]) -> list[str]:
    """What the three charts show, in sentences computed from their numbers, and how it compares
    with Xiong et al. 2020 (who prove that Post-LN's last-layer gradient does not shrink with depth
    while Pre-LN's shrinks like 1/sqrt(L), and plot Post-LN's growing toward the output, Pre-LN's flat)."""
    grad, stream, depth = study.ffn_grad, study.residual_norm, study.depth
    # a LayerNorm divides by the norm of its input, so a gradient through it scales with 1 / that norm
    ratio, streams = grad["post"][-1] / grad["pre"][-1], stream["pre"][-1] / stream["post"][-1]
    near = abs(math.log(ratio / streams)) < math.log(1.3)
    found = [
        f"At the last layer Post-LN's gradient is **{shown(ratio)}x** Pre-LN's. Both reach it through a LayerNorm, "
        "which divides by the norm of its input: Pre-LN's residual stream there has norm "
        f"{shown(stream['pre'][-1])} and Post-LN's {shown(stream['post'][-1])} (the residual-stream chart); "
        f"{shown(stream['pre'][-1])} / {shown(stream['post'][-1])} = {shown(streams)}, "
        + ("close to the gradients' ratio." if near else "not the gradients' ratio: other terms dominate here.")
    ]
    if depth == 1:
        return found + ["Pick more layers to compare across layers and depths, and with the paper."]
    layers = {norm: trend(grad[norm], "layer") for norm in ("pre", "post")}
    depths = {norm: trend(by_depth[norm], "depth") for norm in ("pre", "post")}
    found.append(
        f"Across the {depth} layers, toward the output, Pre-LN's gradient {layers['pre'].text} and "
        f"Post-LN's {layers['post'].text}. As depth grows from 1 to {depth}, Pre-LN's last-layer gradient "
        f"{depths['pre'].text} and Post-LN's {depths['post'].text}."
    )
    # their proof: Pre-LN's falls, Post-LN's does not shrink (never below the steady band of its first value)
    post = by_depth["post"]
    proof = depths["pre"].word == "falls" and min(post) >= (1 - STEADY) * post[0]
    figure = layers["post"].word == "grows" and layers["pre"].word == "stays about the same"
    found.append(
        "Xiong et al. 2020 (a 6-layer encoder-decoder for translation, d_model 512, Xavier initialization) prove "
        "that at initialization Post-LN's last-layer gradient does not shrink with depth while Pre-LN's shrinks "
        "like 1/√L, and plot (their Fig. 3) Post-LN's gradient growing toward the output and Pre-LN's flat. "
        f"Here the depth trend {'is the one they prove' if proof else 'is not the one they prove'}, and the "
        f"trend across layers {'is the one they plot' if figure else 'is not the one they plot'}."
    )
    return found
