"""A Streamlit session without a browser, as tests and benchmarks see it: what a page drew.

The protocol itself (the health request and its cookies, the websocket, a `BackMsg.rerun_script`,
`ForwardMsg`s until `script_finished`) is serve/visit.py's, which `make serve` warms its replicas
with; this reads the elements a run sends. Loopback only: tests and benchmarks start the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.figure_element import sent_figure
from serve import visit as serve_visit
from serve.visit import messages, rerun, run_script, session


@dataclass
class Visit:
    """One page opened by one session: how long it took, what it cost, what it drew."""

    seconds: float = 0.0
    payload_bytes: int = 0  # every ForwardMsg of the run, as sent on the wire
    charts: list[dict] = field(default_factory=list)  # Plotly figures, as the browser receives them
    texts: list[str] = field(default_factory=list)  # markdown, captions, warnings, errors
    exceptions: list[str] = field(default_factory=list)
    error: str | None = None  # the visit itself failed (connection, time-out)
    replica: str | None = None  # which app process answered, where a proxy names it (X-Replica)
    runs: int = 0  # script runs it took (a page that switches to another link runs twice)


def _read(msg: ForwardMsg, visit: Visit, keep: bool) -> None:
    """Exceptions always; figures and texts if `keep` (decoding figures costs the client time)."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        visit.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif not keep:
        return
    elif kind == "bidi_component" and sent_figure(element.bidi_component) is not None:
        visit.charts.append(sent_figure(element.bidi_component))
    elif kind == "markdown":
        visit.texts.append(element.markdown.body)
    elif kind == "alert":
        visit.texts.append(element.alert.body)


async def open_page(base: str, page: str, query: str = "", timeout: float = 120.0, keep: bool = True) -> Visit:
    """Open `page` with `query` in a fresh session and wait for the run to finish. `keep=False`
    counts bytes only (no JSON decoding of figures)."""
    visit = Visit()
    return _took(await serve_visit.open_page(base, page, query, timeout, lambda msg: _read(msg, visit, keep)), visit)


def _took(done: serve_visit.Run, visit: Visit) -> Visit:
    """`visit` with what its run cost (time, bytes, runs, replica, failure)."""
    for name in (f.name for f in dataclasses.fields(done)):
        setattr(visit, name, getattr(done, name))
    return visit


async def open_in_turn(base: str, links: list[tuple[str, str]]) -> list[Visit]:
    """Every (page, query) in `links` opened one after the other in one session, as a browser
    follows links inside the running app (slides, the sidebar)."""
    visits = []
    async with session(base) as (socket, _):
        for page, query in links:
            visit = Visit()
            visits.append(_took(await run_script(socket, page, query, lambda msg: _read(msg, visit, keep=True)), visit))
    return visits


async def open_and_leave(base: str, page: str, query: str = "") -> None:
    """Open a page and close the tab as soon as the run has started drawing (a student who leaves)."""
    async with session(base) as (socket, _):
        await socket.send(rerun(page, query))
        async for msg, _ in messages(socket):
            if msg.WhichOneof("type") == "delta":
                return


async def clear_caches(base: str) -> None:
    """What any visitor's client can send: Streamlit's `clear_cache` (its menu item in developer
    mode), which empties every `st.cache_data` and `st.cache_resource` for all sessions. A run
    requested after it on the same socket finishes once the server has handled it."""
    async with session(base) as (socket, _):
        clear = BackMsg()
        clear.clear_cache = True
        await socket.send(clear.SerializeToString())
        await run_script(socket, "")


async def open_at_once(base: str, links: list[tuple[str, str]], **options) -> list[Visit]:
    """Every (page, query) in `links` opened by its own session at the same moment."""
    return await asyncio.gather(*(open_page(base, page, query, **options) for page, query in links))


def run(coroutine):
    """Run a coroutine to its end from plain code, in a thread of its own: the caller's thread may
    already run an event loop (Playwright's, in the browser tests of the same pytest run)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def visit(base: str, page: str, query: str = "", **options) -> Visit:
    return run(open_page(base, page, query, **options))


def visit_at_once(base: str, links: list[tuple[str, str]], **options) -> list[Visit]:
    return run(open_at_once(base, links, **options))
