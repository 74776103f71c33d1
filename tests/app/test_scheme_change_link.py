"""The address bar draws what the screen shows: after a click on another scheme, the link the address
bar then holds, opened fresh, draws the same mask.

Two schemes may share a parameter name and so its link key (`causal` is sliding_window's, True by
default, and chunked's, False by default): the toggle kept sliding_window's True for chunked while
the address bar, which leaves out a value at its default, said `?scheme=chunked`; opened fresh, that
is a chunked mask that is not causal.
"""

from __future__ import annotations

import functools
import itertools

import pytest

import masks
from tests.app.conftest import address, charts, click, drawn, run_page, title

# each place scheme controls appear, by its picker's key: (page, the link that shows them, the picker's default)
PLACES = {
    "scheme": ("masks", {}, "causal"),
    "c1_scheme": ("masks", {"c1_op": "and"}, "padding"),
    "b_scheme": ("masks", {"view": "compare"}, "sliding_window"),
    "m_scheme": ("attention", {"mask": "custom"}, "causal"),
}
PAIRS = list(itertools.permutations(masks.SCHEMES, 2))


@functools.cache
def opened_fresh(page: str, link: tuple) -> tuple:
    return drawn(run_page(page, **dict(link)))


@pytest.mark.parametrize("place", PLACES)
def test_after_a_scheme_change_the_address_bar_opens_the_same_mask(place):
    page, base, default = PLACES[place]
    wrong = []
    for before, after in PAIRS:
        at = run_page(page, **base, **{place: before})
        click(at, place, after, default)
        link = address(at)
        if drawn(at) != opened_fresh(page, tuple(sorted(link.items()))):
            wrong.append(f"{before} -> {after}: {title(charts(at)[-1 if place == 'b_scheme' else 0])}, link {link}")
    assert not wrong, "\n".join(wrong)
