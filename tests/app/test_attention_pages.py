"""Attention and Cross-attention pages: every checkpoint, masks, links, and the numbers drawn."""

import json

import numpy as np
import pytest
import torch

from model import pretrained
from model.tasks import TASKS
from tests.app.conftest import as_array, charts, head_view, run_page, shown_text, title

ATTENTION, CROSS = "attention", "cross"


def head_figure(at) -> dict:
    return next(f for f in charts(at) if ", head " in title(f) and "layers x heads" not in title(f))


@pytest.mark.parametrize("name", ["copy", "mirror", "reverse_prefix", "random"])
def test_every_decoder_and_encoder_model_opens(name):
    at = run_page(ATTENTION, model=name)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert f"Model **{name}**" in shown_text(at, kinds=("caption",))  # the page says it runs the linked model
    assert title(charts(at)[0]).startswith("self attention: layers x heads, ")


@pytest.mark.parametrize("name", ["reverse", "sort", "random"])
@pytest.mark.parametrize("kind", ["cross", "encoder", "decoder"])
def test_every_encoder_decoder_model_and_attention_kind_opens(name, kind):
    at = run_page(CROSS, model=name, kind=kind)
    assert not at.exception and not at.error
    assert title(charts(at)[0]).startswith(f"{kind} attention: layers x heads, ")


def test_the_drawn_head_is_the_models_own_weights():
    at = run_page(ATTENTION, model="copy", layer="1", head="1")
    drawn = as_array(head_figure(at)["data"][0]["z"])
    loaded = pretrained.load("copy")
    ids = torch.tensor([loaded.tokenizer.encode(loaded.task.example)])
    with torch.no_grad():
        out = loaded.model(ids, **loaded.default_masks(ids))
    weights, mask = out.attentions[1].weights[0, 1], out.masks["self"][0, 0]
    assert drawn.shape == tuple(mask.shape)
    assert np.allclose(drawn[mask.numpy()], weights[mask].numpy(), atol=1e-6)
    assert np.isnan(drawn[~mask.numpy()]).all()  # blocked: not drawn, never a weight of 0


def test_the_grid_puts_layer_l_head_h_in_row_l_column_h():
    at = run_page(ATTENTION, model="mirror")  # 3 layers x 4 heads
    grid = next(f for f in charts(at) if "layers x heads" in title(f))
    x, y = grid["layout"]["xaxis"], grid["layout"]["yaxis"]
    assert x["ticktext"] == ["head 0", "1", "2", "3"] and y["ticktext"] == ["layer 0", "1", "2"]
    drawn = as_array(grid["data"][0]["z"])
    loaded = pretrained.load("mirror")
    ids = torch.tensor([loaded.tokenizer.encode(TASKS["mirror"].example)])
    with torch.no_grad():
        out = loaded.model(ids, **loaded.default_masks(ids))
    T = ids.shape[1]
    for layer in range(3):
        for head in range(4):  # the map under column "head h", in row "layer l", is that head's weights
            top, left = round(y["tickvals"][layer] - (T - 1) / 2), round(x["tickvals"][head] - (T - 1) / 2)
            block = drawn[top : top + T, left : left + T]
            expected = out.attentions[layer].weights[0, head].numpy()
            assert np.allclose(np.nan_to_num(block, nan=-1), np.where(out.masks["self"][0, 0], expected, -1), atol=1e-6)
    blank = np.ones(drawn.shape[1], dtype=bool)
    for head in range(4):
        blank[round(x["tickvals"][head] - (T - 1) / 2) : round(x["tickvals"][head] + (T + 1) / 2)] = False
    assert np.isnan(drawn[:, blank]).all()  # between the maps: nothing drawn


def test_a_custom_mask_changes_what_the_model_may_attend():
    at = run_page(ATTENTION, model="copy", mask="custom", m_scheme="sliding_window", m_window="2")
    assert not at.exception
    drawn = as_array(head_figure(at)["data"][0]["z"])
    for i, row in enumerate(drawn):
        assert np.flatnonzero(~np.isnan(row)).tolist() == [j for j in (i - 1, i) if j >= 0]
    assert "sliding_window(window=2)" in shown_text(at, kinds=("caption",))


def test_a_decoder_under_a_bidirectional_mask_looks_ahead():
    at = run_page(ATTENTION, model="copy", mask="custom", m_scheme="full")
    z = as_array(head_figure(at)["data"][0]["z"])
    assert not np.isnan(z[0]).any()  # the first token now sees every key, future included


