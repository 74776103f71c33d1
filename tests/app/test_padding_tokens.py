"""Padding on the Masks page is what a batch does: [PAD] tokens added to the sentence (at its start for
side=left; to the source's keys in cross-attention), labelled so on the axes, and exactly their
columns blocked. The `padding` scheme once relabelled real words as padding ("tired·pad", ".·pad")."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import masks
from app.text import DEFAULT_TEXT, MAX_TOKENS
from model.tokenizer import split_words
from tests.app.conftest import address, as_array, charts, click, contrast, drawn, shown_text, title

PAD = "[PAD]"
WORDS = split_words(DEFAULT_TEXT)


def labels(figure: dict, axis: str) -> list[str]:
    """An axis's labels as a person reads them (a padding label is dimmed by a colour span)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", text)) for text in figure["layout"][axis]["ticktext"]]


def blocked_columns(figure: dict) -> list[int]:
    """Keys no query may attend (a cell is 0 blocked, 1 allowed, 2 in a row with no key)."""
    z = as_array(figure["data"][0]["z"])
    return np.flatnonzero((z != 1).all(axis=0)).tolist()


def pad_warning(at) -> str:
    """The warning about [PAD] keys the mask attends."""
    return "\n".join(w for w in shown_text(at, kinds=("warning",)).split("\n") if "attended as" in w)


@pytest.mark.parametrize(
    ("params", "queries", "keys", "blocked", "drawn"),
    [
        ({"text": "the cat sat", "scheme": "padding"}, None, ["the", "cat", "sat", PAD, PAD], [3, 4], "padding(pad=2)"),
        (
            {"text": "the cat sat", "scheme": "padding", "side": "left"},
            None,
            [PAD, PAD, "the", "cat", "sat"],
            [0, 1],
            "padding(pad=2, side=left)",
        ),
        (  # slide 3: a decoder on a left-padded batch
            {"scheme": "causal", "c1_op": "and", "c1_scheme": "padding", "c1_side": "left"},
            None,
            [PAD, PAD, *WORDS],
            [0, 1],
            "causal & padding(pad=2, side=left)",
        ),
        (  # typed [PAD] tokens are the padding: none added, pad follows their count
            {"text": f"the cat sat {PAD} {PAD} {PAD}", "scheme": "padding"},
            None,
            ["the", "cat", "sat", PAD, PAD, PAD],
            [3, 4, 5],
            "padding(pad=3)",
        ),
        (
            {"text": f"{PAD} {PAD} the cat", "scheme": "padding"},
            None,
            [PAD, PAD, "the", "cat"],
            [0, 1],
            "padding(pad=2, side=left)",
        ),
        (  # one typed, pad 3: two more
            {"text": f"the cat {PAD}", "scheme": "padding", "pad": "3"},
            None,
            ["the", "cat", PAD, PAD, PAD],
            [2, 3, 4],
            "padding(pad=3)",
        ),
        (  # cross-attention: the source's keys are padded, the target's queries are not
            {"scheme": "cross", "pad": "2", "source": "le chat dort .", "text": "the cat sleeps"},
            ["the", "cat", "sleeps"],
            ["le", "chat", "dort", ".", PAD, PAD],
            [4, 5],
            "cross(pad=2)",
        ),
        (
            {"scheme": "padding", "source": "le chat", "text": "the cat sat"},
            ["the", "cat", "sat"],
            ["le", "chat", PAD, PAD],
            [2, 3],
            "padding(pad=2)",
        ),
    ],
    ids=["right", "left", "combination", "typed", "typed-left", "typed-and-added", "cross-source", "padding-source"],
)
def test_padded_positions_are_pad_tokens_and_only_their_columns_are_blocked(
    masks_page, params, queries, keys, blocked, drawn
):
    at = masks_page(**params)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    figure = charts(at)[0]
    assert title(figure) == drawn
    assert labels(figure, "xaxis") == keys
    assert labels(figure, "yaxis") == (keys if queries is None else queries)  # self-attention: one sequence
    assert blocked_columns(figure) == blocked
    assert not pad_warning(at)


