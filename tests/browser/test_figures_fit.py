"""No text of a figure sits on another, none runs off the figure's sides, and no empty band under
a heatmap's cells, on every page and view at a projector (presentation mode), a desk and a phone.
Screenshots under tests/artifacts/."""

from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for_app

LINKS = [
    "",
    "masks",
    "masks?view=compare",
    "masks?view=unilm",
    "attention",
    "attention?view=pipeline",
    "attention?view=aggregate",
    "attention?view=lines",
    "attention?model=minilm-l6",
    "attention?model=minilm-l6&view=pipeline&seq=2",
    "cross",
    "cross?view=pipeline",
    "cross?view=aggregate",
    "normalization",
]
SIZES = {"projector": (1920, 1080), "desk": (1400, 1000), "phone": (390, 844)}
# presentation mode on a projector, and on the phone of a student who opened the lecturer's link
SCREENS = {"projector": ("projector", True), "desk": ("desk", False), "phone": ("phone", False),
           "phone-presentation-link": ("phone", True)}  # fmt: skip
FIT = (Path(__file__).parent / "figure_fit.js").read_text(encoding="utf-8")
BAND = 60  # px of empty space allowed under square cells: a legend's own margin


@pytest.mark.parametrize("screen", SCREENS)
def test_figures_fit_the_screen_no_text_overlaps_is_cut_or_floats(chromium, app_url, screen):
    size, presenting = SCREENS[screen]
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(90_000)
    found = []
    for link in LINKS:
        joiner = "&" if "?" in link else "?"
        page.goto(f"{app_url}/{link}" + (f"{joiner}present=true" if presenting else ""))
        wait_for_app(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
        # the label thinning and title fitting run after each Plotly draw
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
        found += [f"{link or 'home'}: {problem}" for problem in page.evaluate(FIT, BAND)]
        name = (link or "home").replace("?", "-").replace("=", "-").replace("&", "-")
        page.screenshot(path=ARTIFACTS / f"fit-{screen}-{name}.png")
    context.close()
    assert not found, "\n".join(found)


# Margins a figure was sent with, and the ones Plotly drew it with: a difference means Plotly made
# room for labels, a colour bar or a legend by itself (automargin), which is a second full draw
PUSHES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((f) => {
  const sent = {l: 80, r: 80, t: 100, b: 80, ...f.layout.margin}, drawn = f._fullLayout._size;
  const sides = ['l', 'r', 't', 'b'].filter((side) => drawn[side] > sent[side] + 0.5);
  const pushed = sides.map((s) => `${s} ${sent[s]} -> ${Math.round(drawn[s])}`).join(', ');
  return sides.length ? [`${f.layout.title.text}: ${pushed}`] : [];
})"""


def test_figures_come_with_the_room_their_labels_need_so_plotly_draws_each_once(chromium, app_url):
    """At a desk's size every figure's margins already hold its labels, axis titles, colour bar and
    legend: Plotly would otherwise draw it twice on every page load and every change (a heatmap's
    draw is most of what a head change costs in the browser)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)
    found = []
    for link in LINKS:
        page.goto(f"{app_url}/{link}")
        wait_for_app(page)
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
        found += [f"{link or 'home'}: {problem}" for problem in page.evaluate(PUSHES)]
    context.close()
    assert not found, "\n".join(found)


# Square-cell maps whose right margin Plotly widened beyond the one sent: something beside the cells
# (a legend that does not fit beside the colour bar) took width from them
NARROWED = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((f) => {
  const sent = f.layout.margin?.r ?? 80, drawn = f._fullLayout._size.r;
  return f.layout.yaxis?.scaleanchor && drawn > sent + 0.5 ? [`${f.layout.title.text}: r ${sent} -> ${drawn}`] : [];
})"""


def test_on_a_phone_nothing_beside_square_cells_makes_them_narrower(chromium, app_url):
    """A phone's width is all a map of square cells has: a legend that does not fit beside the colour
    bar goes under it, rather than Plotly widening the right margin for it (the head map of /attention
    was 189 px wide in a 358 px figure, and half its query labels were hidden)."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(90_000)
    found = []
    for link in ["attention", "block", "attention?model=minilm-l6", "masks", "cross"]:
        page.goto(f"{app_url}/{link}")
        wait_for_app(page)
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every((f) => f.maskLabFitted)")
        found += [f"{link}: {problem}" for problem in page.evaluate(NARROWED)]
        page.screenshot(path=ARTIFACTS / f"phone-cells-{link.replace('?', '-').replace('=', '-')}.png")
    context.close()
    assert not found, "\n".join(found)


# what sticks out past the right edge of a phone's screen: the page then scrolls sideways under the thumb
WIDER = """() => [...document.querySelectorAll('[data-testid="stMain"] *')].flatMap((el) => {
  const box = el.getBoundingClientRect();
  if (!box.width || box.right <= innerWidth + 1 || el.closest('[data-testid="stSidebar"]')) return [];
  // inside something that scrolls or clips it by itself (a table's own scroll), short of the page's
  // own scroller (stMain), which is what would scroll sideways
  let clipped = false;
  for (let up = el.parentElement; up && !clipped && up.dataset.testid !== "stMain"; up = up.parentElement) {
    const style = getComputedStyle(up);
    clipped = up.getBoundingClientRect().right <= innerWidth + 1 && /auto|scroll|hidden|clip/.test(style.overflowX);
  }
  return clipped ? [] : [`${el.tagName.toLowerCase()}.${el.className || ''} ends at ${Math.round(box.right)} px`];
}).slice(0, 3)"""


def test_on_a_phone_no_page_is_wider_than_the_screen(chromium, app_url):
    """A student's phone shows each page in its width: nothing runs past the right edge (the
    normalization table did, and the whole page scrolled sideways)."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(90_000)
    found = []
    for link in ["", "masks", "attention", "cross", "block", "normalization"]:
        page.goto(f"{app_url}/{link}")
        wait_for_app(page)
        found += [f"/{link}: {problem}" for problem in page.evaluate(WIDER)]
    context.close()
    assert not found, "\n".join(found)
