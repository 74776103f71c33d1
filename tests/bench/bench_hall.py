"""A lecture hall at once: N sessions open one page in the same moment, through Streamlit's own
websocket protocol (tests/streamlit_client.py), timed until each session's run finished.

Run with `python -m tests.bench.bench_hall` (part of `make bench`); `--replicas 2` compares one warm
process with `make serve REPLICAS=2` (nginx and two app processes, warmed by serve itself) in the same
run: a lecturer opens the link once, then 100 students at once; `--rounds` times (3) on fresh servers.
Baseline: the one-slider app (tests/bench/minimal_app.py) served with the same flags, measured in
the same run; beside it the one-heatmap app (tests/bench/minimal_plotly_app.py), what a page that
draws one Plotly figure and nothing else costs. Same link for everyone (every cache shared) at
N = 10, 50, 100, 200; a distinct link per session (nothing to share) at N = 20; server memory over
1000 sessions opened and closed in waves of 100, each with its own link. Writes
tests/bench/results/hall.md (hall-serve.md with --replicas).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import string
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import app.pages
from app.pages import HOME
from tests.bench.common import machine, write_result
from tests.server import ROOT, free_port, start_app
from tests.streamlit_client import Visit, visit_at_once

SIZES = (10, 50, 100, 200)
DISTINCT = 20
WAVES, WAVE = 10, 100
PAGES = {page.name: "" if page.name == HOME else page.name for page in app.pages.PAGES}


def distinct_query(page: str, k: int) -> str:
    """A link of `page` that no other session opens: its own text (letters the models read)."""
    letters = "".join(random.Random(k).choices("abcdefghijklmnop", k=6))
    words = " ".join(random.Random(k).choices(string.ascii_lowercase, k=5))
    return urlencode(
        {
            "masks": {"text": f"{words} {k}"},
            "attention": {"text": f"[BOS]{letters}{letters}[EOS]"},
            "block": {"text": f"[BOS]{letters}{letters}[EOS]"},
            "cross": {"source": letters},
            "normalization": {"sentences": f"{words} {k}\nthe cat sat"},
            "home": {},
        }[page]
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def serving(entry: Path):
    port = free_port()
    process = start_app(entry, port)
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def open_at_once(base: str, links: list[tuple[str, str]]) -> list[Visit]:
    return visit_at_once(base, links, keep=False, timeout=300)


def failed(visit: Visit) -> bool:
    return bool(visit.error or visit.exceptions)


def p95(opened: list[Visit]) -> float:
    times = sorted(o.seconds for o in opened)
    return times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def row(name: str, n: int, opened: list[Visit], floor: float | None) -> str:
    times = [o.seconds for o in opened]
    problems = [o.error or o.exceptions[0] for o in opened if failed(o)]
    errors = f"{len(problems)}: {max(set(problems), key=problems.count)[:200]}" if problems else "0"
    ratio = f"{p95(opened) / floor:.2f}" if floor else "1.00"
    return (
        f"| {name} | {n} | {statistics.median(times):.2f} | {p95(opened):.2f} | {max(times):.2f} | {ratio} | {errors} |"
    )


def hall(base: str, floor: dict[int, float], pid: int | None, pages: dict[str, str]) -> list[str]:
    rule = "|---|---|---|---|---|---|---|"
    lines = ["| page | sessions | p50 s | p95 s | max s | p95 / one-slider app | errors |", rule]
    for page in pages.values():
        open_at_once(base, [(page, "")])  # warm: the first session computes what the others share
    for n in SIZES:
        for name, page in pages.items():
            lines.append(row(name, n, open_at_once(base, [(page, "")] * n), floor[n]))
    lines += ["", f"A distinct link per session (nothing cached to share), N = {DISTINCT}:", ""]
    lines += ["| page | sessions | p50 s | p95 s | max s | p95 / same link, same N | errors |", rule]
    for name, page in pages.items():
        if name == "home":
            continue  # the gallery has no view of its own to vary
        same = p95(open_at_once(base, [(page, "")] * DISTINCT))
        opened = open_at_once(base, [(page, distinct_query(page, k)) for k in range(DISTINCT)])
        lines.append(row(name, DISTINCT, opened, same))
    if pid is not None:
        lines += ["", f"Server memory, {WAVES} waves of {WAVE} sessions, each session its own link:", ""]
        before, after_first = rss_mb(pid), None
        names = [n for n in pages if n != "home"]
        for wave in range(WAVES):
            kinds = [names[k % len(names)] for k in range(WAVE)]
            links = [(pages[name], distinct_query(name, 1000 * wave + k)) for k, name in enumerate(kinds)]
            errors = sum(1 for visit in open_at_once(base, links) if failed(visit))
            after_first = after_first or rss_mb(pid)
            lines.append(f"- after {(wave + 1) * WAVE} sessions: RSS {rss_mb(pid):.0f} MB, errors {errors}")
        growth = rss_mb(pid) - after_first
        lines.append(
            f"- RSS before {before:.0f} MB; growth from the first 100 to {WAVES * WAVE} sessions: {growth:.0f} MB "
            f"(goal: within 300 MB: {'met' if growth <= 300 else 'not met'})"
        )
    return lines


@contextmanager
def serving_replicas(replicas: int):
    """`python -m serve` (what `make serve` runs): nginx in front of `replicas` app processes, which it
    warms itself before it says it is serving. Yields its address and its warm-up lines."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "serve", "--replicas", str(replicas), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        said = []
        for line in process.stdout:
            said.append(line.strip())
            if line.startswith("Serving"):
                break
        else:
            raise SystemExit(f"`python -m serve` stopped before serving (exit {process.wait()}): {said}")
        yield f"http://127.0.0.1:{port}", [line for line in said if line.startswith("Warmed")]
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=60)


