"""Real pretrained models on the Attention page (model/hf.py): a batch of sentences, the model's own
mask or any from masks/, every view the toy models have, head roles computed from the weights, and
what the mask changes, in numbers: each sentence's embedding and, for a language model, its next
token. The model and its runs, cached: app/runs/real_models.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st
import torch
import torch.nn.functional as F

import masks
from app.cache import MiB, bounded, derived
from app.lecture.stage import Lecture
from app.runs import real_models
from app.runs.real_models import CONTINUATION, REPEATED, Copying
from app.state import Link, this_session_is_open, varying
from app.text import counted, parse_int, quoted
from app.views import heads
from app.views.mask_controls import custom_mask
from model import hf
from model.inspect import COPYING, ROLES, head_roles, named_heads
from model.predict import Predictions, next_token_predictions

EXAMPLE = "the cat sat on the mat while the dog barked loudly outside\na dog barked"
IDS_EXAMPLE = "1 2 3 4 5 6\n7 8"  # for a model without a tokenizer: token ids
MAX_SENTENCES = 8
SAME = 0.9999  # a cosine at or above this is "the same embedding" (float rounding is ~1e-7)
SHORT = {"previous": "prev", "next": "next", "self": "self"}  # grid labels; a special token is named
# the weights and scores of one sentence a page keeps (8 bytes a cell): at most MiniLM's longest, 256
# tokens x 72 heads (38 MB); SmolLM2's 270 heads then read at most 132 tokens
MAX_CELLS = 256 * 256 * 6 * 12
TOP = 5  # next tokens listed


@dataclass(frozen=True)
class Effect:
    """What the mask changes, per sentence, and the sentences that say it."""

    rows: list[dict]
    summary: list[str]


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return F.cosine_similarity(a, b, dim=-1).item()


def next_token(model: hf.RealModel, out: hf.Run, k: int) -> tuple[str, float]:
    """The most likely token after sequence k's last real token, and its probability."""
    probabilities = out.next_logits[k].softmax(dim=-1)
    p, token = probabilities.max(dim=-1)
    return model.readable([int(token)])[0], p.item()


@bounded(max_bytes=4 * MiB)  # once per view, not on every rerun of the page
def effects(
    name: str, ids: tuple[tuple[int, ...], ...], mask: masks.Predicate | None, padding: bool, shown: int
) -> Effect:
    """Each sentence's mean-pooled embedding: under the model's own mask, against the sentence run
    alone (what padding does, or does not do); under another mask, against the model's own on the
    same batch (what the mask changes). A language model's next token under both masks. (`shown`:
    the sentence the page's run keeps weights for; that run is this one's.)"""
    model, this = real_models.load(name), real_models.run(name, ids, mask, padding, (shown,))
    own = this if mask is None else real_models.run(name, ids, None, False, (shown,))  # the next-token view's too
    this_pooled, own_pooled = this.pooled(), own.pooled()
    rows, to_own, own_to_alone = [], [], []
    for k, row in enumerate(ids):
        own_to_alone.append(cosine(own_pooled[k], real_models.run(name, (row,), None, False, ()).pooled()[0]))
        to_own.append(cosine(this_pooled[k], own_pooled[k]))
        found = {"sentence": k + 1, "tokens": len(row), "padding": len(this.tokens[k]) - len(row)}
        found["cosine to sentence alone" if mask is None else "cosine to own mask"] = (
            own_to_alone[-1] if mask is None else to_own[-1]
        )
        if this.next_logits is not None:
            token, p = next_token(model, this, k)
            found["next token"] = f"{token} ({p:.0%})"
            if mask is not None:
                token, p = next_token(model, own, k)
                found["next token, own mask"] = f"{token} ({p:.0%})"
        rows.append(found)
    return Effect(rows, summary(to_own if mask is not None else None, own_to_alone))


