"""Cross-attention: an encoder-decoder, a source and a target, each with its own padding."""

from __future__ import annotations

import streamlit as st
import torch

from app import attention_views, model_runs
from app.lecture import Lecture
from app.state import Link
from model.inspect import greedy_decode

KINDS = ["cross", "encoder", "decoder"]

link = Link()
lecture = Lecture(link, "Cross-attention")
st.title("Cross-attention")

with st.sidebar:
    st.header("Model")
    chosen = model_runs.choose_model(link, "encoder_decoder")
    name, model, tokenizer, example = chosen.name, chosen.model, chosen.tokenizer, chosen.example
    source_text = link.text("Source (encoder input)", "source", example, max_chars=2_000)
    target_text = link.text("Target (decoder input; empty = the model's own answer)", "target", "", max_chars=2_000)
    src_pad = link.integer("Source padding", "src_pad", 0, 8, 0, help="[PAD] tokens after the source")
    tgt_pad = link.integer("Target padding", "tgt_pad", 0, 8, 0, help="[PAD] tokens after the target")

limit = model.config.max_len - 9  # room for [BOS] and padding
src = model_runs.read_ids(tokenizer, source_text, limit, "source", example)
tgt = model_runs.read_ids(tokenizer, target_text, limit, "target") if target_text.strip() else []


@st.cache_data(max_entries=64, show_spinner=False)
def own_answer(model_key: str, src: tuple) -> list[int]:
    """The model's greedy answer, decoded once per source (not on every rerun)."""
    return greedy_decode(model, torch.tensor([src]), tokenizer.bos_id, tokenizer.eos_id, limit)


if not tgt:
    tgt = own_answer(chosen.key, tuple(src))
    st.caption(f"Target: the model's own greedy answer, {''.join(tokenizer.decode(tgt)) or '(nothing)'}.")
src_ids = src + [tokenizer.pad_id] * src_pad
tgt_ids = [tokenizer.bos_id] + tgt + [tokenizer.pad_id] * tgt_pad
src_tokens, tgt_tokens = tokenizer.decode(src_ids), tokenizer.decode(tgt_ids)


@st.cache_data(max_entries=64, show_spinner=False)
def run(model_key: str, src_ids: tuple, tgt_ids: tuple):
    with torch.no_grad():
        out = model(torch.tensor([src_ids]), torch.tensor([tgt_ids]))
    return out.encoder_attentions, out.decoder_attentions, out.cross_attentions, out.masks


encoder, decoder, cross, applied = run(chosen.key, tuple(src_ids), tuple(tgt_ids))
kind = link.choice(
    "Attention",
    "kind",
    KINDS,
    "cross",
    help="cross: decoder queries x encoder keys; encoder: bidirectional with source padding; "
    "decoder: causal with target padding",
)
sets = {
    "cross": attention_views.from_output("cross", cross, applied["cross"], tgt_tokens, src_tokens),
    "encoder": attention_views.from_output("encoder", encoder, applied["encoder"], src_tokens, src_tokens),
    "decoder": attention_views.from_output("decoder", decoder, applied["decoder"], tgt_tokens, tgt_tokens),
}
st.caption(
    "Rows are queries, columns keys: for cross-attention, target tokens (rows) read source tokens "
    "(columns). Grey cells are blocked by the mask, padding included."
)
attention_views.show(lecture, sets[kind], model.config, self_attention=kind != "cross")
