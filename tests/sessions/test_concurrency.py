"""Many sessions at once get exactly the figures each link gives when it is opened alone.

Seeded models are built while other sessions run: if a build drew from a random state that
other threads share, its weights would depend on who else was busy, and the wrong model would
then be cached for every later visitor.
"""

from __future__ import annotations

import json

from tests.streamlit_client import visit, visit_at_once

LINKS = [("attention", f"model=random&model_seed={seed}&layers=2&heads=4") for seed in range(1, 9)] + [
    ("cross", "model=random&model_seed=5"),
    ("normalization", "depth=6"),
    ("normalization", "depth=7&init=normal"),
]


def figure_data(visit_result) -> list[str]:
    assert visit_result.error is None, visit_result.error
    assert not visit_result.exceptions, visit_result.exceptions
    assert visit_result.charts, "the page drew no figure"
    return [json.dumps(chart["data"], sort_keys=True) for chart in visit_result.charts]


def test_links_opened_at_once_draw_what_each_draws_alone(fresh_server):
    with fresh_server() as server:
        together = visit_at_once(server.url, LINKS)
    with fresh_server() as server:  # empty caches: nothing computed under load can leak in
        alone = [visit(server.url, page, query) for page, query in LINKS]
    wrong = [
        f"/{page}?{query}"
        for (page, query), a, b in zip(LINKS, together, alone, strict=True)
        if figure_data(a) != figure_data(b)
    ]
    assert not wrong, f"figures differ under concurrency from the same link opened alone: {wrong}"
