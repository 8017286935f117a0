"""Transactions: filter two years of history and download exactly what is shown."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from pages._shared import csv_download, nothing_connected, render_connection_problems
from services import session
from services.format import money
from services.money import main_currency
from services.settings import current_settings
from services.transactions import TransactionFilter, apply_filter, summarize

TABLE_COLUMNS = {
    "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
    "name": st.column_config.TextColumn("Description"),
    "merchant": st.column_config.TextColumn("Merchant"),
    "amount": st.column_config.NumberColumn("Amount", format="%.2f", help="Positive = money out"),
    "currency": st.column_config.TextColumn("Currency"),
    "category": st.column_config.TextColumn("Category"),
    "category_detailed": st.column_config.TextColumn("Detailed category"),
    "pending": st.column_config.CheckboxColumn("Pending"),
    "account": st.column_config.TextColumn("Account"),
    "institution": st.column_config.TextColumn("Institution"),
}
EXPORT_COLUMNS = ["transaction_id", *TABLE_COLUMNS, "payment_channel", "account_id"]


def read_filter(frame: pd.DataFrame, today: date) -> TransactionFilter:
    first = frame["date"].min().date() if not frame.empty else today
    with st.container(border=True):
        left, middle, right = st.columns([2, 3, 3])
        picked = left.date_input(
            "Dates",
            value=(max(first, today - timedelta(days=90)), today),
            min_value=first,
            max_value=today,
            key="tx_dates",
        )
        accounts = middle.multiselect(
            "Accounts", sorted(frame["account"].unique()), key="tx_accounts", placeholder="All"
        )
        categories = right.multiselect(
            "Categories", sorted(frame["category"].unique()), key="tx_categories", placeholder="All"
        )
        text_col, pending_col, transfers_col = st.columns([4, 2, 2])
        text = text_col.text_input("Search description or merchant", key="tx_text")
        include_pending = pending_col.toggle("Include pending", value=True, key="tx_pending")
        include_transfers = transfers_col.toggle(
            "Include transfers and card payments", value=True, key="tx_transfers"
        )
    # While the user is picking a range the widget holds only its start date.
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (first, today)
    return TransactionFilter(
        start=start,
        end=end,
        accounts=tuple(accounts),
        categories=tuple(categories),
        text=text,
        include_pending=include_pending,
        include_transfers=include_transfers,
    )


def render_summary(view: pd.DataFrame, currency: str) -> None:
    summary = summarize(view)
    left, middle, right = st.columns(3)
    left.metric("Transactions", f"{summary.count:,}")
    middle.metric("Spending", money(summary.spending.get(currency, 0.0), currency))
    right.metric("Income", money(summary.income.get(currency, 0.0), currency))
    others = [money(v, c) for c, v in summary.spending.items() if c != currency]
    if others:
        st.caption("Spending in other currencies (not converted): " + ", ".join(others))


def render() -> None:
    st.title("Transactions")
    settings = current_settings()
    snap = session.snapshot(settings)
    if snap is None:
        nothing_connected("accounts")
        return
    render_connection_problems(snap)
    frame = snap.transactions
    if frame.empty:
        st.info("No transactions to show yet.")
        return
    spec = read_filter(frame, session.today())
    view = apply_filter(frame, spec)
    render_summary(view, main_currency(frame))
    st.dataframe(
        view,
        hide_index=True,
        column_order=list(TABLE_COLUMNS),
        column_config=TABLE_COLUMNS,
        key="tx_table",
    )
    csv_download(view[EXPORT_COLUMNS], "transactions.csv", key="tx_csv")


render()
