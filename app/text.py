"""Tokens for the axes: typed text split into words, or numbered positions, within a cap."""

from __future__ import annotations

from model.tokenizer import split_words

MAX_TOKENS = 4096  # the longest sequence a page draws (an image above 256, downsampled above 1024)
DEFAULT_TEXT = "the cat sat on the mat because it was tired ."
DEFAULT_SOURCE = "le chat était assis sur le tapis ."


def quoted(text: str, limit: int | None = 40) -> str:
    """Text from a user (or a message quoting one) as a Markdown code span: shown as typed, since
    nothing inside a code span becomes a link, an image, an autolink, HTML or `:color[...]` (escaping
    punctuation is not enough: Streamlit autolinks `http\\://...` after resolving the escapes).
    Backticks become quotes and line breaks spaces, so the span cannot close early; `limit` cuts it."""
    if not text.strip():  # an empty code span does not render: its backticks would show as typed
        return "(empty)" if not text else f"({len(text)} blank characters)"
    text = text.replace("`", "'").replace("\r", " ").replace("\n", " ")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"`{text}`"


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
