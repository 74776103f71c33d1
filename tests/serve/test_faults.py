"""Faults `make serve` lives through, tried as an operator would, on real nginx and real replicas:
a replica killed (-9) is started again by supervisord, warmed, then serves again; a stopped replica
(SIGSTOP) is passed over within seconds by new page loads and sessions, and serves again once
resumed; nginx or supervisord killed ends serve with a non-zero status, nothing of it left running
and the port free; SIGTERM stops everything.

Each test starts its own `python -m serve` in a session of its own, whose processes it finds by
session id; the replicas run tests/serve/tiny_app.py where what the pages draw does not matter.
nginx is Debian's (`apt-get install -y nginx`): without it these skip, unless REQUIRE_NGINX=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable

import psutil
import pytest
import websockets

from serve.replicas import START_RETRIES
from serve.visit import open_page, run_script
from tests.server import LOGS, ROOT, free_port, need_nginx, need_redis

# the browser tests of the same pytest run leave Playwright's event loop running in this thread
from tests.streamlit_client import run as in_own_thread

TINY_APP = ROOT / "tests" / "serve" / "tiny_app.py"
FAIL_TIMEOUT = 10  # serve/nginx.conf: how long nginx skips a replica that failed


class Served:
    """`python -m serve` started in a session of its own; what it says goes to a file."""

    def __init__(self, *options: str, environment: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.run = ROOT / "build" / "serve" / str(self.port)
        LOGS.mkdir(parents=True, exist_ok=True)
        self.out = LOGS / f"serve-{self.port}.log"
        with open(self.out, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "serve", "--port", str(self.port), *options],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(environment or {})},
            )

    def said(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def running(self) -> list[psutil.Process]:
        """Every process of its session still running (not a zombie, which has exited)."""
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error, OSError):
                if os.getsid(process.pid) == self.process.pid and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        return found

    def replicas(self) -> dict[str, psutil.Process]:
        """The app processes it started, by the address nginx knows each by."""
        found = {}
        for process in self.running():
            with contextlib.suppress(psutil.Error):
                command = process.cmdline()
                if "serve.bounded" in command and "--server.port" in command:
                    found[f"127.0.0.1:{command[command.index('--server.port') + 1]}"] = process
        return found

    def child(self, program: str) -> psutil.Process:
        """nginx's master or supervisord: what serve started itself."""
        (found,) = [p for p in psutil.Process(self.process.pid).children() if program in " ".join(p.cmdline())]
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=60)
        for process in self.running():  # what a failed test left: no test leaves a process behind
            with contextlib.suppress(psutil.Error):
                process.resume()
                process.kill()
        self.process.wait()


@contextlib.contextmanager
def serving(*options: str, environment: dict[str, str] | None = None):
    need_nginx()
    if "--upstreams" not in options and not (environment or {}).get("MASK_LAB_REDIS"):
        need_redis()  # serve runs one for the replicas' rooms
    served = Served(*options, environment=environment)
    try:
        until(lambda: "Serving the app" in served.said() or served.process.poll() is not None, 600, "serve to start")
        assert served.process.poll() is None, served.said()
        yield served
    finally:
        served.close()


def until(condition: Callable[[], object], seconds: float, what: str):
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


def answered(base: str, path: str, cookie: str | None = None) -> tuple[str, str]:
    """GET `path` through nginx, as a browser with `cookie` (a new browser without): the replica that
    answered (the last nginx tried) and the cookie nginx keys that browser on. A hang past 30 s fails."""
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
        set_cookie = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or [] if "mask_lab_replica" in c]
        return reply.headers["X-Replica"].split(", ")[-1], cookie or set_cookie[0]


def cookie_for(base: str, address: str) -> str:
    """The cookie of a new browser that nginx placed on the replica at `address`."""
    return until(
        lambda: (found := answered(base, "/_stcore/health"))[0] == address and found[1], 60, f"a browser on {address}"
    )


def test_a_killed_replica_is_started_again_and_gets_nobody_before_it_is_warm():
    """Its replicas' first runs take 12 s, as the real app's imports: longer than nginx skips a replica
    that failed (10 s), so nginx alone would send new browsers to the restarted replica while cold."""
    with serving("--replicas", "2", "--app", str(TINY_APP), environment={"TINY_APP_COLD_SECONDS": "12"}) as served:
        (address, victim), _ = served.replicas().items()
        seen, done = [], threading.Event()

        def new_browsers():  # every 0.1 s until it is warm again, the replica a new browser is sent to
            while not done.is_set() and f"Warmed replica {address} again" not in served.said():
                with contextlib.suppress(OSError):
                    seen.append(answered(served.base, "/_stcore/health")[0])
                time.sleep(0.1)

        victim.kill()
        victim.wait(timeout=30)  # what it answered before it died is not what this is about
        watcher = threading.Thread(target=new_browsers)
        watcher.start()
        try:
            back = re.compile(rf"serve: replica (replica-\d) at {re.escape(address)} is back in rotation")
            name = until(lambda: back.search(served.said()), 120, f"{address} back in rotation")[1]
        finally:
            done.set()
            watcher.join()
        said = served.said()
        assert f"serve: replica {name} at {address} stopped" in said, said
        assert said.index(f"Warmed replica {address} again in") < said.index(f"{name} at {address} is back"), said
        log = (served.run / "supervisord.log").read_text()
        assert f"exited: {name} (terminated by SIGKILL; not expected)" in log, log
        assert served.replicas()[address].pid != victim.pid  # a new process, on the same port
        assert len(seen) > 100 and address not in seen  # no new browser was sent to it before it was warm

        cookie = cookie_for(served.base, address)  # it serves again: a new browser's session runs there
        run = in_own_thread(open_page(served.base, "masks", timeout=60, cookie=cookie))
        assert (run.error, run.exceptions, run.replica) == (None, [], address)


