"""Forward pass keeping every attention weight vs the same model through SDPA without weights.

Run with `python -m tests.bench.bench_model` (part of `make bench`). 4 layers x 8 heads,
d_model 256, batch 4, decoder with a causal mask; medians of several runs, both paths measured
side by side in one run. Writes tests/bench/results/model.md.
"""

from __future__ import annotations

import torch

from model.transformer import Transformer, TransformerConfig
from tests.bench.common import machine, median_seconds, write_result

SIZES = (64, 256, 1024)


def main() -> str:
    torch.manual_seed(0)
    lines = [
        "# Model forward: all attention weights kept vs SDPA's fused kernel",
        "",
        f"Machine: {machine()}. Command: `python -m tests.bench.bench_model` (or `make bench`).",
        "Decoder, 4 layers x 8 heads, d_model 256, batch 4, causal mask, eval mode, no grad; medians.",
        "Goal (issue 3): keeping every weight costs at most 2x at T = 256.",
        "",
        "| T | all weights ms | SDPA ms | ratio |",
        "|---|---|---|---|",
    ]
    for T in SIZES:
        config = TransformerConfig(
            arch="decoder", vocab_size=64, d_model=256, n_heads=8, n_layers=4, d_ff=1024, max_len=T
        )
        model = Transformer(config).eval()
        tokens = torch.randint(1, 64, (4, T))
        repeats = 15 if T <= 256 else 5
        with torch.no_grad():
            ours = median_seconds(lambda m=model, t=tokens: m.keep_weights(True)(t), repeats)
            fused = median_seconds(lambda m=model, t=tokens: m.keep_weights(False)(t), repeats)
        lines.append(f"| {T} | {ours * 1e3:.1f} | {fused * 1e3:.1f} | {ours / fused:.2f} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print("wrote", write_result("model.md", text))
    return text


if __name__ == "__main__":
    main()
