"""What the server process sets up once, when the entry script first imports this module (Python
runs a module's first import in one thread while the others wait for it).

Imports: sessions that start at once on a cold server would otherwise import the libraries the
pages use in several threads at the same moment, and one of them can find a library half
initialised ("partially initialized module 'pandas'").

Memory: glibc keeps freed blocks for reuse: those under a threshold that grows to 32 MB stay in
the heap of the thread's arena, and every script-run thread can get an arena of its own. A server
whose sessions each build and drop tens of megabytes of tensors and figures then only grows. Here
blocks from 4 MiB up are mapped and handed back to the system when freed, up to 64 MiB of free
heap is kept for reuse (a lower fixed threshold makes each decoded token fault its pages in anew),
and all threads share two arenas (tests/bench/results/hostile.md measures the memory).

Threads: each torch operation runs on one thread. The models here are small, and a server runs
many sessions at once, each in a thread of its own: splitting every small operation over the
cores costs more than it gives, even for one reader.

Turns: a page's run computes while the runs of other sessions wait their turn (`one_run_at_a_time`).
Threads in one interpreter do not compute side by side anyway, and many of them at once cost more:
every torch operation hands the interpreter lock on, and with twenty runs waiting for it each hand-on
is a switch of threads (20 new Cross-attention links at once took twice the CPU time, 4 times the
thread switches: docs/performance.md). A run that computes for RUN_WAIT (a real model's first load)
holds nobody up longer than that: the runs waiting go ahead beside it, and the server logs it.

Files: the entry script runs again for every session and every rerun, so what it sends from a file
(the browser script, the favicon) is read here, once.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import gc
import json
import logging
import threading
import time
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import pandas  # noqa: F401  (st.dataframe's, imported by Streamlit on first use)
import plotly.graph_objects  # noqa: F401
import torch

import app.figures  # noqa: F401
import masks  # noqa: F401
import model.transformer  # noqa: F401
from app.figure_element import PLOTLY
from app.pages import PAGES

for page in PAGES:  # each page's module (st.navigation would import it when first linked)
    import_module(page.module)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
MiB = 1024 * 1024  # mallopt's parameter numbers (malloc.h)


def release_freed_memory() -> bool:
    """True when glibc took the policy; False on another C library (which keeps its own)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        settings = ((M_MMAP_THRESHOLD, 4 * MiB), (M_TRIM_THRESHOLD, 64 * MiB), (M_ARENA_MAX, 2))
        return all(libc.mallopt(option, value) for option, value in settings)
    except (OSError, AttributeError):
        return False


APPLIED = release_freed_memory()
torch.set_num_threads(1)


RUN_WAIT = 2.0  # seconds one run may compute while others wait; past it, they go ahead beside it
_turn = threading.Lock()
_computing_since: float | None = None  # when the run that has the turn took it (None: nobody has it)
_said_for: float | None = None  # the long run the log has spoken of
log = logging.getLogger(__name__)


@contextmanager
def one_run_at_a_time(wait: float | None = None):
    """A page's run, once the runs before it have finished: yields whether it had its turn. A class
    arriving at once waits in line however long the line (short runs, one after the other, cost the
    least); a run that has computed for `wait` (RUN_WAIT) holds nobody up longer: the runs waiting
    then go ahead beside it, and the server's log says so once."""
    global _computing_since, _said_for
    wait = RUN_WAIT if wait is None else wait
    turn = _turn.acquire(blocking=False)
    while not turn:
        since = _computing_since
        left = wait if since is None else since + wait - time.monotonic()
        if left <= 0:
            if _said_for != since:
                _said_for = since
                log.warning("a page run has computed for %.1f s: the runs waiting go ahead beside it", wait)
            break
        turn = _turn.acquire(timeout=left)
    if turn:
        _computing_since = time.monotonic()
    try:
        yield turn
    finally:
        if turn:
            _computing_since = None
            _turn.release()


HERE = Path(__file__).parent
# with the address of plotly.js, which browser.js starts fetching as the page starts (app/figure_element.py)
PLOTLY_ADDRESS = json.dumps(f"./app/static/{PLOTLY}")
BROWSER_JS = f"window.maskLabPlotly = {PLOTLY_ADDRESS};\n" + (HERE / "browser.js").read_text(encoding="utf-8")
# a data URL goes to the page as it is; a file path is read and registered as media on every run
FAVICON = "data:image/png;base64," + base64.b64encode((HERE / "favicon.png").read_bytes()).decode()


_frozen = False


def freeze_startup_heap() -> None:
    """Once per process, after the first run has imported torch, Plotly's validators and the rest:
    a full collection walks all ~220k objects of those modules (tests/bench/results/app.md: 175 ms,
    holding the interpreter); frozen, they are skipped. A flag, not gc.get_freeze_count(): that
    counts the frozen objects one by one (30 ms a run). Two first sessions may both freeze: harmless."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
