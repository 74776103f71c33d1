"""Mask controls generated from `masks.SCHEMES`: no per-scheme UI code lives here.

A scheme's parameter specs give each control its kind, default, range and help; ranges that
follow the sequence lengths are computed for the current tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import streamlit as st

import masks
from app.state import Link
from app.text import parse_int, quoted

OPERATORS = {"and": "&", "or": "|", "and_not": "& ~"}  # URL value -> what the title shows
COMBINED = 2  # schemes that can join the first


def _lengths_text(lengths) -> str:
    return ", ".join(str(n) for n in lengths)


def _parse_lengths(text: str) -> tuple[int, ...] | None:
    parts = [parse_int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    return None if None in parts else tuple(parts)


def parameter_controls(
    link: Link, scheme: masks.Scheme, prefix: str, q_len: int, kv_len: int, where, *, given=None, pad_room=None
) -> dict:
    """One control per parameter of `scheme`; returns the chosen values. `given`: defaults in place of
    the scheme's (the padding a sentence has typed); `pad_room`: the most padding keys the page can add
    to its tokens, where padding is [PAD] tokens added (the Masks page) rather than keys taken over."""
    defaults = {**scheme.defaults_for(q_len, kv_len), **(given or {})}
    values = {}
    for p in scheme.params:
        key = f"{prefix}{p.name}"
        if p.kind == "int":
            low, high = p.bounds(q_len, kv_len)
            help_text = p.help
            if pad_room is not None and masks.analysis.PADDING.get(scheme.name) == p.name:
                high = pad_room
                help_text += f" Here they are [PAD] tokens added to the keys (typed ones count), at most {high}."
            high = max(q_len, kv_len) if high is None else high  # unbounded: the sequence is the limit
            values[p.name] = link.integer(p.name, key, low, high, defaults[p.name], where=where, help=help_text)
        elif p.kind == "bool":
            values[p.name] = link.flag(p.name, key, defaults[p.name], where=where, help=p.help)
        elif p.kind == "choice":
            values[p.name] = link.choice(p.name, key, list(p.choices), defaults[p.name], where=where, help=p.help)
        else:
            text = link.text(
                f"{p.name} (comma-separated)",
                key,
                _lengths_text(defaults[p.name]),
                max_chars=20_000,
                where=where,
                help=p.help,
            )
            values[p.name] = _parse_lengths(text) or text
    return values


@dataclass(frozen=True)
class Picked:
    """A picked scheme: its parameters' controls go in `block`, under the picker (drawn once the
    lengths they are for are known), and so do its messages, under them."""

    prefix: str
    name: str
    default: str  # the scheme drawn instead when this one cannot be drawn at all
    block: object
    values: dict = field(default_factory=dict)


def scheme_picker(link: Link, prefix: str, where, *, default: str = "causal", label: str = "Mask scheme") -> Picked:
    """A scheme picker, what the scheme is, and the block for its parameters."""
    name = link.choice(label, f"{prefix}scheme", list(masks.SCHEMES), default, where=where)
    scheme = masks.SCHEMES[name]
    where.caption(f"{scheme.summary}  \nRule: `{scheme.predicate}`  \nUsed by: {scheme.used_by}")
    return Picked(prefix, name, default, where.container())


def with_parameters(
    link: Link, picked: Picked, q_len: int, kv_len: int, *, typed_pads: tuple[int, int] = (0, 0), pad_room=None
) -> Picked:
    """The picked scheme with its parameter controls, their ranges and defaults for these lengths
    (`typed_pads` and `pad_room`: see `parameter_controls`)."""
    given = masks.analysis.padding_defaults(picked.name, *typed_pads)
    scheme = masks.SCHEMES[picked.name]
    values = parameter_controls(
        link, scheme, picked.prefix, q_len, kv_len, picked.block, given=given, pad_room=pad_room
    )
    return replace(picked, values=values)


def built(picked: Picked, q_len: int, kv_len: int) -> masks.Predicate:
    """The picked scheme at these lengths; a bad combination shows the library's message and falls
    back to the scheme's defaults for these lengths, or to the picker's default where the scheme cannot
    be built at these lengths at all (document masks need as many queries as keys)."""
    name, default, where = picked.name, picked.default, picked.block
    try:
        return masks.predicate(name, q_len, kv_len, **picked.values)
    except ValueError as error:
        problem = quoted(str(error), limit=300)
    defaults = masks.SCHEMES[name].defaults_for(q_len, kv_len)
    try:
        fallback = masks.predicate(name, q_len, kv_len, **defaults)
        drawn = "; ".join(
            f"{k} = {_lengths_text(v) if isinstance(v, tuple) else str(v).lower()}" for k, v in defaults.items()
        )
        where.error(f"{problem}. Using the defaults for {q_len} x {kv_len} tokens" + (f": {drawn}." if drawn else "."))
    except ValueError:
        fallback = masks.predicate(default, q_len, kv_len, **masks.SCHEMES[default].defaults_for(q_len, kv_len))
        where.error(f"{problem}. {name} cannot be drawn at {q_len} x {kv_len} tokens: showing {default} instead.")
    return fallback


def scheme_control(
    link: Link, prefix: str, q_len: int, kv_len: int, where, *, default: str = "causal", label: str = "Mask scheme"
) -> masks.Predicate:
    """A scheme picker and its parameters, built at these lengths (see `built`)."""
    picked = with_parameters(link, scheme_picker(link, prefix, where, default=default, label=label), q_len, kv_len)
    return built(picked, q_len, kv_len)


def operator_control(link: Link, k: int, where) -> str:
    """How scheme k + 1 joins the ones before: off, and, or, and_not."""
    return link.choice(
        f"Combine with scheme {k + 1}",
        f"c{k}_op",
        ["off", *OPERATORS],
        "off",
        where=where,
        help="and: both allow; or: either allows; and_not: the first allows, this one blocks",
    )


def combined(before: masks.Predicate, op: str, part: masks.Predicate) -> masks.Predicate:
    return {"and": before & part, "or": before | part, "and_not": before & ~part}[op]


def combination_controls(link: Link, base: masks.Predicate, where, parts: int = COMBINED) -> masks.Predicate:
    """Up to `parts` more schemes joined with AND / OR / AND NOT: causal & padding is a decoder."""
    result = base
    for k in range(1, parts + 1):
        op = operator_control(link, k, where)
        if op == "off":
            break
        part = scheme_control(
            link, f"c{k}_", base.q_len, base.kv_len, where, default="padding", label=f"Scheme {k + 1}"
        )
        result = combined(result, op, part)
    return result


def show_notice(text: str | None) -> None:
    if text:
        st.info(text)


def custom_mask(link: Link, length: int) -> masks.Predicate:
    """A self-attention mask over `length` tokens from the library, in the sidebar: a scheme with its
    parameters, and the schemes combined with it (link parameters `m_*`)."""
    return combination_controls(link, scheme_control(link, "m_", length, length, st), st)