def lowest(values: list[float]) -> str:
    k = min(range(len(values)), key=values.__getitem__)
    return f"lowest {values[k]:.4f}, sentence {k + 1}"


def summary(to_own: list[float] | None, own_to_alone: list[float]) -> list[str]:
    """Sentences about the cosines, computed from them (`to_own` None: the model's own mask is shown)."""
    n, alone = len(own_to_alone), sum(c >= SAME for c in own_to_alone)
    if to_own is None:
        return [
            f"{alone} of {counted(n, 'sentence has', 'sentences have')} in this padded batch the embedding "
            f"{'it has' if n == 1 else 'they have'} alone (cosine ≥ {SAME}; {lowest(own_to_alone)})."
        ]
    changed = sum(c < SAME for c in to_own)
    said = [
        f"This mask changes {changed} of {n} sentence embeddings (cosine to the model's own mask below {SAME}; "
        f"{lowest(to_own)})."
        if changed
        else f"This mask leaves every sentence embedding as the model's own mask makes it (cosine ≥ {SAME})."
    ]
    if alone == n:  # then "to its own mask" is also "to itself run alone"
        said.append("Under the model's own mask each sentence has the embedding it has alone, so these are also "
                    "cosines to each sentence run alone, without padding.")  # fmt: skip
    return said


@dataclass(frozen=True)
class NextTokens:
    """The shown sentence's next-token predictions under the model's causal mask and the chosen one."""

    table: list[dict]
    said: list[str]


def language_model(model: hf.RealModel) -> bool:
    """A model with a language-model head and a tokenizer: next tokens and copying heads are shown."""
    return model.lm_head is not None and model.tokenizer is not None


@bounded(max_bytes=MiB)
def next_tokens(
    name: str, ids: tuple[tuple[int, ...], ...], mask: masks.Predicate | None, padding: bool, shown: int
) -> NextTokens:
    """Top next tokens after sentence `shown` and its teacher-forced accuracy (model/predict.py), under
    the model's own causal mask and under `mask` (None: the own one only), from the page's runs."""
    model, row = real_models.load(name), list(ids[shown])
    length = len(row)
    found = {"causal (own)": real_models.run(name, ids, None, False, (shown,))}
    if mask is not None:
        found[mask.name + (" AND padding" if padding else "")] = real_models.run(name, ids, mask, padding, (shown,))
    predicted = {label: next_token_predictions(out.logits[0, :length], row, TOP) for label, out in found.items()}
    table = [
        {"rank": k + 1}
        | {label: f"{model.readable([p.top[k][0]])[0]} ({p.top[k][1]:.1%})" for label, p in predicted.items()}
        for k in range(TOP)
    ]
    peeks = None
    if mask is not None:
        applied = found[list(found)[1]].mask[shown, 0, :length, :length]
        peeks = int(applied.diagonal(1).sum())  # positions t that may attend to token t + 1, the one they predict
    return NextTokens(table, next_token_findings(predicted, peeks, shown))


def next_token_findings(predicted: dict[str, Predictions], peeks: int | None, shown: int) -> list[str]:
    """Sentences computed from the predictions shown (and `peeks`: how many positions the chosen mask
    lets see the very token they predict)."""
    (_, own), *other = predicted.items()
    said = [
        f"Teacher-forced next-token accuracy of sentence {shown + 1} (each position given the true tokens "
        "before it): "
        + ", ".join(f"{p.correct} of {p.predicted} = {p.accuracy:.2f} under {label}" for label, p in predicted.items())
        + "."
    ]
    if not other or not own.predicted:
        return said
    label, chosen = other[0]
    gained = chosen.correct - own.correct
    said.append(
        f"Under {label}, {counted(peeks, 'position', 'positions')} of {own.predicted} may attend to the very token "
        f"it predicts, and the model gets "
        + (f"{gained} more right: it reads the answer off the future, which is why a decoder trains with the "
           "causal mask." if gained > 0 and peeks else
           f"{gained} more right than under its causal mask." if gained > 0 else
           f"{-gained} fewer right than under its causal mask." if gained < 0 else
           "as many right as under its causal mask.")
    )  # fmt: skip
    return said


