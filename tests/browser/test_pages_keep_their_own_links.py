"""Moving between pages in one session: each page opens with its own settings (its last ones in
this session, else its defaults), never another page's, and Back / Forward walk the pages."""

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app

# page -> (its URL path, its sidebar label, a control a person changes there: label, option)
PAGES = {
    "home": ("", "Home", None),
    "masks": ("masks", "Masks", ("Mask scheme", "padding")),
    "attention": ("attention", "Attention", ("View", "lines")),
    "cross": ("cross", "Cross-attention", ("Attention", "encoder")),
    "normalization": ("normalization", "Normalization", ("Initialization", "normal")),
    "block": ("block", "One block", ("Stage", "LN1")),
}


def params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def go_to(page, name: str) -> None:
    """Through the sidebar's page list, as a person does (opening the sidebar when it is tucked away)."""
    if page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true":
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=PAGES[name][1], exact=True).click()
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/").endswith(PAGES[name][0]))
    wait_for_app(page)


def change(page, name: str) -> dict:
    """Click the page's control to a value that is not its default; the link parameters it makes."""
    label, option = PAGES[name][2]
    page.get_by_role("radiogroup", name=label).get_by_role("radio", name=option, exact=True).click()
    wait_for_app(page)
    page.wait_for_function(f"() => window.location.search.includes('={option}')")
    return params(page)


def no_warning_nor_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlert").filter(has_text="Link parameter")).to_have_count(0)
    expect(page.get_by_test_id("stAlert").filter(has_text="cannot be read")).to_have_count(0)


@pytest.mark.parametrize("first", [name for name in PAGES if PAGES[name][2]])
def test_a_page_opens_with_its_own_settings_after_another_page_changed_a_control(page, app_url, first):
    page.goto(f"{app_url}/{PAGES[first][0]}")
    wait_for_app(page)
    changed = change(page, first)
    for other in PAGES:
        if other == first:
            continue
        go_to(page, other)
        # the other page at its defaults: nothing of the first page in its link or on screen
        assert params(page) == {}, f"{first} -> {other}: {page.url}"
        no_warning_nor_exception(page)
        go_to(page, first)
        assert params(page) == changed, f"{first} -> {other} -> {first}: its own last settings"
        no_warning_nor_exception(page)


def test_presentation_mode_follows_the_lecturer_from_page_to_page(page, app_url):
    page.goto(f"{app_url}/?present=true")
    wait_for_app(page)
    for name in ("masks", "attention", "cross", "normalization", "home"):
        go_to(page, name)
        assert params(page) == {"present": "true"}, page.url
        no_warning_nor_exception(page)


def test_another_pages_parameter_in_a_hand_made_link_is_ignored_without_a_warning(page, app_url):
    page.goto(f"{app_url}/attention?scheme=padding&head=2")
    wait_for_app(page)
    no_warning_nor_exception(page)
    expect(page.locator(".js-plotly-plot .gtitle").nth(1)).to_contain_text(", head 2")


def test_back_and_forward_walk_the_pages_and_their_views(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    change(page, "masks")
    go_to(page, "attention")
    change(page, "attention")
    page.go_back()
    wait_for_app(page)
    page.wait_for_url(lambda url: "/attention" in url and "view=lines" not in url)
    expect(page.get_by_role("radiogroup", name="View").get_by_role("radio", name="grid")).to_be_checked()
    page.go_back()
    page.wait_for_url(lambda url: "/masks" in url)
    wait_for_app(page)
    assert params(page) == {"scheme": "padding"}
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("padding")
    no_warning_nor_exception(page)
    page.go_forward()
    page.wait_for_url(lambda url: "/attention" in url)
    wait_for_app(page)
    assert params(page) == {}
    no_warning_nor_exception(page)
