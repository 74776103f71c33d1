"""A Streamlit session without a browser: what a browser sends and receives on the websocket.

The browser first asks `/_stcore/health` (whose answer sets the cookies, among them the one
`make serve`'s nginx keeps a session on one replica by), then opens `/_stcore/stream`
(subprotocol "streamlit") and sends a `BackMsg.rerun_script` with the page's url path and the
link's query string; the server answers with `ForwardMsg`s until `script_finished`. Loopback only:
tests and benchmarks start the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.figure_element import sent_figure


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


def health_cookie(base: str) -> tuple[str, str | None]:
    """GET /_stcore/health as a browser does first: the Cookie header it would send next, and the
    replica that answered (named by `make serve`'s nginx)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/_stcore/health", timeout=30) as reply:
        reply.read()
        replica = reply.headers.get("X-Replica")
    return "; ".join(f"{c.name}={c.value}" for c in jar), replica


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


@contextlib.asynccontextmanager
async def session(base: str, timeout: float = 120.0, visit: Visit | None = None):
    """A browser's session: the health request (its cookies; the replica goes to `visit`), then
    the websocket."""
    cookie, replica = await asyncio.to_thread(health_cookie, base)
    if visit is not None:
        visit.replica = replica
    url = base.replace("http", "ws", 1) + "/_stcore/stream"
    headers = {"Cookie": cookie} if cookie else None
    # no pings: a browser sends none, and a server busy with 200 runs answers them late, so the
    # client would close a healthy session (seen: "keepalive ping timeout" at 200 sessions)
    async with websockets.connect(
        url,
        subprotocols=["streamlit"],
        additional_headers=headers,
        max_size=None,
        open_timeout=timeout,
        ping_interval=None,
    ) as socket:
        yield socket


def rerun(page: str, query: str = "") -> bytes:
    """The message a browser sends to run `page` (its url path, "" for the default page)."""
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = page
    return back.SerializeToString()


async def messages(socket):
    """The server's messages, parsed, each with its size on the wire."""
    async for data in socket:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        yield msg, len(data)


def finished(msg: ForwardMsg) -> bool:
    """The run is over: not a run stopped early for another (a page switching to its own link)."""
    return msg.WhichOneof("type") == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN


async def open_page(base: str, page: str, query: str = "", timeout: float = 120.0, keep: bool = True) -> Visit:
    """Open `page` with `query` in a fresh session and wait for the run to finish. `keep=False`
    counts bytes only (no JSON decoding of figures)."""
    visit = Visit()
    start = time.perf_counter()
    try:
        async with session(base, timeout, visit) as socket, asyncio.timeout(timeout):
            await socket.send(rerun(page, query))
            async for msg, size in messages(socket):
                visit.payload_bytes += size
                _read(msg, visit, keep)
                if finished(msg):
                    break
    except (OSError, TimeoutError, websockets.WebSocketException) as error:
        visit.error = f"{type(error).__name__}: {error}"
    visit.seconds = time.perf_counter() - start
    return visit


async def open_in_turn(base: str, links: list[tuple[str, str]]) -> list[Visit]:
    """Every (page, query) in `links` opened one after the other in one session, as a browser
    follows links inside the running app (slides, the sidebar)."""
    visits = []
    async with session(base) as socket:
        for page, query in links:
            visit, start = Visit(), time.perf_counter()
            await socket.send(rerun(page, query))
            async for msg, size in messages(socket):
                visit.payload_bytes += size
                _read(msg, visit, keep=True)
                visit.runs += msg.WhichOneof("type") == "script_finished"
                if finished(msg):
                    break
            visit.seconds = time.perf_counter() - start
            visits.append(visit)
    return visits


async def open_and_leave(base: str, page: str, query: str = "") -> None:
    """Open a page and close the tab as soon as the run has started drawing (a student who leaves)."""
    async with session(base) as socket:
        await socket.send(rerun(page, query))
        async for msg, _ in messages(socket):
            if msg.WhichOneof("type") == "delta":
                return


async def clear_caches(base: str) -> None:
    """What any visitor's client can send: Streamlit's `clear_cache` (its menu item in developer
    mode), which empties every `st.cache_data` and `st.cache_resource` for all sessions. A run
    requested after it on the same socket finishes once the server has handled it."""
    async with session(base) as socket:
        clear = BackMsg()
        clear.clear_cache = True
        await socket.send(clear.SerializeToString())
        await socket.send(rerun(""))
        async for msg, _ in messages(socket):
            if finished(msg):
                return


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
