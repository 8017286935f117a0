"""Bills ahead: card due dates, expected bills and income over the next weeks, the cash they
leave day by day (per currency), and a warning before it goes below zero."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd
import streamlit as st

from pages._shared import (
    analyses,
    choose_among,
    connected_snapshot,
    csv_download,
    derived,
    draw_chart,
    require_entry,
    shown_table,
    snapshot_key,
)
from services.analytics.bills_ahead import HORIZONS, Shortfall
from services.runtime import state
from services.runtime.settings import current_settings
from services.views.bills_figures import (
    BILLS_EXPORT_COLUMNS,
    BillsFigures,
    bills_figures,
    calendar_charts,
    shown_events,
)
from services.views.format import day, markdown_money, money, plain

_MONEY = "%.2f"
LIST_COLUMNS = {
    "date": st.column_config.DateColumn("Date", format="ddd MMM D, YYYY"),
    "kind": st.column_config.TextColumn("Kind"),
    "label": st.column_config.TextColumn("What"),
    "account": st.column_config.TextColumn("Account"),
    "amount": st.column_config.NumberColumn(
        "Amount", format=_MONEY, help="Money out is positive, money in negative (as banks send it)."
    ),
    "minimum_payment": st.column_config.NumberColumn("Minimum", format=_MONEY),
    "currency": st.column_config.TextColumn("Currency"),
    "counted_in_cash": st.column_config.CheckboxColumn(
        "From cash", help="Counted in the cash projection. A charge billed to a card is not."
    ),
    "balance_after": st.column_config.NumberColumn(
        "Cash after", format=_MONEY, help="Projected cash of this currency after this row."
    ),
    "note": st.column_config.TextColumn("How it was predicted"),
}
ASSUMPTIONS = (
    "Cash is what your checking and other everyday accounts hold today; savings, CDs and "
    "health savings are kept aside (named in a warning when they would cover it). A loan's "
    "payment is what the lender asks on its due date, or today when the lender calls it "
    "overdue. A due date that has passed without the lender calling it overdue is taken "
    "today unless a payment since the start of that month is reported, and the next one is "
    "expected a month after it. A card's payment is taken at its statement balance (paying "
    "in full, the safer assumption), less what you paid since the statement; its minimum "
    "is shown beside it, and it is taken today when the issuer calls it overdue, or when its "
    "due date has passed without the issuer calling it overdue and no payment of at least "
    "the minimum since the statement is reported. Only each card's next due date is known. "
    "A charge billed to a card is listed but not taken from cash on its day: the card's "
    "payment pays it. Recurring bills and income come from your transactions' patterns, at "
    "their typical amount; on a day with both, income is counted first. A bill expected "
    "earlier and not seen yet is taken today; income expected earlier and not seen yet is "
    "listed but not counted until it comes."
)


def reserve_help(figures: BillsFigures, currency: str) -> str:
    held = figures.reserve.get(currency)
    said = "Checking and other everyday accounts, which bills are paid from."
    if held is None:
        return said
    kept = markdown_money(held, currency)
    return f"{said} Savings and the like ({kept}) are kept aside, not counted."


def render_cash_metrics(figures: BillsFigures, horizon: int) -> None:
    """Per currency with cash: today, what goes out, what comes in, the lowest day."""
    for currency, opening in figures.opening.items():
        days = figures.projections[currency]
        lowest = days.loc[days["balance"].idxmin()]
        code = plain(currency)
        now, out, income, low = st.columns(4)
        now.metric(
            f"Cash today ({code})",
            markdown_money(opening, currency),
            help=reserve_help(figures, currency),
        )
        out.metric(
            f"Paid out, next {horizon} days ({code})",
            markdown_money(figures.out.get(currency, 0.0), currency),
        )
        income.metric(
            f"Coming in, next {horizon} days ({code})",
            markdown_money(figures.income.get(currency, 0.0), currency),
        )
        low.metric(
            f"Lowest projected ({code})",
            markdown_money(float(lowest["balance"]), currency),
            help=f"At the end of {day(pd.Timestamp(lowest['date']).date())}.",
        )


def shortfall_message(shortfall: Shortfall, figures: BillsFigures, horizon: int) -> str:
    """Our own words and figures only: the currency is escaped, names never appear."""
    currency = shortfall.currency
    first = money(shortfall.balance, currency)
    if shortfall.next_income is not None:
        until = (
            f"before your next expected income on {day(shortfall.next_income)} "
            f"({money(shortfall.next_income_amount, currency)})"
        )
    else:
        until = f"and no income is expected in the next {horizon} days"
    needed = money(shortfall.needed, currency)
    later = "after that income" if shortfall.next_income is not None else "later"
    advice = (
        f"To stay above zero, have {needed} more in your cash accounts before "
        f"{day(shortfall.day)}, or ask to move a payment {later}."
    )
    held = figures.reserve.get(currency, 0.0)
    if held >= shortfall.needed:
        advice += (
            f" Your savings hold {money(held, currency)}: moving {needed} from them before "
            f"{day(shortfall.day)} covers it."
        )
    savings = figures.card_savings.get(currency, 0.0)
    if savings > 0:
        advice += (
            f" Paying only the card minimums would keep {money(savings, currency)} in cash, "
            "but the rest of the statement then costs interest."
        )
    return plain(
        f"Your {currency} cash is projected to go below zero on {day(shortfall.day)} ({first}) "
        f"{until}. It is lowest on {day(shortfall.lowest_day)} "
        f"({money(shortfall.lowest, currency)}). {advice}"
    )


def render_warnings(figures: BillsFigures, horizon: int) -> None:
    for shortfall in figures.shortfalls:
        st.error(shortfall_message(shortfall, figures, horizon), icon=":material/warning:")
    if figures.opening and not figures.shortfalls:
        st.success(
            f"Your cash stays above zero for the next {horizon} days on what is expected.",
            icon=":material/check_circle:",
        )
    if not figures.opening:
        st.info(
            "No checking or savings account is connected, so cash cannot be projected; the "
            "expected payments are listed below."
        )
    if figures.unprojected:
        codes = ", ".join(plain(c) for c in figures.unprojected)
        st.caption(
            f"Listed but not projected: {codes}. No cash account holds that currency, and "
            "amounts in different currencies are never added together."
        )


def render_calendar(figures: BillsFigures, shown: pd.DataFrame, key: Hashable) -> None:
    currencies = list(figures.projections)
    if not currencies:
        return
    st.subheader("Calendar")
    currency = currencies[0]
    if len(currencies) > 1:
        currency = st.selectbox("Currency", currencies, key="bills_currency")
    cash, flows = derived(
        "bills_chart", (key, currency), lambda: calendar_charts(figures, shown, currency)
    )
    draw_chart(cash, width="stretch", height=260)
    draw_chart(flows, width="stretch", height=220)
    st.caption(
        "The line is the cash projected at each day's end; the dashed red line is zero. "
        "Below it, bars are what comes in (up) and goes out (down); faded bars are charges "
        "billed to a card, paid with the card's payment rather than from cash on their day."
    )


def render_list(shown: pd.DataFrame) -> None:
    st.subheader("List")
    shown_table(shown, LIST_COLUMNS, key="bills_table")
    csv_download(shown, "bills_ahead.csv", key="bills_csv", columns=list(BILLS_EXPORT_COLUMNS))
    st.caption("Cash after each row counts every expected item, filtered out or not.")


def render() -> None:
    require_entry()
    st.title("Bills ahead")
    snap = connected_snapshot("bank accounts")
    if snap is None:
        return
    today = state.today(current_settings())
    horizon = st.segmented_control(
        "Days ahead", list(HORIZONS), default=HORIZONS[0], key="bills_horizon"
    )
    horizon = horizon or HORIZONS[0]
    streams = analyses(snap, today).all_streams
    key = (snapshot_key(snap), today, horizon)
    figures = derived("bills", key, lambda: bills_figures(snap, streams, today, horizon))
    render_cash_metrics(figures, horizon)
    render_warnings(figures, horizon)
    st.caption(ASSUMPTIONS)
    if figures.events.empty:
        st.info(f"Nothing is expected in the next {horizon} days.")
        return
    left, right = st.columns(2)
    with left:
        kinds = choose_among("Kind", figures.kinds, "bills_kinds")
    with right:
        accounts = choose_among("Account", figures.accounts, "bills_accounts")
    shown = shown_events(figures.events, kinds, accounts)
    render_calendar(figures, shown, (key, tuple(kinds), tuple(accounts)))
    render_list(shown)


render()
