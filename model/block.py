"""One block of the transformer, stage by stage: what n token vectors become on their way through
(model/transformer.py's Block, computed again one step at a time so every intermediate is kept).

`walk` returns the stages in the order the block's placement runs them (Pre-LN: x + F(LN(x));
Post-LN: LN(x + F(x))); its last stage equals the Block's own forward in evaluation. The other
functions answer the questions students ask of a block: which stages move information between
tokens (`changed_rows`), where the non-linearities are (`near_zero_share`), and what dropout does
to the values and to the attention weights (`dropout_factors`, row sums).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from model.transformer import Block, masked_softmax

NEAR_ZERO = 0.01  # a GELU unit this close to 0 passes almost nothing on (ReLU's are exactly 0)
# each stage's key (in a link: short, as a lecturer says it) and name (in the page's diagram)
NAMES = {
    "input": "input",
    "LN1": "LayerNorm 1",
    "Q": "queries, split into heads",
    "K": "keys, split into heads",
    "V": "values, split into heads",
    "weights": "attention weights (masked)",
    "heads": "each head's output",
    "proj": "heads concatenated, projected",
    "drop1": "dropout after attention",
    "res1": "+ residual around attention",
    "LN2": "LayerNorm 2",
    "up": "feed-forward up",
    "act": "activation",
    "down": "feed-forward down",
    "drop2": "dropout after feed-forward",
    "res2": "+ residual around feed-forward",
}
ATTENTION = ("Q", "K", "V", "weights", "heads", "proj", "drop1", "res1")
FEED_FORWARD = ("up", "act", "down", "drop2", "res2")


def walk_order(pre_norm: bool) -> list[str]:
    """The stages' keys in the order a block of this placement runs them."""
    if pre_norm:
        return ["input", "LN1", *ATTENTION, "LN2", *FEED_FORWARD]
    return ["input", *ATTENTION, "LN1", *FEED_FORWARD, "LN2"]


@dataclass(frozen=True)
class Stage:
    key: str  # its name in a link
    name: str  # as the page and the diagram say it
    values: torch.Tensor  # (n, d) per token; queries, keys, values, head outputs (h, n, d_head); weights (h, n, n)
    axes: tuple[str, ...]  # what each dimension is: "n", "h", "d_model", "d_head", "d_ff"

    @property
    def rows(self) -> torch.Tensor:
        """The values as one row per token, (n, features): heads side by side (as they are concatenated);
        for the weights, each token's row of every head."""
        v = self.values
        return v.transpose(0, 1).reshape(v.shape[1], -1) if v.dim() == 3 else v


@dataclass(frozen=True)
class Dropout:
    """Dropout with its random choices fixed by `seed`, so a view shows the same draw on every run.
    Each site draws its own mask: F.dropout's, made visible (keep with probability 1 - p, scale kept
    values by 1 / (1 - p))."""

    p: float
    seed: int

    def __call__(self, values: torch.Tensor, site: int) -> torch.Tensor:
        if self.p == 0:
            return values
        generator = torch.Generator().manual_seed(self.seed * 16 + site)
        kept = torch.rand(values.shape, generator=generator) >= self.p
        return values * kept / (1 - self.p)


