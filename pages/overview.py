"""Overview: utilization, what is owed and due, this month's spending, income and the next
paycheck, the score, alerts."""

from __future__ import annotations

from datetime import date

import altair as alt
import streamlit as st

from integrations.models import CreditReport
from pages._live_balance import render_live_balances
from pages._shared import (
    analyses,
    credit_report,
    derived,
    draw_chart,
    from_snapshot,
    nothing_connected,
    offer_update,
    relink_offered,
    render_connection_problems,
    render_syncing,
    require_entry,
    snapshot,
    snapshot_key,
)
from services.analytics.cards import PaymentDue, UtilizationTotal, utilization_band
from services.analytics.income import RECENT_DAYS, IncomeSummary, NextPaycheck, income_summary
from services.analytics.money import other_currencies
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.worth import CashTotal
from services.runtime import state, webhook_events
from services.runtime.history import current_history, recent_changes
from services.runtime.settings import Settings, current_settings
from services.runtime.timezone import person_timezone
from services.views.alerts import Alert, bank_news_alert
from services.views.format import card_label, day, days_left, markdown_money, money, percent, plain
from services.views.page_figures import MonthSpending, overview_figures

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


def render_next_payment(due: PaymentDue | None) -> None:
    if due is None:
        st.metric("Next payment due", "—", help="No upcoming card payment reported.")
        return
    st.metric("Next payment due", markdown_money(due.minimum_payment, due.currency))
    st.caption(
        f"{plain(card_label(due.card, due.mask))}, due {day(due.due_date)} "
        f"({days_left(due.days_left)})"
    )


def render_spending(spending: MonthSpending) -> None:
    currency = spending.currency
    now = spending.this_month.get(currency, 0.0)
    before = spending.same_days_last_month.get(currency, 0.0)
    st.metric(
        "Spending this month",
        markdown_money(now, currency),
        delta=f"{markdown_money(now - before, currency)} vs same days last month"
        if spending.history_reaches
        else None,
        delta_color="inverse",
    )
    last_full = spending.last_month.get(currency, 0.0)
    st.caption(f"Last month in total: {markdown_money(last_full, currency)}")
    for code, amount in other_currencies(spending.this_month, currency).items():
        st.caption(f"Plus {plain(money(amount, code))} spent in {plain(code)} (not converted).")


def render_cash(cash: tuple[CashTotal, ...]) -> None:
    if not cash:
        st.metric("Cash", "—", help="No checking or savings account connected.")
        return
    headline = cash[0]
    st.metric("Cash", markdown_money(headline.current, headline.currency))
    st.caption(f"Available now {markdown_money(headline.available, headline.currency)}")
    for other in cash[1:]:
        st.caption(
            f"Also {plain(money(other.current, other.currency))} in {plain(other.currency)}."
        )


def render_net_worth(worth: dict[str, float], currency: str | None) -> None:
    """Net worth in the cash headline's currency; any other currency on its own line."""
    if not worth:
        st.metric("Net worth", "—")
        return
    main = currency if currency in worth else sorted(worth)[0]
    st.metric("Net worth", markdown_money(worth[main], main))
    st.caption("Cash less card and loan balances; the parts are on the Accounts page.")
    for code, amount in sorted(worth.items()):
        if code != main:
            st.caption(f"Also {plain(money(amount, code))} in {plain(code)} (not converted).")


def render_recent_income(recent: dict[str, float], month: dict[str, float], main: str) -> None:
    if not recent and not month:
        st.metric(f"Income, last {RECENT_DAYS} days", "—", help="No income in these accounts.")
        return
    currency = main if main in recent or main in month else sorted({*recent, *month})[0]
    st.metric(
        f"Income, last {RECENT_DAYS} days", markdown_money(recent.get(currency, 0.0), currency)
    )
    st.caption(f"This month so far: {markdown_money(month.get(currency, 0.0), currency)}")
    for code, amount in other_currencies(recent, currency).items():
        st.caption(f"Plus {plain(money(amount, code))} received in {plain(code)} (not converted).")


def render_next_paycheck(paycheck: NextPaycheck | None, today: date) -> None:
    if paycheck is None:
        st.metric("Next paycheck", "—", help="No regular income found yet.")
        return
    st.metric("Next paycheck", markdown_money(paycheck.amount, paycheck.currency))
    left = (paycheck.expected - today).days
    st.caption(f"{plain(paycheck.payer)}, expected {day(paycheck.expected)} ({days_left(left)})")


