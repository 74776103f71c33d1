"""Figures whose legends and hover texts say what they show."""

import torch

from app import figures


def test_every_head_has_one_legend_entry_in_its_full_colour():
    """A line's opacity is its weight; the legend's swatch is the head's colour at full strength
    (a faint swatch is near white), whatever weights the head has (here head 1 has no weak line)."""
    weights = torch.tensor([[[0.1, 0.9], [0.3, 0.7]], [[0.0, 1.0], [1.0, 0.0]]])
    fig = figures.lines_view(weights, ["a", "b"], ["a", "b"], title="heads")
    entries = [t for t in fig.data if t.showlegend is not False]  # None: shown (Plotly's default)
    assert [t.name for t in entries] == ["head 0", "head 1"]
    assert all(t.opacity in (None, 1) for t in entries)
    assert [t.line.color for t in entries] == [figures.SERIES[0], figures.SERIES[1]]


def test_keys_per_query_hover_counts_in_words():
    fig = figures.keys_per_query_figure(torch.tensor([0, 1, 2]), ["a", "b", "c"])
    assert list(fig.data[0].text) == ["0 keys", "1 key", "2 keys"] and "%{text}" in fig.data[0].hovertemplate


def test_a_mask_legend_names_only_the_categories_the_mask_has():
    causal = torch.ones(4, 4, dtype=torch.bool).tril()
    named = [t.name for t in figures.mask_figure(causal, list("abcd"), list("abcd"), title="causal").data if t.name]
    assert "blocked" in named and "allowed" in named and not any("no key" in n for n in named)
    causal[0] = False  # now a query has no key
    named = [t.name for t in figures.mask_figure(causal, list("abcd"), list("abcd"), title="causal").data if t.name]
    assert any("no key" in n for n in named)


def test_a_head_names_blocked_cells_only_when_its_mask_blocks_one():
    weights = torch.full((3, 3), 1 / 3)
    legend = [
        t.name
        for t in figures.attention_figure(
            weights, torch.ones(3, 3, dtype=bool), list("abc"), list("abc"), title="full"
        ).data
        if t.name
    ]
    assert not any("blocked" in n for n in legend)
    causal = torch.ones(3, 3, dtype=torch.bool).tril()
    legend = [
        t.name
        for t in figures.attention_figure(weights, causal, list("abc"), list("abc"), title="causal").data
        if t.name
    ]
    assert "blocked (masked)" in legend


def test_the_pages_say_grey_cells_are_blocked_only_when_a_cell_is():
    from tests.app.conftest import run_page, shown_text

    grey = "Grey cells are blocked"
    assert grey in shown_text(run_page("attention"))
    assert grey not in shown_text(run_page("attention", mask="custom", m_scheme="full"))
    assert grey not in shown_text(run_page("cross", model="reverse"))  # no padding: nothing is blocked
    assert grey in shown_text(run_page("cross", model="reverse", src_pad="2"))
