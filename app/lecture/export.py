"""Write a lecture pack: every slide of a slides file as offline HTML, SVG and PNG, plus an index.html
that links them in order. A folder any static host, or a laptop without internet, can serve.

    python -m app.lecture.export app/lecture/slides/mask-schemes.toml            # into build/pack/ (git ignores build/)
    python -m app.lecture.export app/lecture/slides/mask-schemes.toml some/folder/

Each slide's figures come from running its page headlessly (Streamlit's AppTest) with the slide's
parameters, so the pack shows exactly what the app shows. SVG and PNG are rendered by Plotly itself
in Debian's Chromium (scale 2); without Chromium the HTML is still written and the command says so.
"""

from __future__ import annotations

import argparse
import base64
import functools
import html
import logging
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from app import figures
from app.chromium import CHROMIUM_ARGS, chromium_path
from app.figure_element import figures_drawn
from app.lecture.slides import Deck, Slide, load
from app.pages import HOME

ENTRY = Path(__file__).parents[1] / "streamlit_app.py"
DEFAULT_OUT = Path("build/pack")


class BadSlide(ValueError):
    """A slide whose page fails or warns that a link parameter is not allowed."""


def opened(page: str, params: dict[str, str], timeout: float = 120):
    """The app run headless (Streamlit's AppTest) at `page` (a name in app/pages.py) with these link
    parameters, as a browser opening the link would run it."""
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    at._bidi_component_manager = installed_components()
    for key, value in params.items():
        at.query_params[key] = value
    # AppTest.switch_page takes a page file, and only after a first run; our pages are functions,
    # which Streamlit finds by the hash of their URL path (st.Page._script_hash), as a browser's
    # request for /<page> does: the link opened as a fresh tab opens it
    if page != HOME:
        at._page_hash = calc_hash(page)
    return at.run()


@functools.cache
def installed_components():
    """Streamlit's registry of installed components (our figure element registers itself in it when
    the page runs). Scanned once per process: each new AppTest would read the metadata of every
    installed package, which takes longer than running a page."""
    from streamlit.components.v2.component_manager import BidiComponentManager

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def slide_figures(slide: Slide) -> list:
    """Run the slide's page with its parameters and return the Plotly figures it draws; BadSlide
    when the page fails or refuses one of the slide's parameters (the pack would show a fallback)."""
    # the page runs outside a server: Streamlit would warn, once per slide, that there is none
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    at = opened(slide.page, {**slide.params, "present": "true"})  # a pack is for a projector
    if at.exception:
        raise BadSlide(f"the page failed: {at.exception[0].value}")
    refused = [w.value for w in at.warning if w.value.startswith("Link parameter")]
    if refused:
        raise BadSlide(" ".join(refused))
    return [go.Figure(figure) for figure in figures_drawn(at)]


def slug(k: int, title: str) -> str:
    return f"{k + 1:02d}-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "slide")


def slide_nav(pages: list[Path], k: int) -> str:
    """Previous / Index / Next links of slide k (relative: the pack works from any folder, offline),
    and the arrow keys that follow them."""
    links = [
        f"<a href='{pages[k - 1].name}' rel='prev'>◀ Previous</a>" if k > 0 else "",
        "<a href='index.html'>Index</a>",
        f"<a href='{pages[k + 1].name}' rel='next'>Next ▶</a>" if k + 1 < len(pages) else "",
    ]
    keys = (
        "<script>addEventListener('keydown', (e) => { const rel = {ArrowLeft: 'prev', ArrowRight: 'next'}[e.key];"
        " const a = rel && document.querySelector(`a[rel=${rel}]`); if (a) location.href = a.href; });</script>"
    )
    return f"<nav style='font-size: 1.2em'>{' · '.join(link for link in links if link)}</nav>{keys}"


PROJECTOR = {"width": 1920, "height": 1080}  # the screen a pack's pages and pictures are made for
# A picture of square cells is as wide as they are and their labels: drawn at the page's width they
# would sit in its left corner; the cells' extent on the page, with the figure's margins around it
PICTURE = """([i, format]) => {
  const figure = document.querySelectorAll('.js-plotly-plot')[i], layout = figure._fullLayout;
  const areas = [...figure.querySelectorAll('.nsewdrag')].map((area) => area.getBoundingClientRect());
  const square = Object.keys(layout).some((key) => /^yaxis\\d*$/.test(key) && layout[key].scaleanchor);
  let width = layout.width;
  if (square && areas.length) {  // panels side by side: each in its share of the width (its x domain)
    const shares = Object.keys(layout).filter((key) => /^xaxis\\d*$/.test(key))
      .map((key) => layout[key].domain[1] - layout[key].domain[0]);
    const cells = Math.max(...areas.map((a) => a.width)) / Math.min(...shares);
    width = Math.min(layout.width, Math.ceil(layout.margin.l + cells + layout.margin.r + 4));
  }
  return Plotly.toImage(figure, {format, scale: 2, width, height: layout.height});
}"""


