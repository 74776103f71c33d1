"""The training command: seeded, reproducible, with clear errors for bad arguments."""

import subprocess
import sys

import pytest
import torch

from model.tasks import TASKS
from model.train import main, train


@pytest.mark.parametrize("name", list(TASKS))
def test_a_few_seeded_steps_are_reproducible(name):
    first, _ = train(name, seed=3, steps=5, quiet=True)
    second, _ = train(name, seed=3, steps=5, quiet=True)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_the_command_writes_a_loadable_checkpoint(tmp_path):
    from model import pretrained

    out = tmp_path / "mirror.pt"
    main(["mirror", "--steps", "3", "--out", str(out)])  # too short to learn: exit code 1, file written
    assert pretrained.load("mirror", out).task.name == "mirror"


def test_bad_arguments_get_a_usage_message():
    result = subprocess.run([sys.executable, "-m", "model.train", "translate"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'translate'" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "model.train", "copy", "--steps", "-4"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "--steps must be >= 1" in result.stderr
