"""Cards: every credit card's balance, limit, utilization and payment position, and how much
to pay on which card, by when, to report a utilization under a target."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from pages._shared import (
    connected_snapshot,
    csv_download,
    derived,
    draw_chart,
    from_snapshot,
    render_syncing,
    require_entry,
    shown_table,
    snapshot_key,
)
from services.analytics.cards import (
    BANDS,
    UTILIZATION_THRESHOLDS,
    UtilizationTotal,
    utilization_band,
)
from services.analytics.paydown import DEFAULT_TARGET, PAYMENT_POSTING_DAYS, TARGET_CHOICES
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import state
from services.runtime.settings import current_settings
from services.views.format import card_label, markdown_money, money, percent, plain
from services.views.page_figures import CardFigures, PlanFigures, card_figures, plan_figures

_MONEY = "%.2f"
TABLE_COLUMNS = {
    "institution": st.column_config.TextColumn("Institution"),
    "card": st.column_config.TextColumn("Card"),
    "mask": st.column_config.TextColumn("Ending"),
    "currency": st.column_config.TextColumn("Currency"),
    "balance": st.column_config.NumberColumn("Balance", format=_MONEY),
    "limit": st.column_config.NumberColumn("Limit", format=_MONEY),
    "available": st.column_config.NumberColumn("Available", format=_MONEY),
    "utilization": st.column_config.ProgressColumn(
        "Utilization", format="percent", min_value=0.0, max_value=1.0
    ),
    "band": st.column_config.TextColumn("Band", help="Unknown when no limit is reported."),
    "statement_balance": st.column_config.NumberColumn("Statement balance", format=_MONEY),
    "statement_date": st.column_config.DateColumn("Statement date", format="MMM D, YYYY"),
    "minimum_payment": st.column_config.NumberColumn("Minimum payment", format=_MONEY),
    "due_date": st.column_config.DateColumn("Due date", format="MMM D, YYYY"),
    "days_left": st.column_config.NumberColumn("Days left"),
    "status": st.column_config.TextColumn(
        "Status", help="Overdue only when the issuer says so, never guessed from the date."
    ),
    "overdue": st.column_config.CheckboxColumn("Overdue"),
    "purchase_apr": st.column_config.NumberColumn("Purchase APR", format="%.2f%%"),
    "cash_apr": st.column_config.NumberColumn("Cash APR", format="%.2f%%"),
    "balance_transfer_apr": st.column_config.NumberColumn("Balance transfer APR", format="%.2f%%"),
    "special_apr": st.column_config.NumberColumn("Special APR", format="%.2f%%"),
    "penalty_apr": st.column_config.NumberColumn("Penalty APR", format="%.2f%%"),
    "last_payment_amount": st.column_config.NumberColumn("Last payment", format=_MONEY),
    "last_payment_date": st.column_config.DateColumn("Last paid", format="MMM D, YYYY"),
}
PLAN_TABLE = {
    "card": st.column_config.TextColumn("Card"),
    "mask": st.column_config.TextColumn("Ending"),
    "currency": st.column_config.TextColumn("Currency"),
    "balance": st.column_config.NumberColumn("Balance", format=_MONEY),
    "pending": st.column_config.NumberColumn("Pending", format=_MONEY),
    "limit": st.column_config.NumberColumn("Limit", format=_MONEY),
    "target_balance": st.column_config.NumberColumn("Balance to report", format=_MONEY),
    "payment": st.column_config.NumberColumn("Pay", format=_MONEY),
    "pay_by": st.column_config.DateColumn("Pay by", format="MMM D, YYYY"),
    "statement_closes": st.column_config.DateColumn("Statement closes", format="MMM D, YYYY"),
    "close_estimated_from": st.column_config.TextColumn("Close estimated from"),
    "note": st.column_config.TextColumn("Note"),
}
AVALANCHE_TABLE = {
    "order": st.column_config.NumberColumn("Order"),
    "card": st.column_config.TextColumn("Card"),
    "mask": st.column_config.TextColumn("Ending"),
    "currency": st.column_config.TextColumn("Currency"),
    "owed": st.column_config.NumberColumn("Owed", format=_MONEY),
    "purchase_apr": st.column_config.NumberColumn("Purchase APR", format="%.2f%%"),
    "monthly_interest": st.column_config.NumberColumn("Interest a month", format=_MONEY),
}


def band_legend() -> str:
    """The four bands in their colours, with their ranges: our own text only."""
    low, mid, high = (percent(t) for t in UTILIZATION_THRESHOLDS)
    ranges = (f"under {low}", f"{low}–{mid}", f"{mid}–{high}", f"{high} or more")
    return " · ".join(
        f":{band.colour}[**{band.label}**] {span}" for band, span in zip(BANDS, ranges, strict=True)
    )


def metrics_per_currency(label: str, totals: dict[str, float]) -> None:
    """One metric per currency, side by side: amounts in different currencies never add up."""
    if not totals:
        return
    for column, (currency, total) in zip(st.columns(len(totals)), totals.items(), strict=True):
        column.metric(f"{label} ({plain(currency)})", markdown_money(total, currency))


def render_overall(totals: tuple[UtilizationTotal, ...]) -> None:
    for total in totals:
        band = utilization_band(total.utilization)
        code = plain(total.currency)
        left, middle, right = st.columns(3)
        left.metric(f"Overall utilization ({code})", percent(total.utilization, 1))
        middle.metric(f"Owed ({code})", markdown_money(total.owed, total.currency))
        right.metric(f"Total limit ({code})", markdown_money(total.limit, total.currency))
        st.markdown(f":{band.colour}[**{band.label}**] · {band.advice}")
        if total.cards_without_limit:
            st.caption(
                f"{total.cards_without_limit} card(s) without a reported limit are shown as "
                "unknown and left out of the overall figure (their balance is in Owed)."
            )
    st.caption(
        "Utilization is what you owe over the card's limit, as the bureaus see it: "
        + band_legend()
        + ". Scoring models reward lower figures, on each card and overall."
    )


def render_cards_table(shown: pd.DataFrame) -> None:
    shown_table(shown, TABLE_COLUMNS, key="cards_table")
    csv_download(shown, "cards.csv", key="cards_csv", columns=list(TABLE_COLUMNS))


def render_chart(chart: alt.LayerChart | None) -> None:
    if chart is not None:
        st.subheader("Utilization by card")
        draw_chart(chart, width="stretch")
        st.caption("Dashed lines mark 10%, 30% and 50%.")


def planned_for(
    snap: FinancialSnapshot, figures: CardFigures, target: float, today: date
) -> PlanFigures:
    """The paydown plan for ``target``: the default target's plan is the same for every
    session on the same fetch (shared like the figures), any other is this session's own."""
    if target != DEFAULT_TARGET:
        return plan_figures(figures, target, today)
    return from_snapshot(
        "cards_plan", snap, today, lambda: plan_figures(figures, target, today), target
    )


