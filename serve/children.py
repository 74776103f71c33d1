"""What serve starts itself (nginx, supervisord): each in a process group of its own, ended with serve.

A group of its own, so that nginx's workers are stopped with their master even when the master died
first (a worker outlives a killed master and keeps the port, answering 502), and so that Ctrl-C in
the terminal reaches serve alone, which stops nginx before the replicas. Ended with serve: on Linux
the kernel sends each SIGTERM when serve's process ends, even by `kill -9`; otherwise serve's own
cleanup stops them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess

PR_SET_PDEATHSIG = 1  # prctl's option number (linux/prctl.h)


def end_with_parent() -> None:
    """Run in the child before it executes its program: SIGTERM when its parent (serve) ends."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no prctl
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(command: list[str], **options) -> subprocess.Popen:
    return subprocess.Popen(command, process_group=0, preexec_fn=end_with_parent, **options)


def stop(process: subprocess.Popen, seconds: float) -> None:
    """SIGTERM, and after `seconds` SIGKILL to whatever is left of its group (a dead master's workers)."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def ended(process: subprocess.Popen) -> str | None:
    """How `process` ended ("exit 1", "killed by SIGKILL"), or None while it runs."""
    code = process.poll()
    if code is None:
        return None
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
