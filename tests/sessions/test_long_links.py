"""A long link opens however it reaches the server: over a network a long request arrives in pieces."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlencode, urlparse

from app.state import LINK_LIMIT


def status_of(url: str, path: str, pause_before_last: int) -> str:
    """The answer's status line to a GET of `path` whose last bytes come after a pause (the pause is
    the input here, a network's: the server must hold the first piece while it waits)."""
    where = urlparse(url)
    request = f"GET {path} HTTP/1.1\r\nHost: {where.netloc}\r\n\r\n".encode()
    with socket.create_connection((where.hostname, where.port)) as connection:
        connection.sendall(request[:-pause_before_last])
        time.sleep(0.3)
        connection.sendall(request[-pause_before_last:])
        return connection.recv(200).split(b"\r\n")[0].decode()


def test_a_link_as_long_as_the_app_allows_opens_when_it_arrives_in_pieces(fresh_server):
    """Uvicorn's pure-Python parser refused a request held in pieces past 16 KB ("Invalid HTTP request
    received.": a long sentence's link, reloaded); its C parser (httptools) reads it."""
    query = urlencode({"text": "a," * (LINK_LIMIT // 4)})  # each comma is %2C: the link is LINK_LIMIT long
    assert len(query) >= LINK_LIMIT - 10
    with fresh_server() as server:
        assert status_of(server.url, f"/masks?{query}", pause_before_last=100) == "HTTP/1.1 200 OK"