def copying_findings(found: Copying, threshold: float, heads: int) -> list[str]:
    """What the example shows, from its numbers: the strongest head of each kind, and how many reach the
    threshold."""
    said = [
        f"{REPEATED} random words, then the same {REPEATED} again: a head's score is the mean weight each word of "
        f"the second copy puts on {COPYING['induction']}, or on {COPYING['previous']}."
    ]
    for kind in COPYING:
        layer, head, score = found.strongest(kind)
        above = int((found.scores[kind] >= threshold).sum())
        said.append(
            f"{kind.capitalize()}: layer {layer}, head {head} scores {score:.2f}; "
            f"{above} of {heads} heads score at least {threshold:.2f} (the head label threshold)."
        )
    first, second = found.losses
    said.append(
        f"The loss of the words falls from {first:.1f} nats in the first copy to {second:.1f} in the second: "
        "the model copies from its context."
        if second < first
        else f"The loss of the words is {first:.1f} nats in the first copy and {second:.1f} in the second."
    )
    return said


def example_of(name: str) -> Copying | str:
    """The repeated-words example of a language model, or why it has none (a tokenizer that reads no
    word as one token, such as an operator's model of another vocabulary)."""
    try:
        return real_models.copying(name)
    except ValueError as error:
        return str(error)


def show_copying(model: hf.RealModel, name: str, threshold: float) -> None:
    found = example_of(name)
    with st.expander("Induction and previous-token heads", icon=":material/content_copy:"):
        if isinstance(found, str):
            st.caption(f"No repeated-words example for {name}: {quoted(found, limit=200)}")
            return
        for sentence in copying_findings(found, threshold, model.layers * model.heads):
            st.caption(sentence)
        rows = []
        for kind in COPYING:
            order = found.scores[kind].flatten().argsort(descending=True)[:3].tolist()
            rows += [
                {"kind": kind, "layer": k // model.heads, "head": k % model.heads,
                 "score": found.scores[kind].flatten()[k].item()}
                for k in order
            ]  # fmt: skip
        st.dataframe(rows, hide_index=True, column_config={"score": st.column_config.NumberColumn(format="%.3f")})

        def open_example():
            st.session_state["sentences"] = found.text
            st.session_state["mask"] = "own"

        st.button("Show the repeated words", on_click=open_example, icon=":material/repeat:")


def special_positions(model: hf.RealModel, out: hf.Run) -> torch.Tensor:
    """(B, T) True at the real tokens that are the tokenizer's special tokens ([CLS], [SEP], <s>...)."""
    special = set(model.tokenizer.all_special_tokens) if model.tokenizer is not None else set()
    return torch.tensor([[t in special for t in row] for row in out.tokens]) & out.real


@dataclass(frozen=True)
class Roles:
    """Head roles computed from one run's weights (model/inspect.head_roles) at a threshold."""

    notes: dict[tuple[int, int], str]  # grid labels, for the roles a head's map can show (not sinks)
    table: list[dict]  # every named head, clearest first
    caption: str
    start: tuple[int, int]  # the head the page opens on, and why
    why: str | None


