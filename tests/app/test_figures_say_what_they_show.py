"""Each figure says what it shows: panel titles, scales, dropout, blocked cells, the head a page
opens on (computed here independently), the UniLM view's controls, the normalization figures."""

import math
import re

import pytest
import torch

from app import figures
from model import pretrained
from tests.app.conftest import as_array, charts, head_view, run_page, shown_text, title

ATTENTION, CROSS, MASKS, NORMALIZATION = (
    "attention",
    "cross",
    "masks",
    "normalization",
)


def figure(at, words: str) -> dict:
    return next(f for f in charts(at) if words in title(f))


def panel_titles(fig: dict) -> list[str]:
    return [a["text"].replace("<br>", " ") for a in fig["layout"].get("annotations", [])]  # as read


def test_the_aggregate_panels_are_titled_mean_and_max():
    at = run_page(ATTENTION, view="aggregate")
    columns = figure(at, "mean and max over heads")["layout"]["xaxis"]["ticktext"]  # over each column of maps
    assert columns == ["mean", "max"]


def test_the_entropy_bound_is_the_one_the_mask_allows():
    """Under the copy model's causal mask, row i has i + 1 keys: uniform attention has mean entropy
    mean(log(i + 1)), well under log(T)."""
    at = run_page(ATTENTION, view="aggregate", model="copy")
    fig = figure(at, "entropy per head")
    tokens = int(re.search(r"(\d+) tokens", shown_text(at, kinds=("caption",))).group(1))
    bound = sum(math.log(i + 1) for i in range(tokens)) / tokens
    assert f"{bound:.2f} = uniform over the allowed keys" in title(fig) and f"{math.log(tokens):.2f}" not in title(fig)
    assert float(as_array(fig["data"][0]["z"]).max()) <= bound + 1e-6


@pytest.mark.parametrize("training", ["false", "true"])
def test_the_pipeline_gives_scores_and_weights_their_own_scale_and_says_if_dropout_is_on(training):
    at = run_page(ATTENTION, view="pipeline", train=training)
    fig = figure(at, "where the mask and the dropout act")
    bars = [t["colorbar"]["title"]["text"] for t in fig["data"] if t.get("showscale")]
    assert sorted(bars) == ["score", "weight"]
    weights = [t for t in fig["data"] if t.get("showscale") and t["colorbar"]["title"]["text"] == "weight"][0]
    assert weights["zmin"] == 0 and weights["zmax"] >= 1  # a weight scale, not the scores' signed one
    panels = panel_titles(fig)
    assert ("dropout off (evaluation)" in panels[3]) == (training == "false")
    assert ("after dropout (training)" in panels[3]) == (training == "true")
    assert fig["layout"]["xaxis"]["title"]["text"] == "keys" and fig["layout"]["yaxis"]["title"]["text"] == "queries"


def test_hovering_a_blocked_cell_says_which_mask_blocked_it():
    at = run_page(ATTENTION, model="copy")
    head = next(f for f in charts(at) if re.search(r"layer \d+, head \d+$", title(f)))
    text = head["data"][0]["text"]
    assert text[0][1] == "blocked under causal (as trained)"  # query 0 may not read key 1
    assert text[1][0].startswith("weight ")
    at = run_page(ATTENTION, model="copy", mask="custom", m_scheme="sliding_window")
    head = next(f for f in charts(at) if re.search(r"layer \d+, head \d+$", title(f)))
    assert "blocked under sliding_window(window=3)" in head["data"][0]["text"][5][0]


def test_a_blocked_cell_under_a_combined_mask_names_the_mask_not_each_part():
    """MiniLM with a causal mask and its padding: a future key that is no padding was "blocked by
    causal AND padding", as if padding blocked it too; the hover names the mask the cell is under."""
    at = run_page(ATTENTION, model="minilm-l6", mask="custom", m_scheme="causal", keep_pad="true", seq="2")
    head = next(f for f in charts(at) if re.search(r"layer \d+, head \d+$", title(f)))
    assert head["data"][0]["text"][0][1] == "blocked under causal AND padding"


def strongest_head(name: str) -> tuple[str, int, int, float]:
    """Recomputed here: over 200 fresh examples, the head whose argmax most often lands where the
    task's pattern says."""
    loaded = pretrained.load(name)
    batch = loaded.task.sample(torch.Generator().manual_seed(5), 200)
    with torch.no_grad():
        out = loaded.model(*batch.inputs, **batch.masks)
    kind, expected = loaded.task.expected_focus(batch)
    scored = expected >= 0
    best = (-1.0, 0, 0)
    for layer, found in enumerate(out.cross_attentions if kind == "cross" else out.attentions):
        looks_at = found.weights.argmax(dim=-1)
        for head in range(looks_at.shape[1]):
            share = (looks_at[:, head][scored] == expected[scored]).float().mean().item()
            if share > best[0]:  # a tie keeps the first head met (layer by layer)
                best = (share, layer, head)
    return kind, best[1], best[2], best[0]


