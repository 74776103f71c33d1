"""A replica is warm when it has run every page once: before `make serve` says it is serving, and
again before a replica that supervisord restarted gets students (serve/rotation.py). A cold one
imports, builds and draws for the first students it gets (attention p95 7.1 s against 1.3 s warm).
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.request
from collections.abc import Callable

from app.pages import HOME, PAGES
from serve.visit import open_page

WARM_SECONDS = 300  # a page's first run on a cold replica: imports, the model, the caches (15 s here)


def wait_healthy(address: str, stopped: Callable[[], str | None], seconds: float = 90) -> str | None:
    """Until the server at `address` answers /_stcore/health (nginx passes it on to a replica): None
    then, or why not: `stopped()` said why the process is gone, or the time ran out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if why := stopped():
            return why
        try:
            with urllib.request.urlopen(f"http://{address}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    return None
        except OSError:
            time.sleep(0.3)
    return f"did not answer /_stcore/health within {seconds:.0f} s"


async def warm_one(address: str) -> tuple[float, list[str], list[tuple[str, str]]]:
    """Every page opened once on the replica at `address`, one after the other, at its default link:
    the time it all took, each page with its time, and the pages that failed with why."""
    start, times, failures = time.perf_counter(), [], []
    for page in PAGES:
        run = await open_page(f"http://{address}", "" if page.name == HOME else page.name, timeout=WARM_SECONDS)
        times.append(f"{page.name} {run.seconds:.1f} s")
        if run.error or run.exceptions:
            failures.append((page.name, run.error or run.exceptions[0]))
    return time.perf_counter() - start, times, failures


def warm(upstreams: list[str], logs: list[str]) -> None:
    """Warm every replica at once (each its own process), each page once; say how long each took.
    A page that raised or timed out stops the server: it would fail for the students too."""

    async def every_replica():
        return await asyncio.gather(*(warm_one(address) for address in upstreams))

    print(f"Warming {len(upstreams)} replica(s): every page once on each ...", flush=True)
    failed = []
    for address, log, (seconds, times, failures) in zip(upstreams, logs, asyncio.run(every_replica()), strict=True):
        print(f"Warmed replica {address} in {seconds:.1f} s: {', '.join(times)}", flush=True)
        failed += [(address, log, page, why) for page, why in failures]
    for address, log, page, why in failed:
        print(f"serve: page {page!r} failed to warm on replica {address}: {why}; see {log}", file=sys.stderr)
    if failed:
        raise SystemExit(f"serve: stopped, {len(failed)} page run(s) failed while warming the replicas (above)")
