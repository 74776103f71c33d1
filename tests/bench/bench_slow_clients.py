"""Clients that stall, against `make serve` (nginx in front of 2 replicas) and `make run` (one
Streamlit process): what they cost the server's memory, and how long the server holds them.

- Sessions that never read: N websocket sessions each open a page (the handshake's answer is read,
  then nothing more), in rounds; the servers' memory (the replicas and nginx) once the runs are done
  and the connections the server still holds, then again HOLD_SECONDS later; the client closes them
  at the end of each round.
- Downloads never read: N requests for plotly.js (1.5 MB, the largest file a page fetches), not a
  byte of the answer read.
- Requests never finished: N connections send the start of a request's headers and stop there.
- Headers without end: one connection sends header lines, up to 100 MB; what the server answers.

Run with `python -m tests.bench.bench_slow_clients` (part of `make bench`); writes
tests/bench/results/slow-clients.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
import socket
import subprocess
import sys
import time

import psutil
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from serve.visit import rerun
from serve.warm import warm_one
from tests.bench.common import machine, write_result
from tests.server import ROOT, free_port, start_app

PAGE = "attention"
HOLD_SECONDS = 70  # longer than nginx's timeouts (10-20 s) and Streamlit's websocket ping timeout (30 + 30 s)


def stalled_session(port: int, page: str) -> socket.socket:
    """A new browser's session that asks for `page` and then reads nothing more."""
    protocol = ClientProtocol(
        parse_uri(f"ws://127.0.0.1:{port}/_stcore/stream"), subprotocols=[Subprotocol("streamlit")]
    )
    request = protocol.connect()
    request.headers["Cookie"] = f"mask_lab_replica={secrets.token_hex(16)}"  # placed at random by nginx
    protocol.send_request(request)
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(b"".join(protocol.data_to_send()))
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += connection.recv(1)  # the handshake's answer only: not a byte of what follows
    protocol.receive_data(answer)
    assert protocol.state is State.OPEN, answer
    protocol.send_binary(rerun(page))
    connection.sendall(b"".join(protocol.data_to_send()))
    return connection


def unfinished_request(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never: ")
    return connection


def held(port: int) -> int:
    """Connections the server listening on `port` holds open (its side of them)."""
    return sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in psutil.net_connections("tcp"))


def held_over_time(port: int, start: float) -> str:
    """How many connections the server holds 5, 15 and HOLD_SECONDS after `start`."""
    counts = []
    for at in (5, 15, HOLD_SECONDS):
        time.sleep(max(0.0, start + at - time.time()))
        counts.append(f"{held(port)} at {at} s")
    return ", ".join(counts)


def memory_mb(processes: list[psutil.Process]) -> float:
    return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20


def wait_idle(processes: list[psutil.Process], seconds: float = 300) -> None:
    """Until the app processes use under a tenth of a core for a second: every run is done."""
    deadline = time.time() + seconds
    for process in processes:
        process.cpu_percent()
    while time.time() < deadline:
        time.sleep(1)
        if sum(process.cpu_percent() for process in processes) < 10:
            return


class Make:
    """`make serve` or `make run` as a user starts it, with the processes whose memory is counted."""

    def __init__(self, replicas: int):
        self.port = free_port()
        if replicas:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "serve", "--replicas", str(replicas), "--port", str(self.port)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
            for line in self.process.stdout:
                if line.startswith("Serving"):
                    break
            everyone = psutil.Process(self.process.pid).children(recursive=True)
            self.apps = [p for p in everyone if "serve.bounded" in p.cmdline()]
            self.counted = self.apps + [p for p in everyone if p.name() == "nginx"]
        else:
            self.process = start_app(ROOT / "app" / "streamlit_app.py", self.port)
            self.apps = self.counted = [psutil.Process(self.process.pid)]
            asyncio.run(warm_one(f"127.0.0.1:{self.port}"))  # as serve warms its replicas: imports not counted

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT if len(self.apps) > 1 else signal.SIGTERM)
        self.process.wait(timeout=120)


def never_reading(served: Make, connections: int, rounds: int) -> list[str]:
    start = memory_mb(served.counted)
    lines = [f"- at start: {start:.0f} MB"]
    for round_ in range(1, rounds + 1):
        before = memory_mb(served.counted)
        sessions = [stalled_session(served.port, PAGE) for _ in range(connections)]
        wait_idle(served.apps)
        ran, held_then = memory_mb(served.counted), held(served.port)
        time.sleep(HOLD_SECONDS)
        lines.append(
            f"- sessions that never read, round {round_}: {connections} open {PAGE!r}; runs done: {ran:.0f} MB "
            f"({ran - before:+.0f}), {held_then} held; {HOLD_SECONDS} s later: {memory_mb(served.counted):.0f} MB, "
            f"{held(served.port)} held"
        )
        for session in sessions:
            session.close()
    time.sleep(20)  # a closed session is kept 15 s for a reconnect (.streamlit/config.toml)
    end = memory_mb(served.counted)
    lines.append(f"- all closed, 20 s later: {end:.0f} MB ({end - start:+.0f} since the start)")
    return lines


def downloads(served: Make, connections: int) -> str:
    from app.figure_element import PLOTLY

    before = memory_mb(served.counted)
    requests = []
    for _ in range(connections):
        request = socket.create_connection(("127.0.0.1", served.port))
        request.sendall(f"GET /app/static/{PLOTLY} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        requests.append(request)
    time.sleep(5)
    sent = memory_mb(served.counted)
    counts = held_over_time(served.port, time.time() - 5)
    for request in requests:
        request.close()
    return (
        f"- {connections} downloads of plotly.js never read: {before:.0f} -> {sent:.0f} MB after 5 s "
        f"({sent - before:+.0f}); held {counts}"
    )


def unfinished(served: Make, connections: int) -> str:
    requests = [unfinished_request(served.port) for _ in range(connections)]
    counts = held_over_time(served.port, time.time())
    for request in requests:
        request.close()
    return f"- {connections} requests never finished: held {counts}"


def endless_headers(served: Make, megabytes: int) -> str:
    before = memory_mb(served.counted)
    connection = socket.create_connection(("127.0.0.1", served.port))
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    line, sent = b"X-Filler: " + b"a" * 8000 + b"\r\n", 0
    connection.settimeout(10)
    with contextlib.suppress(OSError):  # the server closed the connection
        while sent < megabytes * 2**20:
            connection.sendall(line)
            sent += len(line)
    time.sleep(2)
    after = memory_mb(served.counted)
    try:
        answer = connection.recv(200).split(b"\r\n")[0].decode() or "closed, no answer"
    except OSError as error:
        answer = f"no answer ({type(error).__name__})"
    connection.close()
    return (
        f"- header lines without end: {sent / 2**20:.1f} MB sent; the server's answer: {answer}; "
        f"memory {before:.0f} -> {after:.0f} MB ({after - before:+.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    out = [
        "# Clients that stall",
        "",
        f"{machine()}; `python -m tests.bench.bench_slow_clients`.",
        "Memory: resident, summed over the app processes and nginx's.",
    ]
    for name, replicas in (("make serve REPLICAS=2", 2), ("make run", 0)):
        served = Make(replicas)
        try:
            out += ["", f"## {name}", *never_reading(served, args.connections, args.rounds)]
            out.append(downloads(served, args.connections))
            out.append(unfinished(served, args.connections))
            out.append(endless_headers(served, 100))
        finally:
            served.stop()
        print("\n".join(out), flush=True)
    print(write_result("slow-clients.md", "\n".join(out) + "\n"))


if __name__ == "__main__":
    main()