def render_income(snap: FinancialSnapshot, today: date) -> None:
    """Income received lately and the next paycheck expected, on the person's calendar."""
    known = analyses(snap, today)
    summary: IncomeSummary = derived(
        "overview_income",
        (snapshot_key(snap), today),
        lambda: from_snapshot(
            "overview_income",
            snap,
            today,
            lambda: income_summary(snap.transactions, known.income_streams, today),
        ),
    )
    first, second, _ = st.columns(3)
    with first:
        render_recent_income(summary.recent, summary.this_month, known.currency)
    with second:
        render_next_paycheck(summary.next_paycheck, today)


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


def render_bank_news(settings: Settings, offered: set[str] = frozenset()) -> None:
    """What Plaid's webhooks said about this session's banks (a new login needed, a
    disconnect coming...), newest last; nothing without webhooks. News that Link's update
    mode answers gets its button, unless a problem card above already offers it."""
    items = [connection.item_key for connection in state.connections()]
    for item_key, notice in webhook_events.notices(items, settings):
        alert = bank_news_alert(notice.kind, state.connection_label(item_key), notice.since)
        if alert is not None:
            ALERT_RENDERERS[alert.severity](f"**{plain(alert.title)}**  \n{plain(alert.detail)}")
            if not (notice.kind == "login_required" and item_key in offered):
                offer_update(item_key, notice.kind, key="news")


def render_history_changes(settings: Settings, today: date, shown: list[Alert]) -> None:
    """What changed in the kept history lately (traditional mode, or the demo's), less what
    the alerts above already say (a recent hard inquiry, a late payment)."""
    history = current_history(settings)
    if history is None:
        return
    said = {alert.title for alert in shown}
    changes = [c for c in recent_changes(history, today) if c.title not in said]
    if not changes:
        return
    st.subheader("Changed lately")
    for change in changes:
        text = f"**{plain(change.title)}** · {day(change.day)}  \n{plain(change.detail)}"
        ALERT_RENDERERS[change.level](f"{text}  \n{plain(change.action)}")
    st.caption("From the History page, which has the whole record.")


def render_card_chart(chart: alt.LayerChart | None) -> None:
    if chart is None:
        return
    st.subheader("Utilization by card")
    draw_chart(chart, width="stretch")


def render() -> None:
    require_entry()
    st.title("Overview")
    settings = current_settings()
    snap = snapshot(settings, early=True)
    syncing = snap is not None and bool(snap.syncing)
    report = credit_report(settings)
    today = state.today(settings)
    if snap is None and report is None:
        nothing_connected("accounts")
        return
    if snap is not None:
        render_connection_problems(snap)
    unusual = analyses(snap, today).findings if snap is not None and not syncing else None
    zone = person_timezone()
    key = (snapshot_key(snap) if snap is not None else None, report, today, str(zone))
    figures = derived(
        "overview",
        key,
        lambda: from_snapshot(
            "overview",
            snap,
            today,
            lambda: overview_figures(snap, report, today, unusual, zone),
            report,
            zone,
        ),
    )
    first, second, third = st.columns(3)
    with first:
        render_utilization(figures.totals)
    with second:
        render_owed(figures.totals)
    with third:
        render_next_payment(figures.next_due)
    fourth, fifth, sixth = st.columns(3)
    with fourth:
        if figures.spending is not None and not syncing:
            render_spending(figures.spending)
    with fifth:
        render_score(report)
    if figures.net_worth is not None:
        with sixth:
            render_cash(figures.cash)
            if snap is not None:
                render_live_balances(settings, snap)
        seventh, _, _ = st.columns(3)
        with seventh:
            render_net_worth(figures.net_worth, figures.cash[0].currency if figures.cash else None)
    if snap is not None and syncing:
        render_syncing(snap, "spending, income and what needs attention")
    elif snap is not None and not snap.transactions.empty:
        render_income(snap, today)
    if not syncing:
        render_alerts(figures.alerts)
    render_bank_news(settings, relink_offered(snap) if snap is not None else set())
    render_history_changes(settings, today, figures.alerts)
    render_card_chart(figures.chart)


render()
