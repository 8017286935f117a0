"""Accounts: what the cash accounts hold, what the loans are owed and ask next, and net worth
per currency with its parts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import (
    connected_snapshot,
    csv_download,
    derived,
    require_entry,
    shown_table,
    snapshot_key,
)
from services.analytics.loans import AWAITING_LENDER, sum_by_currency
from services.analytics.worth import NetWorth
from services.runtime import state
from services.runtime.settings import current_settings
from services.views.format import markdown_money, money, plain
from services.views.page_figures import AccountsFigures, accounts_figures

_MONEY = "%.2f"
_DAY = "MMM D, YYYY"
CASH_COLUMNS = {
    "institution": st.column_config.TextColumn("Institution"),
    "account": st.column_config.TextColumn("Account"),
    "mask": st.column_config.TextColumn("Ending"),
    "subtype": st.column_config.TextColumn("Type"),
    "current": st.column_config.NumberColumn("Current", format=_MONEY),
    "available": st.column_config.NumberColumn(
        "Available", format=_MONEY, help="What can be spent now, pending charges taken off."
    ),
    "currency": st.column_config.TextColumn("Currency"),
}
LOAN_COLUMNS = {
    "institution": st.column_config.TextColumn("Institution"),
    "loan": st.column_config.TextColumn("Loan"),
    "mask": st.column_config.TextColumn("Ending"),
    "kind": st.column_config.TextColumn("Kind"),
    "currency": st.column_config.TextColumn("Currency"),
    "balance": st.column_config.NumberColumn("Balance", format=_MONEY),
    "interest_rate": st.column_config.NumberColumn("Rate", format="%.2f%%"),
    "next_payment": st.column_config.NumberColumn("Next payment", format=_MONEY),
    "due_date": st.column_config.DateColumn("Due date", format=_DAY),
    "days_left": st.column_config.NumberColumn("Days left"),
    "status": st.column_config.TextColumn("Status"),
    "overdue": st.column_config.CheckboxColumn("Overdue"),
    "past_due_amount": st.column_config.NumberColumn("Past due", format=_MONEY),
    "last_payment_amount": st.column_config.NumberColumn("Last payment", format=_MONEY),
    "last_payment_date": st.column_config.DateColumn("Last paid", format=_DAY),
    "original_amount": st.column_config.NumberColumn("Borrowed", format=_MONEY),
    "payoff_date": st.column_config.DateColumn("Paid off by", format=_DAY),
}


def totals_per_currency(label: str, totals: dict[str, float]) -> None:
    """One metric per currency, side by side: amounts in different currencies never add up."""
    if not totals:
        return
    for column, (currency, total) in zip(st.columns(len(totals)), totals.items(), strict=True):
        column.metric(f"{label} ({plain(currency)})", markdown_money(total, currency))


def render_net_worth(parts: tuple[NetWorth, ...]) -> None:
    st.subheader("Net worth")
    if not parts:
        st.info("No cash account, card or loan connected.")
        return
    for part in parts:
        code = part.currency
        cash, cards, loans, net = st.columns(4)
        cash.metric(f"Cash ({plain(code)})", markdown_money(part.cash, code))
        cards.metric(f"Card balances ({plain(code)})", markdown_money(part.cards, code))
        loans.metric(f"Loans ({plain(code)})", markdown_money(part.loans, code))
        net.metric(f"Net worth ({plain(code)})", markdown_money(part.net, code))
    st.caption(
        "Cash less what the cards and loans are owed, in each currency on its own (never "
        "converted). A card in credit counts for you. Investments, property and cars are not "
        "counted."
    )


def render_cash(cash: pd.DataFrame, figures: AccountsFigures) -> None:
    st.subheader("Cash")
    if figures.cash.empty:
        st.info("No checking or savings account connected.")
        return
    totals_per_currency("Cash", sum_by_currency(cash, "current"))
    shown_table(cash, CASH_COLUMNS, key="accounts_cash_table")
    csv_download(cash, "cash_accounts.csv", key="accounts_cash_csv", columns=list(CASH_COLUMNS))


def render_loan_warnings(loans: pd.DataFrame) -> None:
    for row in loans[loans["overdue"]].itertuples(index=False):
        owed = row.past_due_amount if pd.notna(row.past_due_amount) else row.next_payment
        amount = f" {plain(money(owed, row.currency))}" if pd.notna(owed) else ""
        st.error(
            f"**{plain(row.loan)}** is overdue:{amount} past due. Pay it or call the servicer "
            "before it is 30 days late, when it is reported to the credit bureaus."
        )
    for row in loans[loans["awaiting_lender"]].itertuples(index=False):
        # The same words as the Status column and the overview's alert: not an error, the
        # lender does not call it overdue.
        st.info(
            f"**{plain(row.loan)}**: {AWAITING_LENDER}. It "
            f"was due on {row.due_date:%b %d} and the lender does not report it overdue; a "
            "payment made shows once the lender moves the due date."
        )


def render_loans(figures: AccountsFigures, institutions: list[str]) -> None:
    st.subheader("Loans")
    loans = figures.loans
    if loans.empty:
        st.info("No student loan or mortgage connected.")
        return
    kinds = figures.loan_kinds
    chosen = st.multiselect("Kind", kinds, default=kinds, key="accounts_kind")
    shown = loans[loans["institution"].isin(institutions) & loans["kind"].isin(chosen)]
    totals_per_currency("Owed", sum_by_currency(shown, "balance"))
    render_loan_warnings(shown)
    shown_table(shown, LOAN_COLUMNS, key="accounts_loans_table")
    st.caption(
        "Balances as the lender reports them today, interest since the last payment included "
        "where the lender counts it. The next payment is the minimum a student loan asks, or "
        "a mortgage's scheduled payment."
    )
    csv_download(shown, "loans.csv", key="accounts_loans_csv", columns=list(LOAN_COLUMNS))


def render() -> None:
    require_entry()
    st.title("Accounts")
    snap = connected_snapshot("accounts")
    if snap is None:
        return
    today = state.today(current_settings())
    key = (snapshot_key(snap), today)
    figures = derived("accounts", key, lambda: accounts_figures(snap, today))
    render_net_worth(figures.net_worth)
    institutions = figures.institutions
    chosen = st.multiselect("Institution", institutions, default=institutions, key="accounts_inst")
    cash = figures.cash[figures.cash["institution"].isin(chosen)]
    render_cash(cash, figures)
    render_loans(figures, chosen)


render()