def lecture(base: str, page: str, n: int) -> tuple[Visit, list[Visit]]:
    """The lecturer opens the link once, then `n` students open it at once."""
    (lecturer,) = open_at_once(base, [(page, "")])
    return lecturer, open_at_once(base, [(page, "")] * n)


def replicas_against_one(replicas: int, rounds: int, n: int = 100) -> tuple[list[str], list[str], float]:
    """Each page, `rounds` times, on servers started for it: one process, then `python -m serve
    --replicas N`; on each, the lecturer opens the link once, then N students at once. Its rows (the
    medians, and each round's ratio: one burst's p95 swings by a third from run to run here), serve's
    warm-up lines, and the Attention page's median ratio."""
    lines = [
        f"| page | sessions | one process: lecturer s | p95 s | {replicas} replicas: lecturer s | p95 s "
        "| replicas / one warm process, each round | median | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    warm_lines, medians = [], {}
    for name, page in PAGES.items():
        firsts, alones, lecturers, spreads, errors = [], [], [], [], 0
        for _ in range(rounds):
            with serving(ROOT / "app" / "streamlit_app.py") as (one, _):
                first, alone = lecture(one, page, n)
            with serving_replicas(replicas) as (many, warmed):
                lecturer, spread = lecture(many, page, n)
            warm_lines += [f"- before {name}: {line}" for line in warmed]
            errors += sum(1 for visit in [first, lecturer, *alone, *spread] if failed(visit))
            firsts.append(first.seconds)
            lecturers.append(lecturer.seconds)
            alones.append(p95(alone))
            spreads.append(p95(spread))
        ratios = [spread / alone for spread, alone in zip(spreads, alones, strict=True)]
        medians[name] = statistics.median(ratios)
        lines.append(
            f"| {name} | {n} | {statistics.median(firsts):.2f} | {statistics.median(alones):.2f} "
            f"| {statistics.median(lecturers):.2f} | {statistics.median(spreads):.2f} "
            f"| {', '.join(f'{r:.2f}' for r in ratios)} | {medians[name]:.2f} | {errors} |"
        )
    return lines, warm_lines, medians["attention"]


def floor_times(base: str) -> dict[int, float]:
    open_at_once(base, [("", "")])
    return {n: p95(open_at_once(base, [("", "")] * n)) for n in SIZES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", help="compare one process with `make serve REPLICAS=N` (hall-serve.md)")
    parser.add_argument("--rounds", default="3", help="with --replicas: the comparison on fresh servers, N times")
    args = parser.parse_args()
    if args.replicas:
        if not (args.replicas.isdigit() and 2 <= int(args.replicas) <= 16):
            parser.error(f"--replicas must be a whole number from 2 to 16 (got {args.replicas!r})")
        if not (args.rounds.isdigit() and 1 <= int(args.rounds) <= 9):
            parser.error(f"--rounds must be a whole number from 1 to 9 (got {args.rounds!r})")
        lines, warm_lines, ratio = replicas_against_one(int(args.replicas), int(args.rounds))
        text = "\n".join(
            [
                f"# One warm process against `make serve REPLICAS={args.replicas}`, the same run",
                "",
                f"Machine: {machine()}. Command: "
                f"`python -m tests.bench.bench_hall --replicas {args.replicas} --rounds {args.rounds}`.",
                "The issue's scenario, for each page on servers started for it: the lecturer opens the page's link",
                "once, then 100 students open it at once (same link), each timed from the health request to",
                "`script_finished`. One process: `streamlit run` as `make run` starts it, warmed by the lecturer's",
                f"visit only. {args.replicas} replicas: `python -m serve --replicas {args.replicas}` (nginx, cookie",
                "affinity), which opens every page once on every replica before it says it is serving; nothing",
                "else warms them. The lecturer's visit is timed too (a cold process imports, builds and draws).",
                f"All of it {args.rounds} times, on fresh servers each time: the times are medians, and the ratio",
                "of each round is shown (one burst's p95 swings by a third from run to run on this machine).",
                "",
                *lines,
                "",
                "serve's own warm-up lines (every page once per replica, replicas at once):",
                "",
                *warm_lines,
                "",
                f"Goal (issues 27, 28): attention at N = 100 with 2 replicas at most 0.65x one warm process: median "
                f"{ratio:.2f}x ({'met' if ratio <= 0.65 else 'not met'}).",
            ]
        )
        print(text)
        print("wrote", write_result("hall-serve.md", text + "\n"))
        return
    with serving(ROOT / "tests" / "bench" / "minimal_app.py") as (minimal, _):
        floor = floor_times(minimal)
    with serving(ROOT / "tests" / "bench" / "minimal_plotly_app.py") as (heatmap, _):
        one_heatmap = floor_times(heatmap)
    with serving(ROOT / "app" / "streamlit_app.py") as (base, pid):
        lines = hall(base, floor, pid, PAGES)
    floor_line = ", ".join(f"N = {n}: {t:.2f} s" for n, t in floor.items())
    heatmap_line = ", ".join(f"N = {n}: {t:.2f} s ({t / floor[n]:.2f}x)" for n, t in one_heatmap.items())
    goal = [line for line in lines if line.startswith("| ") and "| 100 |" in line and "/ one-slider" not in line]
    worst = max(float(line.split("|")[6]) for line in goal)
    bound = one_heatmap[100] / floor[100]
    distinct = max(float(line.split("|")[6]) for line in lines if line.startswith("| ") and f"| {DISTINCT} |" in line)
    text = "\n".join(
        [
            "# A lecture hall at once: sessions opening a page in the same moment",
            "",
            f"Machine: {machine()}. Command: `python -m tests.bench.bench_hall` (or `make bench`).",
            "Served: one process (`make run`). Each session: the health request, the websocket, one run of the",
            "page, timed until `script_finished`. Baseline in the same run, same server flags: the one-slider app, p95 "
            + floor_line
            + ".",
            "A second baseline, same flags, same run: the one-heatmap app (tests/bench/minimal_plotly_app.py: one",
            "pills control and one Plotly heatmap, nothing of ours), p95 and its ratio to the one-slider app: "
            + heatmap_line
            + ".",
            "",
            *lines,
            "",
            f"Goal (issue 12): every page's p95 at N = 100, same link, at most 1.0x the one-slider app: worst page "
            f"{worst:.2f}x ({'met' if worst <= 1.0 else 'not met'}). A page that draws one Plotly heatmap and "
            f"nothing else is {bound:.2f}x.",
            f"Goals (issue 27): every page's p95 at N = 100 at most 1.0x the one-heatmap app: worst page "
            f"{worst / bound:.2f}x ({'met' if worst <= bound else 'not met'}); a distinct link per session at "
            f"N = {DISTINCT} at most 2x the same link: worst page {distinct:.2f}x "
            f"({'met' if distinct <= 2 else 'not met'}).",
        ]
    )
    print(text)
    print("wrote", write_result("hall.md", text + "\n"))


if __name__ == "__main__":
    main()
