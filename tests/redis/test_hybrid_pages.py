"""Hybrid mode end to end in AppTest: the loaders ask the shared store on an in-process miss,
so another process (simulated by clearing Streamlit's caches) serves the same figures with no
upstream call; Disconnect, Refresh and "Remove my details" reach Redis; a pull and a refresh are
counted there for every replica; a Redis that is down changes nothing a person sees.

Against the machine's Redis on a database of these tests' own (``HYBRID_REDIS_URL``, default
database 12). Each test seals under a key of its own, so tests running at once never see each
other's entries, and deletes what it wrote by name afterwards."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
import redis
import responses
import streamlit as st
from cryptography.fernet import Fernet
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from integrations.experian.client import Applicant
from services.runtime import last_good, loaders
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.identity import local_visitor
from services.runtime.settings import applicant_json, parse_settings
from services.runtime.shared_keys import SharedKeys
from services.runtime.shared_store import Kind, pull_count_names, refresh_name
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.experian_support import (
    BEARER,
    CLIENT_SECRET,
    DOB,
    PASSWORD,
    SSN,
    answer_with_report,
    report_calls,
    seeded,
)
from tests.support.experian_support import KEY as EXPERIAN_KEY
from tests.support.plaid_double import PlaidDouble
from tests.support.redis_canaries import (
    Canary,
    CanaryScan,
    applicant_canaries,
    plaid_canaries,
    scan_for_canaries,
)
from tests.support.redis_server import RedisServer
from tests.support.setup_page import connect_pasted, disconnect_first_bank

HYBRID_REDIS_URL = os.environ.get("HYBRID_REDIS_URL", "redis://127.0.0.1:6379/12")
AUDIT = "credit_monitor.audit"
APPLICANT_FIELDS = {
    "first_name": "JORDAN", "middle_name": "Q", "last_name": "DEMOPERSON",
    "generation_code": None, "dob": DOB, "ssn": SSN, "line1": "1420 LARKSPUR LN",
    "line2": None, "city": "SPRINGFIELD", "state": "IL", "zip_code": "62704",
}  # fmt: skip


class Hybrid:
    """The Redis these tests share, as anyone with access to it sees it, and the names this
    test's key gives an identity's entries."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client, self.key = client, key
        self.names = SharedKeys(key)
        self.identities: set[str] = set()

    def name(self, kind: Kind, identity: str) -> str:
        self.identities.add(identity)
        return self.names.name(kind, identity)

    def holds(self, kind: Kind, identity: str) -> bool:
        return bool(self.client.exists(self.name(kind, identity)))

    def every_name(self, identity: str) -> list[str]:
        kinds = [str(kind) for kind in Kind] + [f"lock-{kind}" for kind in Kind] + ["forgotten"]
        return [self.names.name(kind, identity) for kind in kinds]

    def scan(self, canaries: list[Canary]) -> CanaryScan:
        """Every entry this test's identities have in Redis, searched for the canaries (the
        database is shared with other tests, so only this test's names are read)."""
        names = [n for identity in self.identities for n in self.every_name(identity)]
        return scan_for_canaries(self.client, [*canaries, Canary("the key", self.key)], names)

    def limit_names(self) -> list[str]:
        """Today's pull counts (the person's, the deployment's) and the refresh interval of
        the person AppTest runs as: a visitor on this machine."""
        person = local_visitor(parse_settings({"TOKEN_ENCRYPTION_KEY": self.key}), None, None).key
        return [*pull_count_names(self.names, person, TODAY), refresh_name(self.names, person)]


