"""A real redis-server for the rooms tests (Debian's `apt-get install -y redis-server`), started and
stopped by the tests that need it: without it they skip with the reason, unless REQUIRE_REDIS=1 (CI)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.server import LOGS, free_port, need_redis


class RedisServer:
    """redis-server on a free port, with no persistence (as `make serve` runs it); stop() and start()
    again on the same port, as an operator's restart."""

    def __init__(self):
        self.binary, self.port = need_redis(), free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / f"redis-{self.port}.log", "ab") as log:
            command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        import redis

        client, deadline = redis.Redis.from_url(self.url), time.time() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()
