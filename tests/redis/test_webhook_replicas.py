"""Plaid's webhooks in hybrid mode, across replicas: a webhook accepted by replica A (a process
of its own, ``tests/support/webhook_replica.py``) reaches replica B through Redis. B's next
run fetches the bank again from the kept cursor (one sync call) and shows the new transaction;
B's overview says what the webhook said; the same call sent to B is refused as a replay. With
Redis down each replica goes on alone, and says so once in its log.

Against the machine's Redis on a database of these tests' own (``WEBHOOK_REDIS_URL``, default
database 8), emptied before and after each test."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import streamlit as st
from cryptography.fernet import Fernet
from streamlit.testing.v1 import AppTest

from integrations.plaid.webhooks import WebhookVerificationError, parse_event
from services.runtime import last_good, webhook_events
from services.runtime.settings import current_settings
from services.runtime.shared_keys import SharedKeys
from services.runtime.shared_store import ITEM_NEWS, ITEM_VERSION, Kind
from tests.support.apps import ROOT, app_test
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_page import connect_pasted

WEBHOOK_REDIS_URL = os.environ.get("WEBHOOK_REDIS_URL", "redis://127.0.0.1:6379/8")
NEW_MERCHANT = "Replica Corner Cafe"
LOGIN_NEEDED = "needs you to sign in again"


@pytest.fixture
def shared_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(WEBHOOK_REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    with client:
        try:
            client.ping()
        except (redis.RedisError, OSError):
            pytest.skip(f"Redis is not reachable at {WEBHOOK_REDIS_URL} (set WEBHOOK_REDIS_URL)")
        client.flushdb()
        monkeypatch.setenv("REDIS_URL", WEBHOOK_REDIS_URL)
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
        try:
            yield client
        finally:
            client.flushdb()


@pytest.fixture
def persons_bank(plaid_env: PlaidDouble) -> str:
    """A bank a person links themselves (their token, not the operator's)."""
    client = plaid_env.client()
    return client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))


def this_process_becomes_another_replica() -> None:
    """What replica B starts with: none of this process's caches, inbox or memory of
    webhooks; only the configuration (the same REDIS_URL and TOKEN_ENCRYPTION_KEY)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    last_good.forget_all_items()


def replica_a_takes(headers: dict[str, str], body: bytes) -> str:
    """Replica A, a process of its own, is sent the webhook."""
    call = json.dumps({"headers": headers, "body": body.decode()})
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.webhook_replica"],
        input=call,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=120,
        check=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.strip().splitlines()[-1]


def webhook(double: PlaidDouble, token: str, code: str, **extra: object) -> dict[str, object]:
    kind = "TRANSACTIONS" if code == "SYNC_UPDATES_AVAILABLE" else "ITEM"
    return {"webhook_type": kind, "webhook_code": code, "item_id": double.item_id(token), **extra}


def new_transaction(double: PlaidDouble, token: str) -> dict[str, object]:
    first = double.sync_pages(token)[0]["added"][0]
    return {
        **first,
        "transaction_id": "txn-replica-1",
        "pending_transaction_id": None,
        "pending": False,
        "merchant_name": NEW_MERCHANT,
        "name": NEW_MERCHANT.upper(),
        "amount": 7.25,
        "date": TODAY.isoformat(),
        "authorized_date": TODAY.isoformat(),
    }


def syncs(double: PlaidDouble) -> int:
    return len(double.calls("/transactions/sync"))


def said(at: AppTest) -> list[str]:
    return [a.value for a in (*at.error, *at.warning, *at.info)]


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on this machine where nothing listens (held bound, never listening)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def replica_b_session(token: str) -> AppTest:
    """A person's session on replica B, holding their bank (linked on Setup)."""
    at = app_test().run()
    connect_pasted(at, token)
    return at


