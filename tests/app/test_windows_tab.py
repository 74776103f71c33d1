"""The Masks page's Windows tab says, per library, the parameter and whether the masks match, or why
that library cannot express the window; every sentence comes from masks.windows' data."""

import json
import re

import pytest

from masks.windows import ALL_CONVENTIONS
from tests.app.conftest import shown_text

LONGFORMER = next(c for c in ALL_CONVENTIONS if c.family == "Longformer")


def windows_tab(masks_page, window: int):
    at = masks_page(scheme="sliding_window", window=str(window), tab="Windows")
    assert not at.exception and not at.error and not at.warning
    table = at.dataframe[0].value
    return at, {row["library"]: row for row in table.to_dict("records")}


def tab_markdown(at) -> list[str]:
    return [str(m.value) for m in next(t for t in at.tabs if t.label == "Windows").markdown]


def outside_code(markdown: str) -> str:
    """The Markdown text outside code spans (a run of n backticks up to the next run of exactly n)."""
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", " ", markdown, flags=re.DOTALL)


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
    assert (
        "cannot express window 1: `attention_window=0 (even, two-sided)` fails in `LongformerModel.__init__`"
    ) in one
    assert "`config.attention_window` has to be positive" in one
    assert "cannot express window 1: `sliding_window=0` fails in `Attention.forward`" in one  # one_file_ref.py
    at, _ = windows_tab(masks_page, 2)
    two = shown_text(at)
    assert "cannot express window 2: `attention_window=2 (even, two-sided)` fails in" in two
    assert "`LongformerSelfAttention._sliding_chunks_query_key_matmul`" in two and "RuntimeError" in two


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
        assert f"sliding_window({row['ours']})" == conv.ours_call(window)
        # the long texts, under the table: the rule as code, and the code it is read from
        assert f"- {conv.library}: `{conv.rule}`, read from {conv.code}" in shown_text(at)


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
    hf = "Mistral (Hugging Face, mistral-inference)"
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


@pytest.mark.parametrize("window", [1, 2, 3])
def test_no_markdown_on_the_tab_turns_code_names_bold_or_italic(masks_page, window):
    """`__init__` outside a code span shows as a bold "init": names with underscores or stars are
    written as code, and the only emphasis left is the bold the tab means."""
    at, _ = windows_tab(masks_page, window)
    said = tab_markdown(at)
    for markdown in said:
        text = re.sub(r"\*\*[^*\n]+\*\*", " ", outside_code(markdown))  # the bold it means: **library**
        assert "__" not in text and "*" not in text, markdown
        assert not re.search(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", text), markdown  # a _ that can open or close
        assert not re.search(r"[~$<]", text), markdown  # strikethrough, LaTeX, HTML
    if window == 1:  # the user's case: Longformer's own reason names its __init__
        assert any("`LongformerModel.__init__`" in m for m in said)


@pytest.mark.parametrize("params", [{"scheme": "sliding_window", "window": "1"}, {"scheme": "causal", "win": "4096"}])
def test_the_table_fits_beside_the_sidebar_of_a_1400px_window(masks_page, params):
    """At 1400 px the grid beside the sidebar is 938 px wide (measured in Chromium); seven columns
    sized to their text ran 1829 px and were cut at the edge. A data grid does not wrap: every column
    now has a width, together within 938 px, each wide enough for its longest cell and its header
    (at 6 px a character, the mean of its 14 px Source Sans there, and 17 px of padding)."""
    at = masks_page(tab="Windows", **params)
    assert not at.exception and not at.warning
    grid = at.dataframe[0]
    config = json.loads(grid.proto.columns)
    table = grid.value
    widths = {column: config[column]["width"] for column in table.columns}
    assert sum(widths.values()) <= 938
    for column, width in widths.items():
        longest = max(len(str(cell)) for cell in [config[column].get("label", column), *table[column]])
        assert 6 * longest + 17 <= width, (column, width)


@pytest.mark.parametrize("causal", ["true", "false"])
def test_the_tabs_first_sentence_counts_the_keys_a_query_sees_both_ways(masks_page, causal):
    """Both ways a query sees its window on each side: window 4 is 7 keys, which the first sentence
    once called the keys a query sees, while the table's rows for the same window said 7."""
    at = masks_page(scheme="sliding_window", window="4", causal=causal, tab="Windows")
    first = tab_markdown(at)[0]
    assert first.startswith(
        "This mask's `window=4` (the keys a query sees on each side, itself included: 4 keys causal, 7 keys both ways)"
    )
    bidirectional = [c for c in ALL_CONVENTIONS if not c.causal]
    assert bidirectional and all(c.keys_seen(c.their_value(4)) == 7 for c in bidirectional if not c.cannot_express(4))


@pytest.mark.parametrize(("params", "window"), [({"scheme": "causal"}, 3), ({"scheme": "full", "win": "5"}, 5)])
def test_a_mask_without_a_window_is_not_said_to_have_one(masks_page, params, window):
    """A mask with no sliding window falls back to the tab's own "Window (ours)" control: the tab says
    so, and names the window picked there, never "our window" as if the mask had it."""
    at = masks_page(tab="Windows", **params)
    assert not at.exception and not at.warning
    assert at.number_input(key="win").value == window
    first = tab_markdown(at)[0]
    assert first.startswith(f"This mask has no sliding window; a `window={window}` of ours, picked above (the keys")
    assert "This mask's" not in first and "Our" not in first


def test_a_mask_with_two_windows_says_which_one_the_tab_uses(masks_page):
    at = masks_page(
        scheme="sliding_window", window="4", c1_op="and", c1_scheme="sliding_window", c1_window="2", tab="Windows"
    )
    assert not at.exception and not at.warning
    assert tab_markdown(at)[0].startswith("The first of this mask's 2 windows, `window=4` (the keys")
