"""Redis for the tests: the machine's own server (a database of ours, emptied after each test),
and servers of a test's own that it can stop, pause and restart.

The machine runs Redis at 127.0.0.1:6379, as CI does; the tests use database 13
(``TEST_REDIS_URL`` overrides it) and flush only that one. A module that must have a database
to itself, because it reads every key, takes another one with ``emptied_database`` (the
replicas' browser test: 11, ``REPLICAS_REDIS_URL``). Without Redis they are skipped, with a
message naming the URL. Fault tests start Debian's ``redis-server`` on a free port with nothing
saved to disk; ``.ci/run`` installs it, and sets ``REQUIRE_REDIS_SERVER`` so that a missing
binary fails there instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.browser_support import free_port

__all__ = [
    "SHARED_REDIS_URL",
    "RedisServer",
    "emptied_database",
    "redis_server",
    "shared_redis",
]

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
REDIS_SERVER = "/usr/bin/redis-server"
STARTUP_SECONDS = 10.0
NO_REDIS_SERVER = f"fault tests need Debian's {REDIS_SERVER} (apt-get install redis-server)"


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


class RedisServer:
    """One ``redis-server`` on 127.0.0.1, nothing saved to disk, restartable on its port."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def admin(self) -> redis.Redis:
        """A plain client for the test's own commands (CONFIG SET, reading raw values)."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        log = self.directory / f"redis-{self.port}.log"
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.directory),
                   "--logfile", str(log)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_SECONDS
        with self.admin() as client:
            while not _answers(client):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text()[-2000:] if log.exists() else "no log"
                    raise RuntimeError(f"redis-server did not start on {self.port}:\n{tail}")
                time.sleep(0.01)

    def stop(self) -> None:
        """End the server (SIGTERM; SIGKILL if it does not go), as a crash or restart would."""
        if self.process is None:
            return
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel, never answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.process is not None and self.paused:
            self.process.send_signal(signal.SIGCONT)
            self.paused = False


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, stopped after it."""
    if not shutil.which(REDIS_SERVER):
        if os.environ.get("REQUIRE_REDIS_SERVER"):
            pytest.fail(NO_REDIS_SERVER)
        pytest.skip(NO_REDIS_SERVER)
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def emptied_database(url: str, override: str) -> Iterator[redis.Redis]:
    """A client of one database of the machine's Redis, emptied before and after the block;
    the test is skipped, naming the URL and the variable that overrides it, without Redis."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    with client:
        if not _answers(client):
            pytest.skip(f"Redis is not reachable at {url} (set {override})")
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()


@pytest.fixture
def shared_redis() -> Iterator[str]:
    """The URL of the machine's Redis, on a database of the tests' own, emptied before and
    after each test."""
    with emptied_database(SHARED_REDIS_URL, "TEST_REDIS_URL"):
        yield SHARED_REDIS_URL
