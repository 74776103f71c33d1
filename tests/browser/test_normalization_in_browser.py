"""The Normalization page in Chromium: figures drawn, a control changes the URL and the plots."""

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app


def test_normalization_page_draws_and_follows_its_controls(page, app_url):
    page.goto(f"{app_url}/normalization")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(9, timeout=120_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.get_by_text("Post-LN's gradient is").count() == 1
    depth = page.get_by_label("Layers", exact=True)
    depth.fill("3")
    depth.press("Enter")
    wait_for_app(page)
    page.wait_for_function("() => window.location.search.includes('depth=3')")
    assert parse_qs(urlparse(page.url).query)["depth"] == ["3"]
    expect(page.get_by_text("Across the 3 layers")).to_have_count(1)  # the findings follow the depth
    expect(page.get_by_test_id("stException")).to_have_count(0)
