"""Filtering, headline figures and chart aggregates of the transactions frame (pure pandas).

Money semantics (what is spending, income, pending, per-currency totals) come from
``services.analytics.money``; this module only slices and groups.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from services.analytics.dates import previous_period
from services.analytics.money import (
    SPENDS,
    SUPERSEDED,
    between,
    income_by_currency,
    is_transfer_or_card_payment,
    net_by_currency,
    purchase_rows,
    settled_view,
    spending_rows,
    spending_totals,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class TransactionFilter:
    start: date
    end: date
    accounts: Collection[str] = field(default_factory=tuple)  # empty means all
    categories: Collection[str] = field(default_factory=tuple)  # primary; empty means all
    text: str = ""
    include_pending: bool = True
    include_transfers: bool = True  # transfers and card (loan) payments
    institutions: Collection[str] = field(default_factory=tuple)  # empty means all
    detailed_categories: Collection[str] = field(default_factory=tuple)  # empty means all
    min_amount: float | None = None  # on the signed amount, in the row's own currency
    max_amount: float | None = None


def apply_filter(frame: pd.DataFrame, spec: TransactionFilter) -> pd.DataFrame:
    """The rows a person asked for: settled first, so a posted twin outside the dates still
    hides its pending original."""
    view = between(settled_view(frame, include_pending=spec.include_pending), spec.start, spec.end)
    return _apply_non_date_filters(view, spec)


def _apply_non_date_filters(view: pd.DataFrame, spec: TransactionFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=view.index)
    if spec.institutions:
        keep &= view["institution"].isin(spec.institutions)
    if spec.accounts:
        keep &= view["account"].isin(spec.accounts)
    if spec.categories:
        keep &= view["category"].isin(spec.categories)
    if spec.detailed_categories:
        keep &= view["category_detailed"].isin(spec.detailed_categories)
    if not spec.include_transfers:
        keep &= ~is_transfer_or_card_payment(view)
    if spec.min_amount is not None:
        keep &= view["amount"] >= spec.min_amount
    if spec.max_amount is not None:
        keep &= view["amount"] <= spec.max_amount
    view = view[keep] if not keep.all() else view
    needle = spec.text.strip()
    if needle:
        # Searched after the cheap filters: string matching is the costly step on big frames.
        in_name = view["name"].str.contains(needle, case=False, regex=False, na=False)
        in_merchant = view["merchant"].str.contains(needle, case=False, regex=False, na=False)
        view = view[in_name | in_merchant]
    return view


def comparison_window(spec: TransactionFilter) -> TransactionFilter:
    """The filter widened back to cover the previous period and last month: filtered once,
    then sliced."""
    previous_start, _ = previous_period(spec.start, spec.end)
    last_month_start = (spec.end.replace(day=1) - timedelta(days=1)).replace(day=1)
    return replace(spec, start=min(previous_start, last_month_start, spec.start))


def merchant_or_name(frame: pd.DataFrame) -> pd.Series:
    """Who was paid: Plaid's merchant name, or the bank's description when there is none."""
    merchant = frame["merchant"]
    known = merchant.notna() & (merchant.astype("str").str.strip() != "")
    return merchant.where(known, frame["name"]).astype("str")


# --- headline figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    """The KPIs of one set of filtered rows; every money figure is per currency."""

    count: int
    spending: dict[str, float]
    income: dict[str, float]
    net: dict[str, float]
    average_purchase: dict[str, float]
    median_purchase: dict[str, float]

    def currencies(self) -> list[str]:
        return sorted(set(self.spending) | set(self.income) | set(self.average_purchase))


def period_figures(view: pd.DataFrame) -> PeriodFigures:
    """Count of rows; spending, income and net; average and median purchase (refunds out)."""
    spending = spending_totals(view)
    income = income_by_currency(view)
    purchases = purchase_rows(view, columns=("currency", "amount"))
    purchases = purchases.groupby("currency", observed=True)["amount"]
    return PeriodFigures(
        count=len(view),
        spending=spending,
        income=income,
        net=net_by_currency(spending, income),
        average_purchase={str(c): float(v) for c, v in purchases.mean().items()},
        median_purchase={str(c): float(v) for c, v in purchases.median().items()},
    )


_FIGURE_COLUMNS = frozenset(
    {"date", "currency", "amount", "category", "category_detailed", "pending",
     "pending_transaction_id", "transaction_id", SPENDS, SUPERSEDED}
)  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    current: PeriodFigures
    previous: PeriodFigures | None  # None when the history does not reach back that far
    previous_start: date
    previous_end: date


def compare_with_previous_period(
    base: pd.DataFrame, start: date, end: date, history_starts: date
) -> Comparison:
    """KPIs of [start, end] and of the period before it, on rows filtered except by date."""
    previous_start, previous_end = previous_period(start, end)
    # Only what the figures read: slicing periods out of a narrow frame copies far less.
    base = base[[column for column in base.columns if column in _FIGURE_COLUMNS]]
    current = period_figures(between(base, start, end))
    previous = None
    if previous_start >= history_starts:
        previous = period_figures(between(base, previous_start, previous_end))
    return Comparison(current, previous, previous_start, previous_end)


# --- chart aggregates (spending in one currency) --------------------------------------------


def _spending_in(view: pd.DataFrame, currency: str, *columns: str) -> pd.DataFrame:
    spending = spending_rows(view, columns=("currency", "amount", *columns))
    return spending[spending["currency"] == currency]


def spending_by_category(view: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Net spending per primary category, largest first (refunds reduce their category)."""
    rows = _spending_in(view, currency, "category")
    sums = rows.groupby("category", observed=True)["amount"].sum()
    out = sums.rename("spending").rename_axis("category").reset_index()
    out["category"] = out["category"].astype("str")
    return out.sort_values(["spending", "category"], ascending=[False, True], ignore_index=True)


