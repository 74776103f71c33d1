"""The attention pages in Chromium: pick a head, switch views, toggle training mode."""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_share_dialog, picked, shared_view_link, spread_messages, wait_for_app


def pick(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label, exact=True).get_by_role("radio", name=option, exact=True).click()
    wait_for_app(page)


def params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def titles(page) -> list[str]:
    return [t.text_content() for t in page.locator(".js-plotly-plot .gtitle").all()]


def test_selecting_a_head_enlarges_it_and_the_url_follows(page, app_url):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    pick(page, "Layer", "0")  # copy opens on layer 1, head 1: its induction head
    pick(page, "Head", "2")
    expect(page.locator(".js-plotly-plot .gtitle").nth(1)).to_have_text("self attention, layer 0, head 2")
    page.wait_for_function("() => window.location.search.includes('head=2')")
    assert params(page)["layer"] == "0" and params(page)["head"] == "2"
    labels = [t.text_content() for t in page.locator(".js-plotly-plot").nth(1).locator(".xtick text").all()]
    assert labels[0] == "[BOS]"  # the axes carry the model's tokens
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_switching_views_and_training_mode(page, app_url):
    page.goto(f"{app_url}/attention?model=mirror")
    wait_for_app(page)
    for view in ["pipeline", "aggregate", "lines", "shapes", "grid"]:
        pick(page, "View", view)
        expect(page.get_by_test_id("stException")).to_have_count(0)
    pick(page, "View", "pipeline")
    page.get_by_text("Training mode (dropout on)").click()
    wait_for_app(page)
    page.wait_for_function("() => window.location.search.includes('train=true')")
    assert params(page)["view"] == "pipeline" and params(page)["model"] == "mirror"
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("where the mask and the dropout act")
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("switch", name="Training mode (dropout on)")).to_be_checked()


def test_cross_attention_page_shows_the_reverse_anti_diagonal(page, app_url):
    page.goto(f"{app_url}/cross?layer=1")
    wait_for_app(page)
    assert "cross attention, layer 1, head 0" in titles(page)
    pick(page, "Attention", "encoder")
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("encoder attention: layers x heads")
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("view", ["grid", "pipeline", "lines"])
def test_the_share_link_and_the_html_download_follow_a_head_change(page, app_url, view):
    page.goto(f"{app_url}/attention?layer=1&head=1&view={view}")
    wait_for_app(page)
    pick(page, "Head", "3")
    page.wait_for_function("() => window.location.search.includes('head=3')")
    shared = {k: v[0] for k, v in parse_qs(urlparse(shared_view_link(page)).query).items()}
    assert shared == params(page) and shared["head"] == "3"
    button = open_share_dialog(page).get_by_role("button", name="Figures as offline HTML")
    expect(button).to_be_enabled()
    with page.expect_download(timeout=60_000) as download:
        button.click()
    exported = Path(download.value.path()).read_text()
    assert "layer 1, head 3" in exported and "layer 1, head 1" not in exported
    # the download may leave the focus on the page's body, outside the dialog: Escape still closes it
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


@pytest.mark.parametrize("view", ["pipeline", "lines"])
def test_after_a_view_change_the_head_picked_is_in_the_address_bar(page, app_url, view):
    """The view changes the figures around the Layer and Head pickers, not the pickers' place: on a
    slow connection a picker drawn in other blocks after a view change stopped writing to the address
    bar (the head shown, the link without it; see app/state.py)."""
    spread_messages(page)
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    pick(page, "View", view)
    page.wait_for_function(f"() => location.search.includes('view={view}')")
    pick(page, "Head", "2")
    expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("head 2")
    page.wait_for_function("() => location.search.includes('head=2')")
    assert params(page) == {"view": view, "head": "2"}


def shows_head(page, head: int) -> None:
    """The enlarged head's title names `head`, and the address bar carries it."""
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_contain_text(f", head {head}")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('head') === '{head}'")


@pytest.mark.parametrize("view", ["grid", "pipeline"])
def test_heads_picked_after_a_model_with_more_heads_are_the_heads_shown(page, app_url, view):
    """A fresh-eyes walk's steps: MiniLM's head 11, then a model of 4 heads by a click, then heads of
    that model: each is the one shown and linked (the pickers once froze on the model's first head)."""
    page.goto(f"{app_url}/attention?model=minilm-l6&view={view}")
    wait_for_app(page)
    pick(page, "Head", "11")
    shows_head(page, 11)
    pick(page, "Model", "random")
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).not_to_contain_text("head 11")
    for head in (3, 1, 2):
        pick(page, "Head", str(head))
        shows_head(page, head)
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_after_a_link_with_a_bad_head_every_head_picked_is_shown(page, app_url):
    """The link's bad value is warned about once and replaced; the reader's clicks then count."""
    page.goto(f"{app_url}/attention?head=99")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert")).to_contain_text("Link parameter head = 99 is not allowed")
    for head in (2, 3, 0):
        pick(page, "Head", str(head))
        shows_head(page, head)
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("path", ["attention", "cross"])
def test_fewer_heads_or_layers_set_by_the_reader_are_not_reported_as_a_bad_link(page, app_url, path):
    """A random model's layer 1 and head 7, then Heads 2 and Layers 1 in the sidebar: nobody opened a
    link, so no warning names one; the pickers move to what the model has, and the next pick counts."""
    page.goto(f"{app_url}/{path}?model=random&heads=8")
    wait_for_app(page)
    pick(page, "Layer", "1")
    pick(page, "Head", "7")
    shows_head(page, 7)
    pick(page, "Heads", "2")
    layers = page.get_by_label("Layers", exact=True)
    layers.fill("1")
    layers.press("Enter")
    wait_for_app(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('layers') === '1'")
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_contain_text("layer 0, head ")
    for head in (1, 0, 1):
        pick(page, "Head", str(head))
        expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_contain_text(f"head {head}")
        assert picked(page, "Head") == str(head)
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_on_a_phone_the_entropy_labels_stay_clear_of_its_title(chromium, app_url):
    """MiniLM's 12 heads as "head 0" .. "head 11" stood upright on a phone, over the title and the
    subtitle that names the entropy bound."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{app_url}/attention?view=aggregate&model=minilm-l6")
    wait_for_app(page)
    figure = page.locator(".js-plotly-plot").filter(has_text="mean entropy per head")
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
    overlaps = figure.evaluate(
        """f => {
          const boxes = (s) => [...f.querySelectorAll(s)].map((e) => e.getBoundingClientRect()).filter((b) => b.width);
          const titles = boxes('.gtitle, .gtitle-subtitle'), labels = boxes('.xtick text');
          return labels.filter((l) => titles.some((t) =>
            l.left < t.right && t.left < l.right && l.top < t.bottom && t.top < l.bottom)).length;
        }"""
    )
    assert overlaps == 0
    context.close()
