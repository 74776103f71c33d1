"""The Normalization page: runs, restores its link, warns on bad values, shows autograd's numbers."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.proto.Block_pb2 import Block as BlockProto

from model.normalization import tiny_config
from model.transformer import Transformer
from tests.app.conftest import as_array, charts, run_page, title
from tests.model.test_normalization import check_trend

PAGE = "normalization"


def test_page_runs_with_defaults_and_draws_every_figure():
    at = run_page(PAGE, timeout=180)
    assert not at.exception and not at.warning
    titles = [title(f) for f in charts(at)]
    assert "LayerNorm" in titles and "BatchNorm" in titles
    assert any("FFN weight W²" in t for t in titles)
    header, layer, batch, *_ = shown_table(at)
    assert header[1] == "moves with 4 more padding" and (layer[0], batch[0]) == ("LayerNorm", "BatchNorm")
    assert float(layer[1]) == 0.0  # LayerNorm does not move with more padding
    assert float(batch[1]) > 0.0  # BatchNorm does


def shown_table(at) -> list[list[str]]:
    """The rows of the table the page shows (a Markdown table), its header first."""
    table = next(m.value for m in at.markdown if m.value.startswith("| normalization |"))
    lines = [line for line in table.splitlines() if not line.startswith("|---")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def test_the_pages_gradient_numbers_equal_autograd():
    at = run_page(PAGE, timeout=180, depth="2", init="normal")
    figure = next(f for f in charts(at) if "FFN weight W²" in title(f))
    post = next(trace for trace in figure["data"] if trace["name"] == "Post-LN")["y"]
    expected = []
    for layer in range(2):
        per_seed = []
        for seed in range(3):
            generator = torch.Generator().manual_seed(seed)
            model = Transformer(tiny_config(2, "post", "normal"), generator=generator)
            tokens = torch.randint(1, 64, (4, 17), generator=generator)
            loss = F.cross_entropy(model(tokens[:, :-1]).logits.flatten(0, 1), tokens[:, 1:].flatten())
            per_seed.append(torch.autograd.grad(loss, model.blocks[layer].ff.down.weight)[0].norm().item())
        expected.append(sum(per_seed) / 3)
    assert post == pytest.approx(expected, rel=1e-5)


def test_a_link_restores_the_batch_and_choices():
    at = run_page(PAGE, timeout=180, sentences="a b c\nd e", pick="1", extra_pad="2", depth="3")
    assert at.text_area(key="sentences").value == "a b c\nd e"
    assert at.number_input(key="pick").value == 1 and at.number_input(key="depth").value == 3
    assert shown_table(at)[0][1] == "moves with 2 more padding"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"depth": "99"}, "`depth`"),
        ({"init": "zeros"}, "`init`"),
        ({"pick": "-1"}, "`pick`"),
        ({"extra_pad": "lots"}, "`extra_pad`"),
    ],
)
def test_bad_link_values_warn_and_fall_back(params, named):
    at = run_page(PAGE, timeout=180, **params)
    assert not at.exception
    assert any(named in w.value for w in at.warning)


def notices_in_view(at) -> list[str]:
    """The notices a reader sees without opening anything: those outside every folded expander."""
    seen = []

    def walk(node):
        if isinstance(getattr(node, "proto", None), BlockProto.Expandable) and not node.proto.expanded:
            return
        if type(node).__name__ in ("Info", "Warning", "Error"):
            seen.append(str(node.value))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return seen


@pytest.mark.parametrize("present", ["false", "true"])
def test_empty_batch_falls_back_to_the_example_with_a_message_in_view(present):
    """In presentation mode the batch's controls are folded: the message must not fold with them."""
    at = run_page(PAGE, timeout=180, sentences="   ", present=present)
    assert not at.exception
    assert any("showing the example batch" in notice for notice in notices_in_view(at))


def test_the_page_states_the_findings_of_the_setting_it_shows():
    """The issue's counterexample: GPT-2's init, where Post-LN's gradients are the small ones."""
    from model.normalization import last_layer_by_depth, placement_findings, placement_study

    at = run_page(PAGE, timeout=180, depth="4", init="normal")
    said = [str(m.value) for m in at.markdown]
    assert all(s in said for s in placement_findings(placement_study(4, "normal"), last_layer_by_depth(4, "normal")))
    assert "do not shrink" not in " ".join(said)


def drawn_values(y) -> list[float]:
    """A line's y values as sent: a list, or a typed array."""
    return [float(v) for v in (np.ravel(as_array(y)) if isinstance(y, dict) else y)]


@pytest.mark.parametrize("init", ["normal", "xavier"])
def test_the_trend_words_are_earned_by_the_charts_numbers(init):
    """Read back from the page: each series' word fits the values its chart draws (GPT-2's init drew
    Pre-LN's gradient 17% lower at the output than at layer 1, and the page said it "falls"), and the
    numbers quoted are those values."""
    at = run_page(PAGE, timeout=180, depth="6", init=init)
    drawn = {
        title(f): {trace["name"]: drawn_values(trace["y"]) for trace in f["data"]}
        for f in charts(at)
        if "gradient norm" in title(f)
    }
    layers = drawn["gradient norm of each layer's FFN weight W²"]
    depths = drawn["last layer's FFN gradient norm as depth grows"]
    text = next(str(m.value) for m in at.markdown if "As depth grows" in str(m.value))
    across, deeper = text.split("As depth grows")
    check_trend(across, "Pre-LN's gradient", layers["Pre-LN"], "layer")
    check_trend(across, "Post-LN's", layers["Post-LN"], "layer")
    check_trend(deeper, "Pre-LN's last-layer gradient", depths["Pre-LN"], "depth")
    check_trend(deeper, "Post-LN's", depths["Post-LN"], "depth")


def test_hovering_a_cell_of_the_averaged_cells_names_its_row_feature_and_role():
    """The maps are (sentence, position) x feature: the hover once read "query s3 t0 it, key f2",
    words of the attention maps, and did not say whether the cell is averaged."""
    at = run_page("normalization")
    cells = [f for f in charts(at) if title(f).startswith("LayerNorm") and "output" not in title(f)][0]
    hover = cells["data"][0]["text"]
    roles = "not averaged|averaged|padding, averaged|padding|this cell"
    assert all(re.fullmatch(rf"s\d+ t\d+ \S+, f\d+: ({roles})", re.sub("</?b>", "", t)) for row in hover for t in row)
    assert hover[0][0] == "s1 t0 the, f0: not averaged"  # LayerNorm follows sentence 2's first token
    assert sum(t.endswith(": this cell") for row in hover for t in row) == 1


@pytest.mark.parametrize("present", ["false", "true"])
def test_the_layernorm_and_batchnorm_cells_side_by_side_have_their_rows_level(present):
    """The two maps of averaged cells stand side by side: the same rows at the same heights, though
    BatchNorm's legend names a category LayerNorm's has not (the padding it averages) and may take
    a row more under the cells."""
    at = run_page("normalization", present=present)
    cells = [next(f for f in charts(at) if title(f) == name) for name in ("LayerNorm", "BatchNorm")]
    legends = [{t["name"] for t in f["data"] if t.get("showlegend")} for f in cells]
    assert "padding, averaged" in legends[1] - legends[0]  # what makes their bottoms differ
    layouts = [f["layout"] for f in cells]
    assert layouts[0]["height"] == layouts[1]["height"]
    assert [(lay["margin"]["t"], lay["margin"]["b"]) for lay in layouts] == [
        (layouts[0]["margin"]["t"], max(lay["margin"]["b"] for lay in layouts))
    ] * 2