def _reachable(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def hybrid_with(monkeypatch: pytest.MonkeyPatch, key: str) -> Iterator[Hybrid]:
    client = redis.Redis.from_url(HYBRID_REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    with client:
        if not _reachable(client):
            pytest.skip(f"Redis is not reachable at {HYBRID_REDIS_URL} (set HYBRID_REDIS_URL)")
        monkeypatch.setenv("REDIS_URL", HYBRID_REDIS_URL)
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", key)
        hybrid = Hybrid(client, key)
        try:
            yield hybrid
        finally:
            names = [n for identity in hybrid.identities for n in hybrid.every_name(identity)]
            client.delete(*names, *hybrid.limit_names())


@pytest.fixture
def operator_banks(plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch) -> PlaidDouble:
    """The operator's two demo items, configured in PLAID_ACCESS_TOKEN."""
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    return plaid_env


@pytest.fixture
def hybrid(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hybrid]:
    yield from hybrid_with(monkeypatch, Fernet.generate_key().decode())


@pytest.fixture
def hybrid_experian(
    monkeypatch: pytest.MonkeyPatch, experian: responses.RequestsMock
) -> Iterator[Hybrid]:
    """With the Experian fixture's key: its sessions hold details sealed under it."""
    yield from hybrid_with(monkeypatch, EXPERIAN_KEY)


def another_process() -> None:
    """What a second replica starts with: none of this process's caches or last good
    fetches; only the configuration (the same REDIS_URL and TOKEN_ENCRYPTION_KEY)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    last_good.forget_all_items()


def start(page: str | None = None) -> AppTest:
    at = app_test().run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def item_gets(double: PlaidDouble) -> int:
    return len(double.calls("/item/get"))


def test_another_process_serves_the_banks_from_redis_without_asking_plaid(
    operator_banks: PlaidDouble, hybrid: Hybrid
) -> None:
    plaid_env = operator_banks
    first = start()
    cold = len(plaid_env.requests)
    assert cold > 0
    assert item_gets(plaid_env) == 2
    shown = figures(first)
    assert "Overall utilization" in shown
    for token in plaid_env.demo_tokens():
        assert hybrid.holds(Kind.ITEM, token)
        assert hybrid.holds(Kind.SYNC, token)

    scan = hybrid.scan(plaid_canaries(plaid_env))  # no token, secret or name in Redis
    assert scan.keys == 4  # each bank's data and its sync state
    assert scan.said() == []

    another_process()
    second = start()
    assert len(plaid_env.requests) == cold  # zero Plaid calls: every item came from Redis
    assert figures(second) == shown
    assert {c.label for c in second.session_state["plaid_items"]} == {
        "Harborline Bank",
        "Juniper Card Services",
    }


def test_refresh_fetches_again_rather_than_take_redis(
    operator_banks: PlaidDouble, hybrid: Hybrid
) -> None:
    plaid_env = operator_banks
    at = start()
    assert item_gets(plaid_env) == 2
    at.sidebar.button(key="refresh_data").click().run()
    assert not at.exception
    assert item_gets(plaid_env) == 4  # not served from Redis: Refresh deleted the entries
    for token in plaid_env.demo_tokens():
        assert hybrid.holds(Kind.ITEM, token)  # and the new fetch is shared again
    *_, interval = hybrid.limit_names()
    assert hybrid.client.pttl(interval) > 0  # the next refresh waits, on every replica


def sync_calls(double: PlaidDouble) -> int:
    return len(double.calls("/transactions/sync"))


def test_after_the_ttl_a_replica_syncs_only_what_changed_from_the_kept_cursor(
    operator_banks: PlaidDouble, hybrid: Hybrid, downloads: dict[str, pd.DataFrame]
) -> None:
    plaid_env = operator_banks
    start()
    full = sync_calls(plaid_env)
    assert full > 4  # the whole history of both items, several pages each
    tokens = plaid_env.demo_tokens()
    assert all(hybrid.holds(Kind.SYNC, token) for token in tokens)
    first = plaid_env.sync_pages(tokens[0])[0]["added"][0]
    bought = {**first, "transaction_id": "after-the-ttl", "name": "Corner Bakery", "amount": 7.25}
    plaid_env.post_update(tokens[0], added=[bought])

    # The TTL runs out: every replica's copy of the data is gone, the sync state stays.
    another_process()
    hybrid.client.delete(*(hybrid.name(Kind.ITEM, token) for token in tokens))
    start("pages/transactions.py")

    assert sync_calls(plaid_env) == full + 2  # one request per item, from its kept cursor
    shown = downloads["tx_csv"]  # the page's whole view (the table draws its newest page)
    assert "Corner Bakery" in set(shown["name"])
    assert shown["transaction_id"].is_unique


def test_a_replica_serves_what_another_fetched_no_longer_than_the_ttl_from_that_fetch(
    operator_banks: PlaidDouble, hybrid: Hybrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    plaid_env = operator_banks
    start()
    fetched_at = loaders.now()
    calls = item_gets(plaid_env)
    ttl = timedelta(seconds=loaders.CACHE_TTL_SECONDS)

    # Another replica reads the entries a second before they expire in Redis...
    another_process()
    monkeypatch.setattr(loaders, "now", lambda: fetched_at + ttl - timedelta(seconds=1))
    start()
    assert item_gets(plaid_env) == calls
    # ...and two seconds later, when Redis has let them go, does not serve its copy.
    hybrid.client.delete(*(hybrid.name(Kind.ITEM, t) for t in plaid_env.demo_tokens()))
    monkeypatch.setattr(loaders, "now", lambda: fetched_at + ttl + timedelta(seconds=1))
    start()
    assert item_gets(plaid_env) == calls + 2


def test_disconnect_removes_the_items_entries_from_redis(
    plaid_env: PlaidDouble, hybrid: Hybrid
) -> None:
    client = plaid_env.client()
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    at = start()
    connect_pasted(at, token)
    assert hybrid.holds(Kind.ITEM, token)
    at.run()  # the list of connections above the form was drawn before it connected
    disconnect_first_bank(at)
    assert not at.exception
    assert at.session_state["plaid_items"] == []
    assert not hybrid.holds(Kind.ITEM, token)


def test_removing_an_operators_bank_from_the_session_forgets_it_in_redis(
    operator_banks: PlaidDouble, hybrid: Hybrid
) -> None:
    at = start("pages/setup.py")
    tokens = operator_banks.demo_tokens()
    assert all(hybrid.holds(Kind.ITEM, token) for token in tokens)
    at.button(key=f"disconnect-{keyed_item(tokens[0])}").click().run()
    assert not at.exception
    assert not hybrid.holds(Kind.ITEM, tokens[0])
    assert hybrid.holds(Kind.ITEM, tokens[1])


def test_a_report_pulled_once_is_served_to_another_process_without_a_pull(
    hybrid_experian: Hybrid, experian: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT)
    answer_with_report(experian)
    first = seeded("pages/credit_report.py")
    assert not first.exception
    assert report_calls(experian) == 1
    shown = figures(first)
    assert "Credit score" in shown
    identity = applicant_json(Applicant.create(**APPLICANT_FIELDS))
    assert hybrid_experian.holds(Kind.REPORT, identity)
    credentials = [
        Canary("EXPERIAN_PASSWORD", PASSWORD),
        Canary("EXPERIAN_CLIENT_SECRET", CLIENT_SECRET),
        Canary("the bearer token", BEARER),
    ]
    details = applicant_canaries(APPLICANT_FIELDS, experian_demo_report(TODAY))
    scan = hybrid_experian.scan(credentials + details)  # nothing of either in Redis
    assert scan.keys == 1
    assert scan.said() == []

    another_process()
    caplog.clear()
    second = seeded("pages/credit_report.py")
    assert not second.exception
    assert report_calls(experian) == 1  # zero Experian calls
    assert figures(second) == shown
    theirs, everyone, _ = hybrid_experian.limit_names()
    assert hybrid_experian.client.mget(theirs, everyone) == [b"1", b"1"]  # one pull, shared
    audit = [r.getMessage() for r in caplog.records if r.name == AUDIT]
    assert not [line for line in audit if "credit_pull" in line]


def test_remove_my_details_forgets_the_report_in_redis(
    hybrid_experian: Hybrid, experian: responses.RequestsMock
) -> None:
    answer_with_report(experian)
    at = seeded("pages/credit_report.py")
    identity = applicant_json(Applicant.create(**APPLICANT_FIELDS))
    assert hybrid_experian.holds(Kind.REPORT, identity)
    at.switch_page("pages/setup.py").run()
    at.button(key="forget_applicant").click().run()
    assert not at.exception
    assert "experian_applicant" not in at.session_state
    assert not hybrid_experian.holds(Kind.REPORT, identity)


def test_a_failed_pull_is_not_shared(
    hybrid_experian: Hybrid, experian: responses.RequestsMock
) -> None:
    answer_with_report(experian, status=503, json={"errors": [{"errorCode": "1000"}]})
    at = seeded("pages/credit_report.py")
    assert not at.exception
    identity = applicant_json(Applicant.create(**APPLICANT_FIELDS))
    assert not hybrid_experian.holds(Kind.REPORT, identity)


def test_with_redis_down_pages_load_from_upstream(
    operator_banks: PlaidDouble,
    monkeypatch: pytest.MonkeyPatch,
    redis_server: RedisServer,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    plaid_env = operator_banks
    first = start()
    shown = figures(first)
    assert item_gets(plaid_env) == 2
    redis_server.stop()

    another_process()
    second = start()
    assert item_gets(plaid_env) == 4  # fetched upstream: nothing to share
    assert figures(second) == shown
    second.sidebar.button(key="refresh_data").click().run()  # app.py's sidebar: first run only
    assert not second.exception
    second.switch_page("pages/cards.py").run()
    assert not second.exception
    second.switch_page("pages/setup.py").run()
    second.button(key=f"disconnect-{keyed_item(plaid_env.demo_tokens()[0])}").click().run()
    assert not second.exception
    assert len(second.session_state["plaid_items"]) == 1


def sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_the_sidebar_and_setup_say_the_storage_mode(
    operator_banks: PlaidDouble, hybrid: Hybrid
) -> None:
    at = start()  # AppTest shows app.py's sidebar on a session's first run only
    assert "Shared cache: Redis" in sidebar_captions(at)
    assert not [w for w in at.sidebar.warning if "shared cache" in w.value.lower()]
    at.switch_page("pages/setup.py").run()
    assert any("Storage mode: **hybrid**" in c.value for c in at.caption)


def test_without_redis_url_the_app_says_it_is_stateless(operator_banks: PlaidDouble) -> None:
    at = start()
    assert "Shared cache: Redis" not in sidebar_captions(at)
    at.switch_page("pages/setup.py").run()
    assert any("Storage mode: **stateless**" in c.value for c in at.caption)


def test_a_redis_that_is_down_is_said_once_in_the_sidebar_and_on_setup(
    operator_banks: PlaidDouble, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    redis_server.stop()
    start()  # finds Redis down while loading
    at = start()
    assert "Shared cache: Redis" in sidebar_captions(at)
    said = [w.value for w in at.sidebar.warning if "hared cache unavailable" in w.value]
    assert len(said) == 1
    assert "serving from this process" in said[0]
    at.switch_page("pages/setup.py").run()
    assert any("Storage mode: **hybrid**" in c.value for c in at.caption)
    assert any("hared cache unavailable" in w.value for w in at.warning)
