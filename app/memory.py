"""Memory policy of the server process, applied once, when the entry script first imports this.

glibc keeps freed blocks for reuse: those under a threshold that grows to 32 MB stay in the heap
of the thread's arena, and every script-run thread can get an arena of its own. A server whose
sessions each build and drop tens of megabytes of tensors and figures then only grows (measured
with tests/bench/bench_hostile.py: 2.5 GB after 40 largest requests, 1.3 GB with this policy).
Here blocks from 256 KiB up are mapped and handed back to the system when freed, and all threads
share two arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt's parameter numbers (malloc.h)


def release_freed_memory() -> bool:
    """True when glibc took the policy; False on another C library (which keeps its own)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 256 * 1024)) and bool(libc.mallopt(M_ARENA_MAX, 2))
    except (OSError, AttributeError):
        return False


APPLIED = release_freed_memory()