def monthly_spending_by_category(view: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Net spending per calendar month and primary category (month as its first day)."""
    rows = _spending_in(view, currency, "date", "category")
    month = rows["date"].dt.to_period("M").dt.to_timestamp()
    sums = rows.groupby([month.rename("month"), rows["category"]], observed=True)["amount"].sum()
    out = sums.rename("spending").reset_index()
    out["category"] = out["category"].astype("str")
    return out.sort_values(["month", "category"], ignore_index=True)


def top_merchants(view: pd.DataFrame, currency: str, limit: int = 10) -> pd.DataFrame:
    """The merchants with the most net spending, with how many transactions each."""
    rows = _spending_in(view, currency, "merchant", "name")
    grouped = rows.groupby(merchant_or_name(rows).rename("merchant"))["amount"]
    out = pd.DataFrame({"spending": grouped.sum(), "transactions": grouped.size()}).reset_index()
    out = out.sort_values(["spending", "merchant"], ascending=[False, True], ignore_index=True)
    return out.head(limit)


def spending_by_weekday(view: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Net spending per day of the week, Monday first, every day present."""
    rows = _spending_in(view, currency, "date")
    sums = rows.groupby(rows["date"].dt.day_of_week)["amount"].sum()
    sums = sums.reindex(range(7), fill_value=0.0)
    return pd.DataFrame({"weekday": list(WEEKDAYS), "spending": sums.to_numpy(dtype="float64")})


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _cumulative_month(rows: pd.DataFrame, first: date, last: date, label: str) -> pd.DataFrame:
    month = between(rows, first, last)
    daily = month.groupby(month["date"].dt.day)["amount"].sum()
    days = range(1, last.day + 1)
    running = daily.reindex(days, fill_value=0.0).cumsum()
    return pd.DataFrame({"day": list(days), "spending": running.to_numpy(), "month": label})


def cumulative_this_and_last_month(base: pd.DataFrame, end: date, currency: str) -> pd.DataFrame:
    """Spending added up day by day: the month of ``end`` (up to ``end``) and the month before.

    ``base`` is filtered by everything but the dates, so the comparison keeps the filters.
    """
    rows = _spending_in(base, currency, "date")
    this_first = _month_start(end)
    last_last = this_first - timedelta(days=1)
    last_first = _month_start(last_last)
    this_label = f"{calendar.month_abbr[end.month]} {end.year}"
    last_label = f"{calendar.month_abbr[last_last.month]} {last_last.year}"
    return pd.concat(
        [
            _cumulative_month(rows, last_first, last_last, last_label),
            _cumulative_month(rows, this_first, end, this_label),
        ],
        ignore_index=True,
    )
