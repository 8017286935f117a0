"""The shared store against the machine's Redis (a database of the tests' own): replicas share
values, locks give one fetch for everyone, forgetting reaches every replica, a value that does
not open is a miss, and nothing in Redis is readable about a person."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
import redis
from cryptography.fernet import Fernet

from integrations.demo.parsed import demo_credit_report, demo_item_data
from integrations.models import ItemData, SyncState
from services.runtime.codec import (
    FORMAT_VERSION,
    decode_item,
    decode_report,
    decode_sync_state,
    encode_item,
    encode_report,
    encode_sync_state,
)
from services.runtime.settings import parse_settings
from services.runtime.shared_keys import SharedKeys
from services.runtime.shared_store import (
    MAX_POLL_SECONDS,
    Kind,
    SharedStore,
    shared_store,
)
from tests.support.clock import TODAY
from tests.support.experian_support import SSN

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
TOKEN = "access-sandbox-canary-0000-1111-2222"
OTHER_TOKEN = "access-sandbox-someone-else-3333"
LOGGER = "credit_monitor.shared_cache"


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= 30]


Connect = Callable[..., SharedStore]


@pytest.fixture
def connect(shared_redis: str) -> Iterator[Connect]:
    """Stores on the test database, as replicas of one deployment (or of another, by key)."""
    made: list[SharedStore] = []

    def make(key: str = KEY, **options: object) -> SharedStore:
        made.append(SharedStore.connect(shared_redis, key, **options))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture
def raw(shared_redis: str) -> Iterator[redis.Redis]:
    """The database as anyone with access to Redis sees it."""
    with redis.Redis.from_url(shared_redis) as client:
        yield client


def item() -> ItemData:
    return demo_item_data(TODAY)[1]


# --- Sharing ---------------------------------------------------------------------------------


def test_what_one_replica_puts_another_reads(connect: Connect, raw: redis.Redis) -> None:
    first, second = connect(), connect()
    data = item()
    assert first.put(Kind.ITEM, TOKEN, encode_item(data), ttl_seconds=60)
    assert second.get(Kind.ITEM, TOKEN, decode_item) == data
    assert second.get(Kind.ITEM, TOKEN) is not None  # bytes when not asked to decode
    (name,) = raw.keys("cm:v1:item:*")
    assert 0 < raw.pttl(name) <= 60_000
    assert second.status().ok


def test_a_report_and_a_sync_state_are_shared_too(connect: Connect) -> None:
    first, second = connect(), connect()
    report = demo_credit_report(TODAY)
    state = SyncState("cursor-1", item().transactions)
    assert first.put(Kind.REPORT, "applicant", encode_report(report), 60)
    assert first.put(Kind.SYNC, TOKEN, encode_sync_state(state), 30 * 86400)
    assert second.get(Kind.REPORT, "applicant", decode_report) == report
    assert second.get(Kind.SYNC, TOKEN, decode_sync_state) == state
    assert second.get(Kind.ITEM, TOKEN) is None  # a kind is its own entry


def test_a_hundred_thousand_transactions_go_through_redis(
    connect: Connect, raw: redis.Redis
) -> None:
    """About 4 MB sealed: far more than one socket read, well within the read timeout."""
    base = item()
    shapes = base.transactions
    many = tuple(
        dataclasses.replace(shapes[i % len(shapes)], transaction_id=f"tx-{i}",
                            date=TODAY - timedelta(days=i % 730))
        for i in range(100_000)
    )  # fmt: skip
    big = dataclasses.replace(base, transactions=many)
    first, second = connect(), connect()
    assert first.put(Kind.ITEM, TOKEN, encode_item(big), 60)
    assert second.get(Kind.ITEM, TOKEN, decode_item) == big
    (name,) = raw.keys("cm:v1:item:*")
    assert raw.strlen(name) < 10_000_000


def test_another_deployment_key_finds_nothing(connect: Connect) -> None:
    ours, theirs = connect(), connect(OTHER_KEY)
    assert ours.put(Kind.ITEM, TOKEN, encode_item(item()), 60)
    assert theirs.get(Kind.ITEM, TOKEN) is None


def test_delete_drops_one_entry_for_every_replica(connect: Connect) -> None:
    first, second = connect(), connect()
    first.put(Kind.ITEM, TOKEN, b"item", 60)
    first.put(Kind.SYNC, TOKEN, b"sync", 60)
    assert second.delete(Kind.ITEM, TOKEN)
    assert first.get(Kind.ITEM, TOKEN) is None
    assert first.get(Kind.SYNC, TOKEN) == b"sync"


# --- Values that do not open -----------------------------------------------------------------


def test_a_tampered_value_is_a_miss_said_once_and_deleted(
    connect: Connect, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = connect()
    store.put(Kind.ITEM, TOKEN, encode_item(item()), 60)
    (name,) = raw.keys("cm:v1:item:*")
    sealed = bytearray(raw.get(name))
    sealed[60] = ord("A") if sealed[60] != ord("A") else ord("B")
    raw.set(name, bytes(sealed))
    assert store.get(Kind.ITEM, TOKEN, decode_item) is None
    assert raw.exists(name) == 0
    assert store.get(Kind.ITEM, TOKEN, decode_item) is None
    (warning,) = warnings_logged(caplog)
    assert "dropped" in warning
    assert store.status().ok  # Redis itself is fine


def test_a_value_sealed_under_another_key_is_a_miss(
    connect: Connect, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Another deployment's value under our name (a shared Redis, a restored backup)."""
    theirs, ours = connect(OTHER_KEY), connect()
    theirs.put(Kind.ITEM, TOKEN, encode_item(item()), 60)
    (their_name,) = raw.keys("cm:v1:item:*")
    our_name = SharedKeys(KEY).name(Kind.ITEM, TOKEN)
    raw.copy(their_name, our_name)
    assert ours.get(Kind.ITEM, TOKEN, decode_item) is None
    assert raw.exists(our_name) == 0
    assert len(warnings_logged(caplog)) == 1


