"""Serve the app for a class: nginx in front of several Streamlit processes (`make serve`).

    python -m serve --replicas 2 --port 8080               # replicas on this machine
    python -m serve --port 8080 --upstreams 10.0.0.2:8501 10.0.0.3:8501   # replicas elsewhere

One Streamlit process runs every session's script under one interpreter lock; past one core's worth
of sessions the answer is more processes. nginx keeps each browser on one replica and passes over
one that refuses or hangs (serve/nginx.conf). Replicas started here run under supervisord, which
starts one that dies again on its port (serve/replicas.py); it gets students again once it has been
warmed (serve/rotation.py). supervisord runs a redis-server too, where every replica keeps the rooms a
class follows (app/lecture/rooms.py), unless MASK_LAB_REDIS names a Redis already running. Before it
says it is serving, every replica (started here or given by --upstreams) has run every page once on
its own address (serve/warm.py). If nginx stops, so does serve, with a non-zero status.
Ctrl-C or SIGTERM stops nginx, then every replica this started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import signal
import threading
import time
import xmlrpc.client
from pathlib import Path

import serve.bounded  # noqa: F401  its bounds are read and checked on import: a mis-set one stops serve here
from serve import children
from serve.proxy import Nginx, find_nginx
from serve.replicas import Supervisor, free_port
from serve.rotation import Rotation
from serve.warm import warm

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "build" / "serve"  # a folder for each port: configs, sockets and logs of one running serve
APP = ROOT / "app" / "streamlit_app.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", default="8080", help="where nginx listens (default 8080)")
    parser.add_argument("--replicas", default=str(os.cpu_count() or 1), help="Streamlit processes to start here")
    parser.add_argument("--upstreams", nargs="*", default=[], help="HOST:PORT of replicas already running")
    parser.add_argument(
        "--app", default=str(APP), help="the entry script each replica runs, with the app's pages (default: the app)"
    )
    args = parser.parse_args(argv)
    for name, low, high in (("port", 1, 65535), ("replicas", 1, 64)):
        value = getattr(args, name)
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            parser.error(f"--{name} must be a whole number from {low} to {high} (got {value!r})")
        setattr(args, name, int(value))
    for address in args.upstreams:
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}", address):
            parser.error(f"--upstreams takes HOST:PORT entries (got {address!r})")
    args.app = Path(args.app).resolve()
    if args.app.suffix != ".py" or not args.app.is_file():
        parser.error(f"--app takes a Python file that exists (got {str(args.app)!r})")
    return args


def keep_serving(nginx: Nginx, supervisor: Supervisor | None, stopping: threading.Event) -> str | None:
    """Watch until nginx or supervisord stops (then say which) or serve is asked to stop; meanwhile
    keep nginx's rotation to the replicas that run warm (serve/rotation.py)."""
    rotation = Rotation(nginx, supervisor) if supervisor else None
    while not stopping.is_set():
        if how := children.ended(nginx.process):
            return f"nginx stopped ({how})"
        if supervisor and (how := children.ended(supervisor.process)):
            return f"supervisord stopped ({how}); see {supervisor.log}"
        if rotation:
            with contextlib.suppress(OSError, xmlrpc.client.Error):  # supervisord stopping: seen above next time
                rotation.update()
        time.sleep(0.5)
    return None


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    find_nginx()  # before anything starts: without nginx there is nothing to serve
    run = RUN / str(args.port)
    run.mkdir(parents=True, exist_ok=True)
    supervisor = nginx = None
    stopping = threading.Event()

    def interrupt(*_):
        # Ctrl-C, `kill` or a closed terminal: through the cleanup below. The flag as well: an exception
        # raised by a signal handler is lost when it lands in a finalizer's code (Python only prints
        # "Exception ignored"), and Ctrl-C right after "Serving" left serve running once in ~10 tries.
        stopping.set()
        raise KeyboardInterrupt

    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, interrupt)
    try:
        upstreams = list(args.upstreams)
        logs = [f"the log of the replica at {address} (on its machine)" for address in upstreams]
        if not upstreams:
            # the rooms a class follows, shared by every replica: a Redis of our own unless one is named
            redis_port = None if os.environ.get("MASK_LAB_REDIS") else free_port()
            supervisor = Supervisor(args.app, args.replicas, run, redis_port)
            environment = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}
            if redis_port is not None:
                environment["MASK_LAB_REDIS"] = f"redis://127.0.0.1:{redis_port}/0"
            # one cookie secret for all: a cookie set by one replica is good at another after a failover
            supervisor.start(environment)
            upstreams = [replica.address for replica in supervisor.replicas]
            logs = [str(replica.log) for replica in supervisor.replicas]
        warm(upstreams, logs)
        nginx = Nginx(args.port, upstreams, run)
        nginx.start()
        where = ", ".join(upstreams)
        print(f"Serving the app at http://localhost:{args.port} (nginx -> {where}). Ctrl-C stops it.", flush=True)
        if why := keep_serving(nginx, supervisor, stopping):
            raise SystemExit(f"serve: {why}; stopped every replica and nginx's workers. Run it again to serve.")
    except KeyboardInterrupt:
        pass
    finally:
        for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, signal.SIG_IGN)  # a second Ctrl-C does not cut the cleanup short
        if nginx and nginx.process:
            nginx.stop()
        if supervisor and supervisor.process:
            supervisor.stop()


if __name__ == "__main__":
    main()
