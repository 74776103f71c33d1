"""Text to tokens and back, so heatmap axes carry the real tokens.

Two levels: characters (the synthetic tasks) and words with punctuation. Both know the special
tokens, written in brackets in text: [PAD] [BOS] [EOS] [SEP] [MASK] (and [UNK] for words).
A character is what a person sees as one (a grapheme cluster: an emoji with its skin tone or
joiners, a letter with its accents), after NFC normalization, so é typed either way is one token.
"""

from __future__ import annotations

import unicodedata

import regex  # the standard re has no \X (grapheme clusters)

SPECIALS = ("[PAD]", "[BOS]", "[EOS]", "[SEP]", "[MASK]")  # [PAD] is id 0, the model's pad_id
UNK = "[UNK]"
_SPECIAL = "|".join(regex.escape(s) for s in SPECIALS)
CHARACTER = regex.compile(rf"{_SPECIAL}|\X")
# a word: graphemes that start with a word character (\w of `regex` takes combining marks and
# joiners, so नमस्ते stays whole); any other grapheme but a space is a token of its own
WORD_OR_SIGN = regex.compile(rf"{_SPECIAL}|{regex.escape(UNK)}|(?:(?=\w)\X)+|(?!\s)\X")


def split_words(text: str) -> list[str]:
    """'The cat, sat.' -> ['The', 'cat', ',', 'sat', '.'] (any script; an emoji, a sign or an invisible
    character is one token; specials stay whole; spaces only separate)."""
    return WORD_OR_SIGN.findall(unicodedata.normalize("NFC", text))


def split_characters(text: str) -> list[str]:
    """'ab[SEP]é' -> ['a', 'b', '[SEP]', 'é']: one token per grapheme, spaces included."""
    return CHARACTER.findall(unicodedata.normalize("NFC", text))


class Tokenizer:
    """A fixed vocabulary: the specials first, then the symbols, in order."""

    def __init__(self, symbols: list[str], level: str = "char"):
        if level not in ("char", "word"):
            raise ValueError(f"level must be 'char' or 'word' (got {level!r})")
        self.level = level
        self.vocab = list(SPECIALS) + ([UNK] if level == "word" else []) + [s for s in symbols if s not in SPECIALS]
        self.ids = {token: k for k, token in enumerate(self.vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    def __getattr__(self, name: str) -> int:
        """tokenizer.pad_id, .bos_id, .eos_id, .sep_id, .mask_id"""
        if name.endswith("_id") and f"[{name[:-3].upper()}]" in self.__dict__.get("ids", {}):
            return self.ids[f"[{name[:-3].upper()}]"]
        raise AttributeError(name)

    def split(self, text: str) -> list[str]:
        """Text to token strings; bracketed specials stay whole. A character model skips spaces
        unless its vocabulary has them (then a space is a token like any other character)."""
        if self.level == "word":
            return split_words(text)
        return [t for t in split_characters(text) if t in self.ids or not t.isspace()]

    def encode(self, text: str) -> list[int]:
        """Ids of the tokens of `text`. A character model refuses characters it never saw,
        naming them; a word model maps unknown words to [UNK]."""
        tokens = self.split(text)
        unknown = sorted({t for t in tokens if t not in self.ids})
        if unknown and self.level == "char":
            shown = ", ".join(repr(t) for t in unknown[:10])
            raise ValueError(
                f"characters this model does not know: {shown}; it knows "
                f"{''.join(t for t in self.vocab if len(t) == 1)} and {' '.join(SPECIALS)}"
            )
        return [self.ids.get(t, self.ids.get(UNK)) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.vocab[int(k)] for k in ids]

    def to_dict(self) -> dict:
        return {"level": self.level, "vocab": list(self.vocab)}

    @classmethod
    def from_dict(cls, data: dict) -> Tokenizer:
        return cls([t for t in data["vocab"] if t not in SPECIALS and t != UNK], data["level"])
