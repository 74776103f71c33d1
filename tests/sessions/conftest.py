"""Session tests: the app served as `make run` serves it, opened by many sessions through
Streamlit's own websocket protocol (tests/streamlit_client.py), no browser needed."""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import pytest

from tests.server import ROOT, free_port, start_app


class Server(NamedTuple):
    url: str
    pid: int


@contextlib.contextmanager
def served():
    """A fresh server (empty caches) for as long as the block runs."""
    port = free_port()
    process = start_app(ROOT / "app" / "streamlit_app.py", port)
    try:
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def fresh_server():
    return served
