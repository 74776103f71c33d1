"""Mask build time per scheme, as ratios to torch.tril and to FlexAttention's create_mask.

Run with `make bench` (or `python -m tests.bench.bench_masks [N ...]`). Both baselines are
measured in the same run on the same machine; every figure is a median of several runs.
Writes tests/bench/results/masks.md.
"""

from __future__ import annotations

import sys

import torch
from torch.nn.attention.flex_attention import create_mask

import masks
from masks.schemes import _random_table
from tests.bench.common import machine, median_seconds, write_result

SIZES = (256, 1024, 4096, 8192)


def params_for(name: str, n: int) -> dict:
    """Parameters that make each scheme non-trivial at length n."""
    return {
        "padding": {"pad": n // 4},
        "prefix_lm": {"prefix": n // 4},
        "cross": {"pad": n // 4},
        "sliding_window": {"window": 128},
        "dilated": {"window": 64, "dilation": 4},
        "chunked": {"chunk": 128},
        "document": {"lengths": (n // 2, n // 4, n - n // 2 - n // 4)},
        "global_local": {"window": 128, "n_global": 4},
        "strided": {"stride": 64},
        "bigbird": {"window": 64, "n_global": 4, "n_random": 3},
    }.get(name, {})


def main(sizes=SIZES) -> str:
    lines = [
        "# Mask build time: ratios to baselines measured in the same run",
        "",
        f"Machine: {machine()}. Command: `make bench`. Medians over several runs.",
        "ours/tril = `masks.build(...)` time / `torch.ones(N, N, dtype=bool).tril()` time;",
        "ours/create_mask = time / `create_mask(mask_mod, 1, 1, N, N).contiguous()` with the same",
        "predicate (for rules that ignore the query, create_mask returns an expanded view and writes",
        "only one row; `.contiguous()` makes it do the same work as ours: a materialised mask).",
        "Goal (issue 2): within 3x of tril and no slower than create_mask at N = 4096.",
        "",
        "| scheme | N | ours ms | tril ms | create_mask ms | ours/tril | ours/create_mask |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []  # (scheme, N, ours, tril, create_mask) in seconds
    for n in sizes:
        repeats = 15 if n <= 4096 else 7
        tril = median_seconds(lambda n=n: torch.ones(n, n, dtype=torch.bool).tril(), repeats)
        for name in masks.SCHEMES:
            pred = masks.predicate(name, n, **params_for(name, n))
            mask_mod = pred.mask_mod
            ours = median_seconds(pred.build, repeats, setup=_random_table.cache_clear)
            flex = median_seconds(
                lambda n=n, mm=mask_mod: create_mask(mm, 1, 1, n, n, device="cpu").contiguous(), repeats
            )
            rows.append((name, n, ours, tril, flex))
            lines.append(
                f"| {name} | {n} | {ours * 1e3:.2f} | {tril * 1e3:.2f} | {flex * 1e3:.2f} "
                f"| {ours / tril:.2f} | {ours / flex:.2f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")
    for n in sizes:
        at_n = [row for row in rows if row[1] == n]
        vs_tril = max(at_n, key=lambda row: row[2] / row[3])
        vs_flex = max(at_n, key=lambda row: row[2] / row[4])
        lines.append(
            f"N = {n}: slowest vs tril {vs_tril[0]} {vs_tril[2] / vs_tril[3]:.2f}x; "
            f"slowest vs create_mask {vs_flex[0]} {vs_flex[2] / vs_flex[4]:.2f}x."
        )
    text = "\n".join(lines) + "\n"
    print("wrote", write_result("masks.md", text))
    return text


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
