"""Money semantics, in one place.

Plaid amounts are positive when money leaves the account. Spending is money out to merchants
and lenders: income, transfers and credit card payments are not spending (the card's own
purchases are), other loan payments (mortgage, car, student loan) are. Refunds (negative
amounts in a known spending category) reduce spending; money coming in under no category or
an unknown one is neither spending nor income. Income is money in under INCOME (wages,
interest, tax refunds, benefits): a transfer from the person's own savings (TRANSFER_IN), a
refund and a card payment are not income. A pending transaction that has posted is counted
once, and amounts are only ever summed within one currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

INCOME = "INCOME"
TAX_REFUND = "INCOME_TAX_REFUND"  # income, but once a year at best: not a pattern to plan on
TRANSFERS = frozenset({"TRANSFER_IN", "TRANSFER_OUT"})
NOT_SPENDING = frozenset({INCOME, *TRANSFERS})
CARD_PAYMENT = "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
# The personal_finance_category primaries money goes out under; a refund nets only within them.
SPENDING_PRIMARIES = frozenset(
    {
        "BANK_FEES", "ENTERTAINMENT", "FOOD_AND_DRINK", "GENERAL_MERCHANDISE",
        "GENERAL_SERVICES", "GOVERNMENT_AND_NON_PROFIT", "HOME_IMPROVEMENT", "LOAN_PAYMENTS",
        "MEDICAL", "PERSONAL_CARE", "RENT_AND_UTILITIES", "TRANSPORTATION", "TRAVEL",
    }
)  # fmt: skip


# Per-row facts fixed once a snapshot is built (``with_money_flags``): a rerun reads them
# instead of matching categories and transaction ids across the whole history on every click.
SPENDS = "counts_as_spending"
SUPERSEDED = "superseded_pending"


def is_transfer_or_card_payment(view: pd.DataFrame) -> pd.Series:
    """Money moved between the person's own accounts, card payments included."""
    return view["category"].isin(TRANSFERS) | (view["category_detailed"] == CARD_PAYMENT)


def is_spending(view: pd.DataFrame) -> pd.Series:
    if SPENDS in view.columns:
        return view[SPENDS]
    return _spending_mask(view)


def _spending_mask(view: pd.DataFrame) -> pd.Series:
    excluded = view["category"].isin(NOT_SPENDING) | (view["category_detailed"] == CARD_PAYMENT)
    refundable = view["category"].isin(SPENDING_PRIMARIES)
    return ~excluded & (refundable | (view["amount"] > 0))


def _superseded_mask(frame: pd.DataFrame) -> pd.Series:
    """Pending rows whose posted twin is also present."""
    pending = frame["pending"]
    superseded = pd.Series(False, index=frame.index)
    if not pending.any():
        return superseded
    links = frame["pending_transaction_id"]
    posted_from = set(links[links.notna() & ~pending].tolist())
    if posted_from:
        pending_ids = frame["transaction_id"][pending]
        twins = [tid in posted_from for tid in pending_ids.tolist()]
        superseded[pending_ids.index[twins]] = True
    return superseded


def with_money_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with SPENDS and SUPERSEDED added: what every total and filter asks per row.
    Superseded is judged against the whole frame, so a posted twin outside a later filter
    still hides its pending original."""
    flagged = frame.assign(**{SUPERSEDED: _superseded_mask(frame)})
    flagged[SPENDS] = _spending_mask(flagged)
    return flagged


def without_superseded_pending(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop pending rows whose posted twin is also present, so nothing is counted twice."""
    superseded = frame[SUPERSEDED] if SUPERSEDED in frame.columns else _superseded_mask(frame)
    return frame[~superseded] if superseded.any() else frame


def settled_view(frame: pd.DataFrame, *, include_pending: bool = True) -> pd.DataFrame:
    frame = without_superseded_pending(frame)
    return frame if include_pending else frame[~frame["pending"]]


