"""One app process as an operator sizes and probes a replica (README "Past one machine: Kubernetes").

Run with `python -m tests.bench.bench_replica` (part of `make bench`). One process started as `make run`
starts it, on loopback. In order: every page opened once at its default link, as `make serve` warms a
replica (serve/__main__.py); the Attention page with the shipped real model (MiniLM), as a lecturer
opens it, and right after 100 sessions at once on that link; 100 at once on the Attention page's default
link; 20 at once on MiniLM, each with sentences of its own (nothing shared); then MiniLM's link again,
100 at once, after what the 20 put in the caches. After each step: resident
memory (RSS, psutil) and the process's peak so far (the kernel's high-water mark, VmHWM); during the
crowds, how long `/_stcore/health` (what Kubernetes' probes ask) took to answer, asked every 0.2 s.
Writes tests/bench/results/replica.md.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psutil

from serve.warm import warm_one
from tests.bench.bench_hall import p95
from tests.bench.common import machine, write_result
from tests.server import ROOT, free_port, start_app
from tests.streamlit_client import run, visit, visit_at_once

MiB = 1024 * 1024
MINILM = "model=minilm-l6"


def peak_mib(pid: int) -> float:
    """The most the process has held resident since it started (psutil has no peak on Linux)."""
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@contextmanager
def health_times(base: str):
    """Yields a list that fills, until the block ends, with the seconds each health request took."""
    times, done = [], threading.Event()

    def ask() -> None:
        while not done.is_set():
            start = time.perf_counter()
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=60) as reply:
                reply.read()
            times.append(time.perf_counter() - start)
            done.wait(0.2)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        yield times
    finally:
        done.set()
        asker.join()


def main() -> None:
    port = free_port()
    process = start_app(ROOT / "app" / "streamlit_app.py", port)
    server, base, rows = psutil.Process(process.pid), f"http://127.0.0.1:{port}", []

    def record(step: str, visits: list, health: list[float] | None = None) -> None:
        errors = sum(1 for v in visits if v.error or v.exceptions)
        slowest = f"{p95(visits):.2f}" if len(visits) > 1 else "-"
        answered = f"{max(health):.2f} (of {len(health)})" if health else "-"
        rss, peak = server.memory_info().rss / MiB, peak_mib(process.pid)
        rows.append(f"| {step} | {rss:.0f} | {peak:.0f} | {slowest} | {answered} | {errors} |")
        print(rows[-1], flush=True)

    try:
        record("started, no page opened", [])
        _, times, failures = run(warm_one(f"127.0.0.1:{port}"))
        print(f"every page once: {', '.join(times)}", flush=True)
        record("every page once, at its default link (as `make serve` warms a replica)", failures)
        record(f"Attention with MiniLM, once (`/attention?{MINILM}`)", [visit(base, "attention", MINILM)])
        own = [
            (
                "attention",
                urlencode({"model": "minilm-l6", "sentences": f"student {k} asks what a mask is\na dog barked"}),
            )
            for k in range(20)
        ]
        for step, links in (
            (f"100 sessions at once on `/attention?{MINILM}`, right after", [("attention", MINILM)] * 100),
            ("100 sessions at once on `/attention` (a trained model)", [("attention", "")] * 100),
            ("20 sessions at once on MiniLM, each its own sentences", own),
            (f"100 sessions at once on `/attention?{MINILM}` again", [("attention", MINILM)] * 100),
        ):
            with health_times(base) as health:
                visits = visit_at_once(base, links, keep=False, timeout=300)
            record(step, visits, health)
    finally:
        process.terminate()
        process.wait(timeout=20)

    lines = [
        "# One app process: memory, and the health endpoint under a crowd (`python -m tests.bench.bench_replica`)",
        "",
        f"Machine: {machine()}. One process started as `make run` starts it, on loopback; sessions",
        "through Streamlit's websocket protocol (serve/visit.py). Steps in the order run; RSS after each,",
        "peak: the process's high-water mark so far. p95: of the step's sessions, from the health request",
        "to `script_finished`. Health: the slowest answer of `/_stcore/health`, asked every 0.2 s during",
        "the step.",
        "",
        "| after | RSS (MiB) | peak (MiB) | p95 s | health, slowest s | errors |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    path = write_result("replica.md", "\n".join(lines) + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
