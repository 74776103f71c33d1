"""Attention: a decoder or encoder model, a text, a mask; what every head attends to."""

from __future__ import annotations

import streamlit as st

import masks
from app.lecture.stage import Lecture
from app.runs import real_models, toy_models
from app.state import Link, varying
from app.text import quoted
from app.views import heads
from app.views.attention import real
from app.views.mask_controls import custom_mask
from model.tasks import TASKS


def model_and_text(link: Link, name: str) -> tuple[toy_models.Choice, list[int]]:
    """The sidebar's model and input: the chosen model and the input's token ids."""
    with st.sidebar:
        chosen = toy_models.choose_model(link, "decoder", name)

        def use_example():
            st.session_state["text"] = chosen.example

        st.button("Use the example input", on_click=use_example, icon=":material/lightbulb:")
        text = link.text(
            "Input",
            "text",
            chosen.example,
            max_chars=5_000,
            help=toy_models.input_help(chosen.tokenizer),
        )
    return chosen, toy_models.read_ids(chosen.tokenizer, text, chosen.model.config.max_len, "input", chosen.example)


def trained_or_custom_mask(link: Link, chosen: toy_models.Choice, length: int) -> tuple[str, masks.Predicate | None]:
    """The sidebar's mask: how the trained mask is named, and the custom mask (None: the trained one)."""
    with st.sidebar:
        st.header("Mask")
        if chosen.pretrained:
            trained_with = f"{chosen.pretrained.task.trained_mask} (as trained)"
        else:
            trained_with = f"{'causal' if chosen.model.config.arch == 'decoder' else 'full'} (the model's default)"
        choice = link.choice(
            "Mask",
            "mask",
            ["trained", "custom"],
            "trained",
            help=f"trained: {trained_with}; custom: any scheme or combination from the mask library",
        )
        custom = None
        if choice == "custom":
            custom = custom_mask(link, length)
    return trained_with, custom


def show() -> None:
    link = Link()
    lecture = Lecture(link, "Attention")
    offered, refused = real_models.names(toy_models.own_names())
    with st.sidebar:
        st.header("Model")
        name = toy_models.model_name(link, "decoder", offered)
        for why in refused:
            st.caption(f"The server lists a model directory not offered here: {quoted(why, limit=None)}")
    heads.model_opened(name)
    if name in offered:
        real.show(link, lecture, name)
        return
    chosen, ids = model_and_text(link, name)
    tokens, T = chosen.tokenizer.decode(ids), len(ids)
    trained_with, custom = trained_or_custom_mask(link, chosen, T)
    weights, scores, applied = toy_models.self_run(chosen.spec, tuple(ids), custom)
    mask_name = custom.name if custom else trained_with
    start, why = toy_models.opening_head(chosen, "self", trained_mask=custom is None)
    attn = heads.AttentionSet("self", weights, scores, applied, tokens, tokens, mask_name, start, why)
    arch = TASKS[chosen.name].arch if chosen.name in TASKS else "decoder"
    grey = "Grey cells are blocked by the mask" if not attn.mask.all() else "The mask blocks no cell"
    with lecture.beside(), varying():
        st.caption(
            f"Model **{chosen.name}** ({arch}), {T} tokens, mask: {mask_name}. {grey}; colours are attention weights."
        )
        heads.warn_empty_rows(attn.mask)
    heads.show(lecture, attn, heads.toy_shapes(chosen.model.config, T))
    lecture.share()
