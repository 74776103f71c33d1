"""`python -m serve` (what `make serve` runs) warms every replica before it says it is serving: each
replica, started here or given by --upstreams, runs every page once on its own address, and a page
that cannot run stops it with the page, the replica and where its log is.

nginx is Debian's (`apt-get install -y nginx`): without it these skip, unless REQUIRE_NGINX=1.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request

from app.pages import PAGES
from tests.server import ROOT, free_port, need_nginx, start_app

WARMED = re.compile(r"Warmed replica (\S+) in [\d.]+ s: (.*)")


def serve(*options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "serve", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_every_replica_runs_every_page_before_serve_says_it_is_serving():
    need_nginx()
    port = free_port()
    process = serve("--replicas", "2", "--port", str(port))
    lines = []
    try:
        for line in process.stdout:  # until it says it is serving (or stops: then the assert below says why)
            lines.append(line.rstrip("\n"))
            if line.startswith("Warming"):
                assert not answers(f"http://127.0.0.1:{port}/_stcore/health")  # nobody served while it warms
            if line.startswith("Serving"):
                break
        assert lines and lines[-1].startswith("Serving"), (lines, process.poll(), process.stderr.read()[-3000:])
        warmed = {match[1]: match[2] for line in lines if (match := WARMED.fullmatch(line))}
        assert len(warmed) == 2, lines
        for address, times in warmed.items():
            assert address in lines[-1]  # the replicas nginx is sent to are the ones warmed
            opened = [part.split()[0] for part in times.split(", ")]
            assert [name for name in opened if "?" not in name] == [page.name for page in PAGES], times
            assert "attention?model=minilm-l6" in opened, times  # a real model is loaded before any student
        assert answers(f"http://127.0.0.1:{port}/_stcore/health")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=60)


def test_a_page_that_raises_while_warming_stops_serve_naming_the_page_and_the_replica():
    need_nginx()
    replica_port = free_port()
    replica = start_app(ROOT / "tests" / "serve" / "broken_app.py", replica_port)
    try:
        process = serve("--port", str(free_port()), "--upstreams", f"127.0.0.1:{replica_port}")
        out, err = process.communicate(timeout=300)
        assert process.returncode != 0
        assert "Serving" not in out
        # the page shows the exception's type only (.streamlit/config.toml); its message is in the log named
        failed = f"page 'cross' failed to warm on replica 127.0.0.1:{replica_port}: RuntimeError: "
        assert failed in err and "; see the log of the replica" in err.split(failed)[1], err
        assert "failed to warm" not in err.replace("page 'cross' failed to warm", "")  # the other pages ran
        assert replica.poll() is None  # a replica it did not start, it leaves running
    finally:
        replica.terminate()
        replica.wait(timeout=20)


def test_an_upstream_that_does_not_answer_stops_serve_with_its_address():
    need_nginx()
    nobody = f"127.0.0.1:{free_port()}"
    process = serve("--port", str(free_port()), "--upstreams", nobody)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "Serving" not in out
    for page in PAGES:
        assert f"page {page.name!r} failed to warm on replica {nobody}: ConnectionRefusedError" in err, err
