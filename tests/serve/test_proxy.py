"""nginx taking a replica out of rotation and putting it back (serve/proxy.py), on real nginx in
front of two plain HTTP servers: once `take_out` returns, no request goes where it no longer should.
nginx is Debian's (`apt-get install -y nginx`): without it these skip, unless REQUIRE_NGINX=1."""

from __future__ import annotations

import contextlib
import threading
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def answered(port: int) -> str:
    """The replica a new browser (a cookie nginx has not seen) is sent to."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_stcore/health")
    request.add_header("Cookie", f"mask_lab_replica={uuid.uuid4().hex}")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.headers["X-Replica"]


def test_once_a_replica_is_taken_out_or_put_back_the_very_next_request_follows_the_new_rotation():
    need_nginx()
    port = free_port()
    with replicas(2) as (first, second):
        nginx = Nginx(port, [first, second], ROOT / "build" / "serve" / f"proxy-{port}")
        nginx.start()
        try:
            for _ in range(15):  # the old worker lingering after a reload shows within a few rounds
                nginx.take_out(frozenset({first}))
                assert {answered(port) for _ in range(8)} == {second}
                nginx.take_out(frozenset({second}))
                assert {answered(port) for _ in range(8)} == {first}
        finally:
            nginx.stop()
