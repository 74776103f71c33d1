"""Heads switched in the browser: a pick redraws the view with no script run on the server, and the
address bar, Back / Forward, the share link, hover text and later runs all follow it; every figure
is drawn by our element with the shipped plotly.js, fetched from this server only."""

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from app.figure_element import PLOTLY_SHA256
from tests.browser.conftest import COUNT_RUNS, ELSEWHERE, on_screen, phone_page, picked, wait_for_app

HEAD_TITLE = ".js-plotly-plot .gtitle"


def head_title(page):
    return page.locator(HEAD_TITLE).filter(has_text=", head ")


def pick(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label, exact=True).get_by_role("radio", name=option, exact=True).click()


def params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def runs(page) -> int:
    return page.evaluate("window.__runs")


def test_a_head_picked_is_drawn_without_the_server_and_back_and_forward_follow(page, app_url):
    page.goto(f"{app_url}/attention")  # copy opens on layer 1, head 1
    wait_for_app(page)
    page.evaluate(COUNT_RUNS)
    before = page.evaluate("() => Array.from(document.querySelectorAll('.mask-lab-figure')[1]._fullData[0].z[5])")
    pick(page, "Head", "2")
    expect(head_title(page)).to_have_text("self attention, layer 1, head 2")
    pick(page, "Layer", "0")
    expect(head_title(page)).to_have_text("self attention, layer 0, head 2")
    after = page.evaluate("() => Array.from(document.querySelectorAll('.mask-lab-figure')[1]._fullData[0].z[5])")
    assert before != after  # the weights changed with the title
    assert params(page) == {"layer": "0", "head": "2"} and picked(page, "Head") == "2"
    page.go_back()
    expect(head_title(page)).to_have_text("self attention, layer 1, head 2")
    page.go_back()
    expect(head_title(page)).to_have_text("self attention, layer 1, head 1")
    assert params(page) == {}  # the opening head: no parameter, as the server's links write it
    page.go_forward()
    expect(head_title(page)).to_have_text("self attention, layer 1, head 2")
    wait_for_app(page)
    picks = runs(page)
    pick(page, "Head", "3")
    expect(head_title(page)).to_have_text("self attention, layer 1, head 3")
    page.wait_for_timeout(300)  # a run the pick would have started shows in the count by now
    assert runs(page) == picks  # Back / Forward rerun the page (Streamlit's history); a pick does not
    expect(page.get_by_test_id("stException")).to_have_count(0)


def hover_cell(page, figure, query: int, key: int):
    """The mouse over a cell of a figure of one head (square, one heatmap); the figure's hover label."""
    figure.scroll_into_view_if_needed()
    box = figure.locator(".nsewdrag").first.bounding_box()
    cells = figure.evaluate("f => f._fullData[0].z.length")
    page.mouse.move(box["x"] + box["width"] * (key + 0.5) / cells, box["y"] + box["height"] * (query + 0.5) / cells)
    return figure.locator(".hoverlayer")


def test_hover_names_the_weight_of_the_head_picked(page, app_url):
    page.goto(f"{app_url}/attention?view=grid")
    wait_for_app(page)
    pick(page, "Head", "0")
    expect(head_title(page)).to_have_text("self attention, layer 1, head 0")
    figure = page.locator(".mask-lab-figure").nth(1)
    weight = figure.evaluate("f => f._fullData[0].z[3][1]")  # query 3, key 1
    expect(hover_cell(page, figure, 3, 1)).to_contain_text(f"weight {weight:.3f}")


def test_a_head_picked_is_drawn_and_hovered_as_the_page_opened_on_it(page, app_url):
    # a pick redraws only the heatmap and the title (app/static/figure.js, drawValues): what it draws
    # and hovers must be what Plotly draws for the page opened on that head
    page.goto(f"{app_url}/attention?layer=0&head=2")
    wait_for_app(page)
    figure = page.locator(".mask-lab-figure").nth(1)
    opened = figure.locator(".heatmaplayer image").get_attribute("href")
    label = hover_cell(page, figure, 1, 3)  # query 1, key 3: blocked under the causal mask
    expect(label).to_contain_text("blocked under")
    blocked = label.text_content()
    page.goto(f"{app_url}/attention")  # opens on layer 1, head 1
    wait_for_app(page)
    pick(page, "Layer", "0")
    head = page.get_by_role("radiogroup", name="Head", exact=True).get_by_role("radio", name="2", exact=True)
    head.focus()
    expect(hover_cell(page, figure, 3, 1)).to_contain_text("weight")
    page.keyboard.press("Space")  # picked from the keyboard, the mouse still on the cell
    expect(head_title(page)).to_have_text("self attention, layer 0, head 2")
    weight = figure.evaluate("f => f._fullData[0].z[3][1]")
    expect(label).to_contain_text(f"weight {weight:.3f}")  # the label shown reads the new head
    assert figure.locator(".heatmaplayer image").get_attribute("href") == opened
    expect(hover_cell(page, figure, 1, 3)).to_have_text(blocked)  # a blocked cell still says so


def grid_map_middle(page, layer: int, head: int) -> tuple[float, float]:
    """Where on the screen the middle of a head's map in the grid of every head is (the grid says where
    its maps are: rows x cols cells each, gap cells between them)."""
    grid = page.locator(".mask-lab-figure").first
    expect(grid.locator(".gtitle")).to_contain_text("layers x heads")
    grid.scroll_into_view_if_needed()
    return grid.evaluate(
        """(f, [layer, head]) => { const [rows, cols, gap] = f.maskLabGrid.maps, {xaxis, yaxis} = f._fullLayout;
      const box = f.getBoundingClientRect();
      return [box.left + xaxis._offset + xaxis.d2p(head * (cols + gap) + cols / 2 - 0.5),
              box.top + yaxis._offset + yaxis.d2p(layer * (rows + gap) + rows / 2 - 0.5)]; }""",
        [layer, head],
    )


