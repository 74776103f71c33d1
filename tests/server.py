"""The app started as a user starts it (`make run`), for browser tests, session tests and
benchmarks; each waits until `/_stcore/health` answers ok."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from serve.warm import wait_healthy

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_nginx() -> None:
    """Skip the test without Debian's nginx (what `make serve` runs), or fail if REQUIRE_NGINX is set (CI)."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        reason = "no nginx found (apt-get install -y nginx)"
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail(reason + ", and REQUIRE_NGINX is set")
        pytest.skip(reason)


def need_redis() -> str:
    """Debian's redis-server (what `make serve` runs for the rooms), or skip; fail if REQUIRE_REDIS is set (CI)."""
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server",) if Path(p).exists()), None)
    if found is None:
        reason = "no redis-server found (apt-get install -y redis-server)"
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(reason + ", and REQUIRE_REDIS is set")
        pytest.skip(reason)
    return found


def start_app(entry: Path, port: int) -> subprocess.Popen:
    """The app as `make run` starts it (`streamlit run` through serve/bounded.py), and wait until
    /_stcore/health answers ok. The server's log goes to a file (a pipe nobody reads would block the
    server once full)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / f"server-{port}.log", "wb")  # noqa: SIM115 (the server writes to it until it stops)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serve.bounded",
            str(entry),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stopped = lambda: None if process.poll() is None else f"it stopped (exit {process.returncode})"  # noqa: E731
    why = wait_healthy(f"127.0.0.1:{port}", stopped, seconds=60)
    if why is None:
        return process
    process.kill()
    raise RuntimeError(f"the app did not start, {why}: {(LOGS / f'server-{port}.log').read_text()[-2000:]}")
