"""What a person sees in Chromium: the gallery, the explorer, links, bad links, HTML as text."""

import re
from urllib.parse import parse_qs, quote, urlparse

from playwright.sync_api import expect

from app.text import DEFAULT_TEXT
from model.tokenizer import split_words
from tests.browser.conftest import on_screen, phone_page, shared_view_link, wait_for_app


def link_params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def main_title(page) -> str:
    return page.locator(".js-plotly-plot .gtitle").first.text_content()


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def choose(page, label: str, option: str) -> None:
    """Click the pill `option` of the control with this label, as a person does."""
    page.get_by_role("radiogroup", name=label).get_by_role("radio", name=option, exact=True).click()
    wait_for_app(page)


def test_gallery_draws_every_scheme_and_opens_one_in_the_explorer(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(13)
    page.get_by_role("link", name="Open sliding_window").click()
    wait_for_app(page)
    assert "/masks" in page.url and link_params(page)["scheme"] == "sliding_window"
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("sliding_window(window=3)")
    no_exception(page)


def test_changing_scheme_and_parameter_updates_figure_url_and_survives_reload(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    tokens = split_words(DEFAULT_TEXT)
    assert page.locator(".js-plotly-plot .xtick text").first.text_content() == tokens[0]
    assert [t.text_content() for t in page.locator(".js-plotly-plot").first.locator(".ytick text").all()] == tokens
    choose(page, "Mask scheme", "prefix_lm")
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("prefix_lm(prefix=3)")
    prefix = page.get_by_label("prefix", exact=True)
    prefix.fill("5")
    prefix.press("Enter")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("prefix_lm(prefix=5)")
    page.wait_for_function("() => window.location.search.includes('prefix=5')")
    assert link_params(page) == {"scheme": "prefix_lm", "prefix": "5"}
    page.reload()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("prefix_lm(prefix=5)")
    no_exception(page)


def test_a_bad_link_warns_and_falls_back(page, app_url):
    page.goto(f"{app_url}/masks?scheme=sliding_window&window=-3&view=everything")
    wait_for_app(page)
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text=re.compile(r"window.*-3.*is not allowed"))).to_have_count(1)
    expect(alerts.filter(has_text=re.compile(r"view.*everything.*is not allowed"))).to_have_count(1)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("sliding_window(window=3)")
    no_exception(page)


def test_html_typed_as_a_token_is_shown_as_text_and_never_runs(page, app_url):
    hostile = "<img src=x onerror=alert(1)> cat"
    page.goto(f"{app_url}/masks?text={quote(hostile)}")
    wait_for_app(page)
    labels = [t.text_content() for t in page.locator(".js-plotly-plot").first.locator(".xtick text").all()]
    assert labels[:3] == ["<", "img", "src"]  # the tokenizer split it; each piece is plain text
    expect(page.locator(".js-plotly-plot img")).to_have_count(0)
    assert page.dialogs == []
    no_exception(page)


def test_compare_and_unilm_views_are_one_click_away(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    choose(page, "View", "compare")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    assert link_params(page)["view"] == "compare"
    choose(page, "View", "unilm")  # UniLM's four masks side by side in one figure
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    expect(page.locator(".js-plotly-plot .nsewdrag")).to_have_count(4)
    no_exception(page)


def test_a_long_sequence_renders_as_an_image(page, app_url):
    page.goto(f"{app_url}/masks?input=length&n=4096&scheme=bigbird")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("downsampled 4x")
    expect(page.locator(".js-plotly-plot image").first).to_be_attached()
    no_exception(page)


def test_the_share_link_opens_the_tab_that_was_open(page, app_url):
    """Stats clicked, then Share: the link once left the tab out and reopened on Code."""
    page.goto(f"{app_url}/masks?scheme=padding")
    wait_for_app(page)
    page.get_by_role("tab", name="Stats").click()
    page.wait_for_function("() => window.location.search.includes('tab=Stats')")
    link = shared_view_link(page)
    assert parse_qs(urlparse(link).query) == {"scheme": ["padding"], "tab": ["Stats"]}
    page.goto(link)
    wait_for_app(page)
    expect(page.get_by_role("tab", name="Stats")).to_have_attribute("aria-selected", "true")


def test_on_a_phone_the_hover_label_of_a_cell_two_terms_block_is_read_whole(chromium, app_url):
    page = phone_page(chromium, f"{app_url}/masks?scheme=chunked&c1_op=and_not&c1_scheme=causal")
    figure = page.locator(".mask-lab-figure").first
    figure.scroll_into_view_if_needed()
    box = figure.locator(".nsewdrag").first.bounding_box()
    cells = figure.evaluate("f => f._fullData[0].z.length")
    # the last query's first key: another chunk (chunked blocks it) and a past key (~causal blocks it)
    page.mouse.move(box["x"] + box["width"] * 0.5 / cells, box["y"] + box["height"] * (cells - 0.5) / cells)
    label = figure.locator(".hoverlayer g.hovertext")
    expect(label).to_contain_text("blocked (chunked(chunk=4), ~causal)")
    assert on_screen(label)
    page.context.close()
