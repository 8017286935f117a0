"""History: score, utilization, balances and spending over everything kept about the person
(traditional mode), or over the demo's three generated years."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from integrations.common.months import add_months
from pages._shared import csv_download, derived, draw_chart, require_entry
from services.analytics.trends import (
    balances_history_frame,
    filter_history,
    monthly_spending_frame,
    score_history_frame,
    thin_history,
    utilization_history_frame,
)
from services.runtime import keeping, state
from services.runtime.history import History, current_history
from services.runtime.settings import Settings, current_settings
from services.runtime.timezone import person_timezone
from services.views.charts import (
    balances_history_chart,
    monthly_spending_chart,
    score_history_chart,
    utilization_history_chart,
)
from services.views.format import day as shown_day

PERIODS = {"Last 3 months": 3, "Last 12 months": 12, "Last 3 years": 36, "Everything kept": None}
DEFAULT_PERIOD = "Last 12 months"
DAILY_UP_TO_MONTHS = 12  # longer periods draw one point a week: years stay light in the browser
_MONEY = "%.2f"
DAY_COLUMN = st.column_config.DateColumn("Day", format="MMM D, YYYY")


@dataclass(frozen=True)
class HistoryFrames:
    """Every frame the page draws from, computed once per history."""

    scores: pd.DataFrame
    utilization: pd.DataFrame
    balances: pd.DataFrame
    spending: pd.DataFrame


def history_frames(history: History) -> HistoryFrames:
    return HistoryFrames(
        scores=score_history_frame(history.readings),
        utilization=utilization_history_frame(history.days),
        balances=balances_history_frame(history.days),
        spending=monthly_spending_frame(history.transactions),
    )


def since_for(period: str, today: date) -> date | None:
    months = PERIODS[period]
    return None if months is None else add_months(today, -months)


def for_chart(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    months = PERIODS[period]
    daily = months is not None and months <= DAILY_UP_TO_MONTHS
    return frame if daily or "day" not in frame else thin_history(frame, "week")


def render_source(history: History) -> None:
    first = history.first_day
    since = f" since {shown_day(first)}" if first else ""
    if history.source == "demo":
        st.caption(
            f"Demo history{since}: three years generated from the demo person's accounts and "
            "report, shown through the same code as a kept history."
        )
    else:
        st.caption(f"Kept in this app's database{since}.")


def pick(label: str, options: list[str], key: str) -> list[str]:
    return st.multiselect(label, options, key=key, placeholder="All")


def table_and_csv(table: pd.DataFrame, columns: dict[str, Any], name: str) -> None:
    """A section's table as shown (days as dates, money with cents) and its CSV download."""
    st.dataframe(
        table, hide_index=True, width="stretch", column_config={"day": DAY_COLUMN, **columns}
    )
    csv_download(table, f"{name}.csv", f"history_{name}_csv")


@dataclass(frozen=True)
class SectionView:
    """What one tab shows for the chosen period and series: its table and its charts, built
    once per choice (a rerun that changes neither only draws them)."""

    table: pd.DataFrame
    charts: tuple[alt.TopLevelMixin, ...]


def section(name: str, key: Hashable, build: Callable[[], SectionView]) -> SectionView:
    return derived(f"history_{name}", key, build)


def draw(view: SectionView) -> None:
    for chart in view.charts:
        draw_chart(chart, width="stretch")


def scores_view(frames: HistoryFrames, since: date | None, chosen: list[str]) -> SectionView:
    scores = filter_history(frames.scores, since, chosen)
    return SectionView(scores, (score_history_chart(scores),) if not scores.empty else ())


def utilization_view(
    frames: HistoryFrames, since: date | None, period: str, chosen: list[str]
) -> SectionView:
    shown = filter_history(frames.utilization, since, chosen)
    known = shown[shown["utilization"].notna()]
    charts = (utilization_history_chart(for_chart(known, period)),) if not known.empty else ()
    return SectionView(shown.drop(columns=["account_id"]), charts)


def balances_view(
    frames: HistoryFrames, since: date | None, period: str, chosen: list[str]
) -> SectionView:
    shown = filter_history(frames.balances, since, chosen)
    # Cards as what is owed, other accounts as their balance; one chart per currency.
    amounts = shown.assign(amount=shown["owed"].fillna(shown["balance"]))
    charts = tuple(
        balances_history_chart(for_chart(rows, period), str(currency))
        for currency, rows in amounts.groupby("currency", sort=True)
    )
    return SectionView(shown.drop(columns=["account_id"]), charts)