def settled_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows counted once: a pending row whose posted twin is present is not."""
    superseded = frame[SUPERSEDED] if SUPERSEDED in frame.columns else _superseded_mask(frame)
    return ~superseded


def purchase_mask(frame: pd.DataFrame) -> pd.Series:
    """``purchase_rows`` (pending included) as a mask over every row of ``frame``."""
    return settled_mask(frame) & is_spending(frame) & (frame["amount"] > 0)


def spending_mask(frame: pd.DataFrame) -> pd.Series:
    """``spending_rows`` (pending included) as a mask over every row of ``frame``."""
    return settled_mask(frame) & is_spending(frame)


def received_income_mask(frame: pd.DataFrame, *, with_tax_refunds: bool = True) -> pd.Series:
    """``received_income_rows`` (pending included) as a mask over every row of ``frame``."""
    keep = settled_mask(frame) & (frame["category"] == INCOME) & (frame["amount"] < 0)
    if not with_tax_refunds:
        keep &= frame["category_detailed"] != TAX_REFUND
    return keep


def _rows(view: pd.DataFrame, keep: pd.Series, columns: Sequence[str] | None) -> pd.DataFrame:
    # Taking only the columns needed keeps big frames cheap: each copied column costs.
    return view.loc[keep, list(columns)] if columns else view[keep]


def spending_rows(
    frame: pd.DataFrame, *, include_pending: bool = True, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    view = settled_view(frame, include_pending=include_pending)
    return _rows(view, is_spending(view), columns)


def income_rows(
    frame: pd.DataFrame, *, include_pending: bool = True, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    view = settled_view(frame, include_pending=include_pending)
    return _rows(view, view["category"] == INCOME, columns)


def received_income_rows(
    frame: pd.DataFrame,
    *,
    include_pending: bool = True,
    columns: Sequence[str] | None = None,
    with_tax_refunds: bool = True,
) -> pd.DataFrame:
    """Income as money received: INCOME rows whose amount came in (Plaid's negative), so a
    reversed paycheck is not a payment; without tax refunds when asked (recurring income)."""
    view = settled_view(frame, include_pending=include_pending)
    keep = (view["category"] == INCOME) & (view["amount"] < 0)
    if not with_tax_refunds:
        keep &= view["category_detailed"] != TAX_REFUND
    return _rows(view, keep, columns)


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


def purchase_rows(
    frame: pd.DataFrame, *, include_pending: bool = True, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Charges counted as spending (refunds left out): what averages and detectors look at."""
    view = settled_view(frame, include_pending=include_pending)
    keep = is_spending(view) & (view["amount"] > 0)
    return _rows(view, keep, columns)


_TOTAL_COLUMNS = ("currency", "amount")


def income_by_currency(rows: pd.DataFrame) -> dict[str, float]:
    """Income per currency, shown positive (Plaid reports it negative)."""
    income = totals_by_currency(income_rows(rows, columns=_TOTAL_COLUMNS))
    return {c: -v for c, v in income.items()}


def spending_totals(rows: pd.DataFrame) -> dict[str, float]:
    """Spending per currency, refunds netted in."""
    return totals_by_currency(spending_rows(rows, columns=_TOTAL_COLUMNS))


def net_by_currency(spending: Mapping[str, float], income: Mapping[str, float]) -> dict[str, float]:
    """Income minus spending per currency; transfers and card payments are in neither."""
    currencies = sorted(set(spending) | set(income))
    return {c: income.get(c, 0.0) - spending.get(c, 0.0) for c in currencies}


def pending_by_account(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Net pending amount per (account id, currency), twins already posted left out: what will
    be added to a balance once these post."""
    view = without_superseded_pending(frame)
    pending = view[view["pending"]]
    if pending.empty:
        return {}
    sums = pending.groupby(["account_id", "currency"], observed=True)["amount"].sum()
    return {(str(a), str(c)): float(v) for (a, c), v in sums.items()}
