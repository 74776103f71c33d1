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
from urllib.parse import quote

from app.pages import HOME, PAGES
from serve.visit import open_page

# a page's first run on a cold replica: imports, the model, the caches (SmolLM2's load is the longest)
WARM_SECONDS = 300


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


def model_options(options: list[str]) -> Callable:
    """A Read that adds the options of a page's Model picker to `options` (the models a replica offers,
    real ones included: loading one is most of a first visit's time)."""

    def read(msg) -> None:
        element = msg.delta.new_element if msg.WhichOneof("type") == "delta" else None
        if (
            element is not None
            and element.WhichOneof("type") == "button_group"
            and element.button_group.label == "Model"
        ):
            options.extend(option.content for option in element.button_group.options)

    return read


async def warm_one(address: str) -> tuple[float, list[str], list[tuple[str, str]]]:
    """Every page opened once on the replica at `address`, one after the other, at its default link,
    then the Attention page with each other model it offers: the time it all took, each page with its
    time, and the pages that failed with why."""
    start, times, failures, models = time.perf_counter(), [], [], []
    links = [("" if page.name == HOME else page.name, "", page.name) for page in PAGES]
    for k, (path, query, name) in enumerate(links):
        read = model_options(models) if path == "attention" and not query else None
        run = await open_page(f"http://{address}", path, query, timeout=WARM_SECONDS, read=read)
        times.append(f"{name} {run.seconds:.1f} s")
        if run.error or run.exceptions:
            failures.append((name, run.error or run.exceptions[0]))
        if read is not None:  # the default model is warm now; each other one next
            links[k + 1 : k + 1] = [("attention", f"model={quote(m)}", f"attention?model={m}") for m in models[1:]]
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
