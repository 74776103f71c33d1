"""Browser-measured timings: apps started as servers, Chromium driven by Playwright."""

from __future__ import annotations

import statistics
from contextlib import contextmanager
from pathlib import Path

from app.chromium import CHROMIUM_ARGS, chromium_path
from tests.browser.conftest import COUNT_RUNS, wait_for_app
from tests.server import free_port, start_app

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def served(entry: Path):
    """(base URL) of the app at `entry`, served for the block."""
    port = free_port()
    process = start_app(entry, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise SystemExit("benchmarks need Chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


# Timed inside the page: from the user's input event (pointer or key) to the first DOM change
# that makes `done(arg)` true, so Playwright's own overhead (actionability checks) is not counted.
MEASURE = """([done, arg]) => {
  window.__elapsed = undefined;
  const check = new Function('arg', 'return (' + done + ')(arg)');
  let start;
  const begin = () => { if (start === undefined) start = performance.now(); };
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, begin, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (start !== undefined && check(arg)) { window.__elapsed = performance.now() - start; observer.disconnect(); }
  });
  observer.observe(document.body, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def timed(page, action, done_js: str, arg) -> float:
    """Seconds from the input event of `action()` until `done_js(arg)` holds in the page; then
    waits, untimed, for the app to be idle before the next action."""
    page.evaluate(MEASURE, [done_js, arg])
    action()
    page.wait_for_function("() => window.__elapsed !== undefined")
    elapsed = page.evaluate("window.__elapsed") / 1000
    wait_for_app(page)
    return elapsed


def slider_baseline(page, base_url: str, repeats: int) -> float:
    """Median time from a slider key press to the text it drives, in the minimal app."""
    page.goto(base_url)
    wait_for_app(page)
    slider = page.get_by_role("slider")
    times = []
    for value in range(1, repeats + 2):
        slider.focus()
        shows = "v => document.body.innerText.includes('value is ' + v)"
        times.append(timed(page, lambda: slider.press("ArrowRight"), shows, value))
    return statistics.median(times[1:])  # the first one warms the connection up


# the figure whose title ends with 'head h' has been drawn
HEAD_SHOWN = (
    "h => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(t => t.textContent.endsWith('head ' + h))"
)


def head_clicks(page, url: str, changes: int) -> tuple[list[float], int]:
    """`changes` clicks on the Head picker of the page at `url`, each timed to the figure showing the
    head; and how many script runs they caused on the server."""
    page.goto(url)
    wait_for_app(page)
    page.evaluate(COUNT_RUNS)
    heads = page.get_by_role("radiogroup", name="Head", exact=True)
    times = [
        timed(page, heads.get_by_role("radio", name=str(h % 4), exact=True).click, HEAD_SHOWN, h % 4)
        for h in range(1, changes + 1)
    ]
    return times, page.evaluate("window.__runs")


def heatmap_redraws(page, base_url: str, n: int, changes: int) -> list[float]:
    """Head changes in the one-heatmap app: the cost of any Plotly redraw of this size."""
    return head_clicks(page, f"{base_url}?n={n}", changes)[0]


def plotly_floor(page, base_url: str, n: int, changes: int) -> float:
    """Median head change in the one-heatmap app."""
    return statistics.median(heatmap_redraws(page, base_url, n, changes))
