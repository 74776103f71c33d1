"""The address bar is a view: after a click on another scheme, the link it holds, opened in a new
browser context, draws the same figure (sliding_window's `causal`, True by default, once stayed on
for chunked, whose default is False, while the address bar said only `?scheme=chunked`)."""

from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app

MASK_DATA = "() => document.querySelector('.js-plotly-plot').data[0].z"


def drawn(page) -> tuple[list[str], list]:
    """The figures' titles and the mask's cells, as the browser holds them."""
    return page.locator(".js-plotly-plot .gtitle").all_text_contents(), page.evaluate(MASK_DATA)


def test_the_link_after_a_scheme_click_opens_the_same_mask(chromium, page, app_url):
    page.goto(f"{app_url}/masks?scheme=sliding_window")
    wait_for_app(page)
    page.get_by_role("radiogroup", name="Mask scheme").get_by_role("radio", name="chunked", exact=True).click()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("chunked(")
    page.wait_for_function("() => window.location.search.includes('scheme=chunked')")
    shown = drawn(page)

    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.goto(page.url)
        wait_for_app(fresh)
        assert drawn(fresh) == shown, page.url
    finally:
        context.close()
    # and it is chunked as it opens at its defaults, its toggle showing so
    assert shown[0][0] == "chunked(chunk=4)"
    expect(page.get_by_role("switch", name="causal")).not_to_be_checked()
