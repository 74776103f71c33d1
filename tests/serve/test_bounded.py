"""What one HTTP client can hold of an app process (serve/bounded.py, `make run` and each replica):
a request whose headers never end, endless header lines, an answer never read. Each is tried on a
real server as a misbehaving client would, and the server must close it; a browser's session still
runs."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

import pytest

from serve.bounded import MAX_HEADER_BYTES, seconds
from serve.visit import open_page
from serve.warm import wait_healthy
from tests.server import LOGS, ROOT, free_port
from tests.streamlit_client import run as in_own_thread

APP = ROOT / "app" / "streamlit_app.py"
# the bounds these servers are started with, as an operator sets them: short, so that a test of a
# client holding on waits seconds, not the defaults' 10 and 30 s
HEADER_SECONDS = SEND_SECONDS = 3
BOUNDS = {"MASK_LAB_HEADER_SECONDS": str(HEADER_SECONDS), "MASK_LAB_SEND_SECONDS": str(SEND_SECONDS)}


@pytest.fixture(scope="module")
def server():
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"bounded-{port}.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "serve.bounded", str(APP), "--server.port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **BOUNDS, "PYTHONPATH": str(ROOT)},
        )
    try:
        assert wait_healthy(f"127.0.0.1:{port}", lambda: process.poll() is not None and "stopped") is None
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def closed_by_server(connection: socket.socket, within: float) -> tuple[bool, bytes]:
    """Read until the server closes (True) or `within` seconds pass (False); what it sent."""
    connection.settimeout(within)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:  # closed with some of what the client sent unread: a reset, still closed
        pass
    except TimeoutError:
        return False, received
    return True, received


def test_a_request_whose_headers_never_end_is_closed(server):
    with socket.create_connection(("127.0.0.1", server)) as connection:
        connection.sendall(b"GET /_stcore/health HTTP/1.1\r\nHost: x\r\n")  # no blank line: never complete
        start = time.monotonic()
        closed, received = closed_by_server(connection, 3 * HEADER_SECONDS)
    assert closed and received == b"", received
    assert time.monotonic() - start >= HEADER_SECONDS - 1  # not before its time


def test_a_slow_but_complete_request_is_answered(server):
    with socket.create_connection(("127.0.0.1", server)) as connection:
        for part in (b"GET /_stcore/health HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
            connection.sendall(part)
            time.sleep(HEADER_SECONDS / 5)  # not an assertion: a slow client, within the bound
        closed, received = closed_by_server(connection, HEADER_SECONDS)
    assert closed and received.startswith(b"HTTP/1.1 200"), received[:80]


def test_endless_header_lines_get_431_and_are_closed(server):
    with socket.create_connection(("127.0.0.1", server)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            for _ in range(MAX_HEADER_BYTES // len(line) + 50):
                connection.sendall(line)
        closed, received = closed_by_server(connection, HEADER_SECONDS)
    assert closed and received.startswith(b"HTTP/1.1 431"), received[:80]


def test_an_answer_never_read_is_dropped():
    """On uvicorn with the bounded protocol alone: the app's own answers fit a socket's buffers, so a
    test app answers 64 MB (tests/serve/endless_answer.py)."""
    port = free_port()
    app, http = "tests.serve.endless_answer:app", "serve.bounded:BoundedHTTP"
    serve = f"import uvicorn; uvicorn.run({app!r}, port={port}, http={http!r}, log_level='warning')"
    process = subprocess.Popen(
        [sys.executable, "-c", serve], cwd=ROOT, stderr=subprocess.DEVNULL, env={**os.environ, **BOUNDS}
    )
    try:
        assert wait_healthy(f"127.0.0.1:{port}", lambda: process.poll() is not None and "stopped") is None
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
            connection.connect(("127.0.0.1", port))
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(SEND_SECONDS + 5)  # not an assertion: a client that reads nothing for longer than the bound
            closed, received = closed_by_server(connection, 30)
        assert closed and len(received) < 64 << 20  # the server gave up before sending it all
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_browsers_session_still_runs(server):
    run = in_own_thread(open_page(f"http://127.0.0.1:{server}", "masks", timeout=180))
    assert (run.error, run.exceptions) == (None, [])


def test_the_bounds_are_10_and_30_seconds_unless_the_operator_sets_others(monkeypatch):
    for variable in BOUNDS:
        monkeypatch.delenv(variable, raising=False)

    def read(env: dict[str, str]) -> list[str]:  # the bounds a server started with `env` keeps
        bounds = "import serve.bounded as b; print(b.HEADER_SECONDS, b.SEND_SECONDS)"
        started = subprocess.run([sys.executable, "-c", bounds], cwd=ROOT, env=env, capture_output=True, text=True)
        return started.stdout.split()

    assert read(dict(os.environ)) == ["10.0", "30.0"]
    assert read({**os.environ, **BOUNDS}) == ["3.0", "3.0"]
    monkeypatch.setenv("MASK_LAB_SEND_SECONDS", " 45.5 ")
    assert seconds("MASK_LAB_SEND_SECONDS", 30.0) == 45.5


@pytest.mark.parametrize("value", ["abc", "0", "0.5", "-5", "nan", "inf", "3601", "1e400", "10 s"])
def test_a_bound_that_is_not_seconds_from_1_to_3600_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setenv("MASK_LAB_HEADER_SECONDS", value)
    with pytest.raises(SystemExit) as refused:
        seconds("MASK_LAB_HEADER_SECONDS", 10.0)
    assert str(refused.value) == (
        f"MASK_LAB_HEADER_SECONDS={value!r}: give a number of seconds from 1 to 3600 (default 10)"
    )


@pytest.mark.parametrize("command", [["serve.bounded", str(APP)], ["serve", "--port", "1"]])
def test_make_run_and_make_serve_stop_at_once_on_a_mis_set_bound_saying_which(command):
    started = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env={**os.environ, "MASK_LAB_SEND_SECONDS": "thirty"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1
    assert "MASK_LAB_SEND_SECONDS='thirty': give a number of seconds from 1 to 3600" in started.stderr
    assert "Traceback" not in started.stderr
