"""What traditional mode (``DATABASE_URL``) remembers, as the analytics read it: one row per
account per day, one row per score read from a pulled report. The history store keeps and
returns exactly these; the frames the history page draws from them live here, the change
alerts in `alerts_from_history.py`.
No Streamlit, no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import pandas as pd

from integrations.models import Account, CardLiability, CreditReport, Item, Transaction
from services.analytics.money import spending_rows, with_money_flags
from services.analytics.snapshot import FinancialSnapshot

AccountKind = Literal["card", "depository", "other"]
AlertLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class AccountDay:
    """One account as it stood on one day (the last fetch of that day wins)."""

    day: date
    account_id: str  # Plaid's account_id: stable while the item stays connected
    item_id: str
    bank: str  # the institution's name
    name: str  # the account's name as the bank gives it
    mask: str | None
    kind: AccountKind
    currency: str
    balance: float | None  # Plaid's current balance: for a card, what is owed
    limit: float | None  # a card's credit limit
    statement_balance: float | None = None
    minimum_payment: float | None = None
    next_payment_due: date | None = None


@dataclass(frozen=True, slots=True)
class ScoreReading:
    """One score from one pulled report."""

    day: date  # the report's date, else the day it was pulled
    model: str  # the model's name, e.g. "VantageScore 3.0"
    score: int


@dataclass(frozen=True, slots=True)
class Alert:
    """A change found in the history: what changed, when, and what to do about it."""

    kind: str  # a stable code: score_up, score_down, hard_inquiry, new_tradeline, ...
    day: date
    title: str  # what changed, in a sentence
    detail: str
    action: str  # what the person can do
    level: AlertLevel = "info"


# --- What one fetch adds to the history ------------------------------------------------------


def account_kind(account: Account) -> AccountKind:
    if account.is_credit_card:
        return "card"
    return "depository" if account.type == "depository" else "other"


def account_days_of(
    items: Sequence[Item],
    accounts: Sequence[Account],
    liabilities: Sequence[CardLiability],
    day: date,
) -> tuple[AccountDay, ...]:
    """Each account as a fetch shows it, as the history keeps it for ``day``."""
    banks = {i.item_id: i.institution.name for i in items}
    owed_on = {li.account_id: li for li in liabilities}
    rows = []
    for account in accounts:
        liability = owed_on.get(account.account_id)
        rows.append(
            AccountDay(
                day=day,
                account_id=account.account_id,
                item_id=account.item_id,
                bank=banks.get(account.item_id, "Unknown institution"),
                name=account.name,
                mask=account.mask,
                kind=account_kind(account),
                currency=account.currency,
                balance=account.current,
                limit=account.limit,
                statement_balance=liability.last_statement_balance if liability else None,
                minimum_payment=liability.minimum_payment_amount if liability else None,
                next_payment_due=liability.next_payment_due_date if liability else None,
            )
        )
    return tuple(rows)


def account_days(snapshot: FinancialSnapshot, day: date) -> tuple[AccountDay, ...]:
    """Today's rows from a fetched snapshot. A caller showing an item's older data in place of
    a failed fetch should not record that item's accounts as this day's."""
    return account_days_of(snapshot.items, snapshot.accounts, snapshot.liabilities, day)


def score_readings(report: CreditReport, pulled_on: date) -> tuple[ScoreReading, ...]:
    """One reading per model that gave a score; dated by the report, else by the pull."""
    day = report.report_date or _as_day(pulled_on)
    return tuple(
        ScoreReading(day=day, model=s.model_name, score=s.score)
        for s in report.scores
        if s.score is not None
    )


def _as_day(value: date) -> date:
    # The store keeps when a report was pulled as a moment; a reading needs only its day.
    return value.date() if isinstance(value, datetime) else value


# --- Frames for the history page -------------------------------------------------------------

OVERALL = "Overall"
ALL_CARDS_OWED = "Owed on all cards"
DAY_COLUMNS = ("day", "account_id", "item_id", "bank", "label", "kind", "currency", "balance")
SCORE_COLUMNS = ("day", "model", "score")
UTILIZATION_COLUMNS = ("day", "account_id", "card", "currency", "owed", "limit", "utilization")
BALANCE_COLUMNS = ("day", "account_id", "account", "kind", "currency", "balance", "owed")
SPENDING_COLUMNS = ("month", "currency", "spent")


def account_label(bank: str, name: str, mask: str | None) -> str:
    return f"{bank} · {name} ••{mask}" if mask else f"{bank} · {name}"


def account_days_frame(days: Sequence[AccountDay]) -> pd.DataFrame:
    """One row per account and day, oldest first, with owed and utilization worked out once.

    Owed follows the cards page: a credit balance owes nothing, an unknown balance counts as
    nothing owed; utilization is known only where a card reports a limit above zero."""
    records = [
        (
            d.day,
            d.account_id,
            d.item_id,
            d.bank,
            account_label(d.bank, d.name, d.mask),
            d.kind,
            d.currency,
            d.balance,
            d.limit,
        )
        for d in days
    ]
    frame = pd.DataFrame.from_records(records, columns=[*DAY_COLUMNS, "limit"])
    frame["day"] = pd.to_datetime(frame["day"])
    for column in ("balance", "limit"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    cards = frame["kind"] == "card"
    frame["owed"] = frame["balance"].fillna(0.0).clip(lower=0.0).where(cards)
    with_limit = cards & (frame["limit"] > 0)
    frame["utilization"] = (frame["owed"] / frame["limit"]).where(with_limit)
    return frame.sort_values(["day", "label"], ignore_index=True)


def _total_label(base: str, currency: pd.Series) -> pd.Series:
    """One series per currency: with several, each total names its currency, so a chart never
    draws two currencies as one line."""
    if currency.nunique() <= 1:
        return pd.Series(base, index=currency.index, dtype="object")
    return base + " (" + currency.astype(str) + ")"


def utilization_history_frame(days: Sequence[AccountDay]) -> pd.DataFrame:
    """Per card and day: owed, limit and utilization; and an Overall row per day and currency
    over the cards with a limit (their owed over their limits)."""
    frame = account_days_frame(days)
    cards = frame[frame["kind"] == "card"].rename(columns={"label": "card"})
    per_card = cards[list(UTILIZATION_COLUMNS)]
    counted = per_card[per_card["utilization"].notna()]
    overall = counted.groupby(["day", "currency"], as_index=False)[["owed", "limit"]].sum()
    overall["utilization"] = overall["owed"] / overall["limit"]
    overall["account_id"] = None
    overall["card"] = _total_label(OVERALL, overall["currency"])
    joined = pd.concat([per_card, overall[list(UTILIZATION_COLUMNS)]], ignore_index=True)
    return joined.sort_values(["day", "card"], ignore_index=True)


def balances_history_frame(days: Sequence[AccountDay]) -> pd.DataFrame:
    """Per account and day: its balance (and for a card what is owed); and per day and
    currency the total owed on all cards (kind ``total``)."""
    frame = account_days_frame(days).rename(columns={"label": "account"})
    per_account = frame[list(BALANCE_COLUMNS)]
    cards = per_account[per_account["kind"] == "card"]
    owed = cards.groupby(["day", "currency"], as_index=False)["owed"].sum()
    owed["balance"] = owed["owed"]
    owed["account_id"] = None
    owed["kind"] = "total"
    owed["account"] = _total_label(ALL_CARDS_OWED, owed["currency"])
    joined = pd.concat([per_account, owed[list(BALANCE_COLUMNS)]], ignore_index=True)
    return joined.sort_values(["day", "account"], ignore_index=True)


def score_history_frame(readings: Sequence[ScoreReading]) -> pd.DataFrame:
    """One score per model and day (the last reading of a day wins), oldest first."""
    frame = pd.DataFrame.from_records(
        [(r.day, r.model, r.score) for r in readings], columns=list(SCORE_COLUMNS)
    )
    frame["day"] = pd.to_datetime(frame["day"])
    frame["score"] = frame["score"].astype("int64")
    frame = frame.drop_duplicates(["day", "model"], keep="last")
    return frame.sort_values(["day", "model"], ignore_index=True)


_MONEY_COLUMNS = (
    "transaction_id",
    "account_id",
    "date",
    "amount",
    "currency",
    "pending",
    "pending_transaction_id",
    "category",
    "category_detailed",
)


def kept_transactions_frame(transactions: Sequence[Transaction]) -> pd.DataFrame:
    """The kept transactions with the columns money semantics read, flagged once like a
    snapshot's frame. A transaction kept twice (fetched again after a change) counts once,
    as its latest version."""
    records = [
        (
            t.transaction_id,
            t.account_id,
            t.date,
            t.amount,
            t.currency,
            t.pending,
            t.pending_transaction_id,
            t.category or "UNCATEGORIZED",
            t.category_detailed or "UNCATEGORIZED",
        )
        for t in transactions
    ]
    frame = pd.DataFrame.from_records(records, columns=list(_MONEY_COLUMNS))
    frame = frame.drop_duplicates("transaction_id", keep="last", ignore_index=True)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["pending"] = frame["pending"].astype(bool)
    return with_money_flags(frame)


def monthly_spending_frame(
    transactions: Sequence[Transaction],
    *,
    include_pending: bool = True,
    account_ids: Sequence[str] = (),
) -> pd.DataFrame:
    """Spending per month and currency over the whole kept history, as ``money`` defines it:
    refunds netted in, transfers and card payments left out, a posted pending counted once."""
    frame = kept_transactions_frame(transactions)
    if account_ids:
        frame = frame[frame["account_id"].isin(list(account_ids))]
    columns = ("date", "currency", "amount")
    rows = spending_rows(frame, include_pending=include_pending, columns=columns)
    month = rows["date"].dt.to_period("M").dt.to_timestamp().rename("month")
    spent = rows.groupby([month, "currency"])["amount"].sum().rename("spent").reset_index()
    return spent[list(SPENDING_COLUMNS)].sort_values(["month", "currency"], ignore_index=True)


# --- Filters and thinning --------------------------------------------------------------------

_SERIES_COLUMNS = ("model", "card", "account", "currency")
Every = Literal["day", "week", "month"]
_PERIODS = {"week": "W", "month": "M"}


def _series_column(frame: pd.DataFrame) -> str:
    return next(c for c in _SERIES_COLUMNS if c in frame.columns)


def _time_column(frame: pd.DataFrame) -> str:
    return "day" if "day" in frame.columns else "month"


def filter_history(
    frame: pd.DataFrame,
    since: date | None = None,
    names: Sequence[str] = (),
    *,
    until: date | None = None,
) -> pd.DataFrame:
    """The rows of a history frame from ``since`` to ``until`` (both included) whose series
    (model, card or account; currency for spending) is one of ``names``; empty means all."""
    when = frame[_time_column(frame)]
    keep = pd.Series(True, index=frame.index)
    if since is not None:
        keep &= when >= pd.Timestamp(since)
    if until is not None:
        keep &= when <= pd.Timestamp(until)
    if names:
        keep &= frame[_series_column(frame)].isin(list(names))
    return frame[keep]


def thin_history(frame: pd.DataFrame, every: Every) -> pd.DataFrame:
    """Each series' last row per week or month: a chart of years stays light, and the point
    shown is where the period ended, not an average nobody saw."""
    if every == "day" or frame.empty:
        return frame
    # A series is its name and currency: two Overall lines in two currencies stay apart.
    series = [c for c in dict.fromkeys((_series_column(frame), "currency")) if c in frame]
    period = frame["day"].dt.to_period(_PERIODS[every]).rename("_period")
    return frame.groupby([*(frame[c] for c in series), period], sort=False).tail(1).sort_index()
