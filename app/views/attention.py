"""Attention: a decoder or encoder model, a text, a mask; what every head attends to."""

from __future__ import annotations

import streamlit as st
import torch

import masks
from app import attention_views, model_runs, real_models
from app.cache import MiB, bounded, in_turn
from app.controls import combination_controls, scheme_control
from app.lecture import Lecture
from app.state import Link, varying
from app.text import quoted
from model.tasks import TASKS


@bounded(max_bytes=192 * MiB)
def run(spec: model_runs.ModelSpec, ids: tuple, mask: masks.Predicate | None):
    """All attention of one forward pass of the model `spec` names, under `mask` (None: the mask it
    was trained with)."""
    model, _, loaded = model_runs.model_for(spec)
    tokens_in = torch.tensor([ids])
    with in_turn(len(ids) ** 2 * model.config.n_layers * model.config.n_heads):
        given = {"mask": mask.build()} if mask is not None else loaded.default_masks(tokens_in) if loaded else {}
        with torch.no_grad():
            out = model(tokens_in, **given)
        return attention_views.stacked(out.attentions, out.masks["self"])


def model_and_text(link: Link, name: str) -> tuple[model_runs.Choice, list[int]]:
    """The sidebar's model and input: the chosen model and the input's token ids."""
    with st.sidebar:
        chosen = model_runs.choose_model(link, "decoder", name)

        def use_example():
            st.session_state["text"] = chosen.example

        st.button("Use the example input", on_click=use_example, icon=":material/lightbulb:")
        text = link.text(
            "Input",
            "text",
            chosen.example,
            max_chars=5_000,
            help=model_runs.input_help(chosen.tokenizer),
        )
    return chosen, model_runs.read_ids(chosen.tokenizer, text, chosen.model.config.max_len, "input", chosen.example)


def mask_choice(link: Link, chosen: model_runs.Choice, length: int) -> tuple[str, masks.Predicate | None]:
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
            custom = combination_controls(link, scheme_control(link, "m_", length, length, st), st)
    return trained_with, custom


def show() -> None:
    link = Link()
    lecture = Lecture(link, "Attention")
    real, refused = real_models.names(model_runs.own_names())
    with st.sidebar:
        st.header("Model")
        name = model_runs.model_name(link, "decoder", real)
        for why in refused:
            st.caption(f"The server lists a model directory not offered here: {quoted(why, limit=None)}")
    attention_views.model_opened(name)
    if name in real:
        real_models.show(link, lecture, name)
        return
    chosen, ids = model_and_text(link, name)
    tokens, T = chosen.tokenizer.decode(ids), len(ids)
    trained_with, custom = mask_choice(link, chosen, T)
    weights, scores, applied = run(chosen.spec, tuple(ids), custom)
    mask_name = custom.name if custom else trained_with
    start, why = model_runs.opening_head(chosen, "self", trained_mask=custom is None)
    attn = attention_views.AttentionSet("self", weights, scores, applied, tokens, tokens, mask_name, start, why)
    arch = TASKS[chosen.name].arch if chosen.name in TASKS else "decoder"
    grey = "Grey cells are blocked by the mask" if not attn.mask.all() else "The mask blocks no cell"
    with lecture.beside(), varying():
        st.caption(
            f"Model **{chosen.name}** ({arch}), {T} tokens, mask: {mask_name}. {grey}; colours are attention weights."
        )
        attention_views.warn_empty_rows(attn.mask)
    attention_views.show(lecture, attn, attention_views.block(chosen.model.config, T))
    lecture.share()
