"""nginx in front of replicas (serve/proxy.py), on real nginx in front of plain HTTP servers: where
it places new browsers, that a browser stays where it was placed, and taking a replica out of
rotation and putting it back (once `take_out` returns, no request goes where it no longer should).
nginx is Debian's (`apt-get install -y nginx`): without it these skip, unless REQUIRE_NGINX=1."""

from __future__ import annotations

import contextlib
import threading
import urllib.request
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from serve.proxy import Nginx
from tests.server import ROOT, free_port, need_nginx


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


@contextlib.contextmanager
def replicas(count: int):
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Healthy) for _ in range(count)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield [f"127.0.0.1:{server.server_address[1]}" for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def answered(port: int, cookie: str | None = None) -> tuple[str, str | None]:
    """The replica a browser with `cookie` is sent to (by default a new browser, with a cookie nginx
    has not seen), and the cookie nginx gives it, if any."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_stcore/health")
    request.add_header("Cookie", cookie or f"mask_lab_replica={uuid.uuid4().hex}")
    with urllib.request.urlopen(request, timeout=10) as reply:
        given = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or [] if "mask_lab_replica" in c]
        return reply.headers["X-Replica"], (given or [None])[0]


@contextlib.contextmanager
def proxy(upstreams: list[str]):
    port = free_port()
    nginx = Nginx(port, upstreams, ROOT / "build" / "serve" / f"proxy-{port}")
    nginx.start()
    try:
        yield nginx, port
    finally:
        nginx.stop()


@pytest.mark.parametrize("count", [2, 3])
def test_new_browsers_are_spread_evenly_and_each_stays_where_it_was_placed(count):
    """A class arriving: one replica with more students than another finishes its runs last."""
    need_nginx()
    with replicas(count) as addresses, proxy(addresses) as (_, port):
        placed = [answered(port) for _ in range(12 * count)]
        assert sorted(Counter(address for address, _ in placed).values()) == [12] * count
        for address, cookie in placed:
            assert cookie is not None
            assert answered(port, cookie) == (address, None)  # its later requests: no new cookie


def test_once_a_replica_is_taken_out_or_put_back_the_very_next_request_follows_the_new_rotation():
    need_nginx()
    with replicas(2) as (first, second), proxy([first, second]) as (nginx, port):
        on_first = next(cookie for address, cookie in iter(lambda: answered(port), None) if address == first)
        for _ in range(15):  # the old worker lingering after a reload shows within a few rounds
            nginx.take_out(frozenset({first}))
            assert {answered(port)[0] for _ in range(8)} == {second}
            assert answered(port, on_first)[0] == second  # a browser placed there goes to another meanwhile
            nginx.take_out(frozenset({second}))
            assert {answered(port)[0] for _ in range(8)} == {first}
            assert answered(port, on_first)[0] == first