def test_the_pad_control_shows_the_padding_drawn_and_follows_typed_pads(masks_page):
    at = masks_page(text="the cat sat", scheme="padding")
    assert at.number_input(key="pad").value == 2
    assert f"at most {MAX_TOKENS - 3}." in at.number_input(key="pad").help  # room for a batch's longest sentence
    at.text_input(key="text").set_value(f"the cat sat {PAD} {PAD} {PAD}").run()
    assert at.number_input(key="pad").value == 3  # left at its default, it follows the typed [PAD] tokens
    figure = charts(at)[0]
    assert title(figure) == "padding(pad=3)" and labels(figure, "xaxis") == ["the", "cat", "sat", PAD, PAD, PAD]


def test_a_typed_pad_the_mask_attends_is_said_so(masks_page):
    """The link sets pad=2 on a sentence ending in three [PAD] tokens: the first is drawn as a real
    token, and the page says so, with the numbers drawn."""
    at = masks_page(text=f"the cat sat {PAD} {PAD} {PAD}", scheme="padding", pad="2")
    figure = charts(at)[0]
    assert labels(figure, "xaxis") == ["the", "cat", "sat", PAD, PAD, PAD]
    assert blocked_columns(figure) == [4, 5]
    warning = pad_warning(at)
    assert "1 [PAD] key is attended as a real token (position 3)" in warning, warning
    assert "the sentence ends with 3 [PAD] tokens and the mask pads the last 2" in warning, warning


def test_typed_pads_under_a_mask_without_padding_are_said_to_be_attended(masks_page):
    at = masks_page(text=f"a b {PAD}")
    assert title(charts(at)[0]) == "causal"
    warning = pad_warning(at)
    assert "1 [PAD] key is attended as a real token (position 2)" in warning, warning
    assert "the mask has no padding term" in warning, warning


def test_compare_pads_both_masks_on_the_same_tokens(masks_page):
    """B's padding pads the tokens A is drawn on too; A (causal) then reads those [PAD] keys, and says so."""
    at = masks_page(text="the cat sat", view="compare", b_scheme="padding")
    a, b = charts(at)[:2]
    assert [title(a), title(b)] == ["A: causal", "B: padding(pad=2)"]
    assert labels(a, "xaxis") == labels(b, "xaxis") == ["the", "cat", "sat", PAD, PAD]
    assert blocked_columns(b) == [3, 4] and blocked_columns(a) == []
    assert "2 [PAD] keys are attended as real tokens (positions 3, 4) under `causal`" in pad_warning(at)


@pytest.mark.parametrize("scheme", ["padding", "cross", "causal"])
def test_a_link_left_after_a_click_on_typed_pads_opens_the_same_view(masks_page, scheme):
    """The pad control's default follows the typed [PAD]s: the address bar, which leaves a default
    out, still opens what was drawn."""
    text = f"{PAD} the cat {PAD} {PAD}"
    at = masks_page(text=text, scheme="sliding_window")
    click(at, "scheme", scheme, "causal")
    assert drawn(at) == drawn(masks_page(**address(at)))


def test_a_scheme_before_the_padding_gets_controls_for_the_padded_tokens(masks_page):
    """document & padding: the padding's [PAD] tokens are known before the document's lengths are
    drawn, so the lengths box shows the lengths drawn (they once summed to the sentence alone, and
    the page fell back with an error)."""
    at = masks_page(scheme="document", c1_op="and", c1_scheme="padding")
    assert not at.error
    assert at.text_input(key="lengths").value == "5, 4, 4"  # 11 words and 2 [PAD] tokens
    figure = charts(at)[0]
    assert title(figure) == "document(lengths=(5, 4, 4)) & padding(pad=2)"
    assert labels(figure, "xaxis") == [*WORDS, PAD, PAD] and blocked_columns(figure) == [11, 12]


@pytest.mark.parametrize("dark", [False, True])
def test_a_dimmed_padding_label_is_still_readable_text(dark):
    """A padding token's label is dimmed, not faint: at least 4.5:1 on the figure's paper (WCAG AA
    for text of a tick label's size), on the light page and the dark one. It was 3.4:1 on white."""
    from app import figures

    fig = figures.mask_figure(
        masks.build("causal", 3), ["a", "b", "[PAD]"], ["a", "b", "[PAD]"], title="t", pad_keys=[2]
    )
    if dark:
        figures.for_dark_theme(fig)
    label = fig.layout.xaxis.ticktext[2]
    colour = re.search(r"color:(#[0-9A-Fa-f]{6})", label)[1]
    assert contrast(colour, fig.layout.paper_bgcolor if dark else "#FFFFFF") >= 4.5, (colour, label)