def spending_view(frames: HistoryFrames, since: date | None) -> SectionView:
    shown = filter_history(frames.spending, since)
    charts = tuple(
        monthly_spending_chart(rows, str(currency))
        for currency, rows in shown.groupby("currency", sort=True)
    )
    return SectionView(shown, charts)


def render_scores(frames: HistoryFrames, key: Hashable, since: date | None) -> None:
    models = sorted(frames.scores["model"].unique())
    chosen = pick("Score models", models, "history_models")
    view = section("scores", (key, *chosen), lambda: scores_view(frames, since, chosen))
    if view.table.empty:
        st.info("No score in this period. Each credit report pulled adds one per model.")
        return
    draw(view)
    table_and_csv(view.table, {}, "score_history")


def render_utilization(
    frames: HistoryFrames, key: Hashable, since: date | None, period: str
) -> None:
    cards = sorted(frames.utilization["card"].unique())
    chosen = pick("Cards", cards, "history_cards")
    view = section(
        "utilization", (key, *chosen), lambda: utilization_view(frames, since, period, chosen)
    )
    if view.table.empty:
        st.info("No card in this period.")
        return
    draw(view)
    columns = {
        "owed": st.column_config.NumberColumn("Owed", format=_MONEY),
        "limit": st.column_config.NumberColumn("Limit", format=_MONEY),
        "utilization": st.column_config.NumberColumn("Utilization", format="percent"),
    }
    table_and_csv(view.table, columns, "utilization_history")


def render_balances(frames: HistoryFrames, key: Hashable, since: date | None, period: str) -> None:
    accounts = sorted(frames.balances["account"].unique())
    chosen = pick("Accounts", accounts, "history_accounts")
    view = section("balances", (key, *chosen), lambda: balances_view(frames, since, period, chosen))
    if view.table.empty:
        st.info("No account in this period.")
        return
    draw(view)
    columns = {
        "balance": st.column_config.NumberColumn("Balance", format=_MONEY),
        "owed": st.column_config.NumberColumn("Owed", format=_MONEY),
    }
    table_and_csv(view.table, columns, "balances_history")


def render_spending(frames: HistoryFrames, key: Hashable, since: date | None) -> None:
    view = section("spending", key, lambda: spending_view(frames, since))
    if view.table.empty:
        st.info("No spending in this period.")
        return
    draw(view)
    st.caption(
        "Spending as on the transactions page: refunds netted, transfers and card payments "
        "left out, a pending charge counted once; never summed across currencies."
    )
    columns = {
        "month": st.column_config.DateColumn("Month", format="MMMM YYYY"),
        "spent": st.column_config.NumberColumn("Spent", format=_MONEY),
    }
    table_and_csv(view.table, columns, "monthly_spending")


def nothing_kept(settings: Settings) -> None:
    if not keeping.keeps_history(settings):
        st.info(
            "Nothing is kept between visits, so there is no history yet. With `DATABASE_URL` "
            "set (traditional mode) the app keeps your balances, scores and transactions and "
            "draws them here; the demo shows three generated years."
        )
    elif not keeping.may_be_kept():
        st.info(
            "This app keeps a history only for people it knows: sign in, or use it on the "
            "machine that runs it."
        )
    else:
        since = keeping.store_trouble()
        when = f" since {since.astimezone(person_timezone()):%H:%M}" if since else ""
        st.warning(
            f"The history store is not answering{when}; your history shows here again when "
            "it does. Everything else works as before."
        )


def render() -> None:
    require_entry()
    st.title("History")
    settings = current_settings()
    history = current_history(settings)
    if history is None:
        nothing_kept(settings)
        return
    render_source(history)
    today = state.today(settings)
    period = st.segmented_control(
        "Period", list(PERIODS), default=DEFAULT_PERIOD, key="history_period"
    )
    period = period or DEFAULT_PERIOD
    since = since_for(period, today)
    frames = derived("history", history.version, lambda: history_frames(history))
    score, utilization, balances, spending = st.tabs(
        ["Score", "Utilization", "Balances", "Spending"]
    )
    key = (history.version, since, period)
    with score:
        render_scores(frames, key, since)
    with utilization:
        render_utilization(frames, key, since, period)
    with balances:
        render_balances(frames, key, since, period)
    with spending:
        render_spending(frames, key, since)


render()
