"""The Home and Masks pages run as a user opens them: defaults, every scheme, links, bad links."""

import base64
import io
from urllib.parse import urlencode

import numpy as np
import pytest
import torch
from PIL import Image

import masks
from app import figures
from app.pages import PAGES
from app.state import LINK_LIMIT
from app.text import DEFAULT_TEXT, MAX_TOKENS
from model.tokenizer import split_words
from tests.app.conftest import as_array, charts, code_shown, run_page, shown_text, title


def test_home_shows_every_scheme_with_a_link_to_the_explorer():
    at = run_page()
    assert not at.exception
    titles = [title(fig) for fig in charts(at)]
    assert len(titles) == len(masks.SCHEMES)
    assert {t.split()[0] for t in titles} == set(masks.SCHEMES)  # the name, then its parameters
    opens = [el.proto for el in at.get("page_link") if el.proto.label.startswith("Open ")]
    assert [link.label for link in opens] == [f"Open {name}" for name in masks.SCHEMES]
    assert {link.page for link in opens} == {"masks"}


def test_home_names_every_other_page_with_a_link_and_what_it_shows():
    """Home once linked only the Masks page (through its thumbnails): a new visitor never learnt of
    the Attention, Cross-attention and Normalization pages."""
    at = run_page()
    links = {el.proto.label: el.proto.page for el in at.get("page_link")}
    captions = [c.value for c in at.caption]
    for page in PAGES[1:]:
        assert links[page.title] == page.name
        assert page.summary in captions


def test_masks_page_default_draws_causal_on_the_example_sentence(masks_page):
    at = masks_page()
    assert not at.exception and not at.warning and not at.error
    figure = charts(at)[0]
    assert title(figure) == "causal"
    tokens = split_words(DEFAULT_TEXT)
    assert figure["layout"]["xaxis"]["ticktext"] == tokens  # keys on x, labelled by the tokens
    assert figure["layout"]["yaxis"]["ticktext"] == tokens
    z = figure["data"][0]["z"]
    assert isinstance(z, dict) and z["dtype"] == "u1"  # sent as a typed array of bytes, not a list
    assert np.array_equal(as_array(z), masks.build("causal", len(tokens)).numpy())  # 1 allowed, 0 blocked


@pytest.mark.parametrize("name", list(masks.SCHEMES))
def test_every_scheme_opens_from_a_link_with_its_defaults(masks_page, name):
    at = masks_page(scheme=name)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert title(charts(at)[0]).split("(")[0] == name
    assert at.pills(key="scheme").value == name


def test_a_combination_restores_from_its_link_and_explains_empty_rows(masks_page):
    at = masks_page(c1_op="and", c1_scheme="padding", c1_side="left")
    assert title(charts(at)[0]) == "causal & padding(pad=2, side=left)"
    warning = shown_text(at, kinds=("warning",))
    assert "2 queries have no allowed key" in warning
    assert "causal allows keys 0, but padding(pad=2, side=left) blocks all of them" in warning


def test_a_deep_link_restores_parameters(masks_page):
    at = masks_page(scheme="sliding_window", window="2", causal="false", text="a b c d e")
    assert title(charts(at)[0]) == "sliding_window(window=2, causal=False)"
    assert at.number_input(key="window").value == 2
    assert at.toggle(key="causal").value is False
    assert at.text_input(key="text").value == "a b c d e"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"scheme": "<img src=x onerror=alert(1)>"}, "`scheme`"),
        ({"scheme": "sliding_window", "window": "-3"}, "`window`"),
        ({"scheme": "sliding_window", "window": "abc"}, "`window`"),
        ({"scheme": "sliding_window", "window": "2.5"}, "`window`"),
        ({"scheme": "padding", "pad": "99999"}, "`pad`"),  # more [PAD] tokens than a page draws
        ({"view": "everything"}, "`view`"),
        ({"input": "length", "n": "1000000"}, "`n`"),
        ({"scheme": "causal", "align": "`**bold**`"}, "`align`"),
        ({"c1_op": "xor"}, "`c1_op`"),
        ({"tab": "Nope"}, "`tab`"),
    ],
)
def test_a_bad_link_value_warns_naming_it_and_the_page_still_works(masks_page, params, named):
    at = masks_page(**params)
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(named in w and "is not allowed" in w for w in warnings), warnings
    assert charts(at), "the page still draws a mask"


