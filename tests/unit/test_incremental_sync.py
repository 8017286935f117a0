"""Syncing an item from a kept cursor: only what changed is asked for, and applied."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from integrations.models import SyncState, Transaction
from tests.support.plaid_double import PlaidDouble

SYNC = "/transactions/sync"
PATHS = ("/item/get", SYNC, "/liabilities/get", "/accounts/get", "/institutions/get_by_id")


@pytest.fixture
def token(plaid_double: PlaidDouble) -> str:
    return plaid_double.demo_tokens()[0]


def first_page(double: PlaidDouble, token: str) -> dict[str, Any]:
    return double.sync_pages(token)[0]


def like(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(raw), **changes}


def by_id(transactions: tuple[Transaction, ...]) -> dict[str, Transaction]:
    return {t.transaction_id: t for t in transactions}


def test_a_kept_cursor_asks_only_for_what_changed_and_applies_it(
    plaid_double: PlaidDouble, token: str
) -> None:
    client = plaid_double.client()
    _, kept = client.fetch_item_since(token, None)
    full_sync_calls = len(plaid_double.calls(SYNC))
    assert full_sync_calls > 1, "the demo history should take several pages"
    template, changed, gone = first_page(plaid_double, token)["added"][:3]
    plaid_double.post_update(
        token,
        added=[like(template, transaction_id="new-coffee", amount=4.5, name="New Coffee")],
        modified=[like(changed, amount=changed["amount"] + 10)],
        removed=[gone["transaction_id"]],
    )

    data, state = client.fetch_item_since(token, kept)

    assert len(plaid_double.calls(SYNC)) == full_sync_calls + 1
    sent = plaid_double.calls(SYNC)[-1].body
    assert sent["cursor"] == kept.cursor
    now = by_id(data.transactions)
    assert now["new-coffee"].amount == 4.5
    assert now[changed["transaction_id"]].amount == pytest.approx(changed["amount"] + 10)
    assert gone["transaction_id"] not in now
    assert state.transactions == data.transactions
    assert state.cursor != kept.cursor
    # The same as a sync of the whole history would give today.
    assert now == by_id(client.fetch_item(token).transactions)


def test_an_item_with_little_news_costs_three_calls_and_shows_the_same_item(
    plaid_double: PlaidDouble, token: str
) -> None:
    client = plaid_double.client()
    whole, kept = client.fetch_item_since(token, None)
    before = {path: len(plaid_double.calls(path)) for path in PATHS}

    data, _ = client.fetch_item_since(token, kept)

    made = {path: len(plaid_double.calls(path)) - before[path] for path in PATHS}
    assert made == {
        "/item/get": 1, SYNC: 1, "/liabilities/get": 1,
        "/accounts/get": 0, "/institutions/get_by_id": 0,
    }  # fmt: skip
    # Balances from the sync's page, the bank's name kept: the same as a whole fetch.
    assert data.accounts == whole.accounts
    assert data.item == whole.item
    assert data.liabilities == whole.liabilities


def test_a_pending_charge_that_posts_is_replaced_not_doubled(
    plaid_double: PlaidDouble, token: str
) -> None:
    client = plaid_double.client()
    pending = like(
        first_page(plaid_double, token)["added"][0],
        transaction_id="pending-1", pending=True, amount=20.0,
    )  # fmt: skip
    plaid_double.post_update(token, added=[pending])
    _, kept = client.fetch_item_since(token, None)
    assert by_id(kept.transactions)["pending-1"].pending

    posted = like(
        pending, transaction_id="posted-1", pending=False, pending_transaction_id="pending-1"
    )
    plaid_double.post_update(token, added=[posted], removed=["pending-1"])
    data, _ = client.fetch_item_since(token, kept)

    now = by_id(data.transactions)
    assert "pending-1" not in now
    assert not now["posted-1"].pending
    assert now["posted-1"].amount == 20.0
    assert len(data.transactions) == len(kept.transactions)


def test_nothing_new_costs_one_sync_request_and_changes_nothing(
    plaid_double: PlaidDouble, token: str
) -> None:
    client = plaid_double.client()
    _, kept = client.fetch_item_since(token, None)
    before = len(plaid_double.calls(SYNC))

    data, state = client.fetch_item_since(token, kept)

    assert len(plaid_double.calls(SYNC)) == before + 1
    assert by_id(data.transactions) == by_id(kept.transactions)
    assert state.cursor == kept.cursor


def test_a_cursor_plaid_refuses_means_one_sync_from_the_start(
    plaid_double: PlaidDouble, token: str
) -> None:
    client = plaid_double.client()
    whole = by_id(client.fetch_item(token).transactions)
    stale = next(iter(whole.values()))
    ghost = Transaction(
        **{**{f: getattr(stale, f) for f in stale.__slots__}, "transaction_id": "ghost"}
    )
    kept = SyncState("a-cursor-from-another-life", (ghost,))

    data, state = client.fetch_item_since(token, kept)

    # The kept transactions came from a sync Plaid no longer continues: none of them stay.
    assert by_id(data.transactions) == whole
    assert state.cursor
    assert state.cursor != kept.cursor
