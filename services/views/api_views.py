"""What the JSON API answers, built from the same figures the pages show (pure, no Streamlit).

Money keeps its currency code: an amount is always beside its ``currency``, and a total is a
mapping of currency code to amount, never one figure across currencies. Spending, income
and net are the transactions page's (pending, refunds, transfers and card payments treated
as there: ``services.analytics.money``); utilization, what is owed and what is due are the
overview's (``services.analytics.cards``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from integrations.models import CreditReport
from services.analytics.cards import (
    PaymentDue,
    UtilizationTotal,
    cards_frame,
    next_payment_due,
    overall_utilization,
)
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.transactions import PeriodFigures
from services.views.export import to_csv_bytes
from services.views.page_figures import (
    TRANSACTION_EXPORT_COLUMNS,
    TransactionsView,
    card_figures,
    month_spending,
)

Json = dict[str, Any]
CARD_FIELDS = (
    "account_id",
    "institution",
    "card",
    "mask",
    "currency",
    "balance",
    "owed",
    "limit",
    "available",
    "utilization",
    "band",
    "statement_balance",
    "minimum_payment",
    "due_date",
    "days_left",
    "overdue",
    "status",  # the Cards page's Status: the issuer's word first, then a due date it has not moved
    "paid_this_cycle",
    "statement_date",
    "last_payment_amount",
    "last_payment_date",
)


def json_value(value: Any) -> Any:
    """A cell as JSON: dates as ISO text (a day without its midnight), missing as null."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # a NumPy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def in_cents(totals: dict[str, float]) -> dict[str, float]:
    """Totals per currency, rounded to the cent only here, where they are shown."""
    return {currency: round(amount, 2) for currency, amount in totals.items()}


def json_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[Json]:
    return [
        {column: json_value(value) for column, value in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]


def _problems(snap: FinancialSnapshot | None) -> list[Json]:
    """The banks that could not be fetched: their code and what to do, never their message
    or a token."""
    if snap is None:
        return []
    return [{"code": p.code, "action": str(p.action)} for p in snap.problems]


def _utilization(total: UtilizationTotal) -> Json:
    return {key: json_value(value) for key, value in asdict(total).items()}


def _payment_due(due: PaymentDue | None) -> Json | None:
    if due is None:
        return None
    return {key: json_value(value) for key, value in asdict(due).items()}


def _score(report: CreditReport | None) -> Json | None:
    score = report.primary_score if report else None
    if report is None or score is None or score.score is None:
        return None
    return {
        "score": score.score,
        "model": score.model_name,
        "min_score": score.min_score,
        "max_score": score.max_score,
        "band": score.band,
        "report_date": json_value(report.report_date),
    }


def _spending(snap: FinancialSnapshot | None, today: date) -> Json | None:
    if snap is None:
        return None
    spending = month_spending(snap.transactions, today)
    return {
        "currency": spending.currency,
        "this_month": in_cents(spending.this_month),
        "same_days_last_month": in_cents(spending.same_days_last_month),
        "last_month": in_cents(spending.last_month),
    }


def summary_payload(
    snap: FinancialSnapshot | None, report: CreditReport | None, today: date
) -> Json:
    """The overview's headline figures: utilization and what is owed per currency (the first
    is the one the overview shows large), the next payment due, this month's spending, and
    the score of a report already held (null when none is)."""
    cards = cards_frame(snap.accounts, snap.liabilities, snap.items, today) if snap else None
    if cards is None:
        cards = cards_frame((), (), (), today)
    return {
        "as_of": today.isoformat(),
        "source": snap.source if snap else None,
        "fetched_at": json_value(snap.fetched_at) if snap else None,
        "cards": [_utilization(total) for total in overall_utilization(cards)],
        "next_payment_due": _payment_due(next_payment_due(cards)),
        "spending_this_month": _spending(snap, today),
        "score": _score(report),
        "problems": _problems(snap),
    }


def cards_payload(snap: FinancialSnapshot | None, today: date) -> Json:
    """The cards page's table: one entry per credit card, and the totals per currency."""
    if snap is None:
        return {"as_of": today.isoformat(), "cards": [], "totals": [], "problems": []}
    figures = card_figures(snap, today)
    return {
        "as_of": today.isoformat(),
        "cards": json_rows(figures.cards, CARD_FIELDS),
        "totals": [_utilization(total) for total in figures.totals],
        "problems": _problems(snap),
    }


@dataclass(frozen=True)
class Paging:
    page: int  # from 1
    page_size: int

    def of(self, frame: pd.DataFrame) -> pd.DataFrame:
        start = (self.page - 1) * self.page_size
        return frame.iloc[start : start + self.page_size]

    def pages(self, total: int) -> int:
        return max(1, math.ceil(total / self.page_size))


def _figures(figures: PeriodFigures) -> Json:
    return {
        "count": figures.count,
        "spending": in_cents(figures.spending),
        "income": in_cents(figures.income),
        "net": in_cents(figures.net),
    }


def transactions_payload(view: TransactionsView, paging: Paging, start: date) -> Json:
    """One page of the rows the transactions page shows for the same filter, in its order,
    and the page's KPIs over all of them (per currency)."""
    total = len(view.rows)
    return {
        "from": start.isoformat(),
        "to": view.end.isoformat(),
        "page": paging.page,
        "page_size": paging.page_size,
        "pages": paging.pages(total),
        "total": total,
        "totals": _figures(view.comparison.current),
        "transactions": json_rows(paging.of(view.rows), TRANSACTION_EXPORT_COLUMNS),
    }


def transactions_csv(view: TransactionsView, paging: Paging) -> bytes:
    """One page of the same rows as the page's CSV download: its columns, through the one
    CSV path (``to_csv_bytes``, which keeps upstream text from opening as a formula)."""
    return to_csv_bytes(paging.of(view.rows)[list(TRANSACTION_EXPORT_COLUMNS)])
