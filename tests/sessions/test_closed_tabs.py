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
    # no target: the model decodes its own. The shapes view draws no figure: the page's own cost (every
    # head's figure of a new run, for the browser to switch between) would hide what decoding costs
    return f"model=random&layers=6&heads=8&view=shapes&source={source}"


def test_the_answer_of_a_closed_tab_is_not_decoded_to_the_end(fresh_server):
    """Told by what the closed tab leaves: a finished answer is kept for the next session that asks
    for it (which then costs what a page with a typed target costs); an answer stopped at the next
    token is not, so the next session decodes it whole. (Measured by what the server keeps, not by
    the closed tab's own CPU time: decoding got fast enough that opening the session costs as much.)"""
    rng = random.Random(1)

    def cpu_of(action) -> float:
        start = server_cpu_seconds(pid)
        action()
        return cpu_until_idle(pid, start)

    with fresh_server() as (base, pid):
        assert visit(base, "cross", decode_link(rng) + "&target=abc").error is None  # model built, warm
        typed = cpu_of(lambda: visit(base, "cross", decode_link(rng) + "&target=" + "ab" * 16))  # 32 letters
        whole = visit(base, "cross", decode_link(rng))
        assert whole.error is None and not whole.exceptions
        decoded = cpu_of(lambda: visit(base, "cross", decode_link(rng)))
        assert decoded > 1.5 * typed, "decoding must cost enough to be told apart"
        closed = decode_link(rng)
        cpu_of(lambda: run(open_and_leave(base, "cross", closed)))
        again = cpu_of(lambda: visit(base, "cross", closed))
    # a kept answer would cost what a typed target costs; decoded again, it costs clearly more
    assert again > 1.5 * typed, (
        f"the closed tab's answer was finished and kept: its link cost {again:.2f} CPU s again, a page "
        f"decoding {decoded:.2f} s, one with a typed target {typed:.2f} s"
    )
