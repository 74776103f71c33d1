"""Which replicas started here nginx sends students to: those still running as the process that was
warmed. A replica that supervisord restarted is taken out of nginx's rotation (marked down) at once,
warmed on its own port as at start (every page once), then put back: meanwhile its students go to the
other replicas (serve/nginx.conf). The last replica in rotation is never taken out: a cold replica
is slow, no replica at all is worse.
"""

from __future__ import annotations

import asyncio
import threading

from serve.proxy import Nginx
from serve.replicas import START_RETRIES, START_SECONDS, Replica, Supervisor
from serve.warm import wait_healthy, warm_one


class Rotation:
    def __init__(self, nginx: Nginx, supervisor: Supervisor):
        self.nginx, self.supervisor = nginx, supervisor
        self.warmed = dict(supervisor.pids)  # each replica's process that has run every page
        self.tried: dict[str, int] = {}  # the process a warm-up was started for: one try each
        self.out: frozenset[str] = frozenset()  # names of the replicas nginx sends nobody
        self.given_up: set[str] = set()

    def update(self) -> None:
        """Once more: supervisord's word on each replica; take out, warm, put back."""
        states = self.supervisor.states()
        out, said = set(self.out), []  # said once nginx follows: "back in rotation" is then true
        for replica in self.supervisor.replicas:
            state, pid = states[replica.name]
            up = pid != 0 and pid == self.warmed[replica.name]
            if not up and replica.name not in out:
                out.add(replica.name)
                said.append(
                    f"serve: replica {replica.name} at {replica.address} stopped (supervisord now says {state}): out "
                    f"of rotation until it runs again and has been warmed; why it stopped: {self.supervisor.log}"
                )
            elif up and replica.name in out:
                out.discard(replica.name)
                said.append(f"serve: replica {replica.name} at {replica.address} is back in rotation")
            if not up and pid != 0 and self.tried.get(replica.name) != pid:
                self.tried[replica.name] = pid
                threading.Thread(target=self.warm, args=(replica, pid), daemon=True).start()
            if state == "FATAL" and replica.name not in self.given_up:
                self.given_up.add(replica.name)
                print(
                    f"serve: supervisord gave up on replica {replica.name} at {replica.address}: it stopped within "
                    f"{START_SECONDS} s of each of its last {START_RETRIES + 1} starts; see {replica.log}",
                    flush=True,
                )
        if out != self.out:
            self.out = frozenset(out)
            everyone = len(out) == len(self.supervisor.replicas)
            self.nginx.take_out(frozenset() if everyone else frozenset(self.address(name) for name in out))
        for line in said:
            print(line, flush=True)

    def address(self, name: str) -> str:
        return next(replica.address for replica in self.supervisor.replicas if replica.name == name)

    def warm(self, replica: Replica, pid: int) -> None:
        """In a thread of its own: serve goes on watching nginx meanwhile."""
        stopped = lambda: "stopped again" if self.supervisor.pids[replica.name] != pid else None
        why = wait_healthy(replica.address, stopped)
        seconds, times, failures = asyncio.run(warm_one(replica.address)) if why is None else (0, [], [])
        if why or failures:
            why = why or "; ".join(f"page {page!r} failed: {error}" for page, error in failures)
            print(
                f"serve: replica {replica.name} at {replica.address} was not warmed again: {why}; see {replica.log}",
                flush=True,
            )
            return
        print(f"Warmed replica {replica.address} again in {seconds:.1f} s: {', '.join(times)}", flush=True)
        self.warmed[replica.name] = pid  # put back in rotation by the next update()
