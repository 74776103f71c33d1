"""`streamlit run`, with bounds on what one HTTP client can hold: what `make run` and every replica of
`make serve` start (`python -m serve.bounded APP [streamlit options]`).

Streamlit 1.67 serves on uvicorn and passes it none of its limits, and uvicorn (with httptools, its
fast parser) has no timeout for a request's headers (its keep-alive timeout only starts after a first
answer), no limit on their size, and no timeout for a client that stops reading an answer. So a
client that sends half a request, or endless header lines, or never reads what it asked for, holds
its connection, and the memory of what it sent or was sent, for as long as the server runs. Here
uvicorn's HTTP protocol is replaced, through its own table of protocols, by one that closes such a
connection:

- request headers not complete HEADER_SECONDS after the connection (or the last answer) began;
- request headers past MAX_HEADER_BYTES: answered 431, then closed;
- an answer the client has not read for SEND_SECONDS (the socket's buffers full all that time).

An operator sets the two times in seconds with MASK_LAB_HEADER_SECONDS and MASK_LAB_SEND_SECONDS
(default 10 and 30), for `make run` and `make serve` alike.

A websocket, once upgraded, is uvicorn's websocket protocol's: Streamlit pings it and closes a
session that answers none of its pings within a minute.
"""

from __future__ import annotations

import os
import sys

import uvicorn.config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def seconds(variable: str, default: float) -> float:
    """The time in seconds the environment `variable` sets (`default` when unset); a value that is not
    a number of seconds from 1 to 3600 stops the server naming it."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 3600:  # a NaN fails too
        raise SystemExit(f"{variable}={text[:40]!r}: give a number of seconds from 1 to 3600 (default {default:g})")
    return value


HEADER_SECONDS = seconds("MASK_LAB_HEADER_SECONDS", 10.0)
MAX_HEADER_BYTES = 256 * 1024  # nginx in front (`make serve`) takes 4 x 64 KB
SEND_SECONDS = seconds("MASK_LAB_SEND_SECONDS", 30.0)


class BoundedHTTP(HttpToolsProtocol):
    """uvicorn's httptools protocol with the three bounds above."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._stalled = None
        self._await_headers()

    def _await_headers(self) -> None:
        self._header_bytes = 0
        self._header_deadline = self.loop.call_later(HEADER_SECONDS, self._close, "to send its request's headers")

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is not None:  # still reading a request's headers
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._header_deadline.cancel()
                self._header_deadline = None
                self.transport.write(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                )
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # kept alive: the next request's headers are bounded too
            self._await_headers()

    def pause_writing(self) -> None:  # the client's buffers are full: it is not reading
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(SEND_SECONDS, self._close, "to read its answer")

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def connection_lost(self, exc) -> None:
        for timer in (self._header_deadline, self._stalled):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def _close(self, why: str) -> None:
        self.logger.info("closing the connection of %s: it took too long %s", self.client, why)
        self.transport.abort()  # nothing of what it was sent is kept


def main(arguments: list[str]) -> None:
    # uvicorn looks its HTTP protocol up in this table by name, when Streamlit makes its config
    uvicorn.config.HTTP_PROTOCOLS["auto"] = "serve.bounded:BoundedHTTP"
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *arguments]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