def test_bad_document_lengths_get_the_librarys_message(masks_page):
    at = masks_page(scheme="document", lengths="3, x")
    assert not at.exception
    assert any("lengths must be" in e.value for e in at.error)
    assert title(charts(at)[0]).startswith("document(lengths=(4, 4, 3)")


def test_document_lengths_left_as_drawn_follow_a_new_sentence_and_typed_ones_stay(masks_page):
    """The lengths box shows the lengths the figure draws: left at its default, it follows a sentence
    of another length; lengths a reader typed stay, and when they no longer fit, the message names
    the lengths drawn instead."""
    at = masks_page(scheme="document")
    lengths = at.text_input(key="lengths")
    assert lengths.value == "4, 4, 3"  # 11 tokens
    at.text_input(key="text").set_value("one two three four five").run()
    assert at.text_input(key="lengths").value == "2, 2, 1" and not at.error
    assert title(charts(at)[0]).startswith("document(lengths=(2, 2, 1)")
    at.text_input(key="lengths").set_value("1, 4").run()
    at.text_input(key="text").set_value("one two three four five six seven").run()
    assert at.text_input(key="lengths").value == "1, 4"
    (error,) = [e.value for e in at.error]
    assert "lengths must sum to q_len = 7" in error and "lengths = 3, 2, 2" in error, error
    assert title(charts(at)[0]).startswith("document(lengths=(3, 2, 2)")


def test_html_in_tokens_is_shown_as_text(masks_page):
    at = masks_page(text="<img src=x onerror=alert(1)> cat")
    figure = charts(at)[0]
    labels = figure["layout"]["xaxis"]["ticktext"]
    assert "&lt;" in labels[0] and "<img" not in "".join(labels)  # escaped for Plotly, shown as typed


def test_long_text_is_capped_with_a_message(masks_page):
    at = masks_page(text="word " * (MAX_TOKENS + 10), scheme="sliding_window")
    assert not at.exception
    assert f"showing the first {MAX_TOKENS}" in shown_text(at)
    assert len(at.get("bidi_component")[0].proto.bytes) < 1_000_000


def test_a_view_whose_link_is_too_long_to_reopen_says_so(masks_page):
    """Every view is its link: 3,000 characters of Devanagari are 27 KB in a link, 12,000 are 108 KB,
    more than a server reads in one request (the page went blank on reload, "Invalid HTTP request")."""
    fits, too_long = masks_page(text="न" * 3_000), masks_page(text="न" * 12_000)
    assert "link" not in shown_text(fits, kinds=("warning",))
    warning = shown_text(too_long, kinds=("warning",))
    kilobytes = len(urlencode({"text": "न" * 12_000})) // 1000
    assert f"This view's link is {kilobytes} KB, more than the {LINK_LIMIT // 1000} KB" in warning


def test_long_sequences_are_sent_as_a_small_image(masks_page):
    at = masks_page(input="length", n="4096", scheme="bigbird")
    assert len(at.get("bidi_component")[0].proto.bytes) < 1_000_000
    figure = charts(at)[0]
    assert figure["data"][0]["type"] == "image" and "downsampled 4x" in title(figure)


def test_cross_attention_uses_the_source_for_keys(masks_page):
    at = masks_page(scheme="cross", pad="2", source="le chat dort .", text="the cat sleeps")
    figure = charts(at)[0]
    assert figure["layout"]["xaxis"]["ticktext"][:2] == ["le", "chat"]
    assert len(figure["layout"]["yaxis"]["ticktext"]) == 3
    dimmed = [label.endswith("[PAD]</span>") for label in figure["layout"]["xaxis"]["ticktext"]]
    assert dimmed == [False] * 4 + [True] * 2  # the source padded with two [PAD] tokens, dimmed


def test_compare_view_draws_both_masks_and_their_difference(masks_page):
    at = masks_page(view="compare", b_scheme="prefix_lm")
    titles = [title(f) for f in charts(at)]
    assert titles[:2] == ["A: causal", "B: prefix_lm(prefix=3)"]
    assert titles[2].startswith("difference")
    z = charts(at)[2]["data"][0]["z"]
    assert not at.exception and z


