"""Serve the app for a class: nginx in front of several Streamlit processes (`make serve`).

    python -m serve --replicas 2 --port 8080               # replicas on this machine
    python -m serve --port 8080 --upstreams 10.0.0.2:8501 10.0.0.3:8501   # replicas elsewhere

One Streamlit process runs every session's script under one interpreter lock; past one core's worth
of sessions the answer is more processes. nginx keeps each browser on one replica (serve/nginx.conf).
Before it says it is serving, every replica (started here or given by --upstreams) has run every page
once on its own address, so that none imports, builds and draws for the first students it gets; a
page that fails there stops it with the page, the replica and its log named. Ctrl-C stops nginx and
every replica this started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app.pages import HOME, PAGES
from serve.visit import open_page

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "build" / "serve"
WARM_SECONDS = 300  # a page's first run on a cold replica: imports, the model, the caches (15 s here)


def replica_command(port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py")),
        *("--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"),
        *("--browser.gatherUsageStats", "false"),
    ]


def free_port() -> int:
    """A port nothing listens on now (a fixed one would collide with another server here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(
    address: str, process: subprocess.Popen, log: Path | str, what: str = "the replica", seconds: float = 90
) -> None:
    """Until `process` answers /_stcore/health at `address` (nginx passes it on to a replica)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} at {address} stopped at start (exit {process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://{address}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} at {address} did not answer /_stcore/health within {seconds:.0f} s; see {log}")


async def warm_one(address: str) -> tuple[float, list[str], list[tuple[str, str]]]:
    """Every page opened once on the replica at `address`, one after the other, at its default link:
    the time it all took, each page with its time, and the pages that failed with why."""
    start, times, failures = time.perf_counter(), [], []
    for page in PAGES:
        run = await open_page(f"http://{address}", "" if page.name == HOME else page.name, timeout=WARM_SECONDS)
        times.append(f"{page.name} {run.seconds:.1f} s")
        if run.error or run.exceptions:
            failures.append((page.name, run.error or run.exceptions[0]))
    return time.perf_counter() - start, times, failures


def warm(upstreams: list[str], logs: list[str]) -> None:
    """Warm every replica at once (each its own process), each page once; say how long each took.
    A page that raised or timed out stops the server: it would fail for the students too."""

    async def every_replica():
        return await asyncio.gather(*(warm_one(address) for address in upstreams))

    print(f"Warming {len(upstreams)} replica(s): every page once on each ...", flush=True)
    failed = []
    for address, log, (seconds, times, failures) in zip(upstreams, logs, asyncio.run(every_replica()), strict=True):
        print(f"Warmed replica {address} in {seconds:.1f} s: {', '.join(times)}", flush=True)
        failed += [(address, log, page, why) for page, why in failures]
    for address, log, page, why in failed:
        print(f"serve: page {page!r} failed to warm on replica {address}: {why}; see {log}", file=sys.stderr)
    if failed:
        raise SystemExit(f"serve: stopped, {len(failed)} page run(s) failed while warming the replicas (above)")


def nginx_config(port: int, upstreams: list[str]) -> str:
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;" for address in upstreams)
    text = (ROOT / "serve" / "nginx.conf").read_text(encoding="utf-8")
    return text.replace("{run}", str(RUN)).replace("{port}", str(port)).replace("{upstreams}", servers)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", default="8080", help="where nginx listens (default 8080)")
    parser.add_argument("--replicas", default=str(os.cpu_count() or 1), help="Streamlit processes to start here")
    parser.add_argument("--upstreams", nargs="*", default=[], help="HOST:PORT of replicas already running")
    args = parser.parse_args(argv)
    for name, low, high in (("port", 1, 65535), ("replicas", 1, 64)):
        value = getattr(args, name)
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            parser.error(f"--{name} must be a whole number from {low} to {high} (got {value!r})")
        setattr(args, name, int(value))
    for address in args.upstreams:
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}", address):
            parser.error(f"--upstreams takes HOST:PORT entries (got {address!r})")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        raise SystemExit("nginx is not installed (Debian: apt-get install -y nginx); `make run` serves one process")
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (RUN / folder).mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen] = []

    def interrupt(*_):
        raise KeyboardInterrupt  # `kill` stops it as Ctrl-C does: through the cleanup below

    signal.signal(signal.SIGTERM, interrupt)
    try:
        upstreams = list(args.upstreams)
        logs = [f"the log of the replica at {address} (on its machine)" for address in upstreams]
        if not upstreams:
            # one cookie secret for all: a cookie set by one replica is good at another after a failover
            environment = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}
            for k in range(args.replicas):
                port = free_port()
                log = open(RUN / f"replica-{k}.log", "wb")  # noqa: SIM115 (written by the replica until it stops)
                started.append(
                    subprocess.Popen(replica_command(port), stdout=log, stderr=log, cwd=ROOT, env=environment)
                )
                upstreams.append(f"127.0.0.1:{port}")
                logs.append(str(RUN / f"replica-{k}.log"))
            for address, process, log in zip(upstreams, started, logs, strict=True):
                wait_healthy(address, process, log)
        warm(upstreams, logs)
        config = RUN / "nginx.conf"
        config.write_text(nginx_config(args.port, upstreams), encoding="utf-8")
        started.append(subprocess.Popen([nginx, "-p", str(RUN), "-c", str(config)]))
        wait_healthy(f"127.0.0.1:{args.port}", started[-1], "its messages above", "nginx")
        where = ", ".join(upstreams)
        print(f"Serving the app at http://localhost:{args.port} (nginx -> {where}). Ctrl-C stops it.", flush=True)
        while all(process.poll() is None for process in started[-1:]):
            time.sleep(0.5)
        print(f"nginx stopped (exit {started[-1].returncode}); see the messages above", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
