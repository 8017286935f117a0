"""Income: money received per month and currency, the streams it comes in, and the next
paycheck (pure pandas).

What counts as income is ``services.analytics.money``'s: money in under INCOME (wages,
interest, benefits, a tax refund), reversals netted in; a transfer from the person's own
savings, a refund and a card payment are not income. Totals are per currency, never summed
across currencies. Streams come from ``services.analytics.recurring`` (Plaid's for the items
Plaid answered for, ours for the others).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from services.analytics.money import INCOME, between, income_by_currency, income_rows

MONTHLY_INCOME_COLUMNS = ("month", "currency", "income", "payments")
RECENT_DAYS = 30
# A stream bringing in less than this share of the largest one (interest on a balance) is
# income, but not the paycheck a person waits for.
PAYCHECK_SHARE = 0.10


def income_by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Income received per calendar month and currency, newest month first: ``month`` (its
    first day), ``currency``, ``income`` (positive) and ``payments`` (how many)."""
    rows = income_rows(frame, columns=("date", "currency", "amount"))
    if rows.empty:
        return pd.DataFrame({column: [] for column in MONTHLY_INCOME_COLUMNS})
    month = rows["date"].dt.to_period("M").dt.to_timestamp()
    grouped = rows.assign(month=month, currency=rows["currency"].astype(str)).groupby(
        ["month", "currency"]
    )
    out = grouped.agg(income=("amount", "sum"), payments=("amount", "size")).reset_index()
    out["income"] = -out["income"]
    out = out.sort_values(["month", "currency"], ascending=[False, True], ignore_index=True)
    return out[list(MONTHLY_INCOME_COLUMNS)]


def income_streams(streams: pd.DataFrame) -> pd.DataFrame:
    """The inflow streams that are income: Plaid's inflows also hold money moved in from the
    person's own accounts (TRANSFER_IN), which are not."""
    keep = (streams["direction"] == "inflow") & (streams["category"] == INCOME)
    return streams[keep].reset_index(drop=True)


@dataclass(frozen=True)
class NextPaycheck:
    payer: str
    expected: date
    amount: float
    currency: str


@dataclass(frozen=True)
class IncomeSummary:
    recent: dict[str, float]  # received in the last RECENT_DAYS days (today included)
    this_month: dict[str, float]
    next_paycheck: NextPaycheck | None


def next_paycheck(streams: pd.DataFrame, today: date) -> NextPaycheck | None:
    """The running income stream expected soonest from today on, leaving out streams far
    smaller than the largest in their currency (PAYCHECK_SHARE)."""
    running = streams[~streams["stopped"].astype(bool) & streams["next_date"].notna()]
    if running.empty:
        return None
    largest = running.groupby("currency")["typical_amount"].transform("max")
    running = running[running["typical_amount"] >= PAYCHECK_SHARE * largest]
    upcoming = running[running["next_date"] >= pd.Timestamp(today)]
    if upcoming.empty:
        return None
    first = upcoming.sort_values(["next_date", "typical_amount"], ascending=[True, False]).iloc[0]
    return NextPaycheck(
        payer=str(first["merchant"]),
        expected=pd.Timestamp(first["next_date"]).date(),
        amount=float(first["typical_amount"]),
        currency=str(first["currency"]),
    )


def income_summary(frame: pd.DataFrame, streams: pd.DataFrame, today: date) -> IncomeSummary:
    """What the overview says of income, on the person's calendar (``today``)."""
    recent = between(frame, today - timedelta(days=RECENT_DAYS - 1), today)
    month = between(frame, today.replace(day=1), today)
    return IncomeSummary(
        recent=income_by_currency(recent),
        this_month=income_by_currency(month),
        next_paycheck=next_paycheck(income_streams(streams), today),
    )
