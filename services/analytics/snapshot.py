"""The financial snapshot: everything fetched for a user, with transactions as one frame.

The frame is built once per fetch (inside the cached loader) so that page reruns only filter
and aggregate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd

from integrations.common.errors import Action, UpstreamError
from integrations.models import (
    Account,
    CardLiability,
    Item,
    ItemData,
    LoanLiability,
    RecurringStream,
)
from services.analytics.money import with_money_flags

SnapshotSource = Literal["demo", "plaid"]

TRANSACTION_COLUMNS = (
    "transaction_id",
    "date",
    "authorized_date",
    "name",
    "merchant",
    "amount",
    "currency",
    "pending",
    "pending_transaction_id",
    "category",
    "category_detailed",
    "payment_channel",
    "account_id",
    "account",
    "account_type",
    "institution",
    "item_id",
)


@dataclass(frozen=True)
class ItemProblem:
    """Why one item's data could not be fetched, and what the person can do."""

    item_key: str
    code: str
    error_type: str
    message: str
    action: Action
    request_id: str | None = None
    stale_since: datetime | None = None  # set when older data of this item is still shown
    institution: str | None = None  # the bank's name, when Plaid still told us (to name it)


def problem_from(item_key: str, error: UpstreamError) -> ItemProblem:
    return ItemProblem(
        item_key=item_key,
        code=error.code,
        error_type=error.error_type,
        message=error.user_message,
        action=error.action,
        request_id=error.request_id,
        institution=error.institution_name,
    )


@dataclass(frozen=True)
class FinancialSnapshot:
    source: SnapshotSource
    fetched_at: datetime
    items: tuple[Item, ...]
    accounts: tuple[Account, ...]
    liabilities: tuple[CardLiability, ...]
    transactions: pd.DataFrame
    problems: tuple[ItemProblem, ...] = ()  # one per item that could not be fetched
    notes: tuple[tuple[str, str], ...] = ()  # (institution, what it does not share)
    version: str = ""  # changes whenever any of the data behind it was fetched again
    loans: tuple[LoanLiability, ...] = ()  # student loans and mortgages, balances on accounts
    # Plaid's recurring streams, and the items they cover (the app detects the others').
    recurring: tuple[RecurringStream, ...] = ()
    recurring_items: frozenset[str] = frozenset()
    # The banks whose transactions are still on their way, by item key, with how far each
    # had come (0: nothing yet, 1: its accounts and liabilities, which this snapshot holds).
    # Only ``bank_data.snapshot(early=True)`` makes such a partial snapshot.
    syncing: tuple[tuple[str, int], ...] = ()

    @property
    def cards(self) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.is_credit_card)

    def institution_of(self, item_id: str) -> str:
        return next(
            (i.institution.name for i in self.items if i.item_id == item_id), "Unknown institution"
        )


def transactions_frame(item_data: Sequence[ItemData]) -> pd.DataFrame:
    """One row per transaction across every item, with account and institution names."""
    rows = []
    for data in item_data:
        accounts = {a.account_id: a for a in data.accounts}
        institution = data.item.institution.name
        for t in data.transactions:
            account = accounts.get(t.account_id)
            rows.append(
                (
                    t.transaction_id,
                    t.date,
                    t.authorized_date,
                    t.name,
                    t.merchant_name,
                    t.amount,
                    t.currency,
                    t.pending,
                    t.pending_transaction_id,
                    t.category or "UNCATEGORIZED",
                    t.category_detailed or "UNCATEGORIZED",
                    t.payment_channel,
                    t.account_id,
                    account.display_name if account else "Unknown account",
                    account.type if account else "other",
                    institution,
                    data.item.item_id,
                )
            )
    frame = pd.DataFrame.from_records(rows, columns=list(TRANSACTION_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    frame["authorized_date"] = pd.to_datetime(frame["authorized_date"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["pending"] = frame["pending"].astype(bool)
    for column in ("currency", "category", "category_detailed", "account", "institution"):
        frame[column] = frame[column].astype("category")
    order = ["date", "transaction_id"]
    frame = frame.sort_values(order, ascending=[False, True], ignore_index=True)
    return with_money_flags(frame)


def build_snapshot(
    item_data: Sequence[ItemData], source: SnapshotSource, fetched_at: datetime
) -> FinancialSnapshot:
    return FinancialSnapshot(
        source=source,
        fetched_at=fetched_at,
        items=tuple(d.item for d in item_data),
        accounts=tuple(a for d in item_data for a in d.accounts),
        liabilities=tuple(li for d in item_data for li in d.liabilities),
        transactions=transactions_frame(item_data),
        notes=tuple((d.item.institution.name, note) for d in item_data for note in d.notes),
        loans=tuple(loan for d in item_data for loan in d.loans),
        recurring=tuple(s for d in item_data if d.recurring_from_plaid for s in d.recurring),
        recurring_items=frozenset(d.item.item_id for d in item_data if d.recurring_from_plaid),
    )
