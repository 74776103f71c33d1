"""Cross-attention: an encoder-decoder, a source and a target, each with its own padding."""

from __future__ import annotations

import streamlit as st
import torch

from app import attention_views, model_runs
from app.cache import MiB, bounded
from app.lecture import Lecture
from app.state import Link, this_session_is_open
from model.inspect import greedy_decode

KINDS = ["cross", "encoder", "decoder"]
# each decoded token runs the whole model again: a random model never stops by itself, and 500
# steps took 80 s; the trained models read at most 20 tokens
ANSWER_STEPS = 32

link = Link()
lecture = Lecture(link, "Cross-attention")

with st.sidebar:
    st.header("Model")
    chosen = model_runs.choose_model(link, "encoder_decoder")
    name, model, tokenizer, example = chosen.name, chosen.model, chosen.tokenizer, chosen.example
    reads = model_runs.input_help(tokenizer)
    source_text = link.text("Source (encoder input)", "source", example, max_chars=2_000, help=reads)
    target_text = link.text(
        "Target (decoder input; empty = the model's own answer)", "target", "", max_chars=2_000, help=reads
    )
    src_pad = link.integer("Source padding", "src_pad", 0, 8, 0, help="[PAD] tokens after the source")
    tgt_pad = link.integer("Target padding", "tgt_pad", 0, 8, 0, help="[PAD] tokens after the target")

limit = model.config.max_len - 9  # room for [BOS] and padding
src = model_runs.read_ids(tokenizer, source_text, limit, "source", example)
tgt = model_runs.read_ids(tokenizer, target_text, limit, "target") if target_text.strip() else []


@bounded(max_bytes=8 * MiB)
def own_answer(spec: model_runs.ModelSpec, src: tuple, steps: int, _keep_going) -> list[int]:
    """The model's greedy answer of at most `steps` tokens, decoded once per source (not on every
    rerun), stopped if the tab that asked for it closes (another session asking for it then decodes
    it itself)."""
    model, tokenizer, _ = model_runs.model_for(spec)
    return greedy_decode(model, torch.tensor([src]), tokenizer.bos_id, tokenizer.eos_id, steps, _keep_going)


said = None
if not tgt:
    tgt = own_answer(chosen.spec, tuple(src), min(limit, ANSWER_STEPS), this_session_is_open())
    answer = "".join(tokenizer.decode(tgt)) or "(nothing)"
    cut = f" (cut at {ANSWER_STEPS} tokens: type a target for a longer one)" if len(tgt) == ANSWER_STEPS else ""
    said = f"Target: the model's own greedy answer, {answer}{cut}."
src_ids = src + [tokenizer.pad_id] * src_pad
tgt_ids = [tokenizer.bos_id] + tgt + [tokenizer.pad_id] * tgt_pad
src_tokens, tgt_tokens = tokenizer.decode(src_ids), tokenizer.decode(tgt_ids)


@bounded(max_bytes=192 * MiB)
def run(spec: model_runs.ModelSpec, src_ids: tuple, tgt_ids: tuple):
    model, _, _ = model_runs.model_for(spec)
    with torch.no_grad():
        out = model(torch.tensor([src_ids]), torch.tensor([tgt_ids]))
    found = {"cross": out.cross_attentions, "encoder": out.encoder_attentions, "decoder": out.decoder_attentions}
    return {kind: attention_views.stacked(found[kind], out.masks[kind]) for kind in KINDS}


runs = run(chosen.spec, tuple(src_ids), tuple(tgt_ids))
kind = link.choice(
    "Attention",
    "kind",
    KINDS,
    "cross",
    help="cross: decoder queries x encoder keys; encoder: bidirectional with source padding; "
    "decoder: causal with target padding",
)
axes = {"cross": (tgt_tokens, src_tokens), "encoder": (src_tokens, src_tokens), "decoder": (tgt_tokens, tgt_tokens)}
blocked_by = {"cross": "source padding", "encoder": "source padding", "decoder": "causal and target padding"}
start, why = model_runs.opening_head(chosen, kind)
attn = attention_views.AttentionSet(kind, *runs[kind], *axes[kind], blocked_by[kind], start, why)
attention_views.show(lecture, attn, model.config, self_attention=kind != "cross")
# under the figures: above them they would push the figures below a projector's fold
st.caption(
    "Rows are queries, columns keys: for cross-attention, target tokens (rows) read source tokens "
    "(columns). Grey cells are blocked by the mask, padding included."
)
if said:
    st.caption(said)
lecture.share()