def test_a_deep_link_restores_view_layer_head_and_training():
    at = run_page(ATTENTION, model="mirror", view="pipeline", layer="2", head="2", train="true", p="30", seed="4")
    assert at.pills(key="view").value == "pipeline"
    assert head_view(at)["heads"]["drawn"] == [2, 2]
    figure = charts(at)[0]
    assert "layer 2, head 2" in title(figure)
    softmax, dropped = as_array(figure["data"][2]["z"]), as_array(figure["data"][3]["z"])
    assert ((softmax > 0) & (dropped == 0)).sum() > 0  # training mode dropped some allowed weights


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"model": "<script>alert(1)</script>"}, "`model`"),
        ({"layer": "9"}, "`layer`"),
        ({"head": "-1"}, "`head`"),
        ({"view": "everything"}, "`view`"),
        ({"mask": "none"}, "`mask`"),
        ({"train": "maybe", "view": "pipeline"}, "`train`"),
    ],
)
def test_bad_link_values_warn_and_fall_back(params, named):
    at = run_page(ATTENTION, **params)
    assert not at.exception
    assert any(named in w.value for w in at.warning), [w.value for w in at.warning]
    assert charts(at)


def test_text_the_model_cannot_read_is_named_and_the_example_shown():
    at = run_page(ATTENTION, model="copy", text="abz!?")
    assert not at.exception
    message = shown_text(at, kinds=("error",))
    assert "'z'" in message and "'!'" in message and "'?'" in message
    assert "Showing the example input instead" in shown_text(at, kinds=("info",))


def test_too_long_input_is_cut_with_a_message():
    at = run_page(ATTENTION, model="copy", text="abcdefghij" * 10)
    assert not at.exception
    assert "this model reads at most 28" in shown_text(at, kinds=("warning",))


def test_cross_attention_is_rectangular_with_each_sides_padding():
    at = run_page(CROSS, model="reverse", source="abcd", target="dcba", src_pad="2", tgt_pad="1")
    z = as_array(head_figure(at)["data"][0]["z"])
    assert z.shape == (6, 6)  # [BOS] d c b a [PAD] x a b c d [PAD] [PAD]
    assert np.isnan(z[:, 4:]).all()  # source padding hidden
    enc = run_page(CROSS, model="reverse", source="abcd", src_pad="2", kind="encoder")
    assert as_array(head_figure(enc)["data"][0]["z"]).shape == (6, 6)


def test_cross_attention_of_reverse_is_the_anti_diagonal_on_the_page():
    at = run_page(CROSS, model="reverse", source="abcdef", layer="1", head="0")
    z = as_array(head_figure(at)["data"][0]["z"])  # rows: [BOS] f e d c b a, columns: a b c d e f
    assert z[:6].argmax(axis=1).tolist() == [5, 4, 3, 2, 1, 0]


def test_the_example_is_one_click_away():
    at = run_page(ATTENTION, model="copy", text="ab")
    next(b for b in at.button if b.label == "Use the example input").click().run()
    assert at.text_input(key="text").value == "[BOS]fcamkdfcamkd[EOS]"
    assert not at.exception


def test_html_in_the_source_is_refused_by_name_not_rendered():
    at = run_page(CROSS, model="reverse", source="<img src=x onerror=alert(1)>")
    assert not at.exception
    assert "'<'" in shown_text(at, kinds=("error",)) and "Showing the example source" in shown_text(at)


@pytest.mark.parametrize(
    "settings",
    [
        {"view": "grid"},  # blocked cells: hover text per cell
        {"view": "grid", "model": "mirror"},  # nothing blocked: no hover text
        {"view": "grid", "present": "true"},  # projector sizes
        {"view": "pipeline"},
        {"view": "lines"},
    ],
)
def test_every_head_a_view_sends_for_the_browser_is_what_its_link_draws(settings):
    """A view of one head is sent with every head's frame, which the browser draws on a pick without
    the server: each frame, applied to the figure sent, must be the figure the head's own link draws."""
    link = {"model": "copy", "train": "true", "p": "30", **settings}
    sent = head_view(run_page(ATTENTION, **link))
    heads = sent["heads"]
    every = [f"{layer},{head}" for layer in range(heads["layers"]) for head in range(heads["heads"])]
    assert len(every) > 1 and sorted(heads["frames"]) == every
    for key, frame in heads["frames"].items():
        layer, head = key.split(",")
        expected = head_view(run_page(ATTENTION, **link, layer=layer, head=head))
        assert shown(sent["figure"], frame) == expected["figure"], key


