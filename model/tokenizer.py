"""Text to tokens: words and punctuation, so heatmap axes carry the real tokens."""

from __future__ import annotations

import re

WORD_OR_PUNCTUATION = re.compile(r"\w+|[^\w\s]")


def split_words(text: str) -> list[str]:
    """'The cat, sat.' -> ['The', 'cat', ',', 'sat', '.'] (any script; no token is dropped)."""
    return WORD_OR_PUNCTUATION.findall(text)
