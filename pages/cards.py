"""Cards: every credit card with its balance, limit, utilization and payment position."""

from __future__ import annotations

import streamlit as st

from pages._shared import csv_download, nothing_connected, render_connection_problems
from services import session
from services.cards import cards_frame, overall_utilization, utilization_band
from services.format import money, percent
from services.settings import current_settings

TABLE_COLUMNS = {
    "institution": st.column_config.TextColumn("Institution"),
    "card": st.column_config.TextColumn("Card"),
    "mask": st.column_config.TextColumn("Ending"),
    "currency": st.column_config.TextColumn("Currency"),
    "balance": st.column_config.NumberColumn("Balance", format="%.2f"),
    "limit": st.column_config.NumberColumn("Limit", format="%.2f"),
    "available": st.column_config.NumberColumn("Available", format="%.2f"),
    "utilization": st.column_config.ProgressColumn(
        "Utilization", format="percent", min_value=0.0, max_value=1.0
    ),
    "statement_balance": st.column_config.NumberColumn("Statement balance", format="%.2f"),
    "minimum_payment": st.column_config.NumberColumn("Minimum payment", format="%.2f"),
    "due_date": st.column_config.DateColumn("Due date", format="MMM D, YYYY"),
    "days_left": st.column_config.NumberColumn("Days left"),
    "overdue": st.column_config.CheckboxColumn("Overdue"),
    "purchase_apr": st.column_config.NumberColumn("Purchase APR", format="%.2f%%"),
    "last_payment_amount": st.column_config.NumberColumn("Last payment", format="%.2f"),
    "last_payment_date": st.column_config.DateColumn("Last paid", format="MMM D, YYYY"),
}


def render() -> None:
    st.title("Cards")
    settings = current_settings()
    snap = session.snapshot(settings)
    if snap is None:
        nothing_connected("cards")
        return
    render_connection_problems(snap)
    cards = cards_frame(snap.accounts, snap.liabilities, snap.items, session.today())
    if cards.empty:
        st.info("None of the connected accounts is a credit card.")
        return

    for total in overall_utilization(cards):
        band = utilization_band(total.utilization)
        left, middle, right = st.columns(3)
        left.metric(f"Overall utilization ({total.currency})", percent(total.utilization, 1))
        middle.metric("Owed", money(total.owed, total.currency))
        right.metric("Total limit", money(total.limit, total.currency))
        st.markdown(f":{band.colour}[**{band.label}**] · {band.advice}")
        if total.cards_without_limit:
            st.caption(
                f"{total.cards_without_limit} card(s) without a reported limit are shown as "
                "unknown and left out of the overall figure."
            )

    institutions = sorted(cards["institution"].unique())
    chosen = st.multiselect("Institution", institutions, default=institutions, key="cards_inst")
    shown = cards[cards["institution"].isin(chosen)]
    st.dataframe(
        shown,
        hide_index=True,
        column_order=list(TABLE_COLUMNS),
        column_config=TABLE_COLUMNS,
        key="cards_table",
    )
    st.caption(
        "Utilization is what you owe over the card's limit. Under 10% is excellent, "
        "under 30% is good, 30% to 50% is high, 50% or more is very high."
    )
    csv_download(shown[list(TABLE_COLUMNS)], "cards.csv", key="cards_csv")


render()
