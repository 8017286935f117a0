"""The demo's three years of history: deterministic for a day, ending on what the demo shows
that day, and with changes the overview can alert on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import pytest

from integrations.demo.parsed import demo_credit_report, demo_item_data
from services.analytics.alerts_from_history import SCORE_MOVE, history_alerts
from services.analytics.dates import add_months
from services.analytics.demo_history import HISTORY_MONTHS, DemoHistory, demo_history
from services.analytics.money import spending_by_currency
from services.analytics.snapshot import build_snapshot
from services.analytics.trends import account_days, monthly_spending_frame
from tests.support.clock import TODAY


@cache
def history(today: date) -> DemoHistory:
    return demo_history(demo_item_data(today), demo_credit_report(today), today)


def test_the_same_day_gives_the_same_history() -> None:
    again = demo_history(demo_item_data(TODAY), demo_credit_report(TODAY), TODAY)
    assert again == history(TODAY)


def test_the_last_day_is_what_the_demo_shows_today() -> None:
    snapshot = build_snapshot(demo_item_data(TODAY), "demo", datetime(2026, 1, 1))
    last_day = tuple(d for d in history(TODAY).days if d.day == TODAY)
    assert sorted(last_day, key=lambda d: d.account_id) == sorted(
        account_days(snapshot, TODAY), key=lambda d: d.account_id
    )


def test_every_account_has_a_row_every_day_for_three_years() -> None:
    days = history(TODAY).days
    first = add_months(TODAY, -HISTORY_MONTHS) + timedelta(days=1)
    accounts = {d.account_id for d in days}
    assert min(d.day for d in days) == first
    assert len(days) == len(accounts) * ((TODAY - first).days + 1)


def test_the_last_report_is_todays_and_readings_come_monthly() -> None:
    demo = history(TODAY)
    assert demo.reports[-1] == (TODAY, demo_credit_report(TODAY))
    assert len(demo.readings) == HISTORY_MONTHS
    today_score = demo_credit_report(TODAY).scores[0].score
    assert demo.readings[-1].score == today_score


def test_earlier_reports_hold_nothing_dated_after_their_pull() -> None:
    for pulled, report in history(TODAY).reports:
        assert all(i.date is None or i.date <= pulled for i in report.inquiries)
        assert all(t.open_date is None or t.open_date <= pulled for t in report.tradelines)


def test_monthly_spending_reaches_past_plaids_24_months_and_agrees_within_them() -> None:
    demo = history(TODAY)
    frame = monthly_spending_frame(demo.transactions)
    assert frame["month"].min().date() <= add_months(TODAY, -HISTORY_MONTHS + 1).replace(day=1)
    month = add_months(TODAY.replace(day=1), -1)
    end = TODAY.replace(day=1) - timedelta(days=1)
    snapshot = build_snapshot(demo_item_data(TODAY), "demo", datetime(2026, 1, 1))
    expected = spending_by_currency(snapshot.transactions, month, end)
    shown = frame[frame["month"].dt.date == month].set_index("currency")["spent"]
    assert shown.to_dict() == pytest.approx(expected)


@pytest.mark.parametrize("today", [TODAY, date(2026, 2, 28), date(2025, 7, 4)])
def test_the_demo_overview_has_history_alerts(today: date) -> None:
    demo = history(today)
    alerts = history_alerts(demo.days, demo.readings, demo.reports, today)
    found = {a.kind for a in alerts}
    assert {"score_down", "hard_inquiry", "limit_cut"} <= found
    drop = next(a for a in alerts if a.kind == "score_down")
    before, after = (r.score for r in demo.readings[-2:])
    assert before - after >= SCORE_MOVE
    assert str(after) in drop.title
