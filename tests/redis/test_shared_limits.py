"""The daily pull limits and the refresh interval in hybrid mode: every replica counts in Redis,
so a person's and the deployment's pulls and a person's refresh interval are one count for them
all, the same words refuse as without Redis, and a Redis in trouble leaves each process counting
its own, never raising.

Against the machine's Redis on a database of these tests' own (``LIMITS_REDIS_URL``, default
database 10), emptied before and after each test; fault tests on a redis-server of their own.
A second replica is a second ``SharedStore``, or, through ``limits``, this process after
Streamlit's caches are cleared (no process counts, a new store)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
import streamlit as st
from cryptography.fernet import Fernet

from services.runtime import limits
from services.runtime.settings import Settings, parse_settings
from services.runtime.shared_keys import SharedKeys
from services.runtime.shared_store import (
    PULL_COUNT_TTL_SECONDS,
    PullCount,
    SharedStore,
    live_balance_name,
    pull_count_names,
    refresh_name,
    shared_store,
)
from tests.support.redis_server import RedisServer

LIMITS_REDIS_URL = os.environ.get("LIMITS_REDIS_URL", "redis://127.0.0.1:6379/10")
KEY = Fernet.generate_key().decode()
DAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
PERSON = "person-0123456789abcdef01234567"  # a keyed hash, as identity.py makes them
OTHER = "person-fedcba9876543210fedcba98"
COUNTED = PullCount(None, 1)


def _reachable(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def raw() -> Iterator[redis.Redis]:
    """The test database as anyone with access to Redis sees it, emptied before and after."""
    client = redis.Redis.from_url(LIMITS_REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    with client:
        if not _reachable(client):
            pytest.skip(f"Redis is not reachable at {LIMITS_REDIS_URL} (set LIMITS_REDIS_URL)")
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()


Connect = Callable[[], SharedStore]


@pytest.fixture
def connect(raw: redis.Redis) -> Iterator[Connect]:
    """Stores on the test database: replicas of one deployment."""
    made: list[SharedStore] = []

    def make() -> SharedStore:
        made.append(SharedStore.connect(LIMITS_REDIS_URL, KEY))
        return made[-1]

    yield make
    for store in made:
        store.close()


def hybrid(url: str = LIMITS_REDIS_URL, **more: str) -> Settings:
    return parse_settings({"REDIS_URL": url, "TOKEN_ENCRYPTION_KEY": KEY, **more})


def another_process() -> None:
    """What another replica starts with: no process counts, a store of its own."""
    st.cache_resource.clear()


def pull_names(person: str, day: date) -> tuple[str, str]:
    return pull_count_names(SharedKeys(KEY), person, day)


# --- Two replicas, one count -----------------------------------------------------------------


def test_two_replicas_share_a_persons_daily_pulls(connect: Connect) -> None:
    first, second = connect(), connect()
    assert first.count_pull(PERSON, DAY, per_person=2, per_deployment=20) == COUNTED
    assert second.count_pull(PERSON, DAY, per_person=2, per_deployment=20) == PullCount(None, 2)
    assert first.count_pull(PERSON, DAY, 2, 20) == PullCount("person", 2)
    assert second.count_pull(PERSON, DAY, 2, 20) == PullCount("person", 2)
    assert second.count_pull(OTHER, DAY, 2, 20) == COUNTED  # someone else's count
    assert first.count_pull(PERSON, DAY + timedelta(days=1), 2, 20) == COUNTED  # a new day


def test_two_replicas_share_the_deployments_daily_pulls(connect: Connect) -> None:
    first, second = connect(), connect()
    people = [f"person-{n}" for n in range(5)]
    outcomes = [
        (first if n % 2 else second).count_pull(who, DAY, per_person=2, per_deployment=3)
        for n, who in enumerate(people)
    ]
    assert outcomes == [COUNTED] * 3 + [PullCount("deployment", 0)] * 2


def test_a_refused_pull_is_not_counted(connect: Connect, raw: redis.Redis) -> None:
    store = connect()
    assert store.count_pull(PERSON, DAY, per_person=1, per_deployment=2) == COUNTED
    assert store.count_pull(PERSON, DAY, per_person=1, per_deployment=2) == PullCount("person", 1)
    mine, everyone = pull_names(PERSON, DAY)
    assert raw.mget(mine, everyone) == [b"1", b"1"]
    assert store.count_pull(OTHER, DAY, per_person=1, per_deployment=2) == COUNTED


def test_two_replicas_share_the_refresh_interval(connect: Connect, raw: redis.Redis) -> None:
    first, second = connect(), connect()
    assert first.claim_refresh(PERSON, interval_seconds=60) == 0
    left = second.claim_refresh(PERSON, interval_seconds=60)
    assert left is not None
    assert 0 < left <= 60
    assert second.claim_refresh(OTHER, interval_seconds=60) == 0  # someone else's interval
    raw.delete(refresh_name(SharedKeys(KEY), PERSON))  # as if the interval ran out
    assert second.claim_refresh(PERSON, interval_seconds=60) == 0


def test_counts_and_intervals_expire_by_themselves(connect: Connect, raw: redis.Redis) -> None:
    store = connect()
    assert store.count_pull(PERSON, DAY, 2, 20) == COUNTED
    assert store.claim_refresh(PERSON, interval_seconds=60) == 0
    for name in pull_names(PERSON, DAY):
        assert 0 < raw.pttl(name) <= PULL_COUNT_TTL_SECONDS * 1000
    assert 0 < raw.pttl(refresh_name(SharedKeys(KEY), PERSON)) <= 60_000
    assert store.count_pull(OTHER, DAY, 2, 20, ttl_seconds=30) == COUNTED
    assert 0 < raw.pttl(pull_names(OTHER, DAY)[0]) <= 30_000


def test_nothing_readable_about_a_person_or_a_day(connect: Connect, raw: redis.Redis) -> None:
    store = connect()
    assert store.count_pull(PERSON, DAY, 2, 20) == COUNTED
    assert store.claim_refresh(PERSON, 60) == 0
    names = list(raw.scan_iter(count=1000))
    assert len(names) == 3
    for name in names:
        assert re.fullmatch(rb"cm:v1:(pulls|pulls-all|refreshed):[0-9a-f]{64}", name), name
        assert PERSON.encode() not in name
        assert DAY.isoformat().encode() not in name


# --- At once ---------------------------------------------------------------------------------


def pulls_at_once(
    stores: list[SharedStore], people: list[str], caps: tuple[int, int]
) -> list[PullCount | None]:
    """Each of ``people`` pulls in a thread of its own, all let go together, alternating
    between the stores; ``caps`` are the person's and the deployment's daily limits."""
    start = threading.Barrier(len(people))
    outcomes: list[PullCount | None] = [None] * len(people)

    def pull(n: int) -> None:
        start.wait(timeout=30)
        outcomes[n] = stores[n % len(stores)].count_pull(people[n], DAY, *caps)

    threads = [threading.Thread(target=pull, args=(n,)) for n in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return outcomes


def test_pulls_at_once_on_two_replicas_never_pass_the_deployments_limit(
    connect: Connect, raw: redis.Redis
) -> None:
    people = [f"person-{n}" for n in range(24)]
    outcomes = pulls_at_once([connect(), connect()], people, (2, 5))
    assert sum(o == COUNTED for o in outcomes) == 5
    assert sum(o == PullCount("deployment", 0) for o in outcomes) == 19
    assert raw.get(pull_names(PERSON, DAY)[1]) == b"5"


def test_one_persons_pulls_at_once_on_two_replicas_never_pass_their_limit(
    connect: Connect, raw: redis.Redis
) -> None:
    outcomes = pulls_at_once([connect(), connect()], [PERSON] * 24, (3, 100))
    counted = sorted(o.theirs for o in outcomes if o is not None and o.refused_by is None)
    assert counted == [1, 2, 3]
    assert outcomes.count(PullCount("person", 3)) == 21
    assert raw.mget(*pull_names(PERSON, DAY)) == [b"3", b"3"]


# --- Through limits: the decider -------------------------------------------------------------


def refusals(settings: Settings, between_pulls: Callable[[], None]) -> list[str | None]:
    """Three pulls by one person and two by others, with what happens between them."""
    outcomes = []
    for who in (PERSON, PERSON, PERSON, OTHER, "person-third"):
        outcomes.append(limits.take_pull(settings, who, DAY))
        between_pulls()
    return outcomes


def test_replicas_refuse_in_the_same_words_as_one_process(raw: redis.Redis) -> None:
    caps = {"CREDIT_PULLS_PER_PERSON_PER_DAY": "2", "CREDIT_PULLS_PER_DAY": "3"}
    one_process = refusals(parse_settings(caps), lambda: None)
    another_process()
    replicas = refusals(hybrid(**caps), another_process)  # each pull on a new replica
    assert replicas == one_process
    assert replicas[:2] == [None, None]
    assert "the most this app allows a person in a day" in (replicas[2] or "")
    assert replicas[3] is None
    assert "as many credit report pulls today" in (replicas[4] or "")


def test_a_refresh_on_one_replica_holds_off_a_refresh_on_another(raw: redis.Redis) -> None:
    settings = hybrid(REFRESH_INTERVAL_SECONDS="60")
    assert limits.take_refresh(settings, PERSON, NOW) is None
    another_process()
    wait = limits.take_refresh(settings, PERSON, NOW + timedelta(hours=1))  # Redis's clock
    assert wait is not None
    assert 1 <= wait <= 60
    assert limits.take_refresh(settings, OTHER, NOW) is None


def test_an_interval_of_zero_lets_every_refresh_through_and_writes_nothing(
    raw: redis.Redis,
) -> None:
    settings = hybrid(REFRESH_INTERVAL_SECONDS="0")
    assert [limits.take_refresh(settings, PERSON, NOW) for _ in range(3)] == [None] * 3
    assert raw.dbsize() == 0


# --- Redis in trouble: each process counts its own -------------------------------------------


def test_a_redis_that_goes_down_leaves_this_process_counting_from_its_own_count(
    redis_server: RedisServer,
) -> None:
    settings = hybrid(
        redis_server.url, CREDIT_PULLS_PER_PERSON_PER_DAY="2", REFRESH_INTERVAL_SECONDS="60"
    )
    assert limits.take_pull(settings, PERSON, DAY) is None  # counted in Redis, noted here
    assert limits.take_refresh(settings, PERSON, NOW) is None
    with redis_server.admin() as admin:
        assert admin.dbsize() == 3
    redis_server.stop()

    assert limits.take_pull(settings, PERSON, DAY) is None  # this process's second
    refusal = limits.take_pull(settings, PERSON, DAY)
    assert refusal is not None
    assert "You have pulled 2 credit reports today" in refusal
    assert limits.take_refresh(settings, PERSON, NOW + timedelta(seconds=20)) == 40
    assert limits.take_refresh(settings, PERSON, NOW + timedelta(seconds=60)) is None
    store = shared_store(settings)
    assert store is not None
    assert store.status().health == "unavailable"


def test_a_redis_that_never_answered_counts_as_one_process_does(
    redis_server: RedisServer,
) -> None:
    redis_server.stop()
    caps = {"CREDIT_PULLS_PER_PERSON_PER_DAY": "2", "CREDIT_PULLS_PER_DAY": "3"}
    down = refusals(hybrid(redis_server.url, **caps), lambda: None)
    another_process()
    assert down == refusals(parse_settings(caps), lambda: None)
    settings = hybrid(redis_server.url, REFRESH_INTERVAL_SECONDS="60")
    assert limits.take_refresh(settings, PERSON, NOW) is None
    assert limits.take_refresh(settings, PERSON, NOW + timedelta(seconds=20)) == 40


def test_a_full_redis_leaves_this_process_counting(redis_server: RedisServer) -> None:
    """Redis answers reads but stores nothing more: a count it cannot keep is no count."""
    settings = hybrid(redis_server.url, CREDIT_PULLS_PER_PERSON_PER_DAY="1")
    with redis_server.admin() as admin:
        admin.set("filler", b"x" * 1_500_000)
        admin.config_set("maxmemory", "1mb")
        admin.config_set("maxmemory-policy", "noeviction")
        assert limits.take_pull(settings, PERSON, DAY) is None
        assert "the most this app allows" in (limits.take_pull(settings, PERSON, DAY) or "")
        assert limits.take_refresh(settings, PERSON, NOW) is None
        assert admin.keys("cm:v1:*") == []
        store = shared_store(settings)
        assert store is not None
        assert store.status().health == "refusing writes"


# --- The live balance interval: one billed check of a bank every ten minutes, whoever asks --

BANK, OTHER_BANK = "item-key-one", "item-key-two"


def test_a_check_on_one_replica_holds_off_the_same_check_on_another(raw: redis.Redis) -> None:
    settings = hybrid()
    assert limits.take_live_balance(settings, PERSON, BANK, NOW) is None
    another_process()
    wait = limits.take_live_balance(settings, PERSON, BANK, NOW + timedelta(hours=1))
    assert wait is not None  # Redis's clock decides, not the caller's
    assert 1 <= wait <= limits.LIVE_BALANCE_INTERVAL_SECONDS
    # Another bank of the same person may go ahead.
    assert limits.take_live_balance(settings, PERSON, OTHER_BANK, NOW) is None


def test_the_operators_bank_checked_by_one_owner_waits_for_every_other(raw: redis.Redis) -> None:
    """The operator's item is loaded for every owner, and each check is billed once: a second
    owner on another replica is told when the bank may be asked again."""
    settings = hybrid()
    assert limits.take_live_balance(settings, PERSON, BANK, NOW) is None
    another_process()
    wait = limits.take_live_balance(settings, OTHER, BANK, NOW)
    assert wait is not None
    assert limits.LIVE_BALANCE_INTERVAL_SECONDS - 60 <= wait <= limits.LIVE_BALANCE_INTERVAL_SECONDS


def test_a_bank_that_costs_nothing_is_limited_per_person(raw: redis.Redis) -> None:
    settings = hybrid()
    assert limits.take_live_balance(settings, PERSON, BANK, NOW, billed=False) is None
    assert limits.take_live_balance(settings, OTHER, BANK, NOW, billed=False) is None
    assert limits.take_live_balance(settings, PERSON, BANK, NOW, billed=False) is not None


def test_the_interval_is_kept_under_a_keyed_name_and_expires(raw: redis.Redis) -> None:
    assert limits.take_live_balance(hybrid(), PERSON, BANK, NOW) is None
    name = live_balance_name(SharedKeys(KEY), BANK)
    assert 0 < raw.pttl(name) <= limits.LIVE_BALANCE_INTERVAL_SECONDS * 1000
    (only,) = list(raw.scan_iter(count=100))
    assert re.fullmatch(rb"cm:v1:live-balance:[0-9a-f]{64}", only), only
    assert PERSON.encode() not in only
    assert BANK.encode() not in only


def test_without_redis_the_process_counts(raw: redis.Redis) -> None:
    settings = hybrid("redis://127.0.0.1:1/0")  # nothing listens there
    assert limits.take_live_balance(settings, PERSON, BANK, NOW) is None
    later = NOW + timedelta(minutes=4)
    assert limits.take_live_balance(settings, PERSON, BANK, later) == 6 * 60
    assert limits.take_live_balance(settings, PERSON, BANK, NOW + timedelta(minutes=10)) is None


def test_without_redis_a_second_owner_of_the_operators_bank_waits_too(raw: redis.Redis) -> None:
    settings = hybrid("redis://127.0.0.1:1/0")
    assert limits.take_live_balance(settings, PERSON, BANK, NOW) is None
    # 4 minutes later another owner asks the same bank: 10 - 4 = 6 minutes to wait.
    assert limits.take_live_balance(settings, OTHER, BANK, NOW + timedelta(minutes=4)) == 6 * 60
    assert limits.take_live_balance(settings, OTHER, BANK, NOW + timedelta(minutes=10)) is None
