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


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦: four people and three joiners
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽: a thumb and a skin tone
E_DECOMPOSED = "e\u0301"  # e and a combining acute accent: é as some keyboards and macOS file names type it


def test_a_word_token_is_what_a_person_reads_as_one_word_or_one_sign():
    assert split_words(f"{FAMILY} {THUMB_MEDIUM}!") == [FAMILY, THUMB_MEDIUM, "!"]
    assert split_words(f"caf{E_DECOMPOSED} cre\u0300me") == ["caf\u00e9", "cr\u00e8me"]  # as if typed precomposed
    assert split_words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # vowel signs and virama stay in their word


def test_special_tokens_typed_in_text_stay_whole():
    assert split_words("[BOS] the cat [MASK][PAD] [SEP][UNK][EOS]") == [
        "[BOS]", "the", "cat", "[MASK]", "[PAD]", "[SEP]", "[UNK]", "[EOS]"
    ]  # fmt: skip
    assert split_words("[pad] [CLS]") == ["[", "pad", "]", "[", "CLS", "]"]  # only the model's own specials


def test_an_invisible_character_is_a_token_of_its_own_not_dropped():
    assert split_words("a\u200bb c\u00add") == ["a", "\u200b", "b", "c", "\u00ad", "d"]


def test_a_character_token_is_one_grapheme():
    t = Tokenizer(["a", "b", FAMILY, THUMB_MEDIUM, "é"])
    assert t.split(f"a{FAMILY}{THUMB_MEDIUM}{E_DECOMPOSED}b") == ["a", FAMILY, THUMB_MEDIUM, "é", "b"]
    assert t.decode(t.encode(f"[BOS]{E_DECOMPOSED}[EOS]")) == ["[BOS]", "é", "[EOS]"]


def test_a_character_model_names_an_unknown_emoji_whole():
    with pytest.raises(ValueError) as error:
        Tokenizer(list("abc")).encode(f"ab{THUMB_MEDIUM}")
    assert repr(THUMB_MEDIUM) in str(error.value)


def test_spaces_are_tokens_only_for_a_model_that_knows_the_space():
    assert Tokenizer(list("ab")).split("a b") == ["a", "b"]
    assert Tokenizer(list("ab ")).split("a b") == ["a", " ", "b"]


def test_unk_is_special_for_words_only():
    assert Tokenizer(list("[UNK]")).split("[UNK]") == list("[UNK]")  # a character model has no [UNK]
    assert Tokenizer(["x"], level="word").split("[UNK]") == ["[UNK]"]
