"""What the server process sets up once, when the entry script first imports this module (Python
runs a module's first import in one thread while the others wait for it).

Imports: sessions that start at once on a cold server would otherwise import the libraries the
pages use in several threads at the same moment, and one of them can find a library half
initialised ("partially initialized module 'pandas'", seen with five sessions opened at once).

Memory: glibc keeps freed blocks for reuse: those under a threshold that grows to 32 MB stay in the heap
of the thread's arena, and every script-run thread can get an arena of its own. A server whose
sessions each build and drop tens of megabytes of tensors and figures then only grows (measured
with tests/bench/bench_hostile.py: 2.5 GB after 40 largest requests, 1.3 GB with this policy).
Here blocks from 256 KiB up are mapped and handed back to the system when freed, and all threads
share two arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import pandas  # noqa: F401  (st.dataframe's, imported by Streamlit on first use)
import plotly.graph_objects  # noqa: F401
import torch  # noqa: F401

import app.figures  # noqa: F401
import masks  # noqa: F401
import model.transformer  # noqa: F401

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt's parameter numbers (malloc.h)


def release_freed_memory() -> bool:
    """True when glibc took the policy; False on another C library (which keeps its own)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 256 * 1024)) and bool(libc.mallopt(M_ARENA_MAX, 2))
    except (OSError, AttributeError):
        return False


APPLIED = release_freed_memory()