def shown(figure: dict, frame: dict) -> dict:
    """The figure as the browser draws a frame on it (app/static/figure.js: Plotly.update or react)."""
    if "figure" in frame:
        return frame["figure"]
    drawn = json.loads(json.dumps(figure))
    for path, value in frame["layout"].items():
        put(drawn["layout"], path, value)
    for attribute, values in frame["data"].items():
        for trace, value in zip(frame["traces"], values, strict=True):
            put(drawn["data"][trace], attribute, value)
    return drawn


def put(part: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for name in parents:
        part = part.setdefault(name, {})
    if value is None:
        part.pop(last, None)
    else:
        part[last] = value


def test_with_every_head_of_the_layer_drawn_the_head_picked_is_in_front():
    """The lines view with all heads: a Head click must change what is seen (it once changed only the
    address bar). The picked head's lines are drawn last, at full strength; the others fainter."""
    for head in (0, 2):
        at = run_page(ATTENTION, model="copy", view="lines", all_heads="true", layer="1", head=str(head))
        figure = charts(at)[0]
        assert title(figure).endswith(f"layer 1, all heads, head {head} in front: queries left, keys right")
        drawn = [t for t in figure["data"] if t.get("x") != [None]]  # the lines, not the legend swatches
        last = [t for t in drawn if t["name"] == f"head {head}"]
        assert drawn[-len(last) :] == last
        others = [t["opacity"] for t in drawn if t["name"] != f"head {head}"]
        assert others and max(others) < max(t["opacity"] for t in last)


def test_the_entropy_colours_run_from_zero_to_the_uniform_bound():
    """Sixteen heads all at 2.24 nats were coloured from darkest to brightest (Plotly's scale spans
    the values given), as if they differed; the scale is 0 to the bound the subtitle names."""
    figure = next(
        f
        for f in charts(run_page("attention", view="aggregate", model="random", heads="8"))
        if title(f).startswith("mean entropy per head")
    )
    bound = float(figure["layout"]["title"]["subtitle"]["text"].split("; ")[1].split(" =")[0])
    values = as_array(figure["data"][0]["z"])
    assert values.max() - values.min() < 0.01 * bound  # the heads are alike, and the colours say so
    assert figure["data"][0]["zmin"] == 0 and figure["data"][0]["zmax"] == pytest.approx(bound, abs=0.005)


@pytest.mark.parametrize("view", ["grid", "pipeline", "aggregate"])
def test_every_heatmap_hover_says_what_a_cell_is(view):
    """No cell shows Plotly's default hover ("trace 2, x, y, z: 167.2659n" for a weight of 1.67e-7),
    and no blocked cell or gap between maps says "weight NaN"."""
    for figure in charts(run_page("attention", view=view)):
        for trace in figure["data"]:
            if trace["type"] != "heatmap":
                continue
            assert trace.get("hovertemplate") or trace.get("text") is not None, (title(figure), trace.get("name"))
            if np.isnan(as_array(trace["z"]).astype(float)).any() and trace.get("text") is None:
                assert trace.get("hoverongaps") is False, title(figure)


@pytest.mark.parametrize("view", ["grid", "pipeline"])
def test_numbers_in_cells_write_each_weight_up_to_twelve_tokens(view):
    """As Transformer Explainer writes its values: each allowed cell carries its weight, two decimals;
    past 12 tokens a cell is too small for it, and the page says so."""
    at = run_page(ATTENTION, text="abcab", numbers="true", view=view)  # 5 tokens
    figure = head_figure(at)
    maps = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert maps and all(trace.get("texttemplate") == "%{z:.2f}" for trace in maps)
    plain = head_figure(run_page(ATTENTION, text="abcab", view=view))
    assert not any(trace.get("texttemplate") for trace in plain["data"])
    long = run_page(ATTENTION, text="abcdefghijklm", numbers="true", view=view)  # 13 tokens
    assert not any(trace.get("texttemplate") for trace in head_figure(long)["data"])
    assert "written up to 12 tokens; this view has 13 x 13" in shown_text(long, kinds=("caption",))
