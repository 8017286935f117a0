"""Money semantics, in one place.

Plaid amounts are positive when money leaves the account. Spending is money out to merchants:
income, transfers and loan (card) payments are not spending, refunds (negative amounts in a
spending category) reduce it, a pending transaction that has posted is counted once, and
amounts are only ever summed within one currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

NOT_SPENDING = frozenset({"INCOME", "TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS"})
INCOME = "INCOME"


def without_superseded_pending(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop pending rows whose posted twin is also present, so nothing is counted twice."""
    posted_from = frame.loc[~frame["pending"], "pending_transaction_id"].dropna()
    superseded = frame["pending"] & frame["transaction_id"].isin(posted_from)
    return frame[~superseded] if superseded.any() else frame


def settled_view(frame: pd.DataFrame, *, include_pending: bool = True) -> pd.DataFrame:
    frame = without_superseded_pending(frame)
    return frame if include_pending else frame[~frame["pending"]]


def spending_rows(frame: pd.DataFrame, *, include_pending: bool = True) -> pd.DataFrame:
    view = settled_view(frame, include_pending=include_pending)
    return view[~view["category"].isin(NOT_SPENDING)]


def income_rows(frame: pd.DataFrame, *, include_pending: bool = True) -> pd.DataFrame:
    view = settled_view(frame, include_pending=include_pending)
    return view[view["category"] == INCOME]


def between(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Rows dated from ``start`` to ``end``, both included."""
    dates = frame["date"]
    return frame[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]


def totals_by_currency(rows: pd.DataFrame) -> dict[str, float]:
    """Sum of ``amount`` per currency; never one figure across currencies."""
    if rows.empty:
        return {}
    sums = rows.groupby("currency", observed=True)["amount"].sum()
    return {str(currency): float(total) for currency, total in sums.items()}


def spending_by_currency(
    frame: pd.DataFrame, start: date, end: date, *, include_pending: bool = True
) -> dict[str, float]:
    spending = spending_rows(frame, include_pending=include_pending)
    return totals_by_currency(between(spending, start, end))


def main_currency(frame: pd.DataFrame, fallback: str = "USD") -> str:
    """The currency most transactions are in: the one headline figures are shown in."""
    if frame.empty:
        return fallback
    return str(frame["currency"].value_counts().idxmax())


def other_currencies(totals: Mapping[str, float], main: str) -> dict[str, float]:
    return {c: v for c, v in totals.items() if c != main and round(v, 2) != 0}