def render_paydown(
    snap: FinancialSnapshot, figures: CardFigures, key: Hashable, today: date
) -> None:
    st.subheader("Paydown planner")
    target = st.select_slider(
        "Target utilization",
        options=list(TARGET_CHOICES),
        value=DEFAULT_TARGET,
        format_func=percent,
        key="cards_target",
        help="Scores often improve most under 10%, and again under 30%.",
    )
    planned = derived(
        "cards_plan", (key, target), lambda: planned_for(snap, figures, target, today)
    )
    totals = planned.totals
    for column, (currency, total) in zip(
        st.columns(max(len(totals), 1)), totals.items(), strict=False
    ):
        column.metric(f"Pay in total ({plain(currency)})", markdown_money(total, currency))
    shown_table(planned.plan, PLAN_TABLE, key="cards_plan")
    st.caption(
        f"Issuers report the balance on the statement closing date, so pay at least "
        f"{PAYMENT_POSTING_DAYS} days before it for the payment to post in time. The close is "
        "estimated a month on from the last statement (or from the due date when no statement "
        "date is reported); pending charges are expected to post before it, and new spending "
        "adds to what to pay."
    )
    for currency, needed in planned.overall_needed.items():
        if 0 < needed < totals.get(currency, 0.0):
            parts = ", ".join(
                f"{money(amount, currency)} on {card_label(card, mask)}"
                for card, mask, amount in planned.overall_split.get(currency, [])
            )
            st.caption(
                f"To get only the overall figure under {percent(target)}, "
                f"{plain(money(needed, currency))} in all is enough: {plain(parts)} "
                "(highest APR first, never more than a card will owe)."
            )
    csv_download(planned.plan, "paydown_plan.csv", key="cards_plan_csv", label="Download plan CSV")


def render_avalanche(order: pd.DataFrame, interest: dict[str, float]) -> None:
    st.subheader("Which card to pay off first")
    if order.empty:
        st.success("No card carries a balance.")
        return
    metrics_per_currency("Interest a month if carried", interest)
    shown_table(order, AVALANCHE_TABLE, key="cards_avalanche")
    st.caption(
        "Highest purchase APR first (the avalanche order): after the minimums, every extra "
        "payment there saves the most interest. The estimate is APR ÷ 12 on what is owed, "
        "charged only if the statement balance is not paid in full by the due date."
    )


def render() -> None:
    require_entry()
    st.title("Cards")
    snap = connected_snapshot("cards", early=True)
    if snap is None:
        return
    today = state.today(current_settings())
    key = (snapshot_key(snap), today)
    figures = derived(
        "cards", key, lambda: from_snapshot("cards", snap, today, lambda: card_figures(snap, today))
    )
    cards = figures.cards
    if cards.empty:
        st.info("None of the connected accounts is a credit card.")
        return

    render_overall(figures.totals)
    institutions = figures.institutions
    chosen = st.multiselect("Institution", institutions, default=institutions, key="cards_inst")
    shown = cards if chosen == institutions else cards[cards["institution"].isin(chosen)]
    render_cards_table(shown)
    render_chart(figures.chart)
    if snap.syncing:  # the planner counts pending charges, which come with the transactions
        render_syncing(snap, "the paydown planner and which card to pay off first")
        return
    render_paydown(snap, figures, key, today)
    render_avalanche(figures.avalanche, figures.monthly_interest)


render()
