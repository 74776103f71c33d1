"""What drawing with a smaller Plotly would give: the one-heatmap app as Streamlit draws it
(st.plotly_chart: Streamlit's chunk with all of Plotly, 4.7 MB) against the same heatmap drawn by
plotly.js's cartesian bundle (1.5 MB) in a components v2 element (tests/bench/cartesian_plotly_app.py),
and the one-slider app, same run: page loads (first visit and again, as bench_loads times them) and
head changes (in turns). Evidence for a decision, not part of `make bench`: it fetches the bundle
from the npm registry (pinned version, checked against its sha512).

Run with `python -m tests.bench.bench_plotly_bundle`. Writes tests/bench/results/plotly_bundle.md.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import statistics
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from tests.bench.bench_loads import FIGURE_SHOWN, TEXT_SHOWN, load_times
from tests.bench.browser import ROOT, browser_page, heatmap_redraws, served
from tests.bench.common import machine, write_result

BUNDLE = "https://registry.npmjs.org/plotly.js-cartesian-dist-min/-/plotly.js-cartesian-dist-min-4.1.1.tgz"
SHA512 = "o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg=="
CHANGES, ROUNDS = 7, 3


def cartesian_app(folder: Path) -> Path:
    """The cartesian app with the bundle in its static folder, in `folder`."""
    with urllib.request.urlopen(BUNDLE, timeout=60) as reply:
        packed = reply.read()
    if base64.b64encode(hashlib.sha512(packed).digest()).decode() != SHA512:
        raise SystemExit(f"{BUNDLE}: checksum differs from the pinned sha512")
    with tarfile.open(fileobj=io.BytesIO(packed)) as archive:
        script = archive.extractfile("package/plotly-cartesian.min.js").read()
    (folder / "static").mkdir()
    (folder / "static" / "plotly-cartesian.min.js").write_bytes(script)
    return Path(shutil.copy(ROOT / "tests" / "bench" / "cartesian_plotly_app.py", folder / "app.py"))


def main() -> str:
    os.environ["STREAMLIT_SERVER_ENABLE_STATIC_SERVING"] = "true"  # the apps started below inherit it
    loads, changes = {}, {"st.plotly_chart": [], "cartesian bundle": []}
    with tempfile.TemporaryDirectory() as folder, browser_page() as page:
        apps = {
            "one-slider app": (ROOT / "tests" / "bench" / "minimal_app.py", TEXT_SHOWN),
            "st.plotly_chart": (ROOT / "tests" / "bench" / "minimal_plotly_app.py", FIGURE_SHOWN),
            "cartesian bundle": (cartesian_app(Path(folder)), FIGURE_SHOWN),
        }
        for name, (entry, mark) in apps.items():
            with served(entry) as url:
                loads[name] = [statistics.median(t) for t in load_times(page.context.browser, url, mark)]
        with served(apps["st.plotly_chart"][0]) as plotly_chart, served(apps["cartesian bundle"][0]) as cartesian:
            for _ in range(ROUNDS):
                changes["st.plotly_chart"] += heatmap_redraws(page, plotly_chart, 64, CHANGES)
                changes["cartesian bundle"] += heatmap_redraws(page, cartesian, 64, CHANGES)
    floor = loads["one-slider app"]
    redraw = {name: statistics.median(times) for name, times in changes.items()}
    lines = [
        "# One heatmap drawn by Streamlit's Plotly or by plotly.js's cartesian bundle",
        "",
        f"Machine: {machine()}. Command: `python -m tests.bench.bench_plotly_bundle`.",
        "The same 64 x 64 heatmap and pills control; loads timed from the navigation's start to the figure",
        "drawn (the one-slider app: its text), medians of 7; head changes to the redrawn title, medians of",
        f"{ROUNDS} rounds of {CHANGES} taken in turns.",
        "",
        "| app | first visit ms | / one-slider | again ms | / one-slider | head change ms | / st.plotly_chart |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (first, again) in loads.items():
        change = redraw.get(name)
        ratio = f"{change / redraw['st.plotly_chart']:.2f}" if change else "-"
        lines.append(
            f"| {name} | {first * 1e3:.0f} | {first / floor[0]:.2f} | {again * 1e3:.0f} | {again / floor[1]:.2f} "
            f"| {f'{change * 1e3:.0f}' if change else '-'} | {ratio} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    print("wrote", write_result("plotly_bundle.md", text))
    return text


if __name__ == "__main__":
    main()
