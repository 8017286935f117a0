"""Row 8 of `make bench`: hybrid mode (issue 14), against the machine's Redis.

8a. Replica B's first overview against replica A's: A starts cold (an empty Redis), B is a new
    process (every in-process cache cleared) on the same Redis. Upstream calls and time.
8b. A hit in Redis (get, decrypt, decode: what a replica pays for another's fetch) against a
    hit in Streamlit's in-process cache (unpickle), for one item of 5k, 20k and 100k
    transactions; time and stored bytes.
8c. A fetch after the TTL (every replica's copy of the data gone): the delta sync from the
    kept cursor against a full resync (the kept state gone too), alternated, at 200 ms a call.

Redis: ``BENCH_REDIS_URL`` (default database 9 of 127.0.0.1:6379), flushed before and after:
keep that database for the benchmark. Each run seals under a fresh key.
"""

from __future__ import annotations

import os
import pickle
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

from bench.suite import (
    COLD_RUNS,
    LATENCY,
    RUNS,
    SIZES,
    Row,
    add,
    alternate,
    clean_settings,
    clock,
    judge,
    overview_first_run,
    reset_process,
    third_item,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
NEW_PER_ITEM = 25  # transactions posted at each bank between two fetches (8c)
PLAID_SETTINGS = ("PLAID_CLIENT_ID", "PLAID_SECRET", "PLAID_BASE_URL", "PLAID_ACCESS_TOKEN")


def hybrid_rows() -> None:
    import redis
    from cryptography.fernet import Fernet

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        raise RuntimeError(
            f"Redis is not reachable at {REDIS_URL} (set BENCH_REDIS_URL)"
        ) from error
    key = Fernet.generate_key().decode()
    client.flushdb()
    try:
        with plaid_in_hybrid_mode(key) as (double, tokens):
            replicas(double, client)
            after_the_ttl(double, client, key, tokens)
        redis_against_process_hit(client, key)
    finally:
        client.flushdb()
        client.close()
        clean_settings()
        os.environ["DATA_SOURCE"] = "demo"
        reset_process()


@contextmanager
def plaid_in_hybrid_mode(key: str) -> Iterator[tuple[Any, list[str]]]:
    from tests.support.plaid_double import PlaidDouble

    clean_settings()
    with PlaidDouble(latency=LATENCY) as double:
        tokens = [*double.demo_tokens(), third_item(double)]
        os.environ.update(
            {
                "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
                "PLAID_SECRET": PlaidDouble.SECRET,
                "PLAID_BASE_URL": double.url,
                "PLAID_ACCESS_TOKEN": ",".join(tokens),
                "DATA_SOURCE": "plaid",
                "REDIS_URL": REDIS_URL,
                "TOKEN_ENCRYPTION_KEY": key,
            }
        )
        try:
            yield double, tokens
        finally:
            for name in (*PLAID_SETTINGS, "REDIS_URL", "TOKEN_ENCRYPTION_KEY"):
                os.environ.pop(name, None)


def first_overview(double: Any) -> tuple[float, int]:
    """A new process's first overview: (milliseconds, upstream calls)."""
    reset_process()
    before = len(double.requests)
    elapsed = clock(overview_first_run)
    return elapsed, len(double.requests) - before


# --- 8a ----------------------------------------------------------------------------------------


def replicas(double: Any, client: Any) -> None:
    group = f"8a hybrid: replica B after replica A, 3 items, {LATENCY * 1000:.0f} ms/call"
    a_ms, a_calls, b_ms, b_calls = [], [], [], []
    for _ in range(COLD_RUNS):
        client.flushdb()
        ms, calls = first_overview(double)
        a_ms.append(ms)
        a_calls.append(calls)
        ms, calls = first_overview(double)
        b_ms.append(ms)
        b_calls.append(calls)
    add(Row(group, "replica A, cold: time", "ms", a_ms))
    add(Row(group, "replica A, cold: upstream calls", "calls", a_calls))
    add(Row(group, "replica B, Redis warm: time", "ms", b_ms))
    row = Row(group, "replica B, Redis warm: upstream calls", "calls", b_calls)
    row.target, row.passed = "0 calls", max(b_calls) == 0
    add(row)
    ratio = statistics.median(b_ms) / statistics.median(a_ms)
    add(Row(group, "replica B / replica A: time", "x", [ratio]))


# --- 8c ----------------------------------------------------------------------------------------


def after_the_ttl(double: Any, client: Any, key: str, tokens: list[str]) -> None:
    """Delta and full alternated; before each, new transactions at every bank."""
    from services.runtime.shared_keys import SharedKeys
    from services.runtime.shared_store import Kind

    names = SharedKeys(key)

    def expire(*kinds: Kind) -> None:
        client.delete(*(names.name(kind, token) for token in tokens for kind in kinds))

    first_overview(double)  # everything kept, as after an earlier visit
    rounds = iter(range(1_000_000))
    results: dict[str, tuple[list[float], list[float], list[float]]] = {
        "delta": ([], [], []),
        "full": ([], [], []),
    }

    def fetch(kind: str, gone: tuple[Kind, ...]) -> Callable[[], None]:
        def run() -> None:
            post_news(double, tokens, next(rounds))
            expire(*gone)
            syncs_before = len(double.calls("/transactions/sync"))
            ms, calls = first_overview(double)
            syncs = len(double.calls("/transactions/sync")) - syncs_before
            times, per_item, sync_per_item = results[kind]
            times.append(ms)
            per_item.append(calls / len(tokens))
            sync_per_item.append(syncs / len(tokens))

        return run

    delta, full = fetch("delta", (Kind.ITEM,)), fetch("full", (Kind.ITEM, Kind.SYNC))
    for _ in range(COLD_RUNS):
        delta()
        full()
    group = f"8c hybrid: fetch after the TTL, 3 items, {LATENCY * 1000:.0f} ms/call"
    for kind, label in (("delta", "delta from kept cursor"), ("full", "full resync")):
        times, per_item, sync_per_item = results[kind]
        add(Row(group, f"{label}: time", "ms", times))
        row = Row(group, f"{label}: upstream calls per item", "calls", per_item)
        row.note = f"of which /transactions/sync {statistics.median(sync_per_item):.0f}"
        if kind == "delta":
            row.target, row.passed = "<= 3 calls per item", max(per_item) <= 3
        add(row)
    ratio = statistics.median(results["delta"][0]) / statistics.median(results["full"][0])
    row = Row(group, "delta / full resync: time", "x", [ratio])
    judge(row, ratio, 0.5, "delta <= 0.5x full")
    add(row)


def post_news(double: Any, tokens: list[str], round_number: int) -> None:
    """NEW_PER_ITEM new transactions at every bank, as days of spending would bring."""
    for token in tokens:
        template = double.sync_pages(token)[0]["added"][0]
        added = [
            {**template, "transaction_id": f"bench-{round_number}-{n}-{token[-6:]}"}
            for n in range(NEW_PER_ITEM)
        ]
        double.post_update(token, added=added)


# --- 8b ----------------------------------------------------------------------------------------


def redis_against_process_hit(client: Any, key: str) -> None:
    import streamlit as st

    from integrations.demo.parsed import demo_item_data
    from services.runtime import loaders
    from services.runtime.codec import encode_item, stamped
    from services.runtime.shared_keys import SharedKeys
    from services.runtime.shared_store import Kind, SharedStore

    group = "8b hybrid: Redis hit vs in-process hit, one item"
    base = demo_item_data(date.today())[0]
    store = SharedStore.connect(REDIS_URL, key)
    opened = loaders._opened(loaders.decode_item)
    try:
        for size in SIZES:
            item = replace(base, transactions=many(base.transactions, size))
            identity = f"bench-item-{size}"
            store.put(Kind.ITEM, identity, stamped(loaders.now(), encode_item(item)), 600)
            stored = client.get(SharedKeys(key).name(Kind.ITEM, identity)) or b""

            @st.cache_data(ttl=300, max_entries=1, show_spinner=False)
            def cached(size: int, _item: object) -> object:
                return _item

            cached(size, item)

            def in_process(size: int = size, item: object = item) -> object:
                return cached(size, item)

            def from_redis(identity: str = identity) -> object:
                found = store.get(Kind.ITEM, identity, opened)
                if found is None:
                    raise RuntimeError("the benchmark's Redis entry did not open")
                return found

            process_ms, redis_ms = alternate(in_process, from_redis, RUNS)
            pickled = len(pickle.dumps(item))
            label = f"{size:>7,} transactions"
            add(Row(group, f"{label}: in-process", "ms", process_ms, note=kb(pickled, "pickled")))
            row = Row(group, f"{label}: Redis", "ms", redis_ms, note=kb(len(stored), "in Redis"))
            ratio = statistics.median(redis_ms) / statistics.median(process_ms)
            if size == max(SIZES):
                judge(row, ratio, 2.0, "Redis <= 2x in-process")
            else:
                row.ratio = ratio
            add(row)
            cached.clear()
            store.delete(Kind.ITEM, identity)
    finally:
        store.close()


def many(transactions: tuple[Any, ...], size: int) -> tuple[Any, ...]:
    """``size`` transactions: renamed copies of the demo item's."""
    return tuple(
        replace(t, transaction_id=f"{t.transaction_id}-{n // len(transactions)}")
        for n, t in zip(range(size), _cycle(transactions), strict=False)
    )


def _cycle(values: tuple[Any, ...]) -> Iterator[Any]:
    while True:
        yield from values


def kb(size: int, what: str) -> str:
    return f"{size / 1024:,.0f} KB {what}"
