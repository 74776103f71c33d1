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
from tests.app.conftest import charts, run_page, shown_text, title

# each place scheme controls appear: (page, the link that shows them, the scheme picker's key, its default)
PLACES = {
    "scheme": ("masks", {}, "causal"),
    "c1_scheme": ("masks", {"c1_op": "and"}, "padding"),
    "b_scheme": ("masks", {"view": "compare"}, "sliding_window"),
    "m_scheme": ("attention", {"mask": "custom"}, "causal"),
}
PAIRS = list(itertools.permutations(masks.SCHEMES, 2))


def drawn(at) -> tuple:
    """What the page draws: each figure's title and data, and what it says (the attention page names
    its mask in a caption)."""
    assert not at.exception, at.exception[0].value
    return [(title(f), [trace.get("z") for trace in f["data"]]) for f in charts(at)], shown_text(at)


def address(at) -> dict[str, str]:
    return {key: value if isinstance(value, str) else value[-1] for key, value in at.query_params.items()}


@functools.cache
def opened_fresh(page: str, link: tuple) -> tuple:
    return drawn(run_page(page, **dict(link)))


def click(at, key: str, option: str, default: str) -> None:
    """A click on a pill, as the browser makes it: the browser writes the new value in the address
    bar (or leaves the key out at its default), then the page reruns with it."""
    if option == default:
        at.query_params.pop(key, None)
    else:
        at.query_params[key] = option
    at.pills(key=key).set_value(option).run()


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
