"""The Normalization page in Chromium: figures drawn, a control changes the URL and the plots."""

import re
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


def test_on_a_phone_the_followed_row_keeps_its_label(chromium, app_url):
    """The cell figures mark one cell (black): its row's label is the one a reader looks for, so the
    label thinning on a narrow screen hides its neighbours, never it."""
    from tests.browser.conftest import ARTIFACTS

    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    for pick in (1, 2, 3):
        page.goto(f"{app_url}/normalization?pick={pick}")
        wait_for_app(page)
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
        cells = page.locator(".js-plotly-plot").filter(has_text="this cell")
        expect(cells).to_have_count(2)
        for k in range(2):
            shown = cells.nth(k).evaluate(
                """f => [...f.querySelectorAll('.yaxislayer-above .ytick text')]
                  .filter((t) => t.style.display !== 'none').map((t) => t.textContent)"""
            )
            assert f"s{pick} t0" in " | ".join(shown), shown
            if pick == 1:  # the example batch, 27 rows: each as tall as its label, none hidden (the [PAD] rows were)
                assert len(shown) == 27, shown
        page.screenshot(path=ARTIFACTS / f"phone-normalization-pick-{pick}.png")
    # the Post-LN / Pre-LN diagrams: once side by side in one code block, Pre-LN was off the screen
    diagrams = page.locator("pre[role='img']")
    expect(diagrams).to_have_count(2)
    hidden = diagrams.evaluate_all(
        "blocks => blocks.filter((pre) => pre.scrollWidth > pre.clientWidth + 1)"
        ".map((pre) => pre.textContent.slice(0, 40))"
    )
    assert hidden == [], hidden
    context.close()


def test_a_followed_sentence_the_reader_deletes_is_not_reported_as_a_bad_link(page, app_url):
    """Sentence 3 followed, then a batch of one sentence typed: nobody opened a link, so no warning
    names one; the page follows the one sentence there is."""
    page.goto(f"{app_url}/normalization?pick=3")
    wait_for_app(page)
    box = page.get_by_label("Sentences, one per line", exact=True)
    box.fill("only this one")
    box.press("Control+Enter")
    wait_for_app(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('sentences') === 'only this one'")
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    expect(page.get_by_text("For the first token of sentence 1")).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_control_the_page_moved_keeps_the_address_bar_true(page, app_url):
    """One sentence typed moves "Sentence to follow" to 1; the example's three typed back: the sentence
    followed, the address bar and a reload agree (the control once stayed at 1 while the address bar,
    which leaves out a value at its default, meant 2)."""
    page.goto(f"{app_url}/normalization")
    wait_for_app(page)
    box = page.get_by_label("Sentences, one per line", exact=True)
    example = box.input_value()
    for text in ("only one", example):
        box.fill(text)
        box.press("Control+Enter")
        wait_for_app(page)
    followed = page.get_by_text(re.compile(r"For the first token of sentence \d")).text_content()
    page.reload()
    wait_for_app(page)
    assert page.get_by_text(re.compile(r"For the first token of sentence \d")).text_content() == followed
    assert page.get_by_label("Sentence to follow", exact=True).input_value() in followed