def walk(block: Block, x: torch.Tensor, mask: torch.Tensor, dropout: Dropout | None = None) -> list[Stage]:
    """Every stage of `block` (its own placement and weights) on the token vectors x (n, d_model),
    under `mask` (n, n) bool, True = may attend. `dropout`: training mode (None: evaluation, as the
    block's forward after .eval()); it acts on the attention weights and on each sublayer's output
    before the residual, as model/transformer.py and Karpathy's gpt.py place it."""
    drop = dropout or (lambda values, site: values)
    attention, ff = block.self_attn, block.ff
    heads = attention.n_heads
    n, d = x.shape

    def split(t: torch.Tensor) -> torch.Tensor:  # (n, d) -> (h, n, d_head)
        return t.view(n, heads, d // heads).transpose(0, 1)

    stages = [Stage("input", NAMES["input"], x, ("n", "d_model"))]

    def add(key: str, values: torch.Tensor, axes: tuple[str, ...]) -> torch.Tensor:
        name = f"{NAMES[key]} ({activation_name(block)})" if key == "act" else NAMES[key]
        if key == "weights" and dropout is not None:
            name = "attention weights (masked, then dropout)"
        stages.append(Stage(key, name, values, axes))
        return values

    with torch.no_grad():
        h = add("LN1", block.ln_1(x), ("n", "d_model")) if block.pre_norm else x
        q = add("Q", split(attention.query(h)), ("h", "n", "d_head"))
        k = add("K", split(attention.key(h)), ("h", "n", "d_head"))
        v = add("V", split(attention.value(h)), ("h", "n", "d_head"))
        scores = q @ k.transpose(-2, -1) / (d // heads) ** 0.5
        weights = add("weights", drop(masked_softmax(scores, mask), 0), ("h", "n", "n"))
        outputs = add("heads", weights @ v, ("h", "n", "d_head"))
        merged = outputs.transpose(0, 1).reshape(n, d)  # the heads side by side again
        dropped = add("drop1", drop(add("proj", attention.out(merged), ("n", "d_model")), 1), ("n", "d_model"))
        x = add("res1", x + dropped, ("n", "d_model"))
        if not block.pre_norm:
            x = add("LN1", block.ln_1(x), ("n", "d_model"))
        h = add("LN2", block.ln_2(x), ("n", "d_model")) if block.pre_norm else x
        active = add("act", ff.activation(add("up", ff.up(h), ("n", "d_ff"))), ("n", "d_ff"))
        dropped = add("drop2", drop(add("down", ff.down(active), ("n", "d_model")), 2), ("n", "d_model"))
        x = add("res2", x + dropped, ("n", "d_model"))
        if not block.pre_norm:
            add("LN2", block.ln_2(x), ("n", "d_model"))
    return stages


def activation_name(block: Block) -> str:
    return "ReLU" if isinstance(block.ff.activation, torch.nn.ReLU) else "GELU"


def changed_rows(before: list[Stage], after: list[Stage]) -> dict[str, torch.Tensor]:
    """For each stage, which token rows differ at all between two walks (n bools): the rows a change of
    input reached by then. Exact: a row the change cannot reach is computed from the same numbers in the
    same order (a blocked key's weight is exactly 0), while an untrained model's weights may move by less
    than any tolerance would keep. Weights compare each query's row of every head."""
    return {a.key: (a.rows != b.rows).any(dim=-1) for a, b in zip(before, after, strict=True)}


def near_zero_share(stage: Stage, relu: bool) -> torch.Tensor:
    """Per token, the share of the activation's units that pass (nearly) nothing on: exactly 0 after
    ReLU; within NEAR_ZERO of 0 after GELU (which lets small negative values through)."""
    values = stage.values
    quiet = values == 0 if relu else values.abs() <= NEAR_ZERO
    return quiet.float().mean(dim=-1)


def dropout_factors(before: torch.Tensor, after: torch.Tensor) -> list[float]:
    """What dropout multiplied each value by, read off the values (where the input is not 0): the
    distinct factors, rounded to 6 places. One random mask scales every value by 0 or 1 / (1 - p),
    whatever the value: a linear map, no non-linearity. Ratios of float32 values that agree to within
    float32's rounding are one factor (1 / 0.7 reads as 1.4285712 and 1.4285716)."""
    where = before.abs() > 1e-12
    ratios = sorted((after[where].double() / before[where].double()).tolist())
    groups: list[list[float]] = []
    for ratio in ratios:
        if groups and abs(ratio - groups[-1][0]) <= 1e-5 * max(abs(ratio), 1e-12):
            groups[-1].append(ratio)
        else:
            groups.append([ratio])
    return [round(sum(group) / len(group), 6) for group in groups]


def layer_input(model, ids: torch.Tensor, layer: int, mask: torch.Tensor) -> torch.Tensor:
    """The token vectors block `layer` of a decoder or encoder reads: embeddings and positions, then
    the blocks before it (in evaluation), (n, d_model)."""
    with torch.no_grad():
        x = model.embed(ids[None])
        for block in model.blocks[:layer]:
            x, _, _ = block(x, mask)
    return x[0]
