"""A Streamlit session without a browser: what a browser sends and receives on the websocket.

The browser first asks `/_stcore/health` (whose answer sets the cookies, among them the one
`make serve`'s nginx keeps a session on one replica by), then opens `/_stcore/stream`
(subprotocol "streamlit") and sends a `BackMsg.rerun_script` with the page's url path and the
link's query string; the server answers with `ForwardMsg`s until `script_finished`.

`make serve` opens every page on every replica this way before it says it is serving (serve/warm.py);
the session tests and benchmarks build their visits on it (tests/streamlit_client.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

Read = Callable[[ForwardMsg], None]


@dataclass
class Run:
    """One page run by one session, as its client saw it."""

    seconds: float = 0.0
    payload_bytes: int = 0  # every ForwardMsg of the run, as sent on the wire
    runs: int = 0  # script runs it took (a page that switches to another link runs twice)
    replica: str | None = None  # which app process answered, where a proxy names it (X-Replica)
    error: str | None = None  # the visit itself failed (connection, time-out)
    exceptions: list[str] = field(default_factory=list)  # what the page raised, as the page shows it


async def health_cookie(base: str, cookie: str | None = None) -> tuple[str, str | None]:
    """GET /_stcore/health as a browser does first, with the `cookie` of an earlier visit if it has
    one: the Cookie header it would send next, and the replica that answered (named by `make serve`'s
    nginx). On the event loop, as a browser's own request: a hundred sessions ask at once."""
    address = urllib.parse.urlsplit(base)
    sent = f"Cookie: {cookie}\r\n" if cookie else ""
    request = f"GET /_stcore/health HTTP/1.1\r\nHost: {address.netloc}\r\n{sent}Connection: close\r\n\r\n"
    async with asyncio.timeout(30):
        reader, writer = await asyncio.open_connection(address.hostname, address.port or 80)
        try:
            writer.write(request.encode())
            answer = await reader.read()  # until the server closes
        finally:
            writer.close()
    status, _, rest = answer.partition(b"\r\n")
    headers = email.parser.BytesHeaderParser().parsebytes(rest.partition(b"\r\n\r\n")[0])
    if status.split(b" ")[1:2] != [b"200"]:
        raise ConnectionError(f"/_stcore/health answered {status.decode(errors='replace')!r}")
    given = [value.split(";")[0].strip() for value in headers.get_all("Set-Cookie") or []]
    return "; ".join([*([cookie] if cookie else []), *given]), headers.get("X-Replica")


@contextlib.asynccontextmanager
async def session(base: str, timeout: float = 120.0, cookie: str | None = None):
    """A browser's session: the health request (its cookies, added to `cookie` from an earlier
    visit), then the websocket. Yields the socket and the replica that answered the health request."""
    cookie, replica = await health_cookie(base, cookie)
    url = base.replace("http", "ws", 1) + "/_stcore/stream"
    headers = {"Cookie": cookie} if cookie else None
    # no pings: a browser sends none, and a server busy with 200 runs answers them late, so the
    # client would close a healthy session ("keepalive ping timeout")
    async with websockets.connect(
        url,
        subprotocols=["streamlit"],
        additional_headers=headers,
        max_size=None,
        open_timeout=timeout,
        ping_interval=None,
    ) as socket:
        yield socket, replica


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


def cut_short(msg: ForwardMsg) -> bool:
    """A run stopped early for another (a page switching to its own link, a follower moved by the server)."""
    return msg.WhichOneof("type") == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN


def finished(msg: ForwardMsg) -> bool:
    """The run is over: not a run cut short for another."""
    return msg.WhichOneof("type") == "script_finished" and not cut_short(msg)


def exception(msg: ForwardMsg) -> str | None:
    """The exception a page raised, as it is shown in the page ("Type: message"), if `msg` is one."""
    element = msg.delta.new_element if msg.WhichOneof("type") == "delta" else None
    if element is None or msg.delta.WhichOneof("type") != "new_element" or element.WhichOneof("type") != "exception":
        return None
    return f"{element.exception.type}: {element.exception.message}"


async def run_script(socket, page: str, query: str = "", read: Read | None = None, run: Run | None = None) -> Run:
    """Run `page` with `query` on an open session, until the run has finished; every message goes to
    `read`. Fills `run` (a new one by default): what the run cost, what a failure leaves counted."""
    run = run or Run()
    start = time.perf_counter()
    await socket.send(rerun(page, query))
    async for msg, size in messages(socket):
        run.payload_bytes += size
        run.runs += msg.WhichOneof("type") == "script_finished"
        if raised := exception(msg):
            run.exceptions.append(raised)
        if read is not None:
            read(msg)
        if finished(msg):
            break
    run.seconds = time.perf_counter() - start
    return run


async def open_page(
    base: str, page: str, query: str = "", timeout: float = 120.0, read: Read | None = None, cookie: str | None = None
) -> Run:
    """Open `page` with `query` in a fresh session (of a browser with `cookie`, if given) and wait for
    the run to finish, timed from the health request on. A failed connection or a time-out is the
    run's `error`, not an exception."""
    run, start = Run(), time.perf_counter()
    try:
        async with session(base, timeout, cookie) as (socket, run.replica), asyncio.timeout(timeout):
            await run_script(socket, page, query, read, run)
    except (OSError, TimeoutError, websockets.WebSocketException) as error:
        run.error = f"{type(error).__name__}: {error}"
    run.seconds = time.perf_counter() - start
    return run
