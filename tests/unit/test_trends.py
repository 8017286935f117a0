"""The history page's frames and the change alerts, on small hand-built histories whose answers
are worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from integrations.models import (
    Account,
    CardLiability,
    CreditReport,
    Inquiry,
    Institution,
    Item,
    ItemData,
    PaymentMonth,
    PublicRecord,
    RiskScore,
    Transaction,
)
from services.analytics.alerts_from_history import ALERT_WINDOW_DAYS, history_alerts
from services.analytics.snapshot import build_snapshot
from services.analytics.trends import (
    AccountDay,
    Alert,
    ScoreReading,
    account_days,
    balances_history_frame,
    filter_history,
    monthly_spending_frame,
    score_history_frame,
    score_readings,
    thin_history,
    utilization_history_frame,
)
from tests.support.clock import TODAY
from tests.support.frames import tradeline

YESTERDAY = TODAY - timedelta(days=1)


def card_day(
    day: date,
    balance: float | None,
    limit: float | None,
    *,
    account_id: str = "a",
    item_id: str = "item-1",
    currency: str = "USD",
    name: str = "Rewards",
) -> AccountDay:
    return AccountDay(
        day=day,
        account_id=account_id,
        item_id=item_id,
        bank="Test Bank",
        name=name,
        mask=account_id[-4:],
        kind="card",
        currency=currency,
        balance=balance,
        limit=limit,
    )


def checking_day(day: date, balance: float, *, account_id: str = "chk") -> AccountDay:
    return replace(
        card_day(day, balance, None, account_id=account_id, name="Checking"), kind="depository"
    )


def kinds(alerts: tuple[Alert, ...]) -> list[str]:
    return [a.kind for a in alerts]


def alerts_of_days(*days: AccountDay) -> tuple[Alert, ...]:
    return history_alerts(days, (), (), TODAY)


# --- Frames ----------------------------------------------------------------------------------


def test_overall_utilization_counts_only_cards_with_a_limit() -> None:
    frame = utilization_history_frame(
        [
            card_day(TODAY, 300.0, 1000.0, account_id="a"),
            card_day(TODAY, 900.0, None, account_id="b"),  # a charge card: no limit
            card_day(TODAY, -50.0, 1000.0, account_id="c"),  # a credit balance owes nothing
        ]
    )
    overall = frame[frame["card"] == "Overall"].iloc[0]
    assert overall["owed"] == pytest.approx(300.0)
    assert overall["limit"] == pytest.approx(2000.0)
    assert overall["utilization"] == pytest.approx(0.15)
    per_card = frame.set_index("account_id")["utilization"]
    assert pd.isna(per_card["b"])
    assert per_card["c"] == 0.0


def test_overall_utilization_is_per_currency_and_named_so() -> None:
    frame = utilization_history_frame(
        [
            card_day(TODAY, 100.0, 1000.0, account_id="a"),
            card_day(TODAY, 400.0, 500.0, account_id="e", currency="EUR"),
        ]
    )
    totals = frame[frame["account_id"].isna()].set_index("card")
    assert totals["utilization"].to_dict() == {
        "Overall (EUR)": pytest.approx(0.8),
        "Overall (USD)": pytest.approx(0.1),
    }
    assert totals["currency"].to_dict() == {"Overall (EUR)": "EUR", "Overall (USD)": "USD"}


def test_owed_totals_never_add_currencies_and_leave_out_money_held() -> None:
    frame = balances_history_frame(
        [
            card_day(TODAY, 100.0, 1000.0, account_id="a"),
            card_day(TODAY, 250.0, None, account_id="b"),
            card_day(TODAY, 40.0, 500.0, account_id="e", currency="EUR"),
            checking_day(TODAY, 5000.0),
        ]
    )
    totals = frame[frame["kind"] == "total"].set_index("currency")["balance"]
    assert totals.to_dict() == {"EUR": pytest.approx(40.0), "USD": pytest.approx(350.0)}
    checking = frame[frame["kind"] == "depository"].iloc[0]
    assert checking["balance"] == 5000.0
    assert pd.isna(checking["owed"])


def test_score_history_keeps_the_last_reading_of_a_day_per_model() -> None:
    frame = score_history_frame(
        [
            ScoreReading(YESTERDAY, "FICO Score 8", 700),
            ScoreReading(TODAY, "FICO Score 8", 690),
            ScoreReading(TODAY, "FICO Score 8", 695),
            ScoreReading(TODAY, "VantageScore 4.0", 710),
        ]
    )
    assert frame["score"].tolist() == [700, 695, 710]


def test_score_readings_skip_models_without_a_score_and_date_by_the_report() -> None:
    scores = (
        RiskScore("V4", "VantageScore 4.0", 712, 300, 850, "Good", None),
        RiskScore("AF", "FICO Score 8", None, 300, 850, "No score", None),
    )
    report = CreditReport(YESTERDAY, scores, (), (), ())
    assert score_readings(report, TODAY) == (ScoreReading(YESTERDAY, "VantageScore 4.0", 712),)
    undated = replace(report, report_date=None)
    assert score_readings(undated, TODAY)[0].day == TODAY


def txn(
    tid: str,
    day: str,
    amount: float,
    category: str = "FOOD_AND_DRINK",
    *,
    detailed: str | None = None,
    currency: str = "USD",
    pending: bool = False,
    pending_id: str | None = None,
) -> Transaction:
    return Transaction(
        transaction_id=tid,
        account_id="a",
        amount=amount,
        currency=currency,
        date=date.fromisoformat(day),
        authorized_date=None,
        name="Shop",
        merchant_name=None,
        pending=pending,
        pending_transaction_id=pending_id,
        category=category,
        category_detailed=detailed or f"{category}_OTHER",
        payment_channel="in store",
    )


def spent(transactions: list[Transaction]) -> dict[tuple[str, str], float]:
    frame = monthly_spending_frame(transactions)
    return {(f"{m:%Y-%m}", c): v for m, c, v in frame.itertuples(index=False)}


def test_a_refund_lowers_the_month_it_lands_in() -> None:
    assert spent([txn("a", "2026-01-05", 120.0), txn("b", "2026-02-02", -20.0)]) == {
        ("2026-01", "USD"): 120.0,
        ("2026-02", "USD"): -20.0,
    }


def test_card_payments_transfers_and_income_are_not_spending() -> None:
    card_payment = "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
    rows = [
        txn("a", "2026-01-05", 40.0),
        txn("b", "2026-01-06", 500.0, "LOAN_PAYMENTS", detailed=card_payment),
        txn("c", "2026-01-07", 200.0, "TRANSFER_OUT"),
        txn("d", "2026-01-15", -3000.0, "INCOME"),
    ]
    assert spent(rows) == {("2026-01", "USD"): 40.0}


def test_a_posted_pending_counts_once_and_currencies_stay_apart() -> None:
    rows = [
        txn("p1", "2026-01-30", 30.0, pending=True),
        txn("t1", "2026-02-01", 31.5, pending_id="p1"),
        txn("e1", "2026-02-03", 10.0, currency="EUR"),
    ]
    assert spent(rows) == {("2026-02", "EUR"): 10.0, ("2026-02", "USD"): 31.5}


def test_a_transaction_kept_twice_counts_as_its_latest_version() -> None:
    rows = [txn("a", "2026-01-05", 40.0), txn("a", "2026-01-05", 45.0)]
    assert spent(rows) == {("2026-01", "USD"): 45.0}


def test_filter_keeps_the_days_and_series_asked_for() -> None:
    frame = utilization_history_frame(
        [card_day(TODAY - timedelta(days=n), 100.0, 1000.0) for n in range(10)]
    )
    recent = filter_history(frame, since=TODAY - timedelta(days=2), names=["Overall"])
    assert recent["day"].dt.date.tolist() == [TODAY - timedelta(days=n) for n in (2, 1, 0)]
    assert set(recent["card"]) == {"Overall"}


def test_thinning_keeps_each_series_last_day_of_the_month() -> None:
    days = [card_day(date(2026, 1, 1) + timedelta(days=n), float(n), 1000.0) for n in range(59)]
    thinned = thin_history(utilization_history_frame(days), "month")
    card = thinned[thinned["account_id"] == "a"]
    assert card["day"].dt.date.tolist() == [date(2026, 1, 31), date(2026, 2, 28)]
    assert card["owed"].tolist() == [30.0, 58.0]
    assert len(thinned[thinned["card"] == "Overall"]) == 2


def test_account_days_record_each_account_kind_and_card_figures() -> None:
    item = Item("item-1", Institution("ins", "Test Bank"))
    accounts = (
        Account("c", "item-1", "Rewards", None, "1111", "credit", "credit card", 250.0, None,
                1000.0, "USD"),
        Account("d", "item-1", "Checking", None, "2222", "depository", "checking", 900.0, 880.0,
                None, "USD"),
        Account("m", "item-1", "Mortgage", None, "3333", "loan", "mortgage", 200000.0, None,
                None, "USD"),
    )  # fmt: skip
    due = TODAY + timedelta(days=10)
    liability = CardLiability(
        "c", last_statement_balance=240.0, minimum_payment_amount=25.0, next_payment_due_date=due
    )
    snapshot = build_snapshot(
        [ItemData(item, accounts, (), (liability,))], "demo", pd.Timestamp(TODAY).to_pydatetime()
    )
    rows = {d.account_id: d for d in account_days(snapshot, TODAY)}
    assert {k: d.kind for k, d in rows.items()} == {"c": "card", "d": "depository", "m": "other"}
    assert (rows["c"].balance, rows["c"].limit, rows["c"].bank) == (250.0, 1000.0, "Test Bank")
    assert (rows["c"].statement_balance, rows["c"].minimum_payment) == (240.0, 25.0)
    assert rows["c"].next_payment_due == due
    assert rows["d"].statement_balance is None


# --- Alerts: scores --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(700, 720, ["score_up"]), (700, 719, []), (700, 680, ["score_down"]), (700, 681, [])],
)
def test_a_score_alert_takes_a_move_of_20_points(before: int, after: int, expected: list) -> None:
    readings = (
        ScoreReading(YESTERDAY, "FICO Score 8", before),
        ScoreReading(TODAY, "FICO Score 8", after),
    )
    assert kinds(history_alerts((), readings, (), TODAY)) == expected


def test_score_moves_are_judged_per_model_and_down_is_a_warning() -> None:
    readings = (
        ScoreReading(YESTERDAY, "FICO Score 8", 700),
        ScoreReading(TODAY, "VantageScore 4.0", 650),  # another model: no move to compare
        ScoreReading(TODAY, "FICO Score 8", 670),
    )
    (alert,) = history_alerts((), readings, (), TODAY)
    assert (alert.kind, alert.level, alert.day) == ("score_down", "warning", TODAY)
    assert "30" in alert.title
    assert "670" in alert.title


# --- Alerts: reports -------------------------------------------------------------------------

HARD = Inquiry(TODAY - timedelta(days=3), "ACME BANK", "Bank credit card", "18", "hard")
SOFT = Inquiry(TODAY - timedelta(days=3), "PROMO CARD", "Bank credit card", "83", "soft")


def report(**changes: object) -> CreditReport:
    base = CreditReport(YESTERDAY, (), (tradeline(),), (), ())
    return replace(base, **changes)  # type: ignore[arg-type]


def report_alerts(older: CreditReport, newer: CreditReport) -> tuple[Alert, ...]:
    return history_alerts((), (), ((YESTERDAY, older), (TODAY, newer)), TODAY)


def test_a_new_hard_inquiry_is_named_with_its_date() -> None:
    (alert,) = report_alerts(report(), report(inquiries=(HARD,)))
    assert alert.kind == "hard_inquiry"
    assert "ACME BANK" in alert.title
    assert f"{HARD.date:%b %d, %Y}" in alert.detail
    assert "dispute" in alert.action
    assert "freeze" in alert.action


def test_an_inquiry_already_on_the_last_report_or_soft_is_no_alert() -> None:
    assert report_alerts(report(inquiries=(HARD,)), report(inquiries=(HARD, SOFT))) == ()


def test_a_new_account_on_the_file_alerts_once() -> None:
    loan = tradeline("OAK LENDING", "••9999", kind="installment", limit=None)
    alerts = report_alerts(report(), report(tradelines=(tradeline(), loan)))
    assert kinds(alerts) == ["new_tradeline"]
    assert "OAK LENDING" in alerts[0].title
    assert report_alerts(report(tradelines=(loan,)), report(tradelines=(loan,))) == ()


def months(newest: date, *statuses: tuple[str, str, int | None]) -> tuple[PaymentMonth, ...]:
    """Months newest first, each (code, status, days late)."""
    found = []
    for offset, (code, status, late) in enumerate(statuses):
        year, index = divmod(newest.year * 12 + newest.month - 1 - offset, 12)
        found.append(PaymentMonth(date(year, index + 1, 1), code, code, status, late))  # type: ignore[arg-type]
    return tuple(found)


CURRENT = ("C", "current", None)
LATE_30 = ("1", "late", 30)
LATE_60 = ("2", "late", 60)
COLLECTION = ("9", "derogatory", None)


def test_a_month_newly_reported_late_alerts_and_an_old_one_does_not() -> None:
    month = TODAY.replace(day=1)
    before = tradeline(months=months(month, CURRENT, CURRENT, LATE_30))
    after = tradeline(months=months(month, LATE_30, CURRENT, LATE_30))
    (alert,) = report_alerts(report(tradelines=(before,)), report(tradelines=(after,)))
    assert (alert.kind, alert.level) == ("late_payment", "warning")
    assert report_alerts(report(tradelines=(before,)), report(tradelines=(before,))) == ()


def test_a_late_month_growing_worse_alerts_and_a_collection_is_derogatory() -> None:
    month = TODAY.replace(day=1)
    late = tradeline(months=months(month, LATE_30))
    later = tradeline(months=months(month, LATE_60))
    collected = tradeline(months=months(month, COLLECTION))
    assert kinds(report_alerts(report(tradelines=(late,)), report(tradelines=(later,)))) == [
        "late_payment"
    ]
    (alert,) = report_alerts(report(tradelines=(later,)), report(tradelines=(collected,)))
    assert (alert.kind, alert.level) == ("derogatory_mark", "error")
    assert report_alerts(report(tradelines=(later,)), report(tradelines=(late,))) == ()


def test_a_new_public_record_alerts_and_a_status_change_does_not() -> None:
    filed = PublicRecord("DIST CT", date(2026, 1, 5), 1200.0, "13", "Filed", None, None)
    settled = replace(filed, status_code="15", status="Satisfied")
    (alert,) = report_alerts(report(), report(public_records=(filed,)))
    assert (alert.kind, alert.level) == ("public_record", "error")
    assert report_alerts(report(public_records=(filed,)), report(public_records=(settled,))) == ()


def test_a_single_report_has_nothing_to_compare_with() -> None:
    assert history_alerts((), (), ((TODAY, report(inquiries=(HARD,))),), TODAY) == ()


# --- Alerts: cards and accounts --------------------------------------------------------------


def test_a_limit_cut_alerts_and_a_raise_does_not() -> None:
    cut = alerts_of_days(card_day(YESTERDAY, 100.0, 2000.0), card_day(TODAY, 100.0, 1500.0))
    assert kinds(cut) == ["limit_cut"]
    assert "1,500.00 USD" in cut[0].title
    assert "2,000.00 USD" in cut[0].detail
    raised = alerts_of_days(card_day(YESTERDAY, 100.0, 1500.0), card_day(TODAY, 100.0, 2000.0))
    assert raised == ()


def test_a_limit_cut_is_seen_against_the_last_day_the_card_was_seen() -> None:
    week_ago = TODAY - timedelta(days=7)
    alerts = alerts_of_days(card_day(week_ago, 100.0, 2000.0), card_day(TODAY, 100.0, 1500.0))
    assert f"{week_ago:%b %d, %Y}" in alerts[0].detail


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (299.0, 300.0, [("utilization_up", "warning", "30%")]),  # exactly 30% has crossed
        (300.0, 310.0, []),
        (499.0, 500.0, [("utilization_up", "error", "50%")]),
        (200.0, 600.0, [("utilization_up", "error", "50%")]),  # both at once: the higher
        (500.0, 499.0, [("utilization_down", "info", "50%")]),
        (600.0, 200.0, [("utilization_down", "info", "30%")]),  # both at once: the lower
        (100.0, 299.0, []),
    ],
)
def test_utilization_crossing_30_and_50_percent(
    before: float, after: float, expected: list[tuple[str, str, str]]
) -> None:
    alerts = alerts_of_days(card_day(YESTERDAY, before, 1000.0), card_day(TODAY, after, 1000.0))
    card = [a for a in alerts if not a.title.startswith("Overall")]
    overall = [a for a in alerts if a.title.startswith("Overall")]
    assert [(a.kind, a.level, a.title.split()[-1]) for a in card] == expected
    assert len(overall) == len(expected)  # one card: the overall crosses with it


def test_overall_crossing_leaves_out_a_card_without_a_limit() -> None:
    alerts = alerts_of_days(
        card_day(YESTERDAY, 200.0, 1000.0, account_id="a"),
        card_day(YESTERDAY, 0.0, None, account_id="b"),
        card_day(TODAY, 200.0, 1000.0, account_id="a"),
        card_day(TODAY, 5000.0, None, account_id="b"),  # a charge card: no limit to cross
    )
    assert alerts == ()


def test_overall_crossing_is_judged_per_currency() -> None:
    alerts = alerts_of_days(
        card_day(YESTERDAY, 200.0, 1000.0, account_id="usd"),
        card_day(YESTERDAY, 0.0, 1000.0, account_id="eur", currency="EUR"),
        card_day(TODAY, 200.0, 1000.0, account_id="usd"),
        card_day(TODAY, 400.0, 1000.0, account_id="eur", currency="EUR"),
    )
    # 600 owed over 2,000 would be 30% if the currencies were added: they are not.
    assert sorted(a.title for a in alerts) == [
        "Overall (EUR) utilization crossed 30%",
        "Test Bank · Rewards ••eur utilization crossed 30%",
    ]


def test_a_balance_swinging_across_50_says_only_where_it_stands_now() -> None:
    swings = [(500.0 if n % 2 else 400.0) for n in range(6)]
    days = [card_day(TODAY - timedelta(days=5 - n), b, 1000.0) for n, b in enumerate(swings)]
    alerts = alerts_of_days(*days)
    assert [(a.kind, a.day) for a in alerts if a.title.startswith("Test")] == [
        ("utilization_up", TODAY)
    ]


def test_a_new_account_at_a_known_bank_alerts_and_a_new_connection_does_not() -> None:
    history = [
        checking_day(YESTERDAY, 100.0),
        checking_day(TODAY, 100.0),
        card_day(TODAY, 0.0, 1000.0, account_id="new1"),  # same item: a new account there
        card_day(TODAY, 0.0, 1000.0, account_id="oth1", item_id="item-2"),  # a new bank linked
    ]
    alerts = [a for a in alerts_of_days(*history) if a.kind == "new_account"]
    assert [a.title for a in alerts] == ["New account at Test Bank: Test Bank · Rewards ••new1"]
    assert alerts[0].day == TODAY


def test_alerts_come_newest_first_and_only_from_the_window() -> None:
    old = TODAY - timedelta(days=ALERT_WINDOW_DAYS + 5)
    days = [
        card_day(old - timedelta(days=1), 100.0, 3000.0),
        card_day(old, 100.0, 2000.0),  # cut long ago: not on the overview
        card_day(YESTERDAY, 100.0, 2000.0),
        card_day(TODAY, 100.0, 1500.0),
    ]
    readings = (
        ScoreReading(YESTERDAY - timedelta(days=1), "V", 700),
        ScoreReading(YESTERDAY, "V", 650),
    )
    alerts = history_alerts(days, readings, (), TODAY)
    assert [(a.kind, a.day) for a in alerts] == [("limit_cut", TODAY), ("score_down", YESTERDAY)]
    everything = history_alerts(days, readings, (), TODAY, window_days=None)
    assert [a.day for a in everything] == [TODAY, YESTERDAY, old]


def test_a_change_after_the_day_asked_about_is_not_shown() -> None:
    days = [card_day(TODAY, 100.0, 2000.0), card_day(TODAY + timedelta(days=1), 100.0, 1000.0)]
    assert alerts_of_days(*days) == ()