def roles(model: hf.RealModel, out: hf.Run, threshold: float) -> Roles:
    """Which heads point at the previous token, the next token, a special token or themselves."""
    special = special_positions(model, out)
    present = sorted({t for row, marks in zip(out.tokens, special.tolist(), strict=True)
                      for t, m in zip(row, marks, strict=True) if m})  # fmt: skip
    named = named_heads(head_roles(out.pointers, out.lengths, special), threshold)
    described = {**ROLES, "special": f"a special token ({', '.join(present)})" if present else ROLES["special"]}
    # clearest first; a head on [CLS] / [SEP] (a resting place, Clark et al. 2019) after one with a pattern
    order = sorted(named.items(), key=lambda item: (item[1][0] == "special", -item[1][1], item[0]))
    table = [
        {"layer": layer, "head": head, "role": described[role], "share of rows": share}
        for (layer, head), (role, share) in order
    ]
    notes = {head: SHORT[role] for head, (role, _) in named.items() if role in SHORT}
    sinks = sum(role == "special" for role, _ in named.values())
    caption = (
        f"Head roles, computed from these weights: a head is named for what at least {threshold:.0%} of its "
        f"real query rows put their largest weight on. {counted(len(named), 'head', 'heads')} of "
        f"{model.layers * model.heads} named (the table below); {counted(sinks, 'looks', 'look')} mostly at "
        f"{described['special']}, and the grid marks the others: "
        + "; ".join(f"{SHORT[r]} = {ROLES[r]}" for r in SHORT)
        + "."
    )
    if not order:
        return Roles(notes, table, caption, (0, 0), None)
    (layer, head), (role, share) = order[0]
    why = (
        f"Opens on layer {layer}, head {head}: {share:.0%} of its real query rows put their largest weight on "
        f"{described[role]}, the clearest role of any head in this batch."
    )
    return Roles(notes, table, caption, (layer, head), why)


def run_shapes(model: hf.RealModel, out: hf.Run, shown: int) -> heads.Shapes:
    """The shapes view for one sentence, from the tensors the model's first layer gave our attention
    function (grouped-query attention shows its fewer key/value heads)."""
    T, C = out.hidden.shape[1], out.hidden.shape[2]
    (_, H, _, d), (_, H_kv, _, _) = out.shapes["q"], out.shapes["k, v"]
    shared = f", each shared by {H // H_kv} query heads" if H_kv != H else ""
    scale = out.shapes["scale"]
    ffn = getattr(model.config, "intermediate_size", None) or getattr(model.config, "n_inner", None)
    rows = [
        ("tokens", (1, T), f"token ids: sentence {shown + 1}, padded to the batch"),
        ("x, into a layer", (1, T, C), "one vector per token"),
        ("q", (1, H, T, d), f"{H} query heads of {d}"),
        ("k, v", (1, H_kv, T, d), f"{H_kv} key / value heads{shared}"),
        ("scores = q k^T x scale", (1, H, T, T), f"scale {scale:.4g}" if scale is not None else "scale 1 / sqrt(d)"),
        ("weights = softmax(masked scores)", (1, H, T, T), "rows sum to 1 over allowed keys"),
        ("heads = weights v, merged", (1, T, H * d), "heads side by side, then projected back to C"),
        *([("FFN hidden", (1, T, ffn), "per token")] if ffn else []),
        ("last hidden state", (1, T, C), f"after {model.layers} layers: T vectors in, T vectors out"),
    ]
    caption = (
        f"Measured in this run ({type(model.model).__name__}): B = 1, the sentence shown (the batch runs "
        f"{out.hidden.shape[0]}, each padded to T = {T} tokens), C = {C}, H = {H} heads of d = {d}."
    )
    return heads.Shapes(rows, caption)


def description(name: str, model: hf.RealModel) -> str:
    shipped = hf.SHIPPED.get(name)
    what = shipped.title if shipped else f"{type(model.model).__name__} from {model.directory}, listed by the server"
    return f"{what}. A real pretrained model, every attention computed by our attention function."


