"""Cross-attention: an encoder-decoder, a source and a target, each with its own padding."""

from __future__ import annotations

import re

import streamlit as st

from app.lecture.stage import Lecture
from app.runs import toy_models
from app.state import Link, this_session_is_open
from app.text import visible
from app.views import heads
from model.tokenizer import SPECIALS

# each decoded token runs the whole model again, and a random model never stops by itself: an
# answer stops here, past the 20 tokens the trained models read
ANSWER_STEPS = 32
# who reads whom in each kind of attention, as the figure's rows and columns show it
READ = {
    "cross": "target tokens (rows) read source tokens (columns)",
    "encoder": "source tokens (rows) read source tokens (columns), before and after them alike",
    "decoder": "target tokens (rows) read target tokens (columns) up to their own",
}


def code(text: str) -> str:
    """`text` as a Markdown code span shown exactly, backticks included (a longer fence around them)."""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""  # one space each side is dropped
    return f"{fence}{pad}{text}{pad}{fence}"


def as_read(tokens: list[str]) -> str:
    """An answer as a person reads it: its text as code (each token as the axes label it, a space ␣), and
    each special token outside, by name: [MASK] inside the text would read as six characters."""
    parts, run = [], ""
    for token in tokens:
        if token in SPECIALS:
            parts += [code(run)] if run else []
            parts.append(f"**\\{token[:-1]}\\]**")  # escaped: never read as a link
            run = ""
        else:
            run += visible(token)
    return " ".join(parts + ([code(run)] if run else [])) or "(nothing: its first token is [EOS])"


def inputs(link: Link) -> tuple[toy_models.Choice, list[int], list[int], int, int, int]:
    """The sidebar: the chosen model, the source's and the target's ids (the target empty: the
    model's own answer), their padding, and the longest input the model takes."""
    with st.sidebar:
        st.header("Model")
        chosen = toy_models.choose_model(link, "encoder_decoder")
        heads.model_opened(chosen.name)
        reads = toy_models.input_help(chosen.tokenizer)
        source_text = link.text("Source (encoder input)", "source", chosen.example, max_chars=2_000, help=reads)
        target_text = link.text(
            "Target (decoder input; empty = the model's own answer)", "target", "", max_chars=2_000, help=reads
        )
        src_pad = link.integer("Source padding", "src_pad", 0, 8, 0, help="[PAD] tokens after the source")
        tgt_pad = link.integer("Target padding", "tgt_pad", 0, 8, 0, help="[PAD] tokens after the target")
    limit = chosen.model.config.max_len - 9  # room for [BOS] and padding
    src = toy_models.read_ids(chosen.tokenizer, source_text, limit, "source", chosen.example)
    tgt = toy_models.read_ids(chosen.tokenizer, target_text, limit, "target") if target_text.strip() else []
    return chosen, src, tgt, src_pad, tgt_pad, limit


def answered(chosen: toy_models.Choice, src: list[int], limit: int) -> tuple[list[int], list[str]]:
    """The model's own answer to the source, and sentences that say what it is."""
    tokenizer = chosen.tokenizer
    tgt = toy_models.own_answer(chosen.spec, tuple(src), min(limit, ANSWER_STEPS), this_session_is_open())
    answer, n = tokenizer.decode(tgt), len(tgt)
    cut = f" (cut at {ANSWER_STEPS}: type a target for a longer one)" if n == ANSWER_STEPS else ""
    said = [f"Target: the model's own greedy answer, {n} token{'' if n == 1 else 's'}{cut}: {as_read(answer)}."]
    specials = [t for t in answer if t in SPECIALS]
    if specials:
        are = "is a special token" if len(specials) == 1 else "are special tokens"
        who = "an untrained model" if chosen.pretrained is None else "this model"
        said.append(
            f"{len(specials)} of the {n} tokens {are} ({', '.join(dict.fromkeys(specials))}), in bold: {who} "
            "can emit any token of its vocabulary, special ones included; each is one token, not the letters "
            "of its name."
        )
    return tgt, said


def show() -> None:
    link = Link()
    lecture = Lecture(link, "Cross-attention")
    chosen, src, tgt, src_pad, tgt_pad, limit = inputs(link)
    tokenizer = chosen.tokenizer
    said = []
    if not tgt:
        tgt, said = answered(chosen, src, limit)
    unlike = chosen.pretrained and chosen.pretrained.task.unlike_training(tokenizer.decode(src))
    if unlike:  # "a" reversed reads "agag": the task's answer is not what the model learned for it
        said.append(f"The source has {unlike}: the answer and the attention show the model outside what it learned.")
    src_ids = src + [tokenizer.pad_id] * src_pad
    tgt_ids = [tokenizer.bos_id] + tgt + [tokenizer.pad_id] * tgt_pad
    src_tokens, tgt_tokens = tokenizer.decode(src_ids), tokenizer.decode(tgt_ids)
    runs = toy_models.cross_run(chosen.spec, tuple(src_ids), tuple(tgt_ids))
    with lecture.beside():
        kind = link.choice(
            "Attention",
            "kind",
            toy_models.KINDS,
            "cross",
            help="cross: decoder queries x encoder keys; encoder: bidirectional with source padding; "
            "decoder: causal with target padding",
        )
    axes = {
        "cross": (tgt_tokens, src_tokens),
        "encoder": (src_tokens, src_tokens),
        "decoder": (tgt_tokens, tgt_tokens),
    }
    blocked_by = {"cross": "source padding", "encoder": "source padding", "decoder": "causal and target padding"}
    start, why = toy_models.opening_head(chosen, kind)
    attn = heads.AttentionSet(kind, *runs[kind], *axes[kind], blocked_by[kind], start, why)
    shapes = heads.toy_shapes(chosen.model.config, len(attn.q_tokens))
    heads.show(lecture, attn, shapes, self_attention=kind != "cross")
    # under the figures: above them they would push the figures below a projector's fold
    grey = (
        "Grey cells are blocked by the mask, padding included." if not attn.mask.all() else "The mask blocks no cell."
    )
    with lecture.beside():
        st.caption(f"Rows are queries, columns keys: {READ[kind]}. {grey}")
        for sentence in said:
            st.caption(sentence)
    lecture.share()