def test_a_stopped_replica_is_passed_over_by_new_pages_and_sessions_and_serves_again_once_resumed():
    with serving("--replicas", "2", "--app", str(TINY_APP)) as served:
        (address, replica), (other, _) = served.replicas().items()
        cookie = cookie_for(served.base, address)  # a browser placed on the replica about to stop
        replica.suspend()  # SIGSTOP: the kernel still accepts its connections; nothing answers them
        try:
            # its first request waits for nginx's read timeout (5 s) then goes on; then it is skipped
            for path in ("/_stcore/health", "/", "/masks", "/_stcore/health"):
                assert answered(served.base, path, cookie)[0] == other, path
            run = in_own_thread(open_page(served.base, "attention", timeout=30, cookie=cookie))
            assert (run.error, run.exceptions, run.replica) == (None, [], other)

            # new browsers, placed in turn: half would go to the stopped replica. nginx keeps what
            # failed per upstream, and new browsers have their own (serve/nginx.conf): those placed on
            # the stopped replica before its first time-out wait 5 s, then go on (X-Replica "stopped,
            # other"); least_conn sends the rest to the replica that answers.
            async def new_browsers():
                return await asyncio.gather(*(open_page(served.base, "masks", timeout=30) for _ in range(6)))

            runs = in_own_thread(new_browsers())
            assert [(run.error, run.exceptions, run.replica.split(", ")[-1]) for run in runs] == [(None, [], other)] * 6

            # Once nginx's skip ran out, a websocket opened first (no page load before it) is the one
            # that finds the replica stopped: the health check nginx makes first passes it over too.
            time.sleep(FAIL_TIMEOUT + 2)  # not an assertion: for the skip to run out

            async def session_on_its_own():
                url = served.base.replace("http", "ws", 1) + "/_stcore/stream"
                async with websockets.connect(
                    url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie}, open_timeout=30
                ) as session:
                    return session.response.headers["X-Replica"], await run_script(session, "cross")

            replica_answering, run = in_own_thread(session_on_its_own())
            assert (replica_answering, run.exceptions) == (other, [])
        finally:
            replica.resume()
        until(lambda: answered(served.base, "/_stcore/health", cookie)[0] == address, 60, f"{address} back")
        run = in_own_thread(open_page(served.base, "masks", timeout=30, cookie=cookie))
        assert (run.error, run.exceptions, run.replica) == (None, [], address)


def test_a_replica_that_keeps_failing_to_start_is_retried_with_backoff_then_given_up():
    """Its port taken by another program as it died: each start fails within seconds; supervisord
    waits 1, 2, then 3 s between them, then gives up and says so; the other replica serves on."""
    with serving("--replicas", "2", "--app", str(TINY_APP)) as served:
        (address, victim), (other, _) = served.replicas().items()
        cookie = cookie_for(served.base, address)
        with socket.socket() as squatter:
            victim.kill()
            victim.wait(timeout=30)
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", int(address.split(":")[1])))
            squatter.listen()
            gave_up = re.compile(rf"serve: supervisord gave up on replica (replica-\d) at {re.escape(address)}")
            name = until(lambda: gave_up.search(served.said()), 120, "supervisord to give up")[1]
        log = (served.run / "supervisord.log").read_text()
        assert f"gave up: {name} entered FATAL state, too many start retries too quickly" in log, log
        # each retry came after a longer wait (1, 2, 3 s); the kill counts as one if it came within 10 s of start
        assert log.count(f"exited: {name} (exit status 1; not expected)") >= START_RETRIES, log
        assert served.process.poll() is None  # serve goes on with the other replica
        assert answered(served.base, "/_stcore/health", cookie)[0] == other


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx binds it
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("program", ["nginx", "supervisord"])
def test_killing_nginx_or_supervisord_ends_serve_with_an_error_nothing_left_running_and_the_port_free(program):
    with serving("--replicas", "2", "--app", str(TINY_APP)) as served:
        assert len(served.running()) >= 6  # serve, supervisord, 2 replicas, nginx's master and worker
        served.child(program).kill()
        assert served.process.wait(timeout=120) != 0
        assert f"serve: {program} stopped (killed by SIGKILL)" in served.said(), served.said()
        # no orphaned nginx worker holding the port, no supervisord, no replica
        until(lambda: not served.running(), 30, f"every process to end: {served.running()}")
        assert port_is_free(served.port)


def test_sigterm_stops_nginx_supervisord_and_every_replica():
    with serving("--replicas", "2", "--app", str(TINY_APP)) as served:
        replicas = served.replicas()
        assert len(replicas) == 2
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=120) == 0
        until(lambda: not served.running(), 30, f"every process to end: {served.running()}")
        assert port_is_free(served.port)
        assert all(port_is_free(int(address.split(":")[1])) for address in replicas)
