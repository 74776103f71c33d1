"""The figure element: the plotly.js it ships, and what a view of one head sends for the browser."""

import hashlib

from app.figure_element import HEADS_PAYLOAD, PLOTLY_JS, PLOTLY_SHA256, STATIC
from tests.app.conftest import head_view, run_page, shown_text


def test_the_shipped_plotly_is_the_pinned_bundle_with_its_license():
    bundle = (STATIC / PLOTLY_JS).read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == PLOTLY_SHA256
    assert b"plotly.js (cartesian - minified) v4.1.1" in bundle[:200]
    assert "MIT" in (STATIC / "plotly.js-LICENSE.txt").read_text(encoding="utf-8")


def test_a_view_within_the_payload_sends_every_head_and_one_past_it_says_the_server_draws_each():
    small = head_view(run_page("attention", model="minilm-l6"))
    assert not small["heads"]["roundTrip"] and len(small["heads"]["frames"]) == 6 * 12
    at = run_page("attention", model="minilm-l6", sentences="word " * 250, timeout=180)
    large = head_view(at)
    assert large["heads"]["roundTrip"] and "frames" not in large["heads"]
    said = shown_text(at, kinds=("caption",))
    assert "72 heads of 252 x 252 tokens are more than a view sends at once" in said
    assert f"({HEADS_PAYLOAD // 1_000_000} MB): the server draws each head you pick" in said


def test_a_head_on_a_projector_keeps_the_sizes_a_phone_takes_back():
    """The figure a projector shows carries its desk sizes (app/browser.js gives them back on a
    phone): a head figure dressed twice once carried the projector's own sizes as its desk's."""
    desk = head_view(run_page("attention"))["figure"]["layout"]
    presented = head_view(run_page("attention", present="true"))["figure"]["layout"]
    assert presented["font"]["size"] > desk["font"]["size"] == presented["meta"]["desk"]["font.size"]
