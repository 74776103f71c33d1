"""In front of a class: a projector (1920x1080, presentation mode), a dark embed, a phone
(390x844), slides that step in the running page. Screenshots under tests/artifacts/."""

from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect

import app.pages
from app import figures
from app.lecture import slides
from app.lecture.export import write_pack
from app.pages import HOME
from tests.browser.conftest import ARTIFACTS, PHONE, picked, wait_for_app

PAGES = ["" if page.name == HOME else page.name for page in app.pages.PAGES]
PROJECTOR = {"width": 1920, "height": 1080}

SIZES = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const px = (sel) => [...document.querySelectorAll(sel)].filter(visible)
    .map((el) => parseFloat(getComputedStyle(el).fontSize));
  const main = '[data-testid="stMain"] ';
  return {
    text: px(main + '[data-testid="stMarkdownContainer"] p'),
    captions: px(main + '[data-testid="stCaptionContainer"]'),
    labels: px(main + '[data-testid="stWidgetLabel"] p'),
    warnings: px(main + '[data-testid="stAlert"] p'),
    titles: [...document.querySelectorAll(".js-plotly-plot .gtitle")].map((t) => parseFloat(t.style.fontSize)),
    subtitles: [...document.querySelectorAll(".js-plotly-plot .gtitle-subtitle")]
      .map((t) => parseFloat(t.style.fontSize)),
    ticks: [...document.querySelectorAll(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text")]
      .map((t) => parseFloat(t.style.fontSize)),
  };
}"""


def opened(context, url: str, name: str):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    return page


# for each figure of the page, whether it is one the view is about (on the stage: app/figures/projector.py)
STAGED = "() => [...document.querySelectorAll('.js-plotly-plot')].map((f) => !!f.layout?.meta?.fill)"


def figure_bottom(page, index: int = 0) -> float:
    return page.locator(".js-plotly-plot").nth(index).evaluate("f => f.getBoundingClientRect().bottom")


PRESENTED = [*PAGES, "attention?model=minilm-l6"]  # a real model: its table of sentences under the figures


@pytest.mark.parametrize("path", PRESENTED, ids=[p or "home" for p in PRESENTED])
def test_presentation_mode_is_readable_from_the_back_row(chromium, app_url, path):
    context = chromium.new_context(viewport=PROJECTOR)
    joiner = "&" if "?" in path else "?"
    page = opened(context, f"{app_url}/{path}{joiner}present=true", f"projector-{path or 'home'}")
    sizes = page.evaluate(SIZES)
    for kind in ("text", "captions", "labels", "warnings", "subtitles"):
        assert min(sizes[kind], default=22) >= 22, (kind, sizes[kind])
    assert sizes["titles"] and min(sizes["titles"]) >= 24, sizes["titles"]
    assert min(sizes["ticks"], default=19) >= 19, sizes["ticks"]
    assert page.evaluate("window.scrollY") == 0 and figure_bottom(page) <= PROJECTOR["height"]
    # the share panel is one click away: the sidebar opens from the top-left arrow
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(page.get_by_text("Share this view")).to_be_visible()
    context.close()


def test_a_dark_embed_is_dark_everywhere_and_a_light_one_stays_light(chromium, app_url):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    # padding: its [PAD] tokens' labels are dimmed, and must still read on the dark paper
    dark = opened(context, f"{app_url}/masks?scheme=padding&embed=true&embed_options=dark_theme", "embed-dark-masks")
    contrast = dark.evaluate(
        """() => {
          const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
          const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          const lum = ([r, g, b]) => [r, g, b].map(linear)
            .reduce((sum, v, k) => sum + v * [0.2126, 0.7152, 0.0722][k], 0);
          const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
          const background = (el) => {
            for (; el; el = el.parentElement) {
              const c = rgb(getComputedStyle(el).backgroundColor);
              if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
            }
            return [255, 255, 255];
          };
          const page = background(document.querySelector('[data-testid="stMain"]'));
          const worst = [];
          const main = '[data-testid="stMain"] ';
          for (const el of document.querySelectorAll(`${main}p, ${main}h1, ${main}label`)) {
            if (!el.textContent.trim() || !el.getClientRects().length) continue;
            const mixed = rgb(getComputedStyle(el).color);  // rgba text over its background
            const back = background(el), alpha = mixed.length === 4 ? mixed[3] : 1;
            const seen = mixed.slice(0, 3).map((v, k) => v * alpha + back[k] * (1 - alpha));
            worst.push([ratio(seen, back), el.textContent.slice(0, 40)]);
          }
          const paper = rgb(getComputedStyle(document.querySelector(".js-plotly-plot .main-svg")).backgroundColor);
          const figureText = [...document.querySelectorAll(
            ".js-plotly-plot .gtitle, .js-plotly-plot .xtick text, .js-plotly-plot .xtick tspan")]
            .map((t) => ratio(rgb(getComputedStyle(t).fill), paper.slice(0, 3)));
          return {page, paper, worst: worst.sort((a, b) => a[0] - b[0])[0], figureText: Math.min(...figureText)};
        }"""
    )
    assert max(contrast["page"]) < 40 and max(contrast["paper"][:3]) < 40, contrast
    assert contrast["paper"][:3] == contrast["page"], contrast  # the figure's paper is the page, not a box on it
    assert contrast["worst"][0] >= 7 and contrast["figureText"] >= 7, contrast
    assert dark.locator(".js-plotly-plot .xtick tspan", has_text="[PAD]").count() > 0
    # data colours are the light theme's (the allowed cells stay Okabe-Ito blue); blocked cells turn a
    # dark grey: light grey was the brightest thing on the dark page
    scale = dark.evaluate("JSON.stringify(document.querySelector('.js-plotly-plot').data[0].colorscale)")
    assert "#0072B2" in scale and figures.DARK["blocked"] in scale and "#E6E6E6" not in scale, scale
    light = opened(context, f"{app_url}/masks?embed=true&embed_options=light_theme", "embed-light-masks")
    back = light.evaluate("getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).backgroundColor")
    assert back in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), back
    context.close()


PHONE_CHECK = r"""() => {
  const overlaps = (a, b) =>
    a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const problems = [];
  for (const figure of document.querySelectorAll(".js-plotly-plot")) {
    const box = figure.getBoundingClientRect();
    for (const axis of figure.querySelectorAll(".xaxislayer-above, .yaxislayer-above")) {
      const texts = [...axis.querySelectorAll("text")].filter((t) => t.style.display !== "none" && t.textContent);
      const slant = texts.length && /rotate\((-?[\d.]+)/.exec(texts[0].getAttribute("transform") || "");
      const labels = texts.map((t) => t.getBoundingClientRect());
      if (slant) {  // parallel slanted labels: their distance across the slant must hold a line of text
        const across = Math.abs(Math.sin((Number(slant[1]) * Math.PI) / 180));
        const size = parseFloat(texts[0].style.fontSize);
        const centres = labels.map((b) => b.left).sort((a, b) => a - b);  // where each starts, at its tick
        centres.forEach((c, k) => {
          if (k && (c - centres[k - 1]) * across < 0.75 * size) problems.push("slanted labels overlap");
        });
      } else {  // a text's box holds a fifth of its size of empty line above and below: letters touch past that
        const size = parseFloat(texts[0]?.style.fontSize) || 12;
        const letters = (b) => ({left: b.left, right: b.right, top: b.top + 0.1 * size, bottom: b.bottom - 0.1 * size});
        labels.map(letters).forEach((a, k, all) => all.slice(k + 1).forEach((b) => {
          if (overlaps(a, b)) problems.push("tick labels overlap");
        }));
      }
    }
    for (const text of figure.querySelectorAll(".gtitle, .colorbar text, .annotation text, .legend text")) {
      const t = text.getBoundingClientRect();
      const out = t.left < box.left - 1 || t.right > box.right + 1 || t.bottom > box.bottom + 1;
      if (out) problems.push("text cut: " + text.textContent);
    }
    const plot = figure.querySelector(".nsewdrag");
    for (const bar of figure.querySelectorAll(".colorbar, .legend")) {
      const below = !plot || bar.getBoundingClientRect().top >= plot.getBoundingClientRect().bottom - 1;
      if (!below) problems.push("legend beside the plot");
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push("horizontal scrolling");
  return [...new Set(problems)];
}"""


# every page, and a mask with rows that have no key (flagged at the right of the grid)
PHONE_VIEWS = [*PAGES, "masks?scheme=causal&c1_op=and&c1_scheme=padding&c1_side=left"]


@pytest.mark.parametrize("path", PHONE_VIEWS, ids=[p.split("?")[0] or "home" for p in PHONE_VIEWS])
def test_a_phone_can_read_every_page(chromium, app_url, path):
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = opened(
        context, f"{app_url}/{path}", f"phone-{path.split('?')[0] or 'home'}{'-empty-rows' if '?' in path else ''}"
    )
    # figures fit the phone once drawn (app/browser.js): wait until every one was fitted
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
    assert page.evaluate(PHONE_CHECK) == []
    # Plotly's modebar would cover the title or the grid's last column: hidden on a phone
    for figure in page.locator(".js-plotly-plot:has(.modebar-container)").all()[:3]:
        figure.hover()
        assert not figure.locator(".modebar").is_visible()
    if path.startswith("masks"):  # the grid takes the width the labels leave (it was ~140 px of 390)
        grid = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
        assert grid["width"] >= 0.5 * PHONE["width"] and grid["height"] >= 0.5 * PHONE["width"], grid
    context.close()


TABLES = ["masks?scheme=sliding_window&tab=Windows", "attention?view=shapes"]


@pytest.mark.parametrize("path", TABLES, ids=["windows", "shapes"])
def test_on_a_phone_a_tables_toolbar_covers_no_text(chromium, app_url, path):
    """A touched table shows its toolbar (search, download, full screen) above itself: over empty
    room, not over the pills or the sentence before the table."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    table.tap()
    toolbar = page.get_by_test_id("stElementToolbar").first
    expect(toolbar).to_be_visible()
    page.screenshot(path=ARTIFACTS / f"phone-table-toolbar-{path.split('?')[0]}.png")
    covered = toolbar.evaluate("""(bar) => {
      const box = bar.getBoundingClientRect();
      const main = '[data-testid="stMain"] ';
      return [...document.querySelectorAll(`${main}p, ${main}button, ${main}code`)]
        .filter((el) => !bar.contains(el) && !el.closest('[data-testid="stDataFrame"]'))
        .filter((el) => { const r = el.getBoundingClientRect();
          return r.width > 0 && r.left < box.right && box.left < r.right && r.top < box.bottom && box.top < r.bottom; })
        .map((el) => el.textContent.slice(0, 40));
    }""")
    assert covered == [], covered
    context.close()


def test_the_default_heatmap_uses_a_wide_screen(page, app_url):
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    figure = page.locator(".js-plotly-plot").first
    grid = figure.locator(".nsewdrag").bounding_box()
    labels = [t.bounding_box() for t in figure.locator(".ytick text").all()]
    assert grid["width"] >= 350, grid  # 11 tokens: cells of 32 px or more
    assert grid["x"] - max(b["x"] + b["width"] for b in labels) <= 24  # the query labels sit at the grid


def step_url(app_url: str, deck: slides.Deck, k: int) -> str:
    return f"{app_url}/{deck.slides[k].url_path}?{urlencode({**deck.query('mask-schemes', k), 'present': 'true'})}"


def test_slides_step_in_the_running_page_with_their_title_caption_and_key_figure(chromium, app_url):
    deck = slides.shipped_deck("mask-schemes")
    context = chromium.new_context(viewport=PROJECTOR)
    page = opened(context, step_url(app_url, deck, 0), "slide-1")
    page.evaluate("window.stillTheSamePage = true")  # gone if a step reloaded the page
    for k, slide in enumerate(deck.slides):
        if k:
            if k % 2:
                page.keyboard.press("ArrowRight")
            else:
                page.get_by_role("link", name="Next ▶").first.click()
            page.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{k + 1}'")
            wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=slide.title)).to_be_visible()
        expect(main.get_by_text(slide.caption)).to_be_visible()
        query = {key: v[0] for key, v in parse_qs(urlparse(page.url).query).items()}
        assert query["slides"] == "mask-schemes" and query["step"] == str(k + 1) and query["present"] == "true"
        # the key figures: those the view is about (on the stage), else the head the slide names, else
        # every figure (UniLM's four masks)
        titles = [t.text_content() for t in page.locator(".js-plotly-plot .gtitle").all()]
        staged = page.evaluate(STAGED)
        named = [i for i, t in enumerate(titles) if f"layer {slide.params.get('layer')}, head" in t]
        for i in [i for i, on in enumerate(staged) if on] or named[:1] or range(len(titles)):
            assert figure_bottom(page, i) <= PROJECTOR["height"], (k + 1, titles[i])
        expect(page.get_by_test_id("stException")).to_have_count(0)
        page.screenshot(path=ARTIFACTS / f"slide-{k + 1}.png")
    assert page.evaluate("window.stillTheSamePage") is True
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{len(deck.slides) - 1}'")
    wait_for_app(page)
    page.go_back()  # each step is an entry of the history
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{len(deck.slides)}'")
    context.close()


def test_back_and_forward_walk_the_slides_with_no_error(chromium, app_url):
    """Browser Back after each step (within a page and onto another) returns to the step before, drawn
    as its link draws it; Forward comes back. (Back after a step within a page raised "Cannot
    directly set query parameter 'scheme' - it is bound to a widget".)"""
    deck = slides.shipped_deck("mask-schemes")
    context = chromium.new_context(viewport=PROJECTOR)
    page = opened(context, step_url(app_url, deck, 0), "slide-back-1")

    drawn = {}  # step -> the titles of its figures when stepped to

    def at_step(k: int) -> None:
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{k + 1}'")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=deck.slides[k].title)).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        titles = [t.text_content() for t in page.locator(".js-plotly-plot .gtitle").all()]
        assert drawn.setdefault(k, titles) == titles, (k + 1, titles, drawn[k])

    at_step(0)
    for k in range(1, len(deck.slides)):
        page.keyboard.press("ArrowRight")
        at_step(k)
    for k in range(len(deck.slides) - 2, -1, -1):
        page.go_back()
        at_step(k)
        page.screenshot(path=ARTIFACTS / f"slide-back-{k + 1}.png")
    for k in range(1, 3):
        page.go_forward()
        at_step(k)
    context.close()


def test_the_packs_slides_have_previous_next_and_index_links_that_work_offline(chromium, tmp_path):
    deck = slides.shipped_deck("mask-schemes")
    write_pack(slides.Deck(deck.title, deck.slides[:3]), tmp_path, images=False)
    context = chromium.new_context(offline=True)
    page = context.new_page()
    first = sorted(tmp_path.glob("01-*.html"))[0]
    page.goto(first.as_uri())
    expect(page.get_by_role("heading", name=deck.slides[0].title)).to_be_visible()
    expect(page.get_by_text(deck.slides[0].caption)).to_be_visible()
    page.get_by_role("link", name="Next ▶").click()
    expect(page.get_by_role("heading", name=deck.slides[1].title)).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("heading", name=deck.slides[2].title)).to_be_visible()
    expect(page.get_by_role("link", name="Next ▶")).to_have_count(0)  # the last slide
    page.get_by_role("link", name="◀ Previous").click()
    expect(page.get_by_role("heading", name=deck.slides[1].title)).to_be_visible()
    page.get_by_role("link", name="Index").click()
    expect(page.get_by_role("heading", name=deck.title)).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 0")
    context.close()


def test_no_request_leaves_the_server(chromium, app_url):
    """Offline in a lecture hall: the favicon and everything else come from the app itself."""
    context = chromium.new_context()
    page = context.new_page()
    hosts = set()
    # (a blob: address is the page's own: the figure element's script, made in the page)
    page.on("request", lambda request: hosts.add(urlparse(request.url.removeprefix("blob:")).hostname))
    page.goto(f"{app_url}/masks")
    wait_for_app(page)
    assert hosts <= {"127.0.0.1"}, hosts
    context.close()


def test_a_slide_step_is_one_run_that_draws_what_its_link_draws(app_url):
    """Next runs the next page once, not twice (a switch to its link would double the wait), and
    draws exactly what the step's link opened afresh draws, though Streamlit drops on a page change
    the link's values bound to the page before (`layer`, `model` are on more than one page)."""
    from tests import streamlit_client

    deck = slides.shipped_deck("mask-schemes")
    links, url = [], {}
    for k, slide in enumerate(deck.slides):
        url = {**url, **deck.query("mask-schemes", k), "present": "true"}  # as the browser sends it
        links.append((slide.page, urlencode(url)))
        url = {**deck.query("mask-schemes", k), "present": "true"}
    stepped = streamlit_client.run(streamlit_client.open_in_turn(app_url, links))
    for k, (visit, slide) in enumerate(zip(stepped, deck.slides, strict=True)):
        alone = streamlit_client.visit(app_url, slide.page, urlencode(deck.query("mask-schemes", k)) + "&present=true")
        assert not visit.exceptions and visit.runs == 1, (k + 1, visit.runs, visit.exceptions)
        assert visit.charts == alone.charts, f"slide {k + 1} drew another view than its link"


@pytest.mark.parametrize(("start", "button"), [(6, "Next ▶"), (7, "◀ Previous")])
def test_after_a_slide_step_in_the_page_every_picker_shows_what_is_drawn(page, app_url, start, button):
    """A head and a layer clicked on one slide, then the next or previous slide of the same page: the
    pickers once kept the clicked head while the figure drew the slide's (a click on it then did
    nothing), and the Mask picker kept "custom" while the figure drew the trained mask (the next
    click applied it, and the share link named it)."""
    deck = slides.shipped_deck("mask-schemes")
    page.goto(f"{app_url}/attention?{urlencode(deck.query('mask-schemes', start - 1))}")
    wait_for_app(page)
    page.get_by_role("radiogroup", name="Layer", exact=True).get_by_role("radio", name="0", exact=True).click()
    wait_for_app(page)
    page.get_by_role("radiogroup", name="Head", exact=True).get_by_role("radio", name="3", exact=True).click()
    wait_for_app(page)
    page.get_by_role("link", name=button).first.click()
    other = deck.slides[start - 1 + (1 if button.startswith("Next") else -1)]
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=other.title)).to_be_visible()
    wait_for_app(page)
    head = f"layer {other.params['layer']}, head {other.params['head']}"
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_contain_text(head)
    assert (picked(page, "Layer"), picked(page, "Head")) == (str(other.params["layer"]), str(other.params["head"]))
    assert picked(page, "Mask") == other.params.get("mask", "trained")
    page.get_by_role("radiogroup", name="Head", exact=True).get_by_role("radio", name="3", exact=True).click()
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=", head ")).to_contain_text(", head 3")
    assert picked(page, "Mask") == other.params.get("mask", "trained")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_back_onto_a_slide_of_another_page_returns_the_view_the_reader_left(page, app_url):
    """Slide 5 (Masks) with the reader's own view, Next onto slide 6 (Attention), then Back: the
    reader's view, as the history entry holds it, not the slide's own (it once came back as the slide's)."""
    deck = slides.shipped_deck("mask-schemes")
    page.goto(f"{app_url}/masks?{urlencode(deck.query('mask-schemes', 4))}")
    wait_for_app(page)
    page.get_by_role("radiogroup", name="View", exact=True).get_by_role("radio", name="compare", exact=True).click()
    wait_for_app(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('view') === 'compare'")
    page.get_by_role("link", name="Next ▶").first.click()
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=deck.slides[5].title)).to_be_visible()
    wait_for_app(page)
    page.go_back()
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=deck.slides[4].title)).to_be_visible()
    wait_for_app(page)
    assert picked(page, "View") == "compare"
    assert parse_qs(urlparse(page.url).query)["view"] == ["compare"]
