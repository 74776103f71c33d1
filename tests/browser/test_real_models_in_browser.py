"""A real pretrained model in Chromium, as a person uses it: pick it, type two sentences, switch
the mask to full and back, and read the cosine the page states. At a projector's size and a
phone's; screenshots under tests/artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, wait_for_app

SIZES = {"projector": (1920, 1080), "phone": (390, 844)}


def pick(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label).get_by_role("radio", name=option, exact=True).click()
    wait_for_app(page)


def lowest(page, words: str) -> float:
    """The lowest cosine the page states in its sentence that contains `words`."""
    caption = page.get_by_text(re.compile(words)).text_content()
    return float(re.search(words + r"[^;]*; lowest ([0-9.]+)", caption).group(1))


@pytest.mark.parametrize("size", SIZES)
def test_pick_the_real_model_type_two_sentences_and_toggle_the_mask(chromium, app_url, size):
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    if size == "phone":  # the controls are in the sidebar, closed on a phone
        page.get_by_test_id("stExpandSidebarButton").click()
    pick(page, "Model", "minilm-l6")
    box = page.get_by_role("textbox", name="Sentences (one per line: a padded batch)")
    box.fill("the quick brown fox jumps over the lazy dog\nhello there")
    box.press("Control+Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile("sentence 1 of 2: 11 tokens and 0 padding"))).to_be_visible()
    assert lowest(page, "the embedding they have alone") >= 0.9999  # its own mask hides the padding
    pick(page, "Mask", "custom")
    pick(page, "Mask scheme", "full")
    expect(page.get_by_text(re.compile("This mask changes 1 of 2 sentence embeddings"))).to_be_visible()
    assert lowest(page, "This mask changes 1 of 2 sentence embeddings") < 0.99  # "hello there" reads padding
    page.screenshot(path=ARTIFACTS / f"real-model-{size}-full-mask.png")
    pick(page, "Mask", "own")
    expect(page.get_by_text(re.compile("This mask changes"))).to_have_count(0)
    assert lowest(page, "the embedding they have alone") >= 0.9999
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / f"real-model-{size}-own-mask.png")
    context.close()


def test_another_model_opens_on_its_head_and_back_returns_to_each_view(page, app_url):
    page.goto(f"{app_url}/attention")  # copy: its induction head, layer 1 head 1
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_have_text(
        "self attention, layer 1, head 1"
    )
    pick(page, "Model", "minilm-l6")
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_have_text(
        "self attention, layer 0, head 2"
    )
    expect(page.get_by_text(re.compile("Opens on layer 0, head 2"))).to_be_visible()
    assert "layer=" not in page.url and "head=" not in page.url  # its own opening head: the link's default
    pick(page, "Layer", "3")
    page.wait_for_function("() => location.search.includes('layer=3')")
    expect(page.get_by_text(re.compile("Opens on layer"))).to_have_count(0)  # not the head shown
    page.go_back()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_have_text(
        "self attention, layer 0, head 2"
    )
    page.go_back()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_have_text(
        "self attention, layer 1, head 1"
    )
    expect(page.get_by_test_id("stException")).to_have_count(0)
