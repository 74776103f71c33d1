"""The lecture pack's pictures drawn by Plotly in Chromium (stepping through slides: test_lecture_hall.py)."""

import re

from app.lecture import slides
from app.lecture.export import write_pack


def test_the_pack_renders_svg_and_png_for_every_figure(chromium, tmp_path):
    deck = slides.shipped_deck("mask-schemes")
    short = slides.Deck(deck.title, deck.slides[:2])
    written = write_pack(short, tmp_path, browser=chromium)
    svgs = sorted(p for p in written if p.suffix == ".svg")
    pngs = sorted(p for p in written if p.suffix == ".png")
    assert len(svgs) == len(pngs) == 2
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert all("<svg" in p.read_text()[:500] for p in svgs)
    index = (tmp_path / "index.html").read_text()
    assert all(f"href='{p.name}'" in index for p in svgs + pngs)
    # the cells take the height the figure gives them: a figure drawn on the page at another width
    # kept that width's square-cell domain in its picture (cells at a third of their size, the
    # legend far below them)
    for svg in svgs:
        text = svg.read_text()
        width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text).groups())
        cells = float(re.search(r'<image[^>]* height="([\d.]+)"', text).group(1))  # the heatmap's picture
        assert cells >= 0.6 * height, (svg.name, cells, height)
        # made for a projector: the cells as a 1080p screen shows them, labels at its tick size, and the
        # picture no wider than the cells, their labels and legend (not cells in a wide picture's corner)
        assert cells >= 650, (svg.name, cells)
        ticks = [float(size) for size in re.findall(r'class="[xy]tick"><text[^>]*font-size: ([\d.]+)px', text)]
        assert ticks and min(ticks) >= 19, (svg.name, ticks)
        assert width <= cells + 500, (svg.name, width, cells)
