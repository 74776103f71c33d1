"""nginx in front of the replicas: serve/nginx.conf filled in, started, told which replicas are out
of rotation, stopped with every worker it has."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil

from serve import children
from serve.warm import wait_healthy

TEMPLATE = Path(__file__).with_name("nginx.conf")
RELOAD_SECONDS = 10


def find_nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        raise SystemExit("nginx is not installed (Debian: apt-get install -y nginx); `make run` serves one process")
    return found


class Nginx:
    """nginx listening on `port` in front of `upstreams` (HOST:PORT each), run from the folder `run`."""

    def __init__(self, port: int, upstreams: list[str], run: Path):
        self.port, self.upstreams, self.run = port, upstreams, run
        self.config = run / "nginx.conf"
        self.process: subprocess.Popen | None = None

    def write(self, out: frozenset[str] = frozenset()) -> None:
        """The filled config; the replicas in `out` are marked down: nginx sends them nobody."""
        text = TEMPLATE.read_text(encoding="utf-8").replace("{pools}", self.pools(out))
        text = text.replace("{run}", str(self.run)).replace("{port}", str(self.port))
        self.config.write_text(text, encoding="utf-8")

    def pools(self, out: frozenset[str]) -> str:
        """Where nginx sends a request (nginx.conf says why): `new_browsers` places a browser on a
        replica, numbered from 1, which its cookie then names; `replica_N` sends it to replica N, or to
        the others (`backup`) while N fails or is out of rotation."""

        def server(address: str, backup: bool = False) -> str:
            marks = " backup" * backup + " down" * (address in out)
            return f"        server {address} max_fails=1 fail_timeout=10s{marks};"

        numbered = list(enumerate(self.upstreams, start=1))
        lines = ["    upstream new_browsers {", "        least_conn;", *map(server, self.upstreams), "    }"]
        for n, address in numbered:
            backups = [server(other, backup=True) for other in self.upstreams if other != address]
            lines += [f"    upstream replica_{n} {{", server(address), *backups, "    }"]
        lines += ["    map $cookie_mask_lab_replica $replica_pool {", "        default new_browsers;"]
        lines += [f"        {n} replica_{n};" for n, _ in numbered] + ["    }"]
        # the replica that answered a first request: the last address nginx tried ("A, B" if A failed)
        lines += ["    map $upstream_addr $placed_on {"]
        lines += [f'        "~(^|[ ,]){re.escape(address)}$" {n};' for n, address in numbered] + ["    }"]
        return "\n".join(lines)

    def start(self) -> None:
        """Until nginx answers /_stcore/health through a replica (or why not, as SystemExit)."""
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run / folder).mkdir(parents=True, exist_ok=True)
        self.write()
        self.process = children.start([find_nginx(), "-p", str(self.run), "-c", str(self.config)])
        stopped = lambda: (how := children.ended(self.process)) and f"stopped ({how})"
        if why := wait_healthy(f"127.0.0.1:{self.port}", stopped):
            raise SystemExit(f"serve: nginx {why}; see its messages above")

    def take_out(self, out: frozenset[str]) -> None:
        """Only the replicas not in `out` get requests from now on. nginx reloads its config (SIGHUP):
        new workers take new connections; the old ones finish theirs, open websockets included.
        Returns once no old worker takes new connections: until then one could still send a browser
        to a replica just taken out."""
        old = self.workers()
        self.write(out)
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + RELOAD_SECONDS
        while time.monotonic() < deadline:
            taking = self.workers()
            if taking and not taking & old:
                return
            time.sleep(0.02)
        print(f"serve: nginx did not reload within {RELOAD_SECONDS} s; see its messages above", flush=True)

    def workers(self) -> set[int]:
        """nginx's workers that take new connections: a worker told to stop renames itself "worker
        process is shutting down" as it closes its listening sockets."""
        taking = set()
        with contextlib.suppress(psutil.Error):
            for worker in psutil.Process(self.process.pid).children():
                with contextlib.suppress(psutil.Error):
                    if "shutting down" not in " ".join(worker.cmdline()):
                        taking.add(worker.pid)
        return taking

    def stop(self) -> None:
        children.stop(self.process, 10)  # SIGTERM: nginx's fast shutdown, open websockets closed
