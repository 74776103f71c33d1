"""One block, step by step: the user's n tokens through one block of a trained or random model,
each stage a figure with its shape in the user's numbers, and what the lecture notes ask of a
block answered from the block's own tensors: n in and n out, which stages move information between
tokens, where the non-linearities are, what LayerNorm and dropout act on."""

from __future__ import annotations

import html

import streamlit as st
import torch

import masks
from app import figures
from app.cache import MiB, bounded
from app.figures.style import axis_label
from app.lecture.stage import Lecture
from app.runs import toy_models
from app.state import Link, varying
from app.text import visible
from app.views.attention.page import model_and_text, trained_or_custom_mask
from model import block as walk_through
from model.tokenizer import SPECIALS

UNCHANGED, CHANGED = "unchanged", "changed"
SITES = (("proj", "drop1"), ("down", "drop2"))  # each dropout stage and the stage it drops

STAGE_HELP = (
    "Which stage the figure shows: the block runs them in the order of the diagram (Pre-LN: LayerNorm before "
    "each sublayer; Post-LN: after each residual)."
)
CHANGE_HELP = (
    "Where a change travels: this token is replaced by the next one of the vocabulary, and the block is run "
    "again; the figure of changed rows compares the two runs stage by stage."
)


def replacement(tokenizer, token_id: int) -> int:
    """The token put in place of `token_id` to see where a change travels: the next ordinary token of
    the vocabulary (any would do; this one is the same on every run)."""
    ordinary = [k for k, token in enumerate(tokenizer.vocab) if token not in SPECIALS and k != token_id]
    return next((k for k in ordinary if k > token_id), ordinary[0])


@bounded(max_bytes=64 * MiB)
def walked(
    spec: toy_models.ModelSpec, ids: tuple, custom: masks.Predicate | None, layer: int, p: float, seed: int, at: int
) -> dict:
    """The block's stages on `ids` and on `ids` with token `at` replaced, the mask they ran under,
    and which rows each stage changed: computed once per view, shared by every session."""
    model, tokenizer, loaded = toy_models.model_for(spec)
    tokens_in = torch.tensor([ids])
    given = {"mask": custom.build()} if custom is not None else loaded.default_masks(tokens_in) if loaded else {}
    with torch.no_grad():
        mask = model(tokens_in, **given).masks["self"][0, 0]  # the mask the model applies: one truth
    dropout = walk_through.Dropout(p, seed) if p > 0 else None
    changed_ids = list(ids)
    changed_ids[at] = replacement(tokenizer, ids[at])

    def stages(token_ids) -> list:
        block = model.blocks[layer]
        x = walk_through.layer_input(model, torch.tensor(token_ids), layer, mask)
        return walk_through.walk(block, x, mask, dropout)

    before, after = stages(ids), stages(changed_ids)
    return {
        "stages": before,
        "mask": mask,
        "changed": walk_through.changed_rows(before, after),
        "to": tokenizer.vocab[changed_ids[at]],
        "activation": walk_through.activation_name(model.blocks[layer]),
    }


def shape(stage, numbers: dict[str, int]) -> str:
    """A stage's shape in words and in the user's numbers: "n x d_model = 7 x 64"."""
    return f"{' x '.join(stage.axes)} = {' x '.join(str(numbers[a]) for a in stage.axes)}"


def diagram(stages, picked: str, numbers: dict[str, int], pre_norm: bool) -> str:
    """The block as its stages in the order this placement runs them, each with its shape, the one
    shown marked: Markdown lines that wrap on a phone (a code block would scroll sideways)."""
    lines = [f"**{'Pre-LN: x + F(LN(x))' if pre_norm else 'Post-LN: LN(x + F(x))'}**, one block:"]
    for k, stage in enumerate(stages):
        line = f"`{k:>2}` {stage.name}: {shape(stage, numbers)}"
        lines.append(f"▶ **{line}**" if stage.key == picked else line)
    return "  \n".join(lines)  # a hard line break each


def labels(tokens: list[str]) -> list[str]:
    """A row's label: its position and its token as read (unique, as a category axis needs)."""
    return [f"{k} {html.escape(visible(token, limit=12), quote=False)}" for k, token in enumerate(tokens)]


@bounded(max_bytes=32 * MiB)
def stage_figure(view: tuple, key: str, head: int, tokens: tuple, mask_name: str, numbers: tuple):
    """The figure of one stage of the `view` (walked's arguments): a head's weights as the attention page
    draws them; otherwise one row per token, its features (heads side by side for queries, keys, values
    and head outputs)."""
    run = walked(*view)
    stage = next(s for s in run["stages"] if s.key == key)
    title = f"{stage.name}: {shape(stage, dict(numbers))}"
    if key == "weights":
        return figures.attention_figure(
            stage.values[head],
            run["mask"],
            list(tokens),
            list(tokens),
            title=f"{title}, head {head}",
            mask_name=mask_name,
            zmax=max(1.0, stage.values[head].max().item()),  # after dropout a kept weight is scaled up
        )
    per_head = stage.values.dim() == 3
    width = stage.values.shape[-1]
    columns = [f"h{c // width}.{c % width}" if per_head else f"f{c}" for c in range(stage.rows.shape[1])]
    return figures.matrix_figure(stage.rows, labels(list(tokens)), columns, title=title, signed=True)


