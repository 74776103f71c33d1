"""A student who closes the tab stops costing the server: the model's own answer, the one long
loop of the app (each token runs the whole model), stops at the next token."""

from __future__ import annotations

import os
import random
import string
import time
from pathlib import Path

from tests.streamlit_client import open_and_leave, run, visit


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_until_idle(pid: int, start: float, limit: float = 120.0) -> float:
    """CPU seconds the server spends from `start` until it stops working (bounded wait)."""
    deadline, last = time.monotonic() + limit, server_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server_cpu_seconds(pid)
        if now - last < 0.05:
            return now - start
        last = now
    raise AssertionError("the server was still busy after the time limit")


def decode_link(rng: random.Random) -> str:
    source = "".join(rng.choice(string.ascii_lowercase) for _ in range(400))
    return f"model=random&layers=6&heads=8&source={source}"  # no target: the model decodes its own


def test_the_answer_of_a_closed_tab_is_not_decoded_to_the_end(fresh_server):
    rng = random.Random(1)
    with fresh_server() as (base, pid):
        assert visit(base, "cross", decode_link(rng) + "&target=abc").error is None  # model built, warm
        start = server_cpu_seconds(pid)
        whole = visit(base, "cross", decode_link(rng))
        assert whole.error is None and not whole.exceptions
        full = cpu_until_idle(pid, start)
        start = server_cpu_seconds(pid)
        run(open_and_leave(base, "cross", decode_link(rng)))
        left = cpu_until_idle(pid, start)
    assert left < 0.5 * full, f"a closed tab cost {left:.1f} CPU s, a whole answer {full:.1f} s"