def test_a_click_on_a_head_in_the_grid_picks_it_and_back_returns_to_the_head_before(page, app_url):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    page.evaluate(COUNT_RUNS)
    pick(page, "Head", "2")
    expect(head_title(page)).to_have_text("self attention, layer 1, head 2")
    page.mouse.click(*grid_map_middle(page, 0, 3))
    expect(head_title(page)).to_have_text("self attention, layer 0, head 3")
    assert params(page) == {"layer": "0", "head": "3"} and runs(page) == 0
    assert (picked(page, "Layer"), picked(page, "Head")) == ("0", "3")
    page.mouse.click(*grid_map_middle(page, 1, 0))
    expect(head_title(page)).to_have_text("self attention, layer 1, head 0")
    assert runs(page) == 0
    # each click on a map is an entry of its own: Back walks the heads picked, then the page as opened
    # (a click on a map once replaced the entry before it: Back skipped a head, then left the app)
    for shown in ("layer 0, head 3", "layer 1, head 2", "layer 1, head 1"):
        page.go_back()
        expect(head_title(page)).to_have_text(f"self attention, {shown}")
    assert urlparse(page.url).path == "/attention"


def test_a_tap_on_a_head_in_the_grid_picks_it_on_a_phone(chromium, app_url):
    page = phone_page(chromium, f"{app_url}/attention")
    page.evaluate(COUNT_RUNS)
    page.touchscreen.tap(*grid_map_middle(page, 0, 3))
    expect(head_title(page)).to_have_text("self attention, layer 0, head 3")
    assert params(page) == {"layer": "0", "head": "3"} and runs(page) == 0
    page.context.close()


@pytest.mark.parametrize("link", ["attention", "attention?present=true"])
def test_on_a_phone_the_hover_label_of_a_blocked_cell_is_read_whole(chromium, app_url, link):
    page = phone_page(chromium, f"{app_url}/{link}")
    # the head's figure (on a projector's layout, before the grid)
    figure = page.locator(".mask-lab-figure").filter(has=page.locator(".gtitle", has_text=", head "))
    cells = figure.evaluate("f => f._fullData[0].z.length")
    label = hover_cell(page, figure, cells - 2, cells - 1)  # the last key, blocked for the query before it
    expect(label).to_contain_text("blocked under causal (as trained)")
    assert on_screen(label.locator("g.hovertext"))
    page.context.close()


def test_a_later_run_and_the_share_link_keep_the_head_picked(page, app_url):
    page.goto(f"{app_url}/attention?view=pipeline")
    wait_for_app(page)
    pick(page, "Head", "3")
    expect(head_title(page)).to_contain_text("layer 1, head 3")
    page.get_by_text("Training mode (dropout on)").click()  # a run of the page, from another control
    wait_for_app(page)
    expect(head_title(page)).to_contain_text("layer 1, head 3")
    assert params(page)["head"] == "3" and params(page)["train"] == "true"
    page.get_by_role("button", name="Use the example input").click()  # a run whose address Streamlit kept
    wait_for_app(page)
    expect(head_title(page)).to_contain_text("layer 1, head 3")
    page.get_by_role("button", name="Share this view").click()
    link = page.locator("[role=dialog] code").first
    expect(link).to_contain_text("head=3")
    assert "train=true" in link.text_content()


def test_figures_use_the_shipped_plotly_from_this_server_only(page, app_url):
    requests = []  # (a blob: address is the page's own: the figure element's script, made in the page)
    page.on("request", lambda request: requests.append(request.url.removeprefix("blob:")))
    bundles = []
    page.on("response", lambda r: bundles.append(r.body()) if "plotly-cartesian" in r.url else None)
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    expect(page.locator(".mask-lab-figure .main-svg").first).to_be_visible()
    assert all(url.startswith(app_url) or url.startswith("data:") for url in requests), requests
    assert [hashlib.sha256(body).hexdigest() for body in bundles] == [PLOTLY_SHA256]
    assert not any("PlotlyChart" in url for url in requests)  # Streamlit's own 4.7 MB Plotly stays unloaded


def test_no_modebar_button_sends_a_figure_or_a_student_to_another_host(page, app_url):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    figures = page.locator(".mask-lab-figure")
    for k in range(figures.count()):
        figures.nth(k).hover()
        expect(figures.nth(k).locator(".modebar-btn[data-title^='Download plot']")).to_have_count(1)
        expect(figures.nth(k).locator(ELSEWHERE)).to_have_count(0)


def test_the_modebar_downloads_the_figure_as_png_and_as_svg(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    figure = page.locator(".mask-lab-figure").first
    for kind, starts in (("png", b"\x89PNG"), ("svg", b"<svg")):
        if kind == "svg":
            page.get_by_test_id("stSidebar").get_by_text("svg", exact=True).click()
            wait_for_app(page)
        figure.hover()
        with page.expect_download() as download:
            figure.locator(".modebar-btn[data-title^='Download plot']").click()
        body = Path(download.value.path()).read_bytes()
        assert body.startswith(starts) and download.value.suggested_filename.endswith(f".{kind}"), kind
        if kind == "png":  # at scale 2: twice the figure's width in pixels
            width = int.from_bytes(body[16:20], "big")
            assert width == 2 * round(figure.bounding_box()["width"]), width