@bounded(max_bytes=8 * MiB)
def mixing_figure(view: tuple, tokens: tuple):
    """Stages (rows) x token positions: which rows changed when the view's token was replaced."""
    run, at = walked(*view), view[-1]
    stages, changed = run["stages"], run["changed"]
    z = torch.stack([changed[s.key].long() for s in stages])
    hover = [
        [f"{s.name}, row {k}: {CHANGED if z[i, k] else UNCHANGED}" for k in range(len(tokens))]
        for i, s in enumerate(stages)
    ]
    return figures.category_figure(
        z,
        [figures.BLOCKED, figures.ALLOWED],
        [UNCHANGED, CHANGED],
        [s.key for s in stages],  # as the Stage pills name them
        [axis_label(token, k) for k, token in enumerate(tokens)],
        title=f"Rows changed when token {at} becomes {html.escape(visible(run['to']), quote=False)}",
        hover=hover,
        axes=("stage of the block", "token position (row)"),
    )


def mixing_findings(stages, changed: dict, at: int, tokens: list[str], to: str, keys_of_at: int) -> list[str]:
    """What the figure of changed rows shows, in sentences computed from it (`keys_of_at`: how many
    keys the mask lets token `at` attend)."""
    rows = lambda key: {k for k, moved in enumerate(changed[key].tolist()) if moved}  # noqa: E731
    widened, before = [], rows(stages[0].key)
    for stage in stages[1:]:
        now = rows(stage.key)
        if now - before:
            widened.append(f"{stage.name} (rows {', '.join(map(str, sorted(now - before)))})")
        before = now
    n = len(tokens)
    kept = [stage.name for stage in stages if not changed[stage.key][at]]
    said = [
        f"{n} token vectors in, {n} out: the block's output is {' x '.join(map(str, stages[-1].values.shape))}, "
        f"as its input is {' x '.join(map(str, stages[0].values.shape))}.",
        f"Replacing token {at} ({visible(tokens[at])} → {visible(to)}) changed row {at} at "
        + (
            f"every stage but {', '.join(kept)} ("
            + (
                "it may attend no key: its weights stay 0). "
                if keys_of_at == 0
                else "its one key: a weight of 1 either way). "
            )
            if kept
            else "every stage. "
        )
        + (
            f"Other rows changed first at: {'; '.join(widened)}. Every other stage changed only rows already "
            "changed before it: LayerNorm, the feed-forward layer, dropout and the residual act on each row alone."
            if widened
            else "No other row changed at any stage: this mask lets no query read it."
        ),
    ]
    unchanged = sorted(set(range(n)) - rows(stages[-1].key))
    if unchanged:
        said.append(
            f"Rows {', '.join(map(str, unchanged))} leave the block exactly as before: under this mask none of them "
            f"reads token {at}."
        )
    return said


def layer_norm_finding(stages, numbers: dict[str, int], eps: float) -> str:
    """LayerNorm's statistics, computed from the stage it reads: each token's row, alone."""
    keys = [s.key for s in stages]
    norm_in = stages[keys.index("LN1") - 1].values
    mean, var = norm_in.mean(dim=-1, keepdim=True), norm_in.var(dim=-1, unbiased=False, keepdim=True)
    normalized = (norm_in - mean) / torch.sqrt(var + eps)
    variance = normalized.var(dim=-1, unbiased=False)
    low, high = round(variance.min().item(), 4), round(variance.max().item(), 4)
    small = (
        f" (under 1 where a row's own variance is small next to the ε = {eps:g} LayerNorm adds to it)"
        if low < 0.999
        else ""
    )
    return (
        f"LayerNorm 1 normalizes each token's row of {numbers['d_model']} features on its own, all "
        f"{numbers['h']} heads' features together: after it (before its learned scale and shift) every row has "
        f"mean within {normalized.mean(dim=-1).abs().max().item():.1e} of 0 and variance "
        + (f"{low:.4f}" if low == high else f"from {low:.4f} to {high:.4f}")
        + f"{small}. It never mixes tokens, and never works per head."
    )


def activation_finding(stages, activation: str, tokens: list[str]) -> str:
    act = next(s for s in stages if s.key == "act")
    relu = activation == "ReLU"
    share = walk_through.near_zero_share(act, relu)
    low, high = int(share.argmin()), int(share.argmax())
    quiet = "exactly 0" if relu else f"within {walk_through.NEAR_ZERO} of 0"
    lowest = f"{share[low].item():.0%} (row {low}, {visible(tokens[low])})"
    highest = f"{share[high].item():.0%} (row {high}, {visible(tokens[high])})"
    return (
        f"The feed-forward activation of this model is {activation}: with the softmax of the attention weights "
        "(and LayerNorm's division by each row's spread), the block's only non-linearity. Queries, keys, values "
        f"and the projection are linear: attention has no ReLU. After it, {share.mean().item():.0%} of the "
        f"{act.values.shape[-1]} units of a token are {quiet} on average, from {lowest} to {highest}."
    )