def token_limit(model: hf.RealModel) -> tuple[int, str]:
    """The most tokens of a sentence this page runs, and why: the model's own limit, or fewer when its
    heads' weights and scores of one sentence would be more than MAX_CELLS."""
    fits = math.isqrt(MAX_CELLS // (model.layers * model.heads))
    if model.max_len is not None and model.max_len <= fits:
        return model.max_len, model.max_len_source
    return fits, f"this page's bound: its {model.layers} x {model.heads} heads' weights of one sentence are kept"


def sentences(link: Link, model: hf.RealModel) -> tuple[tuple[tuple[int, ...], ...], list[str]]:
    """The sidebar's sentences as token ids, one sequence per line, and what was cut or replaced:
    said on the page, where a reader looks (on a phone the sidebar is closed)."""
    example = EXAMPLE if model.tokenizer is not None else IDS_EXAMPLE
    text = link.text(
        "Sentences (one per line: a padded batch)",
        "sentences",  # not the toy models' `text`: a sentence is not a letter game's input
        example,
        max_chars=5_000,
        lines=True,
        help=f"Up to {MAX_SENTENCES} sentences, padded on the right to the longest; the model's own tokenizer.",
    )
    lines, said = [line.strip() for line in text.splitlines() if line.strip()], []
    if not lines:
        said.append(f"No sentence given: showing the example ({' / '.join(map(quoted, example.splitlines()))}).")
        lines = example.splitlines()
    if len(lines) > MAX_SENTENCES:
        said.append(f"{len(lines)} sentences given; this page runs at most {MAX_SENTENCES}: using the first ones.")
        lines = lines[:MAX_SENTENCES]
    ids = tokenized(model, lines, said)
    limit, why = token_limit(model)
    for k, tokens in enumerate(ids):
        if len(tokens) > limit:
            kept = "its first tokens kept" if model.causal else "its end token kept"
            said.append(
                f"Sentence {k + 1} has {len(tokens)} tokens; {model.name} reads at most {limit} ({why}): "
                f"cut to {limit}, as its tokenizer cuts ({kept})."
            )
            cut = model.tokenize(lines[k : k + 1], truncate=True, limit=limit)[0] if model.tokenizer else None
            ids[k] = cut or tokens[:limit]
    return tuple(map(tuple, ids)), said


def tokenized(model: hf.RealModel, lines: list[str], said: list[str]) -> list[list[int]]:
    """Each line's token ids: from the model's tokenizer, or for a model without one, the line read as
    ids separated by spaces (a line that is not is left out, and said)."""
    if model.tokenizer is not None:
        return model.tokenize(lines)
    found, top = [], model.config.vocab_size - 1
    for k, line in enumerate(lines):
        words = line.split()
        ids = [parse_int(w) for w in words]
        if all(i is not None and 0 <= i <= top for i in ids):
            found.append(ids)
        else:
            said.append(
                f"Line {k + 1} left out: {model.name} has no tokenizer, so a line is token ids 0 .. {top} "
                "separated by spaces."
            )
    return found or tokenized(model, IDS_EXAMPLE.splitlines(), said)


def own_or_custom_mask(link: Link, model: hf.RealModel, T: int) -> tuple[masks.Predicate | None, bool, str]:
    own = f"the model's own: padding{', causal' if model.causal else ''}"
    st.header("Mask")
    choice = link.choice(
        "Mask",
        "mask",
        ["own", "custom"],
        "own",
        help=f"own: {own}; custom: any scheme or combination from the mask library, which replaces it",
    )
    if choice == "own":
        return None, False, own
    st.caption(
        "A scheme is the mask library's, the same for every sentence of the batch (its `padding` hides its "
        "last `pad` keys); each sentence's own padding is the switch at the end."
    )
    custom = custom_mask(link, T)
    padding = link.flag(
        "AND the padding mask",
        "keep_pad",
        False,
        help="off: the scheme alone replaces the model's mask, so padding is attended where the scheme allows; "
        "on: each sentence's padding keys stay hidden",
    )
    return custom, padding, f"{custom.name}{' AND padding' if padding else ''}"


def show(link: Link, lecture: Lecture, name: str) -> None:
    """The Attention page for real model `name` (the model picker is already drawn)."""
    try:
        model = real_models.load(name)
    except (ValueError, OSError) as error:
        st.error(f"{name} cannot be loaded: {quoted(str(error), limit=400)}")
        return
    with st.sidebar:
        st.caption(description(name, model))
        ids, said = sentences(link, model)
        T = max(map(len, ids))
        shown = 0
        if len(ids) > 1:
            shown = int(link.choice("Sentence shown", "seq", [str(k + 1) for k in range(len(ids))], "1")) - 1
        mask, padding, mask_name = own_or_custom_mask(link, model, T)
        percent = link.integer(
            "Head label threshold (%)",
            "role_at",
            10,
            100,
            50,
            help="a head is named for a role that at least this share of its rows follow",
        )
    threshold = percent / 100
    with lecture.beside():
        about = varying()
    for text in said:
        about.warning(text)
    try:
        out = real_models.run(name, ids, mask, padding, (shown,))
        found = effects(name, ids, mask, padding, shown)
    except NotImplementedError as error:
        about.error(f"{name} cannot run through our attention function: {quoted(str(error), limit=400)}")
        return
    named = derived(out, ("roles", threshold), lambda: roles(model, out, threshold))
    start, why = named.start, named.why
    example = example_of(name) if language_model(model) and mask is None else None
    if isinstance(example, Copying) and ids[shown] == example.ids:
        layer, head, score = example.strongest("induction")
        start, why = (
            (layer, head),
            (
                f"Opens on layer {layer}, head {head}: its mean weight from each word of the second copy to the word "
                f"that followed it in the first is {score:.2f}, the strongest induction head of this model."
            ),
        )
    weights, scores, applied = derived(
        out,
        ("sequence", shown),
        lambda: (
            torch.stack([a[0] for a in out.attentions]),  # the run kept sentence `shown` only
            torch.stack([s[0] for s in out.scores]),
            out.mask[shown, 0],
        ),
    )
    tokens = out.tokens[shown]
    attn = heads.AttentionSet(
        "self", weights, scores, applied, tokens, tokens, mask_name, start, why, named.notes,
        named.caption, named.table,
    )  # fmt: skip
    grey = "Grey cells are blocked by the mask" if not applied.all() else "The mask blocks no cell"

    def what_is_shown() -> None:
        st.caption(
            f"Model **{name}** ({model.kind}, {model.layers} layers x {model.heads} heads), sentence {shown + 1} "
            f"of {len(ids)}: {len(ids[shown])} tokens and {T - len(ids[shown])} padding, mask: {mask_name}. "
            f"{grey}; colours are attention weights."
        )
        st.dataframe(
            found.rows,
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(format="%.4f")
                for c in ("cosine to own mask", "cosine to sentence alone")
            },
        )
        st.caption(" ".join(["Embedding: the mean of a sentence's real tokens' last hidden states."] + found.summary))
        if language_model(model):
            predicted = next_tokens(name, ids, mask, padding, shown)
            st.markdown(f"**Next token after sentence {shown + 1}**")
            st.dataframe(predicted.table, hide_index=True, width="stretch")
            st.caption(" ".join(predicted.said))
            if link.flag(
                "Continue the text",
                "continue",
                False,
                help=f"the model's greedy continuation of the sentence shown, at most {CONTINUATION} tokens, "
                "under the mask chosen",
            ):
                try:
                    more = real_models.continuation(name, ids[shown], mask, this_session_is_open())
                except InterruptedError:
                    return  # the tab that asked has closed: no one reads the rest
                st.caption(
                    f"Greedy continuation under {mask_name}, at most {CONTINUATION} tokens: {quoted(more, limit=None)}"
                )

    with about:
        heads.warn_empty_rows(applied)
        if not lecture.presenting:
            what_is_shown()
    heads.show(lecture, attn, run_shapes(model, out, shown))
    if language_model(model):
        with varying():
            show_copying(model, name, threshold)
    with varying():  # on a projector under the figures, which then start above the fold
        if lecture.presenting:
            what_is_shown()
    lecture.share()
