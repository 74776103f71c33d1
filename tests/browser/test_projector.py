"""On a projector the figure a view is about fills the screen and shows every token label.

Every page and every slide of the shipped deck, at 1920x1080 and 1280x720 in presentation mode, measured
as a person in the last row sees it: the token labels shown against the tokens, the main figure's cells
against the screen, its text sizes, its bottom above the fold. Screenshots under tests/artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from app.lecture import slides
from tests.browser.conftest import ARTIFACTS, wait_for_app

SIZES = {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}
DECK = "mask-schemes"

# what a person sees of a figure; MAIN: of each figure the view is about (marked for the stage: meta.fill)
SEEN = """(f) => {
  const shown = (t) => getComputedStyle(t).display !== 'none' && t.getBoundingClientRect().width > 0;
  const labels = (axis) => [...f.querySelectorAll(`.${axis}axislayer-above .${axis}tick text`)];
  const cells = [...f.querySelectorAll('.nsewdrag')].map((a) => a.getBoundingClientRect());
  const box = f.getBoundingClientRect();
  return {
    title: f.querySelector('.gtitle')?.textContent ?? '',
    keys: [labels('x').filter(shown).length, labels('x').length],
    queries: [labels('y').filter(shown).length, labels('y').length],
    ticks: Math.min(...[...labels('x'), ...labels('y')].map((t) => parseFloat(t.style.fontSize))),
    cells: Math.max(...cells.map((c) => Math.min(c.width, c.height))),
    square: !!f._fullLayout.yaxis?.scaleanchor,
    top: box.top, bottom: box.bottom, width: box.width,
    note: f.querySelector('.mask-lab-thinned')?.textContent ?? null,
  };
}"""
MAIN = f"() => [...document.querySelectorAll('.js-plotly-plot')].filter((f) => f.layout?.meta?.fill).map({SEEN})"


# the sizes of the page's words: captions, control labels, warnings, paragraphs
TEXT = """() => [...document.querySelectorAll(`[data-testid="stMain"] :is([data-testid="stCaptionContainer"],
  [data-testid="stWidgetLabel"] p, [data-testid="stAlert"] p, [data-testid="stMarkdownContainer"] p)`)]
  .filter((el) => el.getClientRects().length && el.textContent.trim())
  .map((el) => parseFloat(getComputedStyle(el).fontSize))"""


def presented(chromium, size: str, path: str, name: str):
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(60_000)
    joiner = "&" if "?" in path else "?"
    page.goto(f"{path}{joiner}present=true")
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)  # a cold page decodes first
    wait_for_app(page)
    # the browser fits the stage's figures to the window after their first draw: wait for it
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted !== false"
        " && (!f.layout?.meta?.fill || f.layout.height !== f.layout.meta.fill))"
    )
    page.screenshot(path=ARTIFACTS / f"projector-{size}-{name}.png")
    return context, page


def check_stage(page, size: str, what: str, single: bool) -> list[dict]:
    height = SIZES[size]["height"]
    figures = page.evaluate(MAIN)
    assert figures, f"{what}: no figure is marked as the one the view is about"
    assert min(fig["top"] for fig in figures) < 120, figures  # the stage starts at the top: nothing above it
    for fig in figures:
        said = f"{what} at {size}: {fig['title']!r} {fig}"
        assert fig["bottom"] <= height + 1, said  # whole above the fold
        assert fig["ticks"] >= 19, said
        for axis in ("keys", "queries"):
            shown, labels = fig[axis]
            if labels <= 24:
                assert shown == labels, f"{said}: {shown} of {labels} {axis} labels shown"
            elif shown < labels:  # past 24 they may thin, and the figure says how many it shows
                assert fig["note"] and f"{shown} of {labels}" in fig["note"], said
    if single:  # one figure on the stage: it takes the screen's height, and so do square cells
        assert figures[0]["bottom"] - figures[0]["top"] >= 0.8 * height, figures[0]
        if figures[0]["square"]:
            assert figures[0]["cells"] >= (650 if size == "1080p" else 360), figures[0]
    # the words beside it at a projector's size
    text = page.evaluate(TEXT)
    assert text and min(text) >= 22, text
    return figures


PAGES = {
    "masks": ("masks?text=the+cat+sat+on+the+mat+because+it+was+tired+and+slept+a+lot+.", True),
    "masks-24": ("masks?input=length&n=24", True),
    "attention": ("attention?model=copy&text=fcamkd", True),
    "attention-pipeline": ("attention?view=pipeline", False),
    "attention-lines": ("attention?view=lines", True),
    "minilm": ("attention?model=minilm-l6", True),
    "cross": ("cross", True),
    "normalization": ("normalization", False),
    "block": ("block?change_at=3", True),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_fills_the_projector_with_the_figure_it_is_about(chromium, app_url, size, name):
    path, single = PAGES[name]
    if name == "attention-pipeline" and size == "720p":
        pytest.skip("the pipeline's four panels share 720 px: its labels thin there, and say so")
    context, page = presented(chromium, size, f"{app_url}/{path}", name)
    check_stage(page, size, name, single)
    context.close()


UNDER = {
    "block": ("block?change_at=3", "Rows changed"),
    "masks-compare": ("masks?view=compare", "difference"),
    "rollout": ("attention?view=aggregate", "rollout"),
}


@pytest.mark.parametrize("name", UNDER)
def test_a_map_under_the_stage_is_as_large_as_the_screen_allows(chromium, app_url, name):
    """Scrolled to, a map of square cells under the stage (the difference of two masks, the rows each
    stage of a block changed, attention rollout) takes the screen's width or height, at a projector's
    sizes, every label shown (their cells were 22, 16 and 18 px wide)."""
    path, title = UNDER[name]
    context, page = presented(chromium, "1080p", f"{app_url}/{path}", f"under-{name}")
    figure = page.locator(".js-plotly-plot").filter(has=page.locator(".gtitle", has_text=title))
    figure.scroll_into_view_if_needed()
    seen = figure.evaluate(SEEN)
    cell = seen["cells"] / min(seen["keys"][1], seen["queries"][1])  # the plot's shorter side over its cells
    assert seen["square"] and cell >= 40, (cell, seen)
    assert seen["bottom"] - seen["top"] <= SIZES["1080p"]["height"], seen  # one screen holds it
    assert seen["ticks"] >= 19 and seen["keys"][0] == seen["keys"][1] and seen["queries"][0] == seen["queries"][1], seen
    context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", range(1, len(slides.shipped_deck(DECK).slides) + 1))
def test_every_slide_fills_the_projector_with_the_figure_it_is_about(chromium, app_url, size, step):
    deck = slides.shipped_deck(DECK)
    slide = deck.slides[step - 1]
    query = "&".join(f"{k}={v}" for k, v in deck.query(DECK, step - 1).items())
    context, page = presented(chromium, size, f"{app_url}/{slide.url_path}?{query}", f"slide-{step}")
    check_stage(page, size, f"slide {step}", single=slide.params.get("view") != "unilm")
    # the slide's title is on the screen beside its figure
    expect(page.get_by_role("heading", name=slide.title)).to_be_in_viewport()
    context.close()


def test_past_24_tokens_the_labels_thin_and_the_figure_says_so(chromium, app_url):
    context, page = presented(chromium, "720p", f"{app_url}/masks?input=length&n=40", "masks-40")
    (fig,) = check_stage(page, "720p", "40 positions", single=True)
    assert fig["keys"][0] < 40 and f"{fig['keys'][0]} of 40 key labels" in fig["note"], fig
    context.close()


def test_the_clicker_steps_the_deck_after_a_click_on_a_control(chromium, app_url):
    """A presenter's remote sends PageDown / PageUp: they step the deck even when the focus is on the
    control the lecturer just clicked (Head 2 on slide 6), and not while typing in a text box."""
    context, page = presented(chromium, "1080p", f"{app_url}/attention?slides={DECK}&step=6", "clicker")
    page.get_by_role("radiogroup", name="Head").get_by_role("radio", name="2").click()
    wait_for_app(page)
    assert "head=2" in page.url
    page.keyboard.press("PageDown")
    expect(page).to_have_url(re.compile(r"step=7"))
    wait_for_app(page)
    page.keyboard.press("PageUp")
    expect(page).to_have_url(re.compile(r"step=6"))
    wait_for_app(page)
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"step=7"))
    wait_for_app(page)
    # in a text box the keys are the text's: the deck stays where it is
    page.get_by_test_id("stExpandSidebarButton").click()
    box = page.get_by_test_id("stSidebar").get_by_role("textbox").first
    box.click()
    page.keyboard.press("PageDown")
    page.keyboard.press("ArrowLeft")
    wait_for_app(page)
    assert "step=7" in page.url
    context.close()


def test_presentation_mode_switched_on_loads_the_page_in_its_layout(chromium, app_url):
    """The toggle changes the page's layout (the stage and the column beside it): the page is loaded
    again, so that no control bound to the address bar is drawn in other blocks within one page's life."""
    context = chromium.new_context(viewport=SIZES["1080p"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/masks?scheme=prefix_lm")
    wait_for_app(page)
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    # the run the toggle starts draws presentation mode, then the page loads again in its layout
    with page.expect_event("load"):
        page.get_by_test_id("stSidebar").get_by_text("Presentation mode").click()
    wait_for_app(page)
    assert page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--mask-lab-presenting')")
    assert len(loads) == 1 and "present=true" in loads[0] and "scheme=prefix_lm" in loads[0], loads
    assert page.evaluate(MAIN)[0]["title"].startswith("prefix_lm")
    # a control's change still reaches the address bar after the switch
    page.get_by_role("radiogroup", name="View").get_by_role("radio", name="compare").click()
    expect(page).to_have_url(re.compile(r"view=compare"))
    context.close()


def test_the_class_gets_the_view_by_a_qr_code_one_click_beside_the_stage(chromium, app_url):
    context, page = presented(chromium, "1080p", f"{app_url}/attention?slides={DECK}&step=6", "qr")
    button = page.get_by_role("button", name="Show the class this view")
    expect(button).to_be_in_viewport()
    button.click()
    dialog = page.get_by_role("dialog")
    image = dialog.get_by_role("img").first
    expect(image).to_be_visible()
    assert image.bounding_box()["width"] >= 400  # scanned from the back of a hall
    link = dialog.get_by_test_id("stCode").first.text_content()
    assert f"slides={DECK}" in link and "step=6" in link and "present=true" in link
    page.screenshot(path=ARTIFACTS / "projector-qr.png")
    context.close()
