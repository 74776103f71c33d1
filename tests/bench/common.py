"""Shared helpers of the benchmark scripts: timing medians and writing result files."""

from __future__ import annotations

import datetime
import platform
import statistics
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def median_seconds(run, repeats: int, setup=None, warmup: int = 3) -> float:
    """Median wall time of `run()` over `repeats` calls, after `warmup` untimed calls (the first
    calls pay for allocating memory the later ones reuse)."""
    for _ in range(warmup):
        if setup:
            setup()
        run()
    times = []
    for _ in range(repeats):
        if setup:
            setup()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    return (
        f"{datetime.date.today()}, {platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, Python {platform.python_version()}"
    )


def write_result(name: str, text: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(text)
    return path