def test_a_sync_update_accepted_by_one_replica_is_fetched_by_the_other_on_its_next_run(
    plaid_env: PlaidDouble, shared_redis: redis.Redis, persons_bank: str
) -> None:
    double, token = plaid_env, persons_bank
    at = replica_b_session(token)
    at.switch_page("pages/transactions.py").run()
    assert NEW_MERCHANT.upper() not in set(at.dataframe[0].value["name"])
    keys = SharedKeys(os.environ["TOKEN_ENCRYPTION_KEY"])
    assert shared_redis.exists(keys.name(Kind.ITEM, token))

    double.post_update(token, added=[new_transaction(double, token)])
    headers, body = double.signed_webhook(webhook(double, token, "SYNC_UPDATES_AVAILABLE"))
    before = syncs(double)
    assert replica_a_takes(headers, body) == "accepted"

    # A had no copy of the bank and no token: it moved the bank's version and dropped its
    # shared data for everyone, under keyed names only.
    assert not shared_redis.exists(keys.name(Kind.ITEM, token))
    version = keys.name(ITEM_VERSION, double.item_id(token))
    assert shared_redis.get(version) == b"1"
    assert syncs(double) == before
    assert double.item_id(token).encode() not in b"".join(shared_redis.keys("*"))

    at.run()  # B's next run: its own copy is let go, the bank fetched from the kept cursor
    assert not at.exception, [e.value for e in at.exception]
    assert syncs(double) == before + 1
    assert NEW_MERCHANT.upper() in set(at.dataframe[0].value["name"])
    assert shared_redis.exists(keys.name(Kind.ITEM, token))  # and shared again

    at.run()
    assert syncs(double) == before + 1  # nothing more to fetch

    with pytest.raises(WebhookVerificationError) as replayed:  # the same call, sent to B
        webhook_events.verifier(current_settings()).verify(headers["Plaid-Verification"], body)
    assert replayed.value.code == "REPLAYED"


def test_a_replica_that_never_held_the_bank_fetches_it_fresh_after_the_webhook(
    plaid_env: PlaidDouble, shared_redis: redis.Redis, persons_bank: str
) -> None:
    double, token = plaid_env, persons_bank
    replica_b_session(token)
    double.post_update(token, added=[new_transaction(double, token)])
    headers, body = double.signed_webhook(webhook(double, token, "SYNC_UPDATES_AVAILABLE"))
    assert replica_a_takes(headers, body) == "accepted"

    this_process_becomes_another_replica()  # replica C: nothing of the bank in memory
    at = replica_b_session(token)
    at.switch_page("pages/transactions.py").run()
    assert NEW_MERCHANT.upper() in set(at.dataframe[0].value["name"])


def test_bank_news_from_one_replica_shows_on_the_other_until_the_login_is_repaired(
    plaid_env: PlaidDouble, shared_redis: redis.Redis, persons_bank: str
) -> None:
    double, token = plaid_env, persons_bank
    at = replica_b_session(token)
    at.switch_page("pages/overview.py").run()
    assert not any(LOGIN_NEEDED in text for text in said(at))

    error = {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"}
    login_required = webhook(double, token, "ERROR", error=error)
    assert replica_a_takes(*double.signed_webhook(login_required)) == "accepted"
    at.run()
    assert [text for text in said(at) if LOGIN_NEEDED in text], said(at)
    news = SharedKeys(os.environ["TOKEN_ENCRYPTION_KEY"]).name(ITEM_NEWS, double.item_id(token))
    assert shared_redis.hkeys(news) == [b"login_required"]  # a kind word; its moment sealed
    assert all(value.startswith(b"gAAAAA") for value in shared_redis.hvals(news))

    repaired = webhook(double, token, "LOGIN_REPAIRED")
    assert replica_a_takes(*double.signed_webhook(repaired)) == "accepted"
    at.run()
    assert not any(LOGIN_NEEDED in text for text in said(at))


def test_with_redis_down_each_replica_keeps_its_webhooks_and_says_so_once(
    plaid_env: PlaidDouble,
    persons_bank: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    double, token = plaid_env, persons_bank
    with closed_port() as port:
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/8")
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
        at = replica_b_session(token)
        at.switch_page("pages/overview.py").run()
        caplog.set_level(logging.INFO)
        settings = current_settings()
        error = {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"}
        headers, body = double.signed_webhook(webhook(double, token, "ERROR", error=error))
        check = webhook_events.verifier(settings)
        check.verify(headers["Plaid-Verification"], body)
        with pytest.raises(WebhookVerificationError):  # replays still refused, from memory
            check.verify(headers["Plaid-Verification"], body)
        for code in ("ERROR", "PENDING_DISCONNECT"):
            event = webhook(double, token, code, error=error)
            webhook_events.apply(settings, parse_event(json.dumps(event).encode()))
        at.run()
    assert not at.exception
    assert [text for text in said(at) if LOGIN_NEEDED in text], said(at)
    alone = [r for r in caplog.records if "webhooks reach this replica only" in r.getMessage()]
    assert len(alone) == 1
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text
