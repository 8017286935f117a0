"""Overview: utilization, what is owed and due, this month's spending, the score, alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from integrations.models import CreditReport
from pages._shared import (
    analyses,
    nothing_connected,
    render_connection_problems,
    require_entry,
)
from services import session
from services.alerts import Alert, build_alerts
from services.cards import (
    UtilizationTotal,
    cards_frame,
    next_payment_due,
    overall_utilization,
    utilization_band,
)
from services.charts import utilization_chart
from services.dates import previous_period
from services.format import card_label, day, days_left, markdown_money, money, percent, plain
from services.money import main_currency, other_currencies, spending_by_currency
from services.settings import current_settings
from services.snapshot import FinancialSnapshot

ALERT_RENDERERS = {"error": st.error, "warning": st.warning, "info": st.info}


def render_utilization(totals: tuple[UtilizationTotal, ...]) -> None:
    if not totals:
        st.metric("Overall utilization", "—", help="No credit cards connected.")
        return
    headline = totals[0]
    band = utilization_band(headline.utilization)
    st.metric("Overall utilization", percent(headline.utilization, 1))
    st.markdown(f":{band.colour}[**{band.label}**] · {band.advice}")
    if headline.cards_without_limit:
        n = headline.cards_without_limit
        st.caption(f"{n} card{'s' if n > 1 else ''} without a reported limit left out.")


def render_owed(totals: tuple[UtilizationTotal, ...]) -> None:
    if not totals:
        st.metric("Total owed", "—")
        return
    headline = totals[0]
    st.metric("Total owed on cards", markdown_money(headline.owed, headline.currency))
    st.caption(f"Total credit limit {markdown_money(headline.limit, headline.currency)}")
    for other in totals[1:]:
        owed = plain(money(other.owed, other.currency))
        st.caption(f"Also {owed} owed in {plain(other.currency)}.")


def render_next_payment(cards: pd.DataFrame) -> None:
    due = next_payment_due(cards)
    if due is None:
        st.metric("Next payment due", "—", help="No upcoming card payment reported.")
        return
    st.metric("Next payment due", markdown_money(due.minimum_payment, due.currency))
    st.caption(
        f"{plain(card_label(due.card, due.mask))}, due {day(due.due_date)} "
        f"({days_left(due.days_left)})"
    )


def render_spending(snap: FinancialSnapshot, today: date) -> None:
    frame = snap.transactions
    currency = main_currency(frame)
    month_start = today.replace(day=1)
    # Like with like: the first N days of last month against the first N of this one.
    last_month_start, last_month_same_day = previous_period(month_start, today)
    this_month = spending_by_currency(frame, month_start, today)
    last_period = spending_by_currency(frame, last_month_start, last_month_same_day)
    last_full = spending_by_currency(frame, last_month_start, month_start - timedelta(days=1))
    now, before = this_month.get(currency, 0.0), last_period.get(currency, 0.0)
    history_reaches = not frame.empty and frame["date"].min() <= pd.Timestamp(last_month_start)
    st.metric(
        "Spending this month",
        markdown_money(now, currency),
        delta=f"{markdown_money(now - before, currency)} vs same days last month"
        if history_reaches
        else None,
        delta_color="inverse",
    )
    st.caption(f"Last month in total: {markdown_money(last_full.get(currency, 0.0), currency)}")
    for code, amount in other_currencies(this_month, currency).items():
        st.caption(f"Plus {plain(money(amount, code))} spent in {plain(code)} (not converted).")


def render_score(report: CreditReport | None) -> None:
    score = report.primary_score if report else None
    if score is None or score.score is None:
        st.metric("Credit score", "—", help="No credit report connected.")
        return
    st.metric("Credit score", str(score.score))
    st.caption(
        f"{plain(score.model_name)} ({score.min_score}–{score.max_score}), "
        f"**{plain(score.band)}** · report of {day(report.report_date)}"
    )


def render_alerts(alerts: list[Alert]) -> None:
    st.subheader("Needs attention")
    if not alerts:
        st.success("Nothing needs attention right now.", icon=":material/check_circle:")
        return
    for alert in alerts:
        ALERT_RENDERERS[alert.severity](f"**{plain(alert.title)}**  \n{plain(alert.detail)}")


def render_card_chart(cards: pd.DataFrame) -> None:
    if cards["utilization"].isna().all():
        return
    st.subheader("Utilization by card")
    st.altair_chart(utilization_chart(cards), width="stretch")


def render() -> None:
    require_entry()
    st.title("Overview")
    settings = current_settings()
    snap = session.snapshot(settings)
    report = session.credit_report(settings)
    today = session.today()
    if snap is None and report is None:
        nothing_connected("accounts")
        return
    if snap is not None:
        render_connection_problems(snap)
    cards = (
        cards_frame(snap.accounts, snap.liabilities, snap.items, today)
        if snap
        else cards_frame((), (), (), today)
    )
    totals = overall_utilization(cards)
    first, second, third = st.columns(3)
    with first:
        render_utilization(totals)
    with second:
        render_owed(totals)
    with third:
        render_next_payment(cards)
    fourth, fifth, _ = st.columns(3)
    with fourth:
        if snap is not None:
            render_spending(snap, today)
    with fifth:
        render_score(report)
    unusual = analyses(snap, today).findings if snap is not None else None
    render_alerts(build_alerts(cards, totals, report, today, unusual))
    render_card_chart(cards)


render()
