"""A hostile link in a real Chromium: Markdown and HTML sent through every text and list parameter
of every page are shown as text; they create no link, no image and no request to another host."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, wait_for_app

EVIL = "evil.example"
PAYLOAD = (
    f"[Click here to re-login](http://{EVIL}/phish) ![x](http://{EVIL}/pixel.gif) "
    f"<img src=http://{EVIL}/tag.gif> www.{EVIL} :red[alarm]"
)
# page -> link parameters that reach each of its text and list controls (and the slide warnings)
LINKS = [
    ("masks", {"text": PAYLOAD, "source": PAYLOAD}),
    (
        "masks",
        {"scheme": "document", "lengths": PAYLOAD, "c1_op": "and", "c1_scheme": "document"} | {"c1_lengths": PAYLOAD},
    ),
    ("masks", {"view": "compare", "b_scheme": "document", "b_lengths": PAYLOAD}),
    ("masks", {"slides": PAYLOAD}),
    ("masks", {"slides": "mask-schemes", "step": PAYLOAD}),
    ("attention", {"text": PAYLOAD}),
    ("attention", {"model": "random", "text": PAYLOAD}),
    ("attention", {"mask": "custom", "m_scheme": "document", "m_lengths": PAYLOAD}),
    ("cross", {"source": PAYLOAD, "target": PAYLOAD}),
    ("normalization", {"sentences": PAYLOAD}),
]


@pytest.mark.parametrize(("path", "params"), LINKS, ids=[f"{p}-{'-'.join(q)}" for p, q in LINKS])
def test_markdown_and_html_in_a_link_stay_text(page, app_url, path, params):
    elsewhere = []

    def only_this_server(route):
        if urlparse(route.request.url).hostname != "127.0.0.1":
            elsewhere.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", only_this_server)
    page.goto(f"{app_url}/{path}?{urlencode(params)}")
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(f"a[href*='{EVIL}']")).to_have_count(0)
    expect(page.locator(f"img[src*='{EVIL}']")).to_have_count(0)
    assert [url for url in elsewhere if EVIL in url] == []
    assert page.dialogs == []


def test_on_a_phone_a_bad_link_value_is_named_at_the_top_of_the_page(chromium, app_url):
    """Most controls live in the sidebar, closed on a phone: the warning must not live there."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/attention?model=&heads=")
        wait_for_app(page)
        warning = page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="Link parameter model").first
        expect(warning).to_be_visible()
        assert warning.bounding_box()["y"] < 844
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "phone-bad-link-warning.png")
        context.close()
