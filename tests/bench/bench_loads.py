"""Page loads in Chromium: every page against a one-slider Streamlit app, same run.

Run with `python -m tests.bench.bench_loads` (part of `make bench`). A load is timed in the page from
the navigation's start to the first figure drawn (for the one-slider app: its text drawn), two ways:
a first visit (a new browser context: nothing in the browser's cache) and a visit again (the same
browser, its cache holding Streamlit's and Plotly's code, as for a link opened a second time). The
server's caches are warm (one untimed visit per page first), as they are for every student after the
first. For reference, the one-heatmap app (one plain Plotly heatmap): what loading Plotly costs.
Goals: every page at most 1.5x the one-slider app (issue 14); on a first visit, every page at most
1.0x the one-heatmap app (issue 27: our figure element and plotly.js's cartesian bundle against
st.plotly_chart's full Plotly). Writes tests/bench/results/loads.md.
"""

from __future__ import annotations

import statistics

import app.pages
from app.pages import HOME
from tests.bench.browser import ROOT, served
from tests.bench.common import machine, write_result
from tests.browser.conftest import wait_for_app

LOADS = 7
GOAL = 1.5
PAGES = {page.name: "" if page.name == HOME else page.name for page in app.pages.PAGES}
FIGURE = ".js-plotly-plot .main-svg"

# From the navigation's start (performance.now() counts from it) to the first moment `shown()` holds.
MARK = """(() => {
  const shown = () => %s;
  const check = () => { if (window.__shown === undefined && shown()) window.__shown = performance.now(); };
  new MutationObserver(check).observe(document, {childList: true, subtree: true, characterData: true});
})()"""
FIGURE_SHOWN = MARK % f"document.querySelector('{FIGURE}') !== null"
TEXT_SHOWN = MARK % "(document.body?.innerText ?? '').includes('value is 0')"


def visit(context, url: str) -> float:
    """Seconds from navigation to the mark; returns once the page's run is over."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_function("() => window.__shown !== undefined")
    shown = page.evaluate("window.__shown") / 1000
    wait_for_app(page)
    page.close()
    return shown


def load_times(browser, url: str, mark: str) -> tuple[list[float], list[float]]:
    """First visits (a fresh context each) and visits again (one context), LOADS of each; the very
    first visit warms the server and is not counted."""
    first, again = [], []
    for k in range(LOADS + 1):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(mark)
        seconds = visit(context, url)
        if k > 0:
            first.append(seconds)
        if k == LOADS:
            again = [visit(context, url) for _ in range(LOADS)]
        context.close()
    return first, again


def main() -> str:
    from playwright.sync_api import sync_playwright

    from app.chromium import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        rows = {}
        with served(ROOT / "tests" / "bench" / "minimal_app.py") as floor_app:
            rows["one-slider app (the floor)"] = load_times(browser, floor_app, TEXT_SHOWN)
        with served(ROOT / "tests" / "bench" / "minimal_plotly_app.py") as heatmap_app:
            rows["one-heatmap app (Plotly's own cost)"] = load_times(browser, heatmap_app, FIGURE_SHOWN)
        with served(ROOT / "app" / "streamlit_app.py") as app:
            for name, path in PAGES.items():
                rows[name] = load_times(browser, f"{app}/{path}", FIGURE_SHOWN)
        browser.close()
    first_floor, again_floor = (statistics.median(t) for t in rows["one-slider app (the floor)"])
    first_heatmap, again_heatmap = (statistics.median(t) for t in rows["one-heatmap app (Plotly's own cost)"])
    lines = [
        "# Page loads: every page against a one-slider app, in Chromium",
        "",
        f"Machine: {machine()}. Command: `python -m tests.bench.bench_loads` (or `make bench`).",
        f"Medians of {LOADS} loads at 1400x1000, timed in the page from the navigation's start to the first",
        "figure drawn (the one-slider app: its text drawn). First visit: a new browser context, nothing",
        "cached in the browser. Again: the same browser, its cache holding Streamlit's and Plotly's code.",
        "The server's caches warm; all apps served the same way, in the same run.",
        "",
        "| page | first visit ms | / one-slider | / one-heatmap | again ms | / one-slider | / one-heatmap |",
        "|---|---|---|---|---|---|---|",
    ]
    worst = {"first": 0.0, "again": 0.0}
    heatmap_worst = 0.0
    for name, (first, again) in rows.items():
        ratios = statistics.median(first) / first_floor, statistics.median(again) / again_floor
        plotly = statistics.median(first) / first_heatmap, statistics.median(again) / again_heatmap
        if name in PAGES:
            worst = {"first": max(worst["first"], ratios[0]), "again": max(worst["again"], ratios[1])}
            heatmap_worst = max(heatmap_worst, plotly[0])
        lines.append(
            f"| {name} | {statistics.median(first) * 1e3:.0f} | {ratios[0]:.2f} | {plotly[0]:.2f} "
            f"| {statistics.median(again) * 1e3:.0f} | {ratios[1]:.2f} | {plotly[1]:.2f} |"
        )
    lines.append("")
    for kind, ratio in worst.items():
        verdict = "met" if ratio <= GOAL else "not met"
        lines.append(f"- Goal (issue 14), {kind} visit: every page at most {GOAL}x: worst {ratio:.2f}x ({verdict}).")
    verdict = "met" if heatmap_worst <= 1.0 else "not met"
    lines.append(
        f"- Goal (issue 27), first visit: every page at most 1.0x the one-heatmap app: worst {heatmap_worst:.2f}x "
        f"({verdict})."
    )
    text = "\n".join(lines) + "\n"
    print(text)
    print("wrote", write_result("loads.md", text))
    return text


if __name__ == "__main__":
    main()
