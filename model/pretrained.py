"""Shipped trained checkpoints: `available()` lists them, `load(name)` returns a ready model.

A checkpoint is a plain dict (config, tokenizer vocabulary, weights, accuracy) saved with
torch.save and loaded with weights_only=True: a file that is anything else, a pickle of some
other object, a truncated file, weights of another shape, is refused with a clear message,
and no code in it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch

from model.tasks import TASKS, Task
from model.tokenizer import Tokenizer
from model.transformer import Transformer, TransformerConfig

CHECKPOINTS = Path(__file__).parent / "checkpoints"
FORMAT = "attention-mask-lab/1"


@dataclass
class Pretrained:
    name: str
    model: Transformer
    tokenizer: Tokenizer
    task: Task
    accuracy: float  # token accuracy measured when it was trained (1000 fresh examples)

    @property
    def description(self) -> str:
        return self.task.description

    def default_masks(self, *inputs: torch.Tensor) -> dict:
        """Mask keyword arguments this model was trained with, for these inputs."""
        return self.task.masks_for(*inputs)

    def strongest_head(self, n: int = 200, seed: int = 5) -> PatternHead:
        """Where the task's promised pattern is strongest: over n fresh examples, the head whose
        argmax lands on the key the pattern names for the largest share of the queries it scores."""
        batch = self.task.sample(torch.Generator().manual_seed(seed), n)
        with torch.no_grad():
            out = self.model(*batch.inputs, **batch.masks)
        kind, expected = self.task.expected_focus(batch)
        scored = expected >= 0
        shares = torch.stack(
            [
                (layer.weights.argmax(dim=-1) == expected[:, None]).transpose(0, 1)[:, scored].float().mean(dim=-1)
                for layer in (out.cross_attentions if kind == "cross" else out.attentions)
            ]
        )  # (L, H)
        best = int(shares.argmax())
        layer, head = divmod(best, shares.shape[1])
        return PatternHead(kind, layer, head, shares[layer, head].item(), n)


@dataclass(frozen=True)
class PatternHead:
    kind: str  # "self" or "cross": which attention the pattern is in
    layer: int
    head: int
    share: float  # of the scored queries, the share whose argmax is the promised key
    examples: int


MAX_ELEMENTS = 50_000_000  # 200 MB of float32: far above a checkpoint of these tasks (under 1 MB)


def available() -> list[str]:
    """Names of the tasks that have a checkpoint here, in the order of TASKS."""
    return [name for name in TASKS if (CHECKPOINTS / f"{name}.pt").exists()]


def load(name: str, path: Path | None = None) -> Pretrained:
    if path is None:
        if name not in TASKS:
            raise ValueError(f"unknown checkpoint {name!r}; available: {', '.join(available())}")
        path = CHECKPOINTS / f"{name}.pt"
    data = read_checkpoint(path)
    task = TASKS[data["task"]]
    model = Transformer(TransformerConfig(**data["config"]))
    model.load_state_dict(data["state_dict"])  # shapes checked by read_checkpoint
    model.eval()
    return Pretrained(task.name, model, Tokenizer.from_dict(data["tokenizer"]), task, float(data["accuracy"]))


def write_checkpoint(model: Transformer, task: Task, path: Path, accuracy: float) -> None:
    """The checkpoint format, written: what `read_checkpoint` checks and `load` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    torch.save(
        {
            "format": FORMAT,
            "task": task.name,
            "config": model.config.to_dict(),
            "tokenizer": task.tokenizer.to_dict(),
            "accuracy": accuracy,
            "state_dict": state,
        },
        path,
    )


OLD_NORM = re.compile(r"(.+)\.norms\.(\d)\.(weight|bias)")


def with_named_norms(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The one place old checkpoints are read: the shipped ones were written when a Block kept its
    LayerNorms in a list, `norms.0` (self-attention), `norms.1` (cross-attention, in a block that
    has it) and the last (feed-forward); today they are `ln_1`, `ln_cross` and `ln_2`. The tensors
    are the same, so the model is too."""
    with_cross = {match[1] for match in map(OLD_NORM.fullmatch, state) if match and match[2] == "2"}

    def renamed(name: str) -> str:
        if not (match := OLD_NORM.fullmatch(name)):
            return name
        block, index, tensor = match.groups()
        last = "2" if block in with_cross else "1"
        norm = "ln_1" if index == "0" else "ln_2" if index == last else "ln_cross"
        return f"{block}.{norm}.{tensor}"

    return {renamed(name): tensor for name, tensor in state.items()}


def read_checkpoint(path: Path) -> dict:
    """The checkpoint's dict, checked; ValueError naming the problem otherwise."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"no checkpoint at {path}") from None
    except Exception as error:  # weights_only refuses any other object; torn files fail to unpickle
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path} is not a checkpoint of this project ({reason})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a checkpoint of this project (expected a dict with format {FORMAT!r})")
    missing = {"task", "config", "tokenizer", "state_dict", "accuracy"} - set(data)
    if missing:
        raise ValueError(f"{path} lacks {', '.join(sorted(missing))}")
    if data["task"] not in TASKS:
        raise ValueError(f"{path} is for an unknown task {data['task']!r}")
    if not isinstance(data["state_dict"], dict) or not all(
        isinstance(v, torch.Tensor) for v in data["state_dict"].values()
    ):
        raise ValueError(f"{path}: state_dict must map names to tensors")
    data["state_dict"] = with_named_norms(data["state_dict"])
    try:
        config = TransformerConfig(**data["config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} has a bad config: {error}") from None
    try:
        with torch.device("meta"):  # shapes only, nothing allocated: a config can claim any size
            shaped = Transformer(config)
    except RuntimeError:  # sizes whose product overflows
        raise ValueError(f"{path} has a bad config: a model too large to describe ({data['config']})") from None
    elements = sum(t.numel() for t in (*shaped.parameters(), *shaped.buffers()))
    if elements > MAX_ELEMENTS:
        raise ValueError(
            f"{path} has a bad config: {elements:,} numbers to allocate, at most {MAX_ELEMENTS:,} ({data['config']})"
        )
    expected = {name: tuple(t.shape) for name, t in shaped.state_dict().items()}
    given = {name: tuple(t.shape) for name, t in data["state_dict"].items()}
    if given != expected:
        wrong = sorted(n for n in expected.keys() | given.keys() if expected.get(n) != given.get(n))
        shown = ", ".join(f"{n} {given.get(n, 'missing')} vs {expected.get(n, 'unexpected')}" for n in wrong[:3])
        raise ValueError(f"{path} does not fit its own config: {shown}; config {data['config']}")
    return data
