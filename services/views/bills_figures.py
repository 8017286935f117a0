"""What the Bills ahead page shows, computed once per fetch, day and horizon (no Streamlit):
the expected events, the cash they leave per currency, where it goes below zero, and the
calendar chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd

from services.analytics.bills_ahead import (
    KIND_LABELS,
    ExpectedEvent,
    Shortfall,
    card_due_events,
    events_frame,
    loan_due_events,
    project_cash,
    recurring_events,
    shortfalls,
    unprojected_currencies,
    without_linked_loan_streams,
)
from services.analytics.income import income_streams
from services.analytics.money import totals_by_currency
from services.analytics.recurring import outflows
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.worth import is_reserve, spending_cash_by_currency
from services.views.charts import bills_ahead_chart, cash_ahead_chart

# The list's columns, in this order, on screen and in its CSV.
BILLS_EXPORT_COLUMNS = (
    "date",
    "kind",
    "label",
    "account",
    "amount",
    "minimum_payment",
    "currency",
    "counted_in_cash",
    "balance_after",
    "note",
)


@dataclass(frozen=True)
class BillsFigures:
    events: pd.DataFrame  # the list, every event (BILLS_EXPORT_COLUMNS)
    projections: dict[str, pd.DataFrame]  # per currency with cash: date, out, balance
    opening: dict[str, float]  # spending cash today per currency (checking and the like)
    reserve: dict[str, float]  # savings, CDs...: kept aside, not projected, named in advice
    shortfalls: tuple[Shortfall, ...]
    unprojected: tuple[str, ...]  # currencies with events but no cash account
    out: dict[str, float]  # per currency: what leaves cash within the horizon
    income: dict[str, float]  # per currency: what comes in within the horizon (positive)
    card_savings: dict[str, float]  # per currency: paying card minimums instead of statements
    kinds: list[str]
    accounts: list[str]


def bill_and_income_streams(snap: FinancialSnapshot, streams: pd.DataFrame) -> pd.DataFrame:
    """The streams that are bills or income (``recurring.STREAM_COLUMNS``, or outflows alone
    without a direction), none on a savings account: the outflows (``recurring`` already
    leaves out transfers and card payments, Plaid's as ours) and of the inflows only income
    (paychecks, benefits, interest)."""
    if streams.empty or "direction" not in streams:
        return streams
    out, income = outflows(streams), income_streams(streams)
    # Savings are kept aside (their interest and fees move no spending cash).
    reserves = {a.display_name for a in snap.accounts if a.type == "depository" and is_reserve(a)}
    out, income = out[~out["account"].isin(reserves)], income[~income["account"].isin(reserves)]
    return pd.concat([out, income], ignore_index=True)


def expected_events(
    snap: FinancialSnapshot, streams: pd.DataFrame, today: date, horizon: int
) -> list[ExpectedEvent]:
    """Every source of expected money movements, each through its own builder."""
    cards = {card.display_name for card in snap.cards}
    loans = loan_due_events(snap, today, horizon)
    bills = without_linked_loan_streams(bill_and_income_streams(snap, streams), loans)
    return [
        *card_due_events(snap, today, horizon),
        *loans,
        *recurring_events(bills, today, horizon, card_accounts=cards),
    ]


def _sums(events: pd.DataFrame, amounts: pd.Series) -> dict[str, float]:
    return totals_by_currency(pd.DataFrame({"currency": events["currency"], "amount": amounts}))


def bills_figures(
    snap: FinancialSnapshot, streams: pd.DataFrame, today: date, horizon: int
) -> BillsFigures:
    events = expected_events(snap, streams, today, horizon)
    opening, reserve = spending_cash_by_currency(snap.accounts)
    projections = project_cash(opening, events, today, horizon)
    listed = events_frame(events, opening)
    counted = listed[listed["counted_in_cash"]]
    cards = counted[counted["kind"] == "Card payment"]
    return BillsFigures(
        events=listed,
        projections=projections,
        opening=opening,
        reserve=reserve,
        shortfalls=shortfalls(projections, events),
        unprojected=unprojected_currencies(events, opening),
        out=_sums(counted, counted["amount"].clip(lower=0)),
        income=_sums(counted, (-counted["amount"]).clip(lower=0)),
        card_savings=_sums(
            cards, cards["amount"] - cards["minimum_payment"].fillna(cards["amount"])
        ),
        kinds=[kind for kind in KIND_LABELS.values() if kind in set(listed["kind"])],
        accounts=sorted(listed["account"].unique()),
    )


def shown_events(
    events: pd.DataFrame, kinds: Sequence[str], accounts: Sequence[str]
) -> pd.DataFrame:
    """The list narrowed to the chosen kinds and accounts (the balance after each row still
    counts every event)."""
    return events[events["kind"].isin(kinds) & events["account"].isin(accounts)]


def calendar_charts(
    figures: BillsFigures, shown: pd.DataFrame, currency: str
) -> tuple[alt.LayerChart, alt.Chart]:
    """The projected cash of one currency, and the shown events of that currency per day."""
    days = figures.projections[currency]
    return (
        cash_ahead_chart(days, currency),
        bills_ahead_chart(days, shown[shown["currency"] == currency], currency),
    )
