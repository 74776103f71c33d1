"""Stepping through slides in Chromium, and the lecture pack's pictures drawn by Plotly in Chromium."""

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from app import slides
from app.export import write_pack
from tests.browser.conftest import wait_for_app


def test_next_and_previous_update_the_url_and_the_figure(page, app_url):
    page.goto(f"{app_url}/masks?slides=mask-schemes&step=1")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("causal")
    page.get_by_role("link", name="Next ▶").click()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("padding(pad=2)")
    query = parse_qs(urlparse(page.url).query)
    assert query["step"] == ["2"] and query["slides"] == ["mask-schemes"] and query["scheme"] == ["padding"]
    page.get_by_role("link", name="◀ Previous").click()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("causal")
    assert parse_qs(urlparse(page.url).query)["step"] == ["1"]
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_the_pack_renders_svg_and_png_for_every_figure(chromium, tmp_path):
    deck = slides.shipped_deck("mask-schemes")
    short = slides.Deck(deck.title, deck.slides[:2])
    written = write_pack(short, tmp_path, browser=chromium)
    svgs = sorted(p for p in written if p.suffix == ".svg")
    pngs = sorted(p for p in written if p.suffix == ".png")
    assert len(svgs) == len(pngs) == 2
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert all("<svg" in p.read_text()[:500] for p in svgs)
    index = (tmp_path / "index.html").read_text()
    assert all(f"href='{p.name}'" in index for p in svgs + pngs)
