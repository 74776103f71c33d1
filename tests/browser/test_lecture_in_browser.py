"""Lecture tools in Chromium: embed links, presentation sizes, an exported file that works offline."""

from urllib.parse import urljoin

from PIL import Image
from playwright.sync_api import expect

from app import figures
from app.lecture import slides
from masks import build
from tests.browser.conftest import ELSEWHERE, wait_for_app


def tick_font_px(page) -> float:
    """The first tick label's size once drawn (a redraw can replace the label while it is read)."""
    size = page.wait_for_function(
        """() => {
          const tick = document.querySelector('.js-plotly-plot .xtick text');
          return tick && tick.isConnected && parseFloat(getComputedStyle(tick).fontSize);
        }"""
    )
    return size.json_value()


def test_an_embed_link_renders_the_view_without_the_toolbar(page, app_url):
    page.goto(f"{app_url}/masks?scheme=prefix_lm&embed=true&embed_options=light_theme")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("prefix_lm(prefix=3)")
    # no menu: the toolbar holds only the button that opens the sidebar (tucked away in an embed)
    expect(page.get_by_test_id("stToolbar").locator("button")).to_have_count(1)
    expect(page.get_by_test_id("stExpandSidebarButton")).to_have_count(1)
    expect(page.get_by_test_id("stMainMenu")).to_have_count(0)


def test_an_embed_shows_the_figure_and_its_own_controls_and_no_lecture_tools(chromium, app_url):
    """In an 800 px iframe the figure comes first: no sidebar, page title or lecture tools before it."""
    context = chromium.new_context(viewport={"width": 800, "height": 800})
    page = context.new_page()
    page.goto(f"{app_url}/masks?scheme=prefix_lm&embed=true&embed_options=light_theme")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").first).to_have_text("prefix_lm(prefix=3)")
    expect(page.get_by_role("radiogroup", name="View")).to_be_visible()  # the view's own control
    expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
    for tool in ("Presentation mode", "Share this view", "Figure download format"):
        expect(page.get_by_text(tool)).to_have_count(0)
    expect(page.locator("[data-testid='stMain'] h1")).to_have_count(0)
    assert page.locator(".js-plotly-plot").first.bounding_box()["y"] < 200
    context.close()


def test_presentation_mode_enlarges_the_tick_labels(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    normal = tick_font_px(page)
    page.get_by_text("Presentation mode").click()
    wait_for_app(page)  # the page loads again in presentation mode
    assert "present=true" in page.url
    assert normal < 18 <= tick_font_px(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_exported_html_shows_the_heatmap_with_its_colours_and_the_network_off(chromium, tmp_path):
    fig = figures.mask_figure(build("causal", 8), list("abcdefgh"), list("abcdefgh"), title="causal")
    path = tmp_path / "causal.html"
    path.write_text(figures.standalone_html([fig], "causal"))
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.locator(".js-plotly-plot .gtitle").wait_for()
    page.locator(".js-plotly-plot .heatmaplayer image").first.wait_for()  # the cells are painted
    page.locator(".js-plotly-plot").first.hover()
    elsewhere = page.locator(ELSEWHERE).count()
    shot = tmp_path / "causal.png"
    page.screenshot(path=shot)
    context.close()
    assert all(url.startswith(("file:", "data:")) for url in requests)
    assert elsewhere == 0  # no modebar button uploads the figure or links to Plotly's site
    pixels = list(Image.open(shot).convert("RGB").get_flattened_data())

    def near(color):
        target = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
        return sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, target, strict=True)))

    assert near(figures.ALLOWED) > 2000 and near(figures.BLOCKED) > 2000  # both colours drawn, as exported


def test_presentation_links_open_with_the_sidebar_tucked_away(page, app_url):
    page.goto(f"{app_url}/masks?present=true")
    wait_for_app(page)
    # off screen once it has slid out: the controls tucked away
    page.wait_for_function(
        """() => { const bar = document.querySelector("[data-testid='stSidebar']");
                   const box = bar && bar.getBoundingClientRect();
                   return !box || box.right <= 1 || box.width <= 1; }""",
        timeout=15_000,
    )
    assert tick_font_px(page) >= 18


def test_every_link_the_pages_show_opens_its_page_without_page_not_found(page, app_url):
    """Deck links, page links and the share links: each opens a page of the app, Home included
    (the default page lives at the root; Streamlit answers /home with a "Page not found" dialog)."""
    home_slide = slides.Slide("Home", "home", {"present": "true"})
    seen = {urljoin(f"{app_url}/masks", f"{home_slide.url_path}?present=true")}
    for path in ("", "masks", "attention", "cross", "normalization"):
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        for href in page.locator("[data-testid='stApp'] a[href]").evaluate_all("links => links.map(a => a.href)"):
            if href.startswith(app_url):
                seen.add(href)
    assert len(seen) > 5
    for href in sorted(seen):
        page.goto(href)
        wait_for_app(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.get_by_test_id("stException")).to_have_count(0)
    page.goto(urljoin(f"{app_url}/masks", f"{home_slide.url_path}?present=true"))  # a Home slide's link
    wait_for_app(page)
    expect(page.locator("h1")).to_have_text("Attention mask lab")