def dropout_findings(stages, p: float, head: int) -> list[str]:
    by_key = {s.key: s for s in stages}
    before, after = by_key["proj"].values, by_key["drop1"].values
    if p == 0:
        return [
            "Evaluation: dropout is the identity: both dropout stages equal their inputs (largest difference "
            f"{max((by_key[b].values - by_key[a].values).abs().max().item() for a, b in SITES):.1g}). Switch on "
            "training mode to see it act."
        ]
    factors = walk_through.dropout_factors(before, after)
    sums = by_key["weights"].values[head].sum(dim=-1)
    return [
        f"Training, p = {p:.2f}: dropout multiplied each value of the projected heads by "
        f"{' or by '.join(f'{f:g}' for f in factors)} (read off the values), whatever the value: 0 where it drops, "
        f"1 / (1 − p) = {1 / (1 - p):.4f} where it keeps. A random mask and a scale: a linear map of the values, "
        "so dropout cannot do ReLU's job.",
        f"On the attention weights (as Karpathy's gpt.py drops them, after the softmax), head {head}'s rows now sum "
        f"to between {sums.min().item():.3f} and {sums.max().item():.3f} (mean {sums.mean().item():.3f}); each "
        "sums to 1 in expectation, and exactly 1 in evaluation.",
    ]


def show() -> None:
    link = Link()
    lecture = Lecture(link, "One block")
    with st.sidebar:
        st.header("Model")
        name = toy_models.model_name(link, "decoder")
    chosen, ids = model_and_text(link, name)
    config, tokens = chosen.model.config, chosen.tokenizer.decode(ids)
    n = len(ids)
    trained_with, custom = trained_or_custom_mask(link, chosen, n)
    mask_name = custom.name if custom else trained_with
    with st.sidebar:
        st.header("Block")
        layer = link.integer("Block (layer)", "layer", 0, config.n_layers - 1, 0)
        training = link.flag("Training mode (dropout on)", "train", False)
        left, right = st.columns(2)
        percent = link.integer("Dropout p (%)", "p", 0, 90, 10, where=left)
        seed = link.integer("Dropout seed", "seed", 0, 10_000, 0, where=right)
        at = link.integer("Token to change", "change_at", 0, n - 1, n // 2, help=CHANGE_HELP)
    with lecture.beside():
        order = walk_through.walk_order(chosen.model.blocks[layer].pre_norm)
        stage_key = link.choice("Stage", "stage", order, "weights", help=STAGE_HELP)
        # the other stages show every head side by side
        head = link.integer("Head", "head", 0, config.n_heads - 1, 0) if stage_key == "weights" else 0
    p = percent / 100 if training else 0.0
    view = (chosen.spec, tuple(ids), custom, layer, p, seed, at)
    run = walked(*view)
    stages = run["stages"]
    numbers = {"n": n, "h": config.n_heads, "d_model": config.d_model, "d_head": config.d_model // config.n_heads}
    numbers["d_ff"] = config.d_ff
    stage = next(s for s in stages if s.key == stage_key)
    pre_norm = chosen.model.blocks[layer].pre_norm
    with lecture.beside(), varying():
        st.caption(
            f"Model **{chosen.name}**, block {layer} of {config.n_layers}, {'Pre-LN' if pre_norm else 'Post-LN'}, "
            f"{n} tokens, mask: {mask_name}, {'training (dropout on)' if p else 'evaluation (dropout off)'}."
        )
        if lecture.presenting:  # beside the stage; on a desk or a phone under the figure, not above it
            st.markdown(diagram(stages, stage_key, numbers, pre_norm))
    with lecture.on_stage():
        lecture.show(
            stage_figure(view, stage_key, head, tuple(tokens), mask_name, tuple(numbers.items())),
            key="stage_figure",
            alt=f"the stage {stage.name} of block {layer}",
            main=True,
        )
    if not lecture.presenting:
        st.markdown(diagram(stages, stage_key, numbers, pre_norm))
    st.header("n in, n out: what mixes tokens")
    for sentence in mixing_findings(stages, run["changed"], at, tokens, run["to"], int(run["mask"][at].sum())):
        st.markdown(sentence)
    lecture.show(
        mixing_figure(view, tuple(tokens)),
        key="mixing_figure",
        alt="which rows each stage changed when one token was replaced",
        # on a projector as tall as square cells filling the page's width take (at most a screen): every
        # stage's label, at the usual height half of them; sized for a column beside the stage, 16 px cells
        under=True,
    )
    st.header("Where the non-linearities are")
    st.markdown(activation_finding(stages, run["activation"], tokens))
    st.markdown(layer_norm_finding(stages, numbers, chosen.model.blocks[layer].ln_1.eps))
    st.header("Dropout, where it acts")
    for sentence in dropout_findings(stages, p, head):
        st.markdown(sentence)
    lecture.share()
