"""The shared store when Redis is in trouble, on a redis-server of the test's own: stopped,
paused, full, read-only, or its connection dropped. Every operation answers a miss or does
nothing, never raises, says so once, and the store finds Redis again by itself.

The store's clock is the test's: time passes (the back-off) only when the test says, so nothing
here sleeps to wait for a retry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from services.runtime.shared_keys import SharedKeys
from services.runtime.shared_store import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_RETRY_SECONDS,
    READ_TIMEOUT_SECONDS,
    Kind,
    SharedStore,
)
from tests.support.browser_support import free_port
from tests.support.redis_server import RedisServer

KEY = Fernet.generate_key().decode()
TOKEN = "access-sandbox-canary-0000-1111-2222"
OTHER_TOKEN = "access-sandbox-someone-else-3333"
LOGGER = "credit_monitor.shared_cache"
TROUBLE_BEGAN = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


class Clock:
    """The store's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def after_the_back_off(self) -> None:
        self.now += MAX_RETRY_SECONDS


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(redis_server: RedisServer, clock: Clock) -> Iterator[SharedStore]:
    made = SharedStore.connect(
        redis_server.url, KEY, clock=clock, sleep=lambda _: None, now=lambda: TROUBLE_BEGAN
    )
    yield made
    made.close()


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def calls_to_redis(store: SharedStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection the store takes from its pool: one per call that reaches Redis."""
    pool = store._client.connection_pool
    taken: list[str] = []
    take = pool.get_connection

    def counted(*args: object, **kwargs: object) -> object:
        taken.append("call")
        return take(*args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", counted)
    return taken


def every_operation_gives_nothing(store: SharedStore) -> None:
    assert store.get(Kind.ITEM, TOKEN) is None
    assert not store.put(Kind.ITEM, TOKEN, b"new", 60)
    assert not store.delete(Kind.SYNC, TOKEN)
    with store.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as held:
        assert not held
    assert store.wait_for(Kind.ITEM, TOKEN, timeout_seconds=30) is None


def test_a_stopped_redis_is_a_miss_said_once_and_found_again_by_itself(
    store: SharedStore, redis_server: RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert store.put(Kind.ITEM, TOKEN, b"before", 60)
    redis_server.stop()

    every_operation_gives_nothing(store)
    clock.after_the_back_off()  # asked again, still down: no second warning
    every_operation_gives_nothing(store)
    (warning,) = logged(caplog, logging.WARNING)
    assert warning.startswith("shared cache unavailable (ConnectionError)")
    status = store.status()
    assert status.health == "unavailable"
    assert status.describe() == "shared cache unavailable since 14:05; serving from this process"

    redis_server.start()  # a restart: on the same port, with nothing in it
    clock.after_the_back_off()
    assert store.get(Kind.ITEM, TOKEN) is None  # a miss now, from Redis itself
    assert store.status().ok
    assert store.put(Kind.ITEM, TOKEN, b"after", 60)
    assert store.get(Kind.ITEM, TOKEN) == b"after"
    assert logged(caplog, logging.INFO) == ["shared cache back (unavailable since 14:05)"]
    assert len(logged(caplog, logging.WARNING)) == 1


def test_a_paused_redis_is_given_up_on_at_the_socket_timeout(
    store: SharedStore,
    redis_server: RedisServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGSTOP: the kernel still accepts connections, nothing answers. The call ends at the
    read timeout (a TimeoutError, not a hang), and the next ones do not wait at all."""
    connection = store._client.connection_pool.connection_kwargs
    assert connection["socket_timeout"] == READ_TIMEOUT_SECONDS
    assert connection["socket_connect_timeout"] == CONNECT_TIMEOUT_SECONDS
    store.put(Kind.ITEM, TOKEN, b"mine", 60)
    store.put(Kind.ITEM, OTHER_TOKEN, b"theirs", 60)
    redis_server.pause()
    calls = calls_to_redis(store, monkeypatch)

    assert store.get(Kind.ITEM, TOKEN) is None
    (warning,) = logged(caplog, logging.WARNING)
    assert "(TimeoutError)" in warning
    every_operation_gives_nothing(store)
    assert not store.forget(TOKEN)  # not reachable now: kept, to be done when it is
    assert len(calls) == 1  # during the back-off nothing waits on Redis again

    redis_server.resume()
    clock.after_the_back_off()
    # The first answer after the pause is the right one (no late reply read by the next
    # command), and the forget kept meanwhile is done as soon as Redis answers.
    assert store.get(Kind.ITEM, OTHER_TOKEN) == b"theirs"
    assert store.get(Kind.ITEM, TOKEN) is None
    with redis_server.admin() as admin:
        assert admin.exists(SharedKeys(KEY).name(Kind.ITEM, TOKEN)) == 0


def test_a_full_redis_refuses_new_data_quietly_and_still_serves_reads(
    store: SharedStore, redis_server: RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    assert store.put(Kind.ITEM, TOKEN, b"stored before", 60)
    with redis_server.admin() as admin:
        admin.set("filler", b"x" * 1_500_000)  # over the limit below, whatever Redis uses
        admin.config_set("maxmemory", "1mb")
        admin.config_set("maxmemory-policy", "noeviction")

        assert not store.put(Kind.ITEM, OTHER_TOKEN, b"new", 60)
        assert not store.put(Kind.SYNC, OTHER_TOKEN, b"new", 60)
        with store.lock(Kind.ITEM, OTHER_TOKEN, ttl_seconds=30) as held:
            assert not held
        assert store.get(Kind.ITEM, TOKEN) == b"stored before"
        (warning,) = logged(caplog, logging.WARNING)
        assert warning.startswith("shared cache refusing writes (OutOfMemoryError)")
        assert store.status().describe() == (
            "shared cache full or read-only since 14:05; new data stays in this process"
        )
        assert store.forget(TOKEN)  # deleting is what a full Redis still allows
        assert store.get(Kind.ITEM, TOKEN) is None

        admin.config_set("maxmemory", "0")
    clock.after_the_back_off()
    assert store.put(Kind.ITEM, OTHER_TOKEN, b"new", 60)
    assert store.status().ok


def test_a_read_only_replica_refuses_new_data_quietly(
    store: SharedStore, redis_server: RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """What a failover can leave behind: the server became a replica (of one gone here)."""
    assert store.put(Kind.ITEM, TOKEN, b"stored before", 60)
    with redis_server.admin() as admin:
        admin.replicaof("127.0.0.1", str(free_port()))
        assert not store.put(Kind.ITEM, OTHER_TOKEN, b"new", 60)
        assert store.get(Kind.ITEM, TOKEN) == b"stored before"
        (warning,) = logged(caplog, logging.WARNING)
        assert warning.startswith("shared cache refusing writes (ReadOnlyError)")
        admin.replicaof("NO", "ONE")
    clock.after_the_back_off()
    assert store.put(Kind.ITEM, OTHER_TOKEN, b"new", 60)
    assert store.status().ok


def test_a_dropped_connection_is_tried_again_on_a_fresh_one(
    store: SharedStore, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An idle connection closed by Redis (its timeout, a proxy) is no outage."""
    assert store.put(Kind.ITEM, TOKEN, b"value", 60)
    with redis_server.admin() as admin:
        assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
    assert store.get(Kind.ITEM, TOKEN) == b"value"
    assert logged(caplog, logging.WARNING) == []
    assert store.status().ok


def test_a_redis_that_never_answered_does_not_stop_the_store(clock: Clock) -> None:
    store = SharedStore.connect(f"redis://127.0.0.1:{free_port()}/0", KEY, clock=clock)
    every_operation_gives_nothing(store)
    assert not store.forget(TOKEN)
    assert store.status().health == "unavailable"
