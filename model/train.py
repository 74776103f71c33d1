"""Train a task's model from scratch, seeded: `python -m model.train reverse`.

Writes model/checkpoints/<task>.pt (config, tokenizer, weights, accuracy), loadable with
torch.load(weights_only=True). About a minute per task on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from model.pretrained import CHECKPOINTS, write_checkpoint
from model.tasks import IGNORE, TASKS, accuracy
from model.transformer import Transformer


def train(
    name: str,
    seed: int = 0,
    batch_size: int = 128,
    time_limit: float = 280.0,
    quiet: bool = False,
    steps: int | None = None,
):
    task = TASKS[name]
    steps = steps or task.steps
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = Transformer(task.config())
    optimizer = torch.optim.AdamW(model.parameters(), lr=task.lr, weight_decay=0.01)
    warmup = 100

    def rate(step):  # linear warm-up, then cosine decay to a tenth
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    start = time.time()
    bar = tqdm(range(steps), desc=f"train {name}", disable=quiet, file=sys.stdout, mininterval=2.0)
    for step in bar:
        model.train()
        batch = task.sample(generator, batch_size)
        logits = model(*batch.inputs, **batch.masks).logits
        loss = F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if time.time() - start > time_limit:
            bar.write(f"stopped at step {step}: time limit of {time_limit:.0f} s")
            break
    return model, task


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=sorted(TASKS), help="which task to train")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the task's own)")
    parser.add_argument("--out", type=Path, default=None, help="checkpoint path (default model/checkpoints/TASK.pt)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be >= 1 (got {args.steps})")
    model, task = train(args.task, args.seed, steps=args.steps)
    score = accuracy(model, task, n=1000, seed=10_000 + args.seed)
    out = args.out or CHECKPOINTS / f"{task.name}.pt"
    write_checkpoint(model, task, out, score)
    print(f"{task.name}: token accuracy {score:.4f} on 1000 fresh examples; wrote {out}")
    return 0 if score >= 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
