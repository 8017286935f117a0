"""Traditional mode, on SQLite and PostgreSQL: a verified SYNC_UPDATES_AVAILABLE about a bank a
person linked is fetched in the background from the cursor kept in the database, and what it
brought is kept, so the person's next run shows the new transaction (pages and History) with
no call to Plaid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import streamlit as st

from integrations.plaid.webhooks import parse_event
from services.runtime import keeping, loaders, webhook_events
from services.runtime.identity import local_visitor
from services.runtime.settings import current_settings, parse_settings
from services.storage.store import HistoryStore
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.database_rows import rows_of_person
from tests.support.databases import HISTORY_KEY
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_page import connect_pasted

SYNC = "/transactions/sync"
NEW_MERCHANT = "Kept Webhook Bakery"


@pytest.fixture
def kept(
    plaid_env: PlaidDouble, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A run of this machine keeping its owner's history in ``history_url``; no operator bank."""
    monkeypatch.setenv("DATABASE_URL", history_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", HISTORY_KEY)
    yield history_url
    assert keeping.await_retention(30)  # its worker is done with the database
    st.cache_resource.clear()  # the store's engine, before its database goes


def person() -> str:
    visitor = local_visitor(parse_settings({"TOKEN_ENCRYPTION_KEY": HISTORY_KEY}), None, None)
    return HistoryStore.open("sqlite:///unused.db", [HISTORY_KEY]).person_key(visitor.key)


def sync_updates(double: PlaidDouble, token: str) -> bytes:
    body = {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "item_id": double.item_id(token),
    }
    return json.dumps(body).encode()


def test_a_sync_update_is_kept_in_the_background_and_shown_without_a_call(
    kept: str, plaid_env: PlaidDouble
) -> None:
    client = plaid_env.client()
    mine = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    at = app_test().run()
    connect_pasted(at, mine)
    at.switch_page("pages/transactions.py").run()
    assert NEW_MERCHANT.upper() not in set(at.dataframe[0].value["name"])
    syncs = len(plaid_env.calls(SYNC))

    first = plaid_env.sync_pages(mine)[0]["added"][0]
    bought = {
        **first, "transaction_id": "kept-by-webhook", "pending_transaction_id": None,
        "pending": False, "merchant_name": NEW_MERCHANT, "name": NEW_MERCHANT.upper(),
        "amount": 4.75, "date": TODAY.isoformat(), "authorized_date": TODAY.isoformat(),
    }  # fmt: skip
    plaid_env.post_update(mine, added=[bought])
    webhook_events.apply(current_settings(), parse_event(sync_updates(plaid_env, mine)))

    assert len(plaid_env.calls(SYNC)) == syncs + 1  # one request, from the kept cursor
    kept_rows = rows_of_person(kept, person())["transactions"]
    assert [r["amount"] for r in kept_rows if r["transaction_id"] == "kept-by-webhook"] == [4.75]

    calls = len(plaid_env.requests)
    at.run()  # the person's next run
    assert not at.exception, [e.value for e in at.exception]
    assert NEW_MERCHANT.upper() in set(at.dataframe[0].value["name"])
    at.switch_page("pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/overview.py").run()
    assert len(plaid_env.requests) == calls  # no call to Plaid: the worker's fetch served


def test_a_sync_update_about_a_bank_nobody_keeps_fetches_nothing(
    kept: str, plaid_env: PlaidDouble
) -> None:
    token = plaid_env.demo_tokens()[0]
    webhook_events.apply(current_settings(), parse_event(sync_updates(plaid_env, token)))
    assert plaid_env.calls(SYNC) == []


def test_a_sync_update_at_8pm_in_new_york_keeps_no_day_of_tomorrow(
    kept: str, plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 20:00 in New York it is already tomorrow in UTC. The worker does not know the
    person's zone: it keeps the transactions, and leaves the day's balances to the person's
    own runs, so History never shows a day they have not reached (nor, in Tokyo, rewrites
    yesterday's)."""
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert now.astimezone(zone).date() == TODAY != now.date()
    monkeypatch.delenv("AS_OF_DATE")
    monkeypatch.setattr(loaders, "now", lambda: now)
    client = plaid_env.client()
    mine = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    at = app_test()
    at.context = {"timezone": "America/New_York"}
    at.run()
    connect_pasted(at, mine)
    assert not at.exception, [e.value for e in at.exception]
    days = {row["day"] for row in rows_of_person(kept, person())["account_days"]}
    assert days == {TODAY}  # the person's own run kept their Nov 30

    first = plaid_env.sync_pages(mine)[0]["added"][0]
    bought = {
        **first, "transaction_id": "kept-at-8pm", "pending_transaction_id": None,
        "pending": False, "amount": 12.5, "date": TODAY.isoformat(),
        "authorized_date": TODAY.isoformat(),
    }  # fmt: skip
    plaid_env.post_update(mine, added=[bought])
    webhook_events.apply(current_settings(), parse_event(sync_updates(plaid_env, mine)))

    rows = rows_of_person(kept, person())
    assert [r["amount"] for r in rows["transactions"] if r["transaction_id"] == "kept-at-8pm"] == [
        12.5
    ]
    assert {row["day"] for row in rows["account_days"]} == {TODAY}  # no Dec 1
