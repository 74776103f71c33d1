"""Tokens for the axes: typed text split into words, or numbered positions, within a cap."""

from __future__ import annotations

import regex

from model.tokenizer import split_words

# what a person cannot see on an axis: spaces, controls, format characters (joiners, zero width
# space, soft hyphen, BOM) and the other characters Unicode says to draw as nothing
INVISIBLE = regex.compile(r"[\p{Z}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]+")
# their usual short names (Unicode's abbreviations); any other one is written ⟨U+XXXX⟩
INVISIBLE_NAMES = {
    " ": "␣",
    "\t": "⟨TAB⟩",
    "\n": "⟨LF⟩",
    "\r": "⟨CR⟩",
    "\u00a0": "⟨NBSP⟩",
    "\u00ad": "⟨SHY⟩",
    "\u200b": "⟨ZWSP⟩",
    "\u200c": "⟨ZWNJ⟩",
    "\u200d": "⟨ZWJ⟩",
    "\u200e": "⟨LRM⟩",
    "\u200f": "⟨RLM⟩",
    "\u2060": "⟨WJ⟩",
    "\ufeff": "⟨BOM⟩",
}
# the marks and embeddings, overrides and isolates that reorder the text around them (Unicode's bidi controls)
BIDI_CONTROLS = regex.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
WORDS_HELP = (
    "Split as a reader sees it: a word (letters, digits and their accents) is one token, and so is each "
    "other sign: a punctuation mark, an emoji with its skin tone or joiners. [PAD] [BOS] [EOS] [SEP] [MASK] "
    "[UNK] typed as themselves are one token each. Spaces only separate; an invisible character (a zero "
    "width space, a soft hyphen) is a token, shown by name, e.g. ⟨ZWSP⟩. Text is NFC-normalized: é is one "
    "character however it was typed."
)
PAD = "[PAD]"
MAX_TOKENS = 4096  # the longest sequence a page draws (an image above 256, downsampled above 1024)
DEFAULT_TEXT = "the cat sat on the mat because it was tired ."
DEFAULT_SOURCE = "le chat était assis sur le tapis ."


def counted(n: int, one: str, many: str) -> str:
    """'1 query has', '2 queries have': a count and the words that agree with it."""
    return f"{n} {one if n == 1 else many}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A table as Markdown, for the app's own words and numbers (a user's text goes through `quoted`
    first): a cell's `|` would end the cell, and a line break the row."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])


def quoted(text: str, limit: int | None = 40) -> str:
    """Text from a user (or a message quoting one) as a Markdown code span: shown as typed, since
    nothing inside a code span becomes a link, an image, an autolink, HTML or `:color[...]` (escaping
    punctuation is not enough: Streamlit autolinks `http\\://...` after resolving the escapes).
    Backticks become quotes and line breaks spaces, so the span cannot close early; bidirectional
    controls are named, so a value's U+202E cannot turn the app's words after it around; `limit` cuts it."""
    if not text.strip():  # an empty code span does not render: its backticks would show as typed
        return "(empty)" if not text else f"({len(text)} blank characters)"
    text = text.replace("`", "'").replace("\r", " ").replace("\n", " ")
    text = BIDI_CONTROLS.sub(lambda found: INVISIBLE_NAMES.get(found[0], f"⟨U+{ord(found[0]):04X}⟩"), text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"`{text}`"


def visible(token: str, limit: int | None = None) -> str:
    """A token as a label a person can read: a token of invisible characters names each one (␣ for
    a space, ⟨ZWSP⟩, ⟨U+2063⟩), so no position has a blank label; others show as typed, cut after
    `limit` graphemes (never inside an emoji or an accented letter)."""
    if INVISIBLE.fullmatch(token):
        return "".join(INVISIBLE_NAMES.get(c, f"⟨U+{ord(c):04X}⟩") for c in token)
    if limit is not None and len(token) > limit:  # fewer characters cannot make more graphemes
        graphemes = regex.findall(r"\X", token)
        if len(graphemes) > limit:
            return "".join(graphemes[: limit - 1]) + "…"
    return token


def positions(n: int) -> list[str]:
    return [str(k) for k in range(n)]


def tokens_from_text(text: str, what: str = "text") -> tuple[list[str], str | None]:
    """The tokens of `text`, and a notice when it had to be cut or was empty."""
    tokens = split_words(text or "")
    if not tokens:
        return split_words(DEFAULT_TEXT), f"The {what} has no tokens; showing the example sentence."
    if len(tokens) > MAX_TOKENS:
        return tokens[:MAX_TOKENS], (
            f"The {what} has {len(tokens)} tokens; showing the first {MAX_TOKENS}, the most a page draws."
        )
    return tokens, None


def typed_padding(tokens: list[str]) -> tuple[int, int]:
    """How many [PAD] tokens start and end `tokens` (all of them, both ways, if nothing else is typed)."""
    start = next((k for k, token in enumerate(tokens) if token != PAD), len(tokens))
    end = next((k for k, token in enumerate(reversed(tokens)) if token != PAD), len(tokens))
    return start, end


def padded(tokens: list[str], start: int, end: int) -> list[str]:
    """`tokens` with [PAD] tokens added, as a batch pads a sentence, until `start` of them begin it and
    `end` end it (the [PAD] tokens typed there count)."""
    typed_start, typed_end = typed_padding(tokens)
    return [PAD] * max(0, start - typed_start) + tokens + [PAD] * max(0, end - typed_end)


INT_DIGITS = 18  # more than any control's range needs; Python's int() refuses past 4,300 digits


def parse_int(raw: str) -> int | None:
    """An integer written in ASCII digits, else None: `int()` alone also takes "٣" and "1_000",
    `str.isdigit()` takes "²", which `int()` then refuses, and so is a number of 4,301 digits."""
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    ok = digits.isascii() and digits.isdigit() and len(digits.lstrip("0")) <= INT_DIGITS
    return int(text) if ok else None
