"""Server memory and the worst request, under varied and under the largest requests.

Run with `python -m tests.bench.bench_hostile` (part of `make bench`). Sessions speak Streamlit's
own websocket protocol (tests/streamlit_client.py) to a server started as `make run` starts it,
on loopback. The one-slider app, served and visited the same way in the same run, is the floor.
Counts and sizes are fixed, so the run stops by itself. Writes tests/bench/results/hostile.md.
"""

from __future__ import annotations

import random
import string
from pathlib import Path
from urllib.parse import quote

import masks
from tests.bench.common import machine, write_result
from tests.server import ROOT, free_port, start_app
from tests.streamlit_client import clear_caches, open_at_once, run, visit

WAVE = 10  # sessions opened at the same moment
LETTERS = string.ascii_lowercase
PAGES = ("home", "masks", "attention", "cross", "normalization")
LARGEST = (*PAGES, "minilm")  # minilm: the Attention page on the shipped real model
GOAL_ALONE_MB, GOAL_TEN_MB = 512, 2048  # issue 28: growth for the largest request, and for ten at once


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS), or its peak since `reset_peak` (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS


def growth(pid: int, opened) -> tuple[float, float, list]:
    """Resident growth after `opened()` and its peak growth while it ran (MB), and its visits."""
    before = rss_mb(pid)
    reset_peak(pid)
    visits = opened()
    return rss_mb(pid) - before, rss_mb(pid, "VmHWM") - before, visits


def varied_link(rng: random.Random) -> tuple[str, str]:
    """A link a student might open: any page, view, scheme, head, seed or short text."""
    page = rng.choice(PAGES)
    words = " ".join(
        rng.choice(["the", "cat", "sat", "on", "a", "mat", "dog", "ran"]) for _ in range(rng.randint(3, 30))
    )
    if page == "masks":
        scheme = rng.choice(list(masks.SCHEMES))
        view = rng.choice(["mask", "compare", "unilm"])
        return page, f"scheme={scheme}&view={view}&text={words}" if scheme != "document" else f"view={view}"
    if page == "attention":
        model = rng.choice(["copy", "mirror", "reverse_prefix", "random"])
        view = rng.choice(["grid", "pipeline", "aggregate", "lines", "shapes"])
        extra = f"&model_seed={rng.randint(0, 50)}&text={words}" if model == "random" else ""
        return page, f"model={model}&view={view}&head={rng.randint(0, 3)}{extra}"
    if page == "cross":
        model = rng.choice(["reverse", "sort", "random"])
        return page, f"model={model}&kind={rng.choice(['cross', 'encoder', 'decoder'])}&src_pad={rng.randint(0, 8)}"
    if page == "normalization":
        return page, f"depth={rng.randint(1, 12)}&extra_pad={rng.randint(1, 16)}"
    return page, ""


def largest_link(page: str, k: int, rng: random.Random) -> tuple[str, str]:
    """The largest request each page allows, distinct for every k (so nothing is shared)."""
    letters = "".join(rng.choice(LETTERS) for _ in range(503))
    text = "".join(rng.choice(string.ascii_letters + " ") for _ in range(600))
    if page == "attention":
        return page, f"model=random&layers=6&heads=8&model_seed={k}&text={text}"
    if page == "cross":  # every fifth without a target: the model decodes its own answer
        target = "" if k % 5 == 0 else f"&target={letters}"
        return page, f"model=random&layers=6&heads=8&model_seed={k}&source={letters}{target}"
    if page == "masks":
        scheme = list(masks.SCHEMES)[k % len(masks.SCHEMES)]
        if scheme == "document":
            return page, f"input=length&n=4096&scheme=document&lengths={4000 - k},{96 + k}"
        return page, f"input=length&n=4096&kv_n={4096 - k}&scheme={scheme}"
    if page == "normalization":
        sentences = "\n".join(" ".join(rng.choice(LETTERS) for _ in range(24)) for _ in range(8))
        return page, f"depth=12&init={rng.choice(['xavier', 'normal'])}&sentences={sentences}"
    if page == "minilm":  # 8 sentences cut to its 256 tokens (a mark is a token), a mask of its own too
        sentences = "\n".join("".join(rng.choice(".,;:!?") for _ in range(300)) for _ in range(8))
        return "attention", f"model=minilm-l6&mask=custom&m_scheme=causal&sentences={sentences}"
    return page, f"present={'true' if k % 2 else 'false'}"  # Home has no input: its one view


def url_path(page: str) -> str:
    return "" if page == "home" else page  # Home is the default page, at the root


def in_waves(base: str, links: list[tuple[str, str]]) -> list:
    visits = []
    for start in range(0, len(links), WAVE):
        wave = [(url_path(page), quote(query, safe="=&")) for page, query in links[start : start + WAVE]]
        visits += run(open_at_once(base, wave, keep=False, timeout=300))
    return visits


def describe(link: tuple[str, str]) -> str:
    page, query = link
    shown = "&".join(
        part if len(part) < 40 else part.split("=")[0] + "=<" + str(len(part)) + " chars>" for part in query.split("&")
    )
    return f"`/{url_path(page)}?{shown}`"


def serve(entry: Path):
    port = free_port()
    return start_app(entry, port), f"http://127.0.0.1:{port}"


def main() -> None:
    rng = random.Random(0)
    rows, worst, links = [], [], []

    def record(label: str, pid: int, visits: list, opened: list) -> None:
        errors = sum(1 for v in visits if v.error or v.exceptions)
        rows.append((label, len(visits), rss_mb(pid), errors))
        worst.extend(visits)
        links.extend(opened)
        print(f"{label}: {len(visits)} sessions, RSS {rss_mb(pid):.0f} MB, {errors} errors", flush=True)

    floor, floor_url = serve(ROOT / "tests" / "bench" / "minimal_app.py")
    try:
        floor_visits = in_waves(floor_url, [("", f"value={k}") for k in range(200)])
        floor_rss = rss_mb(floor.pid)
    finally:
        floor.terminate()
        floor.wait()

    bounds = []  # per page: the largest request alone, then ten distinct ones at once, on a warm server
    process, base = serve(ROOT / "app" / "streamlit_app.py")
    try:
        in_waves(base, [(page, "") for page in PAGES] + [("attention", "model=minilm-l6")])
        for page in LARGEST:
            alone = growth(process.pid, lambda page=page: in_waves(base, [largest_link(page, 200, rng)]))
            distinct = [largest_link(page, 300 + j, rng) for j in range(WAVE)]
            ten = growth(process.pid, lambda distinct=distinct: in_waves(base, distinct))
            bounds.append((page, alone, ten))
            print(f"{page}: alone +{alone[0]:.0f} MB (peak +{alone[1]:.0f}), ten at once +{ten[0]:.0f} MB "
                  f"(peak +{ten[1]:.0f})", flush=True)  # fmt: skip
    finally:
        process.terminate()
        process.wait()

    process, base = serve(ROOT / "app" / "streamlit_app.py")
    try:
        once = [(page, "") for page in PAGES]
        record("every page once", process.pid, in_waves(base, once), once)
        warm = [visit(base, url_path(page), keep=False).seconds for page in PAGES]
        run(clear_caches(base))
        cleared = [visit(base, url_path(page), keep=False).seconds for page in PAGES]
        varied = [varied_link(rng) for _ in range(1000)]
        record("200 varied interactions", process.pid, in_waves(base, varied[:200]), varied[:200])
        record("1000 varied interactions", process.pid, in_waves(base, varied[200:]), varied[200:])
        alone = [largest_link(page, k, rng) for k in (100, 101) for page in PAGES]  # 101: cross decodes
        alone_visits = [
            visit(base, url_path(page), quote(query, safe="=&"), keep=False, timeout=300) for page, query in alone
        ]
        record("each page's largest request alone", process.pid, alone_visits, alone)
        largest = [largest_link(page, k, rng) for k in range(50) for page in PAGES]
        record("50 largest requests per page", process.pid, in_waves(base, largest), largest)
        largest_visits = worst[-len(largest) :]
    finally:
        process.terminate()
        process.wait()

    slowest, slowest_link = max(zip(alone_visits, alone, strict=True), key=lambda pair: pair[0].seconds)
    slowest_shared = max(largest_visits, key=lambda v: v.seconds)
    heaviest, heaviest_link = max(zip(worst, links, strict=True), key=lambda pair: pair[0].payload_bytes)
    errors = sum(1 for _, a, t in bounds for v in a[2] + t[2] if v.error or v.exceptions)
    lines = [
        "# Memory and the worst request (`python -m tests.bench.bench_hostile`)",
        "",
        f"Machine: {machine()}. Sessions open links through Streamlit's websocket protocol, {WAVE} at a time.",
        "",
        "## The largest request of each page, on a warm server (every page and MiniLM loaded)",
        "",
        f"Goal (issue 28): at most {GOAL_ALONE_MB} MB of growth for one, {GOAL_TEN_MB} MB for {WAVE} distinct ones at "
        "once. Growth: resident memory after, minus before; peak: the most resident while it ran, minus before.",
        "",
        f"| largest link | alone: growth | alone: peak | {WAVE} at once: growth | {WAVE} at once: peak "
        f"| slowest of the {WAVE} (s) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {describe(largest_link(page, 0, random.Random(0)))} | {a[0]:.0f} MB | {a[1]:.0f} MB | {t[0]:.0f} MB | "
            f"{t[1]:.0f} MB | {max(v.seconds for v in t[2]):.1f} |"
            for page, a, t in bounds
        ),
        "",
        f"- Largest peak growth: one request {max(a[1] for _, a, _ in bounds):.0f} MB (goal {GOAL_ALONE_MB}), "
        f"{WAVE} at once {max(t[1] for _, _, t in bounds):.0f} MB (goal {GOAL_TEN_MB}); {errors} errors.",
        "",
        "## A server's life: varied links, then the largest",
        "",
        "| after | sessions | server RSS (MB) | errors |",
        "|---|---|---|---|",
        f"| one-slider app, 200 sessions (the floor) | {len(floor_visits)} | {floor_rss:.0f} | "
        f"{sum(1 for v in floor_visits if v.error)} |",
        *(f"| {label} | {n} | {rss:.0f} | {errors} |" for label, n, rss, errors in rows),
        "",
        f"- Longest request alone: {slowest.seconds:.1f} s, {describe(slowest_link)} (the largest link of each",
        "  page, one at a time).",
        f"- Longest request among the largest opened {WAVE} at once: {slowest_shared.seconds:.1f} s (each waits for",
        "  the others' share of the 2 cores).",
        f"- Largest payload: {heaviest.payload_bytes / 1e6:.2f} MB sent for one page run, {describe(heaviest_link)}.",
        f"- RSS after the largest requests vs after the first page visits: {rows[-1][2] / rows[0][2]:.2f}x.",
        "- What an anonymous `clear_cache` message costs the next visitor of each page (seconds, warm ->",
        "  after it): " + ", ".join(f"{p} {a:.2f} -> {b:.2f}" for p, a, b in zip(PAGES, warm, cleared, strict=True)),
    ]
    path = write_result("hostile.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
