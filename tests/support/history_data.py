"""A small, readable history for the history store's tests (and a process that dies half-way
through writing a sync, for the crash test).

``python -m tests.support.history_data <url> <key> <identity>`` applies ``SECOND_SYNC`` on top
of what the store holds, prints ``half-way`` once the first new transaction is written inside
the open database transaction, and then waits on its stdin for ever: the test kills it there.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from typing import Any

from integrations.models import Account, Institution, SyncState, Transaction
from services.analytics.trends import AccountDay, ScoreReading

ITEM = "item-canary-bank"
INSTITUTION = Institution("ins_109508", "First Platypus Bank")
CARD = Account("acc-card", ITEM, "Platypus Rewards", "Platypus Rewards Visa", "4242", "credit",
               "credit card", 512.25, None, 3000.0, "USD")  # fmt: skip
CHECKING = Account("acc-checking", ITEM, "Everyday Checking", None, "0001", "depository",
                   "checking", 2100.0, 2050.0, None, "USD")  # fmt: skip


def transaction(
    transaction_id: str,
    amount: float,
    day: date,
    name: str = "Blue Bottle Coffee",
    *,
    account_id: str = CARD.account_id,
    pending: bool = False,
    pending_transaction_id: str | None = None,
) -> Transaction:
    return Transaction(
        transaction_id=transaction_id,
        account_id=account_id,
        amount=amount,
        currency="USD",
        date=day,
        authorized_date=day,
        name=name,
        merchant_name=name.split(" #")[0],
        pending=pending,
        pending_transaction_id=pending_transaction_id,
        category="FOOD_AND_DRINK",
        category_detailed="FOOD_AND_DRINK_COFFEE",
        payment_channel="in store",
    )


COFFEE = transaction("tx-coffee", 4.75, date(2026, 11, 2))
RENT = transaction("tx-rent", 1850.0, date(2026, 11, 1), "Rent", account_id="acc-checking")
GROCER_PENDING = transaction("tx-grocer-pending", 82.1, date(2026, 11, 20), "Trader Joe #552",
                             pending=True)  # fmt: skip
FIRST_SYNC = SyncState("cursor-1", (RENT, COFFEE, GROCER_PENDING), INSTITUTION)

# The second page of changes: the pending grocery posted (Plaid removes the pending one and
# adds the posted one pointing at it), the coffee's amount corrected, a refund added.
GROCER_POSTED = transaction("tx-grocer", 82.1, date(2026, 11, 21), "Trader Joe #552",
                            pending_transaction_id="tx-grocer-pending")  # fmt: skip
COFFEE_CORRECTED = transaction("tx-coffee", 5.25, date(2026, 11, 2))
REFUND = transaction("tx-refund", -19.99, date(2026, 11, 25), "=HYPERLINK(refund)")
SECOND_SYNC = SyncState("cursor-2", (RENT, COFFEE_CORRECTED, GROCER_POSTED, REFUND), INSTITUTION)


def account_day(account: Account, day: date, balance: float) -> AccountDay:
    return AccountDay(
        day=day,
        account_id=account.account_id,
        item_id=account.item_id,
        bank=INSTITUTION.name,
        name=account.name,
        mask=account.mask,
        kind="card" if account.is_credit_card else "depository",
        currency=account.currency,
        balance=balance,
        limit=account.limit,
        statement_balance=400.0 if account.is_credit_card else None,
        minimum_payment=35.0 if account.is_credit_card else None,
        next_payment_due=date(2026, 12, 18) if account.is_credit_card else None,
    )


def readings(day: date, score: int) -> tuple[ScoreReading, ...]:
    return (ScoreReading(day, "VantageScore 3.0", score), ScoreReading(day, "FICO 8", score + 9))


PULLED_AT = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)


def _die_half_way(url: str, key: str, identity: str) -> None:
    from services.storage import store as store_module

    written = store_module._upsert_transactions

    def first_row_then_wait(connection: Any, person: str, item_id: str, rows: Any) -> None:
        written(connection, person, item_id, rows[:1])
        print("half-way", flush=True)
        sys.stdin.read()  # killed here, inside the open transaction

    store_module._upsert_transactions = first_row_then_wait
    store = store_module.HistoryStore.open(url, [key])
    person = store.person_key(identity)
    store.apply_sync(person, ITEM, store.kept_sync(person, ITEM), SECOND_SYNC, [CARD, CHECKING])


if __name__ == "__main__":
    _die_half_way(*sys.argv[1:4])
