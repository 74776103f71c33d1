"""The replicas `make serve` starts on this machine, run by supervisord (PyPI `supervisor`).

supervisord restarts a replica that dies (`kill -9`, a crash, the kernel's out-of-memory killer) at
once, on its own port, so nginx's list of replicas stays true, and logs it in
build/serve/PORT/supervisord.log ("exited: replica-0 (terminated by SIGKILL; not expected)"). One
that dies again within START_SECONDS of a start is started again after 1, 2, then 3 s, and given up
after START_RETRIES such retries: it would only crash again. serve asks supervisord over its socket
which process each replica is now (serve/rotation.py warms a restarted one before nginx sends it
students).
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import socket
import subprocess
import sys
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import psutil
from supervisor.xmlrpc import SupervisorTransport

from serve import children
from serve.warm import wait_healthy

START_SECONDS = 10  # a replica up this long has started well (a cold start listens within seconds)
START_RETRIES = 3
STOP_SECONDS = 20  # after SIGTERM, then SIGKILL

PROGRAM = """
[program:{name}]
command={command}
directory={root}
autorestart=true
startsecs={start_seconds}
startretries={start_retries}
stopasgroup=true
killasgroup=true
stopwaitsecs={stop_seconds}
redirect_stderr=true
stdout_logfile={log}
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=1
"""

SUPERVISORD = """; written by serve/replicas.py for one run of `make serve`
[supervisord]
nodaemon=true
silent=true
logfile={run}/supervisord.log
logfile_maxbytes=10MB
logfile_backups=1
pidfile={run}/supervisord.pid
childlogdir={run}

[unix_http_server]
file={socket}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
"""


def free_port() -> int:
    """A port nothing listens on now (a fixed one would collide with another server here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Replica:
    name: str  # supervisord's name for it
    port: int
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self, app: Path) -> list[str]:
        return [
            *(sys.executable, "-m", "serve.bounded", str(app)),  # `streamlit run`, bounded per client
            *("--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"),
            *("--browser.gatherUsageStats", "false"),
        ]


def find_redis() -> str:
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server",) if Path(p).exists()), None)
    if found is None:
        raise SystemExit(
            "redis-server is not installed (Debian: apt-get install -y redis-server): the replicas share the "
            "rooms a class follows through it; or name a running one with MASK_LAB_REDIS=redis://HOST:PORT/0"
        )
    return found


REDIS = """
[program:redis]
command={command}
directory={run}
autorestart=true
priority=1
redirect_stderr=true
stdout_logfile={run}/redis.log
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=1
"""


class Supervisor:
    """supervisord running `count` replicas of `app`, each on a free port, with its log in `run`; and a
    redis-server for the rooms every replica shares (app/lecture/rooms.py) unless `redis_port` is None."""

    def __init__(self, app: Path, count: int, run: Path, redis_port: int | None = None):
        self.app, self.run, self.redis_port = app, run, redis_port
        self.replicas = [Replica(f"replica-{k}", free_port(), run / f"replica-{k}.log") for k in range(count)]
        self.socket = run / "supervisor.sock"
        self.log = run / "supervisord.log"
        self.process: subprocess.Popen | None = None
        self.pids: dict[str, int] = {}  # each replica's process when last asked (0: none)

    def config(self) -> str:
        root = Path(__file__).resolve().parents[1]
        programs = "".join(
            PROGRAM.format(
                name=replica.name,
                command=shlex.join(replica.command(self.app)),
                root=root,
                start_seconds=START_SECONDS,
                start_retries=START_RETRIES,
                stop_seconds=STOP_SECONDS,
                log=replica.log,
            )
            for replica in self.replicas
        )
        if self.redis_port is not None:
            # rooms live a lecture long: nothing written to disk; the leading tab puts its room back after a restart
            redis = [find_redis(), "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
            programs = REDIS.format(command=shlex.join([*redis, "no"]), run=self.run) + programs
        text = SUPERVISORD.format(run=self.run, socket=self.socket) + programs
        return text.replace("%", "%%")  # supervisord expands %(name)s in values; a % of a path stays one

    def start(self, environment: dict[str, str]) -> None:
        """supervisord and its replicas, until every replica answers (or why not, as SystemExit)."""
        config = self.run / "supervisord.conf"
        config.write_text(self.config(), encoding="utf-8")
        command = [sys.executable, "-m", "supervisor.supervisord", "-c", str(config)]
        self.process = children.start(command, cwd=self.run, env=environment)
        for replica in self.replicas:
            if why := wait_healthy(replica.address, lambda replica=replica: self.stopped(replica)):
                raise SystemExit(f"serve: replica {replica.name} at {replica.address} {why}; see {replica.log}")
        self.states()  # the processes that answered: the ones serve warms next

    def states(self) -> dict[str, tuple[str, int]]:
        """Each replica's state as supervisord names it (STARTING, RUNNING, BACKOFF, EXITED, FATAL, ...)
        and its process id (0 when none runs)."""
        # a new connection each time: one whose request failed (supervisord starting) cannot be used again
        rpc = xmlrpc.client.ServerProxy("http://localhost", SupervisorTransport(serverurl=f"unix://{self.socket}"))
        states = {info["name"]: (info["statename"], info["pid"]) for info in rpc.supervisor.getAllProcessInfo()}
        self.pids = {name: pid for name, (_, pid) in states.items()}
        return states

    def stopped(self, replica: Replica) -> str | None:
        """Why `replica` cannot come up now, if it cannot: supervisord stopped, or gave up on it."""
        if how := children.ended(self.process):
            return f"cannot start: supervisord stopped ({how}); see {self.log}"
        with contextlib.suppress(OSError, xmlrpc.client.Error):  # its socket is not up yet
            if self.states()[replica.name][0] == "FATAL":
                return f"stopped within {START_SECONDS} s of each of {START_RETRIES + 1} starts; supervisord gave up"
        return None

    def stop(self) -> None:
        """supervisord stops every replica (SIGTERM to each one's group, SIGKILL after STOP_SECONDS). If
        supervisord itself was killed, its replicas are still running: they are stopped here."""
        died_first = self.process.poll() is not None
        children.stop(self.process, STOP_SECONDS + 10)
        redis = f"127.0.0.1:{self.redis_port}"  # redis-server names itself "/usr/bin/redis-server HOST:PORT"
        for pid in self.pids.values() if died_first else ():
            with contextlib.suppress(psutil.Error):
                command = " ".join(psutil.Process(pid).cmdline())
                # still ours: a process id is reused only once freed
                if str(self.app) in command or (self.redis_port and "redis-server" in command and redis in command):
                    psutil.Process(pid).kill()
