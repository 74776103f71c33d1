"""SmolLM2-135M in Chromium, at a projector's size and a phone's: the grid of 30 x 9 heads shows ten
layers at a time, a click on a map of layers 10-19 picks that head, and the next tokens are listed.
Screenshots under tests/artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, COUNT_RUNS, wait_for_app
from tests.browser.test_heads_in_browser import head_title, params, runs

SIZES = {"projector": (1920, 1080), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_a_click_on_a_head_in_a_range_of_layers_picks_it(chromium, app_url, size):
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(120_000)  # the first visit loads the model (about 20 s)
    page.goto(f"{app_url}/attention?model=smollm2-135m&grid_layers=10-19")
    wait_for_app(page)
    page.evaluate(COUNT_RUNS)
    grid = page.locator(".mask-lab-figure").first
    expect(grid.locator(".gtitle")).to_contain_text("layers 10-19 (of 30) x heads")
    # the middle of layer 12, head 4: the fifth map of the grid's third row (its first is layer 10)
    grid.scroll_into_view_if_needed()
    x, y = grid.evaluate("""f => { const [rows, cols, gap] = f.maskLabGrid.maps, {xaxis, yaxis} = f._fullLayout;
      const box = f.getBoundingClientRect();
      return [box.left + xaxis._offset + xaxis.d2p(4 * (cols + gap) + cols / 2 - 0.5),
              box.top + yaxis._offset + yaxis.d2p(2 * (rows + gap) + rows / 2 - 0.5)]; }""")
    page.mouse.click(x, y)
    expect(head_title(page)).to_have_text("self attention, layer 12, head 4")
    assert params(page)["layer"] == "12" and params(page)["head"] == "4" and runs(page) == 0
    expect(page.get_by_text(re.compile("Next token after sentence 1"))).to_be_attached()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"smollm2-{size}-layer-12-head-4.png", full_page=True)
    context.close()
