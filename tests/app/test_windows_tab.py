"""The Masks page's Windows tab says, per library, the parameter and whether the masks match, or why
that library cannot express the window; every sentence comes from masks.windows' data."""

import pytest

from masks.windows import ALL_CONVENTIONS
from tests.app.conftest import shown_text

LONGFORMER = next(c for c in ALL_CONVENTIONS if c.family == "Longformer")


def windows_tab(masks_page, window: int):
    at = masks_page(scheme="sliding_window", window=str(window), tab="Windows")
    assert not at.exception and not at.error and not at.warning
    table = at.dataframe[0].value
    return at, {row["library"]: row for row in table.to_dict("records")}


@pytest.mark.parametrize("window", [1, 2])
def test_longformer_windows_1_and_2_are_said_to_be_inexpressible(masks_page, window):
    at, rows = windows_tab(masks_page, window)
    text = shown_text(at)
    assert f"**{LONGFORMER.library}** {LONGFORMER.cannot_express(window)}" in text
    row = rows[LONGFORMER.library]
    assert row["their parameter"] == "—" and row["keys per query"] == "—"
    assert row["same mask"] == f"cannot express window {window}"
    assert f"attention_window={2 * window - 2}" not in " ".join(str(v) for v in rows[LONGFORMER.library].values())


def test_window_1_and_2_reasons_as_a_reader_sees_them(masks_page):
    at, _ = windows_tab(masks_page, 1)
    one = shown_text(at)
    assert "cannot express window 1: `attention_window=0 (even, two-sided)` fails in LongformerSelfAttention" in one
    assert "has to be positive. Given 0" in one
    assert "cannot express window 1: `sliding_window=0` fails in Attention.forward" in one  # one_file_ref.py
    at, _ = windows_tab(masks_page, 2)
    two = shown_text(at)
    assert "cannot express window 2: `attention_window=2 (even, two-sided)` fails in" in two
    assert "_sliding_chunks_query_key_matmul" in two and "RuntimeError" in two


@pytest.mark.parametrize("window", [3, 4])
def test_longformer_from_window_3_gives_its_parameter_and_the_same_mask(masks_page, window):
    at, rows = windows_tab(masks_page, window)
    row = rows[LONGFORMER.library]
    assert row["their parameter"] == f"attention_window={2 * window - 2} (even, two-sided)"
    assert row["same mask"] == "yes" and row["keys per query"] == str(2 * window - 1)
    assert "cannot express" not in shown_text(at)


@pytest.mark.parametrize("window", [1, 2, 3, 4])
def test_every_row_is_the_datas_parameter_and_a_computed_verdict(masks_page, window):
    at, rows = windows_tab(masks_page, window)
    assert list(rows) == [c.library for c in ALL_CONVENTIONS]
    for conv in ALL_CONVENTIONS:
        row = rows[conv.library]
        if conv.cannot_express(window):
            assert row["same mask"] == f"cannot express window {window}"
        else:
            assert row["their parameter"] == conv.written(window)
            assert row["same mask"] == "yes"
            assert row["keys per query"] == str(window if conv.causal else 2 * window - 1)
        assert row["their rule"] == conv.rule and row["code"] == conv.code


def test_the_tab_says_hugging_faces_bidirectional_window_w_is_our_window_w_plus_1(masks_page):
    at, rows = windows_tab(masks_page, 3)
    text = shown_text(at)
    assert (
        "Hugging Face, bidirectional: `sliding_window=3, is_causal=False` sees 7 keys, "
        "our `sliding_window(window=4, causal=False)`"
    ) in text
    assert rows["Hugging Face, bidirectional"]["their parameter"] == "sliding_window=2, is_causal=False"


def test_the_tab_names_which_code_mistral_means(masks_page):
    at, rows = windows_tab(masks_page, 3)
    text = shown_text(at)
    hf = "Mistral (Hugging Face MistralModel, mistral-inference xformers cache)"
    ref = "Mistral (reference one_file_ref.py)"
    assert rows[hf]["their parameter"] == "sliding_window=3"
    assert rows[ref]["their parameter"] == "sliding_window=2"
    assert (
        f"“Mistral” names 2 rules that read 3 differently: {hf} (`sliding_window=3`) sees 3 keys, "
        f"{ref} (`sliding_window=3`) sees 4 keys."
    ) in text


def test_a_bad_window_link_is_a_message_not_a_traceback(masks_page):
    at = masks_page(scheme="causal", win="-1", tab="Windows")
    assert not at.exception
    assert "`win`" in at.warning[0].value
    assert at.dataframe[0].value["their parameter"].tolist()[0] == "sliding_window=3"