def test_a_value_copied_to_another_persons_name_is_a_miss(
    connect: Connect, raw: redis.Redis
) -> None:
    """Someone who can write to Redis cannot show one person's data to another."""
    store = connect()
    store.put(Kind.ITEM, TOKEN, encode_item(item()), 60)
    keys = SharedKeys(KEY)
    raw.copy(keys.name(Kind.ITEM, TOKEN), keys.name(Kind.ITEM, OTHER_TOKEN))
    assert store.get(Kind.ITEM, OTHER_TOKEN, decode_item) is None
    assert store.get(Kind.ITEM, TOKEN, decode_item) == item()


def test_a_value_of_another_format_is_a_miss_and_deleted(
    connect: Connect, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = connect()
    store.put(Kind.ITEM, TOKEN, bytes([FORMAT_VERSION + 1]) + b"I future", 60)
    assert store.get(Kind.ITEM, TOKEN, decode_item) is None
    assert raw.keys("cm:v1:item:*") == []
    assert "format version" in warnings_logged(caplog)[0]


def test_whatever_a_decoder_raises_is_a_miss_that_does_not_quote_the_value(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    store = connect()
    store.put(Kind.ITEM, TOKEN, b"canary-value \xff not JSON", 60)
    assert store.get(Kind.ITEM, TOKEN, json.loads) is None
    (warning,) = warnings_logged(caplog)
    assert warning.endswith("dropped: UnicodeDecodeError")
    assert store.get(Kind.ITEM, TOKEN) is None


# --- Forgetting ------------------------------------------------------------------------------


def test_forget_deletes_every_entry_of_an_identity_for_every_replica(
    connect: Connect, raw: redis.Redis
) -> None:
    first, second = connect(), connect()
    for kind in Kind:
        first.put(kind, TOKEN, b"mine", 60)
    first.put(Kind.ITEM, OTHER_TOKEN, b"theirs", 60)
    with first.lock(Kind.ITEM, TOKEN, ttl_seconds=60) as held:
        assert held
        assert second.forget(TOKEN)
        assert [first.get(kind, TOKEN) for kind in Kind] == [None] * len(Kind)
        # The lock went too: nobody waits for a fetch of what was forgotten.
        assert raw.exists(SharedKeys(KEY).name(f"lock-{Kind.ITEM}", TOKEN)) == 0
    assert first.get(Kind.ITEM, OTHER_TOKEN) == b"theirs"


def test_a_fetch_finishing_after_forget_does_not_write_it_back(connect: Connect) -> None:
    fetching, disconnecting = connect(), connect()
    assert disconnecting.forget(TOKEN)
    assert not fetching.put(Kind.ITEM, TOKEN, b"fetched before the disconnect", 60)
    assert fetching.get(Kind.ITEM, TOKEN) is None
    assert fetching.put(Kind.ITEM, OTHER_TOKEN, b"someone else", 60)


# --- One fetch for everyone ------------------------------------------------------------------


def test_one_caller_holds_the_lock(connect: Connect, raw: redis.Redis) -> None:
    first, second = connect(), connect()
    lock_name = SharedKeys(KEY).name(f"lock-{Kind.ITEM}", TOKEN)
    with first.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as mine:
        assert mine
        assert 0 < raw.pttl(lock_name) <= 30_000
        with second.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as theirs:
            assert not theirs
        assert raw.exists(lock_name) == 1  # the loser did not release the holder's lock
    with second.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as theirs:
        assert theirs


def test_a_lock_that_expired_and_was_taken_is_not_released_by_its_first_holder(
    connect: Connect, raw: redis.Redis
) -> None:
    first, second = connect(), connect()
    lock_name = SharedKeys(KEY).name(f"lock-{Kind.ITEM}", TOKEN)
    with ExitStack() as later:
        with first.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as mine:
            assert mine
            raw.delete(lock_name)  # as if it expired while the first was still fetching
            assert later.enter_context(second.lock(Kind.ITEM, TOKEN, ttl_seconds=30))
        assert raw.exists(lock_name) == 1  # still the second's
    assert raw.exists(lock_name) == 0


class WaitingWaiter:
    """A ``wait_for`` in a thread of its own, saying when it first sleeps: by then it has seen
    the lock held and no value, so what happens next is what it waits for."""

    def __init__(self, connect: Connect) -> None:
        self.waiting = threading.Event()
        self.result: object = "not returned"
        self.store = connect(sleep=self._sleep)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sleep(self, seconds: float) -> None:
        self.waiting.set()
        time.sleep(seconds)

    def _run(self) -> None:
        self.result = self.store.wait_for(Kind.ITEM, TOKEN, timeout_seconds=30, decode=decode_item)

    def start(self) -> WaitingWaiter:
        self.thread.start()
        assert self.waiting.wait(timeout=30)
        return self

    def finish(self) -> object:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.result


def test_a_waiter_reads_what_the_holder_fetched(connect: Connect) -> None:
    holder = connect()
    data = item()
    with holder.lock(Kind.ITEM, TOKEN, ttl_seconds=30) as mine:
        assert mine
        waiter = WaitingWaiter(connect).start()
        holder.put(Kind.ITEM, TOKEN, encode_item(data), 60)
    assert waiter.finish() == data


def test_a_waiter_stops_waiting_when_the_holder_gives_up(connect: Connect) -> None:
    """The holder's fetch failed: its lock goes without a value, and the waiter fetches
    itself instead of waiting out its timeout."""
    holder = connect()
    with holder.lock(Kind.ITEM, TOKEN, ttl_seconds=30):
        waiter = WaitingWaiter(connect).start()
    assert waiter.finish() is None


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_waiter_gives_up_at_its_timeout(connect: Connect) -> None:
    holder = connect()
    fake = FakeTime()
    waiter = connect(clock=fake.clock, sleep=fake.sleep)
    with holder.lock(Kind.ITEM, TOKEN, ttl_seconds=30):
        assert waiter.wait_for(Kind.ITEM, TOKEN, timeout_seconds=2.0) is None
    assert sum(fake.slept) == pytest.approx(2.0)
    backing_off = fake.slept[:-1]  # the last wait is cut to the timeout
    assert backing_off == sorted(backing_off)
    assert max(fake.slept) <= MAX_POLL_SECONDS


# --- The process's store ---------------------------------------------------------------------


def test_the_process_store_is_made_only_with_redis_url(shared_redis: str) -> None:
    assert shared_store(parse_settings({})) is None
    settings = parse_settings({"REDIS_URL": shared_redis, "TOKEN_ENCRYPTION_KEY": KEY})
    store = shared_store(settings)
    assert store is not None
    assert shared_store(settings) is store
    assert store.put(Kind.ITEM, TOKEN, b"value", 60)
    assert SharedStore.connect(shared_redis, KEY).get(Kind.ITEM, TOKEN) == b"value"


# --- Nothing readable about a person ---------------------------------------------------------

MERCHANT = "Canary Coffee Roasters"
ACCOUNT_NAME = "Canary Everyday Checking"
PERSON = "CANARY Q PERSONSON"
CANARIES = {
    "access token": TOKEN,
    "merchant name": MERCHANT,
    "account name": ACCOUNT_NAME,
    "SSN": SSN,
    "name on the credit file": PERSON,
    "applicant": "Canary-Applicant",
    "email": "canary.person@example.com",
}


def canary_item() -> ItemData:
    data = item()
    accounts = tuple(dataclasses.replace(a, name=ACCOUNT_NAME) for a in data.accounts)
    spent = tuple(
        dataclasses.replace(t, merchant_name=MERCHANT, name=f"{MERCHANT} #1")
        for t in data.transactions
    )
    return dataclasses.replace(data, accounts=accounts, transactions=spent)


def test_no_canary_in_any_key_or_value(connect: Connect, raw: redis.Redis) -> None:
    report = demo_credit_report(TODAY)
    report = dataclasses.replace(
        report, identity=dataclasses.replace(report.identity, names=(PERSON,))
    )
    applicant = f'{{"first_name": "Canary-Applicant", "ssn": "{SSN}"}}'
    store = connect()
    assert store.put(Kind.ITEM, TOKEN, encode_item(canary_item()), 60)
    assert store.put(
        Kind.SYNC, TOKEN, encode_sync_state(SyncState("c", canary_item().transactions)), 60
    )
    assert store.put(Kind.REPORT, applicant, encode_report(report), 60)
    assert store.put(Kind.REPORT, "canary.person@example.com", encode_report(report), 60)
    assert store.forget(OTHER_TOKEN)
    with store.lock(Kind.ITEM, TOKEN, 30) as held:
        assert held
        entries = {name: raw.get(name) for name in raw.scan_iter(count=1000)}
    assert len(entries) == 6  # four values, a tombstone and a lock
    name_shape = re.compile(rb"cm:v1:[a-z][a-z0-9-]*:[0-9a-f]{64}")
    for name, value in entries.items():
        assert name_shape.fullmatch(name), name
        for what, canary in CANARIES.items():
            assert canary.encode() not in name, f"{what} in a key name"
            assert canary.encode() not in value, f"{what} in a value"
