import pytest

from model.tokenizer import SPECIALS, Tokenizer, split_words


def test_char_tokens_round_trip_with_specials_in_brackets():
    t = Tokenizer(list("abc"))
    assert t.vocab[: len(SPECIALS)] == list(SPECIALS) and t.pad_id == 0
    ids = t.encode("[BOS]a b[MASK]c[EOS]")
    assert t.decode(ids) == ["[BOS]", "a", "b", "[MASK]", "c", "[EOS]"]


def test_unknown_characters_are_named_not_crashed_on():
    t = Tokenizer(list("abc"))
    with pytest.raises(ValueError) as error:
        t.encode("abz<é")
    message = str(error.value)
    assert "'z'" in message and "'<'" in message and "'é'" in message and "abc" in message


def test_word_tokens_map_unknown_words_to_unk():
    t = Tokenizer(["the", "cat", "."], level="word")
    assert t.decode(t.encode("the dog [MASK] .")) == ["the", "[UNK]", "[MASK]", "."]


def test_split_words_keeps_punctuation_and_any_script():
    assert split_words("Le chat, été!") == ["Le", "chat", ",", "été", "!"]


def test_tokenizer_survives_a_round_trip_through_a_dict():
    t = Tokenizer(["x", "y"], level="word")
    assert Tokenizer.from_dict(t.to_dict()).vocab == t.vocab