@pytest.mark.parametrize(("page", "name"), [(ATTENTION, "copy"), (ATTENTION, "mirror"), (CROSS, "reverse")])
def test_a_page_opens_on_the_head_where_the_promised_pattern_is_strongest(page, name):
    kind, layer, head, share = strongest_head(name)
    at = run_page(page, model=name)
    shown = [t for t in map(title, charts(at)) if re.search(r"layer \d+, head \d+$", t)]
    assert shown == [f"{kind} attention, layer {layer}, head {head}"]
    assert f"Opens on layer {layer}, head {head}" in shown_text(at, kinds=("caption",))
    assert f"{share:.1%}" in shown_text(at, kinds=("caption",))


def test_under_a_custom_mask_the_page_quotes_no_share_measured_under_the_trained_mask():
    """The share is measured with the mask the model was trained with: under another mask the
    figure shows other weights, so the caption may name the head but not claim the number."""
    kind, layer, head, share = strongest_head("copy")
    at = run_page(ATTENTION, model="copy", mask="custom", m_scheme="full")
    captions = shown_text(at, kinds=("caption",))
    assert f"{share:.1%}" not in captions
    assert f"layer {layer}, head {head}" in captions and "trained" in captions


def test_the_unilm_view_leaves_no_scheme_control_that_does_nothing():
    at = run_page(MASKS, view="unilm")
    labels = [p.label for p in at.sidebar.get("button_group")] + [p.label for p in at.sidebar.selectbox]
    assert "Mask scheme" not in labels and not any("combine" in label.lower() for label in labels)
    assert "UniLM view draws its own four masks" in shown_text(at, kinds=("caption",))
    at = run_page(MASKS, view="mask")
    assert "Mask scheme" in [p.label for p in at.sidebar.get("button_group")]


def test_normalization_figures_use_plain_numbers_one_notation_and_say_zero():
    at = run_page(NORMALIZATION, timeout=180)
    outputs = [f for f in charts(at) if "output" in title(f) or "change when padded" in title(f)]
    for fig in outputs:
        assert fig["data"][0]["colorbar"]["exponentformat"] == "none"
    layer_change = figure(at, "LayerNorm: change when padded")
    assert title(layer_change).endswith(": 0 everywhere")  # LayerNorm ignores padding exactly
    assert float(abs(as_array(layer_change["data"][0]["z"])).max()) < 1e-9
    batch_change = figure(at, "BatchNorm: change when padded")
    assert not title(batch_change).endswith("0 everywhere")

    def read(label) -> str:  # the followed row is in bold
        return re.sub(r"</?b>", "", str(label))

    rows = [read(label) for label in figure(at, "LayerNorm output")["data"][0]["y"]]
    cells = [read(label) for label in figure(at, "LayerNorm")["layout"]["yaxis"]["ticktext"]]
    notation = re.compile(r"s\d+ t\d+ \S+")
    assert rows and all(notation.fullmatch(r) for r in rows) and all(notation.fullmatch(c) for c in cells)


def test_the_normalization_cells_draw_a_rule_between_sentences_across_all_features():
    categories = torch.zeros(3, 4, 8, dtype=torch.long)
    fig = figures.norm_cells_figure(categories, [f"row {k}" for k in range(12)], "LayerNorm")
    rules = [(s.y0, s.y1, s.x0, s.x1, s.xref, s.type) for s in fig.layout.shapes]
    assert rules == [(3.5, 3.5, 0, 1, "x domain", "line"), (7.5, 7.5, 0, 1, "x domain", "line")]


@pytest.mark.parametrize(
    ("kind", "rows", "columns"),
    [("cross", "target", "source"), ("encoder", "source", "source"), ("decoder", "target", "target")],
)
def test_cross_attention_says_which_tokens_are_the_rows_and_columns_of_the_kind_shown(kind, rows, columns):
    """The sentence under the figure names the rows and the columns of the attention picked, checked
    against the figure's own axes: the source sentence's tokens or the target's."""
    at = run_page(CROSS, kind=kind)
    said = next(c for c in shown_text(at, kinds=("caption",)).split("\n") if c.startswith("Rows are queries"))
    assert f"{rows} tokens (rows)" in said and f"{columns} tokens (columns)" in said, said
    fig = head_view(at)["figure"]["layout"]
    # the target is the decoder's input: it starts with [BOS]; the source does not
    for axis, named in (("yaxis", rows), ("xaxis", columns)):
        assert (fig[axis]["ticktext"][0] == "[BOS]") == (named == "target"), (axis, named, fig[axis]["ticktext"])