def test_unilm_view_draws_the_four_masks(masks_page):
    """One figure, side by side: the point is that only the mask changes."""
    at = masks_page(view="unilm", unilm_prefix="4")
    (figure,) = charts(at)
    panels = [note["text"] for note in figure["layout"]["annotations"]]
    assert panels == ["bidirectional (BERT)", "left-to-right (GPT)", "right-to-left", "seq-to-seq (prefix of 4)"]
    maps = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    n = as_array(maps[0]["z"]).shape[0]
    tokens = torch.ones(n, n, dtype=torch.bool)
    expected = [tokens, tokens.tril(), tokens.triu(), masks.build("prefix_lm", n, prefix=4)]
    for trace, mask in zip(maps, expected, strict=True):
        assert np.array_equal(as_array(trace["z"]) == 1, mask.numpy()), trace["xaxis"]


def test_code_tab_shows_code_that_builds_the_mask(masks_page):
    at = masks_page(scheme="chunked", chunk="2", causal="true")
    code = code_shown(at)
    plain = next(c for c in code if c.startswith("import torch"))
    namespace = {}
    exec(plain, namespace)  # the Code tab's text, run as a user would paste it
    tokens = split_words(DEFAULT_TEXT)
    assert (namespace["mask"] == masks.build("chunked", len(tokens), chunk=2, causal=True)).all()


def test_windows_tab_writes_each_librarys_parameter_and_checks_the_masks(masks_page):
    at = masks_page(scheme="sliding_window", window="4", tab="Windows")
    table = at.dataframe[0].value
    assert table["their parameter"].tolist()[:2] == ["sliding_window=4", "generate_sliding_window(3)"]
    assert set(table["same mask"]) == {"yes"}


def test_a_downsampled_pixel_is_the_colour_mix_of_its_block():
    torch.manual_seed(0)
    z = torch.randint(0, 3, (2051, 1030), dtype=torch.uint8)  # 3x blocks, cut short at both edges
    colors = [figures.BLOCKED, figures.ALLOWED, figures.EMPTY_ROW]
    figure = figures.category_figure(z, colors, ["a", "b", "c"], ["q"] * 2051, ["k"] * 1030, title="t")
    png = base64.b64decode(figure.data[0].source.split(",", 1)[1])
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert pixels.shape == (684, 344, 3)  # ceil(2051 / 3) x ceil(1030 / 3)
    palette = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=float)
    for row, col in [(0, 0), (100, 200), (683, 343), (683, 0), (0, 343)]:  # inside and on both edges
        block = z[3 * row : 3 * row + 3, 3 * col : 3 * col + 3].flatten().long().numpy()
        assert np.allclose(pixels[row, col], palette[block].mean(axis=0), atol=0.51)


@pytest.mark.parametrize(
    "params", [{"scheme": "padding", "pad": "2"}, {"input": "length", "n": "100", "scheme": "padding", "pad": "5"}]
)
def test_conventions_tab_gives_the_whole_hugging_face_attention_mask(masks_page, params):
    """The Hugging Face attention_mask is code that builds every key's entry: it was cut at 64
    entries with no sign of it, so 100 keys with 5 of padding showed only ones."""
    at = masks_page(**params, tab="Conventions")
    shown = next(c for c in code_shown(at) if c.startswith("attention_mask = "))
    namespace = {"torch": torch}
    exec(shown, namespace)  # the tab's text, run as a user would paste it
    n = int(params.get("n", len(split_words(DEFAULT_TEXT))))
    expected = [1] * n + [0] * int(params["pad"])  # the [PAD] tokens added after the n tokens
    assert namespace["attention_mask"].tolist() == [expected]


def test_hover_names_the_terms_that_block_a_cell(masks_page):
    """chunked & ~causal: a cell is blocked by chunked where chunked blocks it, by ~causal where
    causal allows it. The hover once named every part whose own mask blocked the cell (causal for a
    future key, which ~causal allows) and nothing for a past key in the same chunk."""
    at = masks_page(scheme="chunked", c1_op="and_not", c1_scheme="causal")
    figure = charts(at)[0]
    assert title(figure).startswith("chunked(chunk=4) & ~causal")
    hover = figure["data"][0]["text"]
    assert hover[0][5].endswith("<br>blocked (chunked(chunk=4))")  # another chunk, a future key
    assert hover[1][0].endswith("<br>blocked (~causal)")  # the same chunk, a past key
    assert hover[0][0].endswith("<br>blocked (~causal)")  # itself: causal allows it
