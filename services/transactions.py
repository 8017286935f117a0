"""Filtering of the transactions frame (pure)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from services.money import (
    NOT_SPENDING,
    between,
    income_rows,
    settled_view,
    spending_rows,
    totals_by_currency,
)


@dataclass(frozen=True)
class TransactionFilter:
    start: date
    end: date
    accounts: Collection[str] = field(default_factory=tuple)  # empty means all
    categories: Collection[str] = field(default_factory=tuple)  # empty means all
    text: str = ""
    include_pending: bool = True
    include_transfers: bool = True


def apply_filter(frame: pd.DataFrame, spec: TransactionFilter) -> pd.DataFrame:
    view = between(settled_view(frame, include_pending=spec.include_pending), spec.start, spec.end)
    if spec.accounts:
        view = view[view["account"].isin(spec.accounts)]
    if spec.categories:
        view = view[view["category"].isin(spec.categories)]
    if not spec.include_transfers:
        view = view[~view["category"].isin(NOT_SPENDING - {"INCOME"})]
    needle = spec.text.strip()
    if needle:
        in_name = view["name"].str.contains(needle, case=False, regex=False, na=False)
        in_merchant = view["merchant"].str.contains(needle, case=False, regex=False, na=False)
        view = view[in_name | in_merchant]
    return view


@dataclass(frozen=True)
class Summary:
    count: int
    spending: dict[str, float]
    income: dict[str, float]


def summarize(view: pd.DataFrame) -> Summary:
    """Spending and income of already-filtered rows, per currency. Income is shown positive."""
    income = {c: -v for c, v in totals_by_currency(income_rows(view)).items()}
    return Summary(len(view), totals_by_currency(spending_rows(view)), income)
