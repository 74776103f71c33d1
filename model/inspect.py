"""Numbers about attention weights, for the attention pages: the pipeline of one head, entropy,
aggregates over heads and attention rollout. Weights are (H, Q, K) or (L, H, Q, K) tensors."""

from __future__ import annotations

import torch

from model.transformer import masked_softmax


def pipeline(scores: torch.Tensor, mask: torch.Tensor, dropout_p: float = 0.0, seed: int = 0) -> dict:
    """One head step by step, (Q, K) each: scores q k^T / sqrt(d) -> masked scores (-inf where
    blocked) -> softmax (rows with no allowed key: 0) -> after dropout (training mode, seeded)."""
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be between 0 and 1 (got {dropout_p!r})")
    masked = scores.masked_fill(~mask, float("-inf"))  # what the softmax sees, for the view
    weights = masked_softmax(scores, mask)
    keep = torch.rand(weights.shape, generator=torch.Generator().manual_seed(seed)) >= dropout_p
    dropped = weights * keep / (1.0 - dropout_p)
    return {"scores": scores, "masked": masked, "weights": weights, "dropout": dropped}


def entropy(weights: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of each head's rows, over rows that attend somewhere: (..., H).
    0 = every query looks at one key; max_entropy(mask) = each row uniform over its allowed keys."""
    rows = weights.sum(dim=-1) > 0
    per_row = -(weights * torch.log(weights.clamp_min(1e-12))).sum(dim=-1)
    return (per_row * rows).sum(dim=-1) / rows.sum(dim=-1).clamp_min(1)


def max_entropy(mask: torch.Tensor) -> float:
    """The largest mean entropy a head can have under `mask` (Q, K), True = may attend: each row
    uniform over its own allowed keys, log(allowed) (under a causal mask row i has i + 1, not K),
    averaged over the rows that attend somewhere, as `entropy` averages."""
    allowed = mask.sum(dim=-1)
    allowed = allowed[allowed > 0].double()
    return allowed.log().mean().item() if len(allowed) else 0.0


def rollout(weights: torch.Tensor) -> torch.Tensor:
    """Attention rollout (Abnar and Zuidema 2020) for (L, H, T, T) self-attention weights: the mean
    over heads with the residual added, (0.5 A + 0.5 I) rows renormalized, multiplied from the
    first layer up. Result (T, T): how much each output position draws on each input token."""
    layers, _, length, _ = weights.shape
    identity = torch.eye(length)
    result = identity
    for layer in range(layers):
        mixed = 0.5 * weights[layer].mean(dim=0) + 0.5 * identity
        mixed = mixed / mixed.sum(dim=-1, keepdim=True)
        result = mixed @ result
    return result


def block_shapes(config, length: int, batch: int = 1) -> list[tuple[str, tuple[int, ...], str]]:
    """The tensors through one block for this input: n vectors in, n vectors out."""
    B, T, C, H = batch, length, config.d_model, config.n_heads
    d = C // H
    return [
        ("tokens", (B, T), "token ids"),
        ("x = embedding + position", (B, T, C), "one vector per token"),
        ("q, k, v = x W_q, x W_k, x W_v", (B, H, T, d), f"split into {H} heads of {d}"),
        ("scores = q k^T / sqrt(d)", (B, H, T, T), "every query against every key"),
        ("weights = softmax(masked scores)", (B, H, T, T), "rows sum to 1 over allowed keys"),
        ("heads = weights v", (B, H, T, d), "a weighted mix of values"),
        ("merged heads W_o", (B, T, C), "heads side by side, projected back"),
        ("x + attention(x)", (B, T, C), "residual"),
        ("FFN hidden", (B, T, config.d_ff), f"{config.activation}, per token"),
        ("x + FFN(x)", (B, T, C), "n vectors in, n vectors out"),
    ]


@torch.no_grad()
def greedy_decode(model, src: torch.Tensor, bos_id: int, eos_id: int, max_new: int, keep_going=None) -> list[int]:
    """An encoder-decoder's own answer for one source (1, S): greedy, token by token, without [BOS].
    `keep_going()` is asked before each token (each runs the whole decoder): False stops the decoding
    with InterruptedError, never with a shorter answer that would pass for the whole one."""
    out, (memory, _, _) = [bos_id], model.encode(src)  # the source is encoded once
    for _ in range(max_new):
        if keep_going is not None and not keep_going():
            raise InterruptedError(f"decoding stopped after {len(out) - 1} of at most {max_new} tokens")
        logits = model.decode(torch.tensor([out]), memory, src).logits[0, -1]
        token = int(logits.argmax())
        if token == eos_id:
            break
        out.append(token)
    return out[1:]


ROLES = {"previous": "the previous token", "next": "the next token", "special": "a special token", "self": "itself"}


def pointers(weights: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """All that head roles read of weights (per layer (B, H, T, T)): the key each row puts its largest
    weight on, and whether the row attends at all, each (L, B, H, T). A few bytes per row where the
    weights are 4 per cell: a run of a large batch keeps these for every sentence (model/hf.py)."""
    return torch.stack([w.argmax(dim=-1) for w in weights]), torch.stack([w.sum(dim=-1) > 0 for w in weights])


def head_roles(
    pointed: tuple[torch.Tensor, torch.Tensor], lengths: list[int], special: torch.Tensor
) -> dict[str, torch.Tensor]:
    """What each head's rows point at: for each role in ROLES, the share of real query rows whose
    largest weight is on the previous token, the next token, a special token ([CLS], [SEP], <s>...)
    or the query itself. `pointed`: `pointers` of the weights, `lengths` real tokens per sequence,
    `special` (B, T) True at special tokens. Each share is (L, H), over the rows where the role can
    occur (the first token has no previous one) and that attend somewhere; NaN where there is none."""
    top, attends = pointed  # (L, B, H, T): the key each row points at, and whether it attends
    B, T = special.shape
    q = torch.arange(T)
    length = torch.tensor(lengths)[:, None]
    real = q[None, :] < length  # (B, T)
    on_special = special[torch.arange(B)[None, :, None, None], top]
    cases = {  # role -> (hit (L, B, H, T), rows where it can occur (B, T))
        "previous": (top == q - 1, real & (q >= 1)),
        "next": (top == q + 1, q[None, :] + 1 < length),
        "special": (on_special, real & special.any(dim=1, keepdim=True)),
        "self": (top == q, real),
    }
    shares = {}
    for role, (hit, rows) in cases.items():
        counted = attends & rows[None, :, None, :]
        shares[role] = (hit & counted).sum(dim=(1, 3)) / counted.sum(dim=(1, 3))  # 0 / 0 = NaN: no such row
    return shares


def named_heads(shares: dict[str, torch.Tensor], threshold: float) -> dict[tuple[int, int], tuple[str, float]]:
    """(layer, head) -> (role, share) for heads whose largest role share is at least `threshold`."""
    stacked = torch.stack([s.nan_to_num(0.0) for s in shares.values()])  # (roles, L, H)
    best, which = stacked.max(dim=0)
    roles = list(shares)
    return {
        (layer, head): (roles[which[layer, head]], best[layer, head].item())
        for layer, head in (best >= threshold).nonzero().tolist()
    }


def repeated_tokens(candidates: list[int], length: int, seed: int = 0) -> list[int]:
    """`length` distinct tokens drawn at random from `candidates`, then the same `length` again: the
    sequence in-context copying is measured on (Olsson et al. 2022). Seeded: one sequence per seed."""
    if not 2 <= length <= len(candidates):
        raise ValueError(f"length must be between 2 and {len(candidates)}, the candidates given (got {length})")
    order = torch.randperm(len(candidates), generator=torch.Generator().manual_seed(seed))[:length]
    drawn = [candidates[k] for k in order.tolist()]
    return drawn + drawn


COPYING = {
    "induction": "the token after the same token's first occurrence (induction)",
    "previous": "the previous token",
}


def copying_scores(weights: torch.Tensor, length: int) -> dict[str, torch.Tensor]:
    """Per head, (L, H) each, for weights (L, H, T, T) of a sequence whose tokens length .. 2 length - 1
    repeat tokens 0 .. length - 1: 'induction', the mean weight from the second copy's token i
    (position length + i) to the first copy's token i + 1, the token that followed it last time
    (i < length - 1: the last has none); 'previous', the mean weight from each second-copy token to
    the token just before it."""
    count = weights.shape[-1]
    if count != 2 * length or length < 2:
        raise ValueError(f"weights must be of a sequence of 2 x length tokens (length {length}, got {count})")
    i = torch.arange(length - 1)
    q = torch.arange(length, count)
    return {
        "induction": weights[..., length + i, i + 1].mean(dim=-1),
        "previous": weights[..., q, q - 1].mean(dim=-1),
    }
