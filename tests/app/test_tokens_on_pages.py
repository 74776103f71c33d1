"""Tokens on the axes as a person reads them: one per emoji or accented letter, specials whole,
invisible characters named, and input help that says what the model reads."""

import html
import unicodedata

import pytest

from app.text import visible
from tests.app.conftest import charts, run_page

ATTENTION = "attention"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
ZWSP = "\u200b"


def ticks(figure: dict, axis: str) -> list[str]:
    """Tick labels as a person reads them (Plotly shows HTML entities as characters)."""
    return [html.unescape(t) for t in figure["layout"][axis]["ticktext"]]


def readable(label: str) -> bool:
    """Something shows: at least one character that is not a space, a control or a format character."""
    return any(unicodedata.category(c)[0] not in "CZ" for c in label)


@pytest.mark.parametrize(
    ("token", "named"),
    [(" ", "␣"), (ZWSP, "ZWSP"), ("\u200d", "ZWJ"), ("\u00ad", "SHY"), ("\ufeff", "BOM"), ("\u2063", "U+2063")],
)
def test_an_invisible_token_is_shown_by_name(token, named):
    assert named in visible(token) and readable(visible(token))


def test_visible_tokens_are_shown_as_typed_and_long_ones_cut_between_graphemes():
    for token in [FAMILY, THUMB_MEDIUM, "é", "[PAD]", "cat"]:
        assert visible(token) == token
    cut = visible(FAMILY * 20, limit=16)
    assert cut == FAMILY * 15 + "…"  # never half a family


def test_the_masks_page_shows_one_tick_per_perceived_character():
    text = f"{FAMILY} {THUMB_MEDIUM} e\u0301 [PAD] a{ZWSP}b"
    at = run_page("masks", text=text)
    assert not at.exception
    # the one warning: causal lets queries read that [PAD] as a real token
    assert [w.value for w in at.warning] == [
        "1 [PAD] key is attended as a real token (position 3) under `causal`: the mask has no padding term."
    ]
    figure = charts(at)[0]
    for axis in ("xaxis", "yaxis"):
        labels = ticks(figure, axis)
        assert labels[:5] == [FAMILY, THUMB_MEDIUM, "é", "[PAD]", "a"]
        assert "ZWSP" in labels[5] and labels[6] == "b"
        assert all(readable(label) for label in labels)
    assert "query '" + visible(ZWSP) + "' (5)" in html.unescape(figure["data"][0]["text"][5][0])


@pytest.mark.parametrize(("model", "text", "tokens"), [("copy", "ab ab", 4), ("random", "ab ab", 5)])
def test_the_attention_help_says_whether_spaces_are_tokens_and_the_axes_agree(model, text, tokens):
    at = run_page(ATTENTION, model=model, text=text)
    assert not at.exception and not at.error
    help_text = at.text_input(key="text").help
    head = next(f for f in charts(at) if ", head " in f["layout"]["title"]["text"])
    labels = ticks(head, "xaxis")
    assert len(labels) == tokens and all(readable(label) for label in labels)
    if tokens == 5:
        assert "a space is a token" in help_text and labels[2] == "␣"
    else:
        assert "spaces are skipped" in help_text and labels == ["a", "b", "a", "b"]


def test_the_normalization_page_names_an_invisible_word():
    at = run_page("normalization", timeout=180, sentences=f"a{ZWSP}b", depth="1")
    assert not at.exception
    cells = next(f for f in charts(at) if f["layout"]["title"]["text"] == "LayerNorm")
    labels = ticks(cells, "yaxis")
    assert labels[0] == "<b>s1 t0 a</b>" and "ZWSP" in labels[1] and labels[2] == "s1 t2 b"  # row 0: the followed one
