"""What people read: scheme descriptions, names for figure titles, reasons for empty rows."""

from pathlib import Path

import pytest

import masks


@pytest.mark.parametrize("scheme", masks.SCHEMES.values(), ids=lambda s: s.name)
def test_every_scheme_is_described_for_the_app(scheme):
    assert scheme.summary and scheme.predicate and scheme.used_by
    for p in scheme.params:
        assert p.help and p.kind in ("int", "bool", "choice", "ints")
        assert p.validate(p.default, 9, 9, scheme.name) == p.default or p.kind == "ints"
        if p.kind == "choice":
            assert p.default in p.choices


def test_spec_names_parameters_and_defaults():
    """The table of mask-semantics.md, as the app sees it."""
    expected = {
        "full": {},
        "causal": {"align": "top_left"},
        "right_to_left": {},
        "padding": {"pad": 2, "side": "right", "mask_queries": False},
        "prefix_lm": {"prefix": 3},
        "cross": {"pad": 0},
        "sliding_window": {"window": 3, "causal": True},
        "dilated": {"window": 3, "dilation": 2, "causal": True},
        "chunked": {"chunk": 4, "causal": False},
        "document": {"lengths": (3, 4, 2), "causal": True},
        "global_local": {"window": 2, "n_global": 1},
        "strided": {"stride": 3},
        "bigbird": {"window": 2, "n_global": 1, "n_random": 2, "seed": 0},
    }
    assert {name: s.defaults for name, s in masks.SCHEMES.items()} == expected


def test_bounds_follow_the_lengths():
    pad = masks.SCHEMES["padding"].param("pad")
    assert pad.bounds(5, 9) == (0, 9)
    assert masks.SCHEMES["bigbird"].param("n_random").bounds(100, 100) == (0, 32)


def test_names_for_figure_titles():
    causal, padding = masks.predicate("causal", 6), masks.predicate("padding", 6, side="left")
    assert (causal & padding).name == "causal & padding(pad=2, side=left)"
    local = masks.predicate("sliding_window", 6, window=2, causal=False)
    assert (causal & (local | padding)).name == (
        "causal & (sliding_window(window=2, causal=False) | padding(pad=2, side=left))"
    )
    assert (~(causal & padding)).name == "~(causal & padding(pad=2, side=left))"
    assert (~causal & padding).name == "~causal & padding(pad=2, side=left)"
    assert ((causal & padding) & local).name.count("&") == 2  # flattened, no nested parentheses
    assert masks.predicate("causal", 6).mask_mod.__name__ == "causal"


def test_empty_rows_come_with_their_reason():
    left_padded = masks.predicate("causal", 5) & masks.predicate("padding", 5, pad=2, side="left")
    assert masks.stats(left_padded.build()).empty_rows == [(0,), (1,)]
    assert left_padded.why_empty(1) == ("causal allows keys 0-1, but padding(pad=2, side=left) blocks all of them")
    source = masks.predicate("cross", 3, 4, pad=4)
    assert "the source is all padding" in source.why_empty(0)
    cache = masks.predicate("causal", 6, 4, align="bottom_right")
    assert masks.stats(cache.build()).empty_rows == [(0,), (1,)]
    assert "first Q - K queries" in cache.why_empty(0)
    queries = masks.predicate("padding", 4, pad=1, mask_queries=True)
    assert "the query itself is padding" in queries.why_empty(3)
    with pytest.raises(ValueError, match="may attend some keys"):
        left_padded.why_empty(4)


def test_the_contract_document_states_every_scheme_as_the_code_builds_it():
    """masks/CONTRACT.md is what users read: its table must be the schemes' own parameters and rules."""
    text = (Path(masks.__file__).parent / "CONTRACT.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for name, scheme in masks.SCHEMES.items():
        row = rows.get(name)
        assert row is not None, f"{name} is missing from CONTRACT.md"
        assert f"`{scheme.predicate}`" in row
        for p in scheme.params:
            assert f"`{p.name}={p.default!r}`".replace("'", '"') in row


def test_blame_names_the_terms_that_block_each_cell():
    """(sliding_window | global_local) & padding: where global_local allows a key, sliding_window
    blocking it is no reason the cell is blocked; ~causal blocks where causal allows."""
    window, local, pad = (
        masks.predicate("sliding_window", 12, window=2),
        masks.predicate("global_local", 12),
        masks.predicate("padding", 12, pad=3),
    )
    blame = ((window | local) & pad).blame()
    assert [name for name, _ in blame] == [window.name, local.name, pad.name]
    assert (blame[0][1] == (~window.build() & ~local.build())).all()  # only where the OR itself blocks
    assert (blame[1][1] == blame[0][1]).all()
    assert (blame[2][1] == ~pad.build()).all()
    causal = masks.predicate("causal", 12)
    (_, by_window), (name, by_not_causal) = (window & ~causal).blame()
    assert name == "~causal" and (by_not_causal == causal.build()).all()
    assert (by_window == ~window.build()).all()