def render_images(pages: list[Path], browser=None) -> list[list[Path]]:
    """SVG and PNG (scale 2) of every figure of every page, drawn by Plotly in Chromium
    (`browser`: a Playwright browser already running, else one is started)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        path = chromium_path()
        if path is None:
            raise FileNotFoundError("no Chromium found (apt-get install -y chromium): wrote HTML only")
        with sync_playwright() as playwright:
            started = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                return render_images(pages, started)
            finally:
                started.close()
    page = browser.new_page(viewport=PROJECTOR)
    written = []
    for html_path in pages:
        page.goto(html_path.resolve().as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0")
        files = []
        for index in range(page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")):
            for fmt in ("svg", "png"):
                url = page.evaluate(PICTURE, [index, fmt])
                head, data = url.split(",", 1)
                out = html_path.with_name(f"{html_path.stem}-{index + 1}.{fmt}")
                out.write_bytes(base64.b64decode(data) if ";base64" in head else unquote(data).encode())
                files.append(out)
        written.append(files)
    page.close()
    return written


def write_pack(deck: Deck, out: Path, images: bool = True, browser=None) -> list[Path]:
    """Every file of the pack is written into a scratch folder beside `out` and moved into `out`
    only once all slides ran: a bad slide (BadSlide, naming it) leaves nothing half-done."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as scratch:
        written = _write_pack(deck, Path(scratch), images, browser)
        out.mkdir(exist_ok=True)
        return [path.replace(out / path.name) for path in written]


def _write_pack(deck: Deck, out: Path, images: bool, browser) -> list[Path]:
    (out / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    pages = [out / f"{slug(k, slide.title)}.html" for k, slide in enumerate(deck.slides)]
    for k, (slide, page) in enumerate(zip(deck.slides, pages, strict=True)):
        print(f"slide {k + 1}/{len(deck.slides)}: {slide.title}", flush=True)
        try:
            shown = slide_figures(slide)
        except BadSlide as error:
            raise BadSlide(f"slide {k + 1} ({slide.title}): {error}") from None
        html_text = figures.standalone_html(
            shown, slide.title, plotlyjs="directory", nav=slide_nav(pages, k), caption=slide.caption
        )
        page.write_text(html_text, encoding="utf-8")
    try:
        pictures = render_images(pages, browser) if images else [[] for _ in pages]
    except FileNotFoundError as missing:
        print(missing, file=sys.stderr)
        pictures = [[] for _ in pages]
    items = "".join(
        f"<li><a href='{page.name}'>{html.escape(slide.title)}</a>"
        + "".join(f" · <a href='{p.name}'>{p.suffix[1:].upper()} {p.stem.rsplit('-', 1)[1]}</a>" for p in files)
        + "</li>"
        for slide, page, files in zip(deck.slides, pages, pictures, strict=True)
    )
    index = out / "index.html"
    index.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(deck.title)}</title>"
        f"</head><body style='font-family: sans-serif'><h1>{html.escape(deck.title)}</h1><ol>{items}</ol>"
        "</body></html>",
        encoding="utf-8",
    )
    return [index, out / "plotly.min.js", *pages, *(p for files in pictures for p in files)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slides", type=Path, help="a slides file (TOML), e.g. app/lecture/slides/mask-schemes.toml")
    parser.add_argument(
        "out",
        type=Path,
        nargs="?",
        default=DEFAULT_OUT,
        help=f"the folder to write the pack into (default: {DEFAULT_OUT})",
    )
    parser.add_argument("--no-images", action="store_true", help="HTML only (no Chromium needed)")
    args = parser.parse_args(argv)
    try:
        deck = load(args.slides)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    try:
        written = write_pack(deck, args.out, images=not args.no_images)
    except BadSlide as error:
        parser.exit(2, f"error: {args.slides}: {error}; nothing was written\n")
    print(f"wrote {len(written)} files; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
