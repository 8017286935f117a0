"""Every page on demo data in Streamlit's AppTest, checked against independent numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from services.runtime import loaders
from tests.support import demo_expectations as expect
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY

PAGES = {
    "pages/overview.py": "Overview",
    "pages/cards.py": "Cards",
    "pages/transactions.py": "Transactions",
    "pages/bills.py": "Bills ahead",
    "pages/credit_report.py": "Credit report",
    "pages/history.py": "History",
    "pages/setup.py": "Setup",
}


def run_app(page: str | None = None) -> AppTest:
    at = app_on_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def source_label(at: AppTest) -> str:
    # AppTest keeps the entry script's elements only on a session's first run; the browser
    # suite checks the sidebar on every page.
    return at.sidebar.markdown[0].value if at.sidebar.markdown else ""


def metric(at: AppTest, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return found[0].value


def money(amount: float) -> str:
    return f"-${abs(amount):,.2f}" if round(amount, 2) < 0 else f"${amount:,.2f}"


@pytest.mark.parametrize(("page", "heading"), PAGES.items())
def test_every_page_renders_on_demo_data(page: str, heading: str) -> None:
    at = run_app(page)
    assert [t.value for t in at.title] == [heading]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    assert at.session_state["data_source"] == "demo"


def test_first_page_says_it_shows_demo_data() -> None:
    at = run_app()
    assert any("demo data" in i.value for i in at.info)
    assert source_label(at) == "**Demo data**"


def test_overview_numbers_match_the_demo_bodies() -> None:
    today = TODAY
    at = run_app()
    owed, limit, ratio = expect.overall_utilization(today)
    assert metric(at, "Overall utilization") == f"{ratio * 100:.1f}%"
    assert metric(at, "Total owed on cards") == money(owed)
    assert any(c.value == f"Total credit limit {money(limit)}" for c in at.caption)
    assert metric(at, "Credit score") == str(expect.credit_score(today))

    month_start = today.replace(day=1)
    assert metric(at, "Spending this month") == money(expect.spending(today, month_start, today))


def test_overview_shows_cash_and_net_worth_from_the_demo_bodies() -> None:
    at = run_app()
    current, available = expect.cash(TODAY)
    assert metric(at, "Cash") == money(current)
    assert any(c.value == f"Available now {money(available)}" for c in at.caption)
    assert metric(at, "Net worth") == money(expect.net_worth(TODAY))


def test_overview_alerts_cover_due_overdue_inquiry_and_late_payment() -> None:
    at = run_app()
    errors = " ".join(e.value for e in at.error)
    warnings = " ".join(w.value for w in at.warning)
    assert len(expect.overdue_cards(TODAY)) == 1
    assert "payment is overdue" in errors
    assert len(expect.due_within_week(TODAY)) == 1
    assert "payment due in" in warnings or "payment due today" in warnings
    assert "New hard inquiry from HARBORLINE BANK" in warnings
    assert "Late payment reported on JUNIPER CARD SVCS" in warnings
    assert "utilization is 9" in errors  # the card near its limit


def warnings_as_read(at: AppTest) -> str:
    """The warnings' text as a person reads it: without the Markdown escapes."""
    return re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))


def consent_warning(bank: str, expires_on: date, days: int) -> str:
    return f"{bank}'s connection expires on {expires_on:%b %d, %Y} (in {days} days)"


def test_overview_warns_before_a_banks_consent_lapses() -> None:
    at = run_app()
    ((bank, expires_on, days),) = expect.consent_expiries(TODAY)
    assert 0 < days <= 14
    warnings = warnings_as_read(at)
    assert consent_warning(bank, expires_on, days) in warnings
    assert "sign in again on Setup" in warnings


def test_consent_days_are_the_persons_near_midnight_in_los_angeles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Just after midnight UTC on Dec 1 it is still Nov 30 in Los Angeles: the demo is built
    for the person's Nov 30 and its lapse date is read on their calendar."""
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    person_today = now.astimezone(zone).date()
    assert person_today == date(2026, 11, 30) != now.date()
    monkeypatch.delenv("AS_OF_DATE")
    monkeypatch.setattr(loaders, "now", lambda: now)
    at = app_test()
    at.context = {"timezone": "America/Los_Angeles"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    ((bank, expires_on, days),) = expect.consent_expiries(person_today, zone)
    warnings = warnings_as_read(at)
    assert consent_warning(bank, expires_on, days) in warnings


def test_cards_page_lists_every_card_with_unknown_utilization_for_null_limit() -> None:
    today = TODAY
    at = run_app("pages/cards.py")
    table = at.dataframe[0].value
    assert len(table) == len(expect.raw_cards(today))
    null_limit = [c["mask"] for c in expect.raw_cards(today) if c["balances"]["limit"] is None]
    assert len(null_limit) == 1
    row = table[table["mask"] == null_limit[0]].iloc[0]
    assert row["utilization"] != row["utilization"]  # NaN: shown as unknown
    assert any("without a reported limit" in c.value for c in at.caption)


def test_transactions_default_view_is_last_90_days_and_filters_narrow_it() -> None:
    today = TODAY
    at = run_app("pages/transactions.py")
    start = today - timedelta(days=89)  # the last 90 days, today included
    expected = [
        t for t in expect.raw_transactions(today) if start <= date.fromisoformat(t["date"]) <= today
    ]
    assert len(at.dataframe[0].value) == len(expected)
    assert metric(at, "Transactions") == f"{len(expected):,}"
    assert metric(at, "Spending") == money(expect.spending(today, start, today))

    at.multiselect(key="tx_categories").set_value(["FOOD_AND_DRINK"]).run()
    food = [t for t in expected if t["personal_finance_category"]["primary"] == "FOOD_AND_DRINK"]
    assert len(at.dataframe[0].value) == len(food)

    at.toggle(key="tx_pending").set_value(False).run()
    assert len(at.dataframe[0].value) == sum(not t["pending"] for t in food)


def test_transactions_search_matches_non_ascii_merchants() -> None:
    at = run_app("pages/transactions.py")
    at.date_input(key="tx_dates").set_value((TODAY - timedelta(days=729), TODAY))
    at.text_input(key="tx_text").input("café").run()
    names = at.dataframe[0].value
    assert len(names) > 0
    assert all(
        "café" in f"{n} {m}".lower() for n, m in zip(names["name"], names["merchant"], strict=True)
    )


def test_credit_report_shows_score_and_filters_tradelines() -> None:
    today = TODAY
    at = run_app("pages/credit_report.py")
    assert metric(at, "Credit score") == str(expect.credit_score(today))
    assert len(at.dataframe[0].value) == expect.tradeline_count(today)
    at.radio(key="tl_status").set_value("Closed").run()
    assert len(at.dataframe[0].value) == expect.tradeline_count(today, closed=True) == 1


def test_refresh_fetches_again(monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app()
    first = at.session_state["fetched_at"]["accounts"]
    at.button(key="refresh_data").click().run()
    assert at.session_state["fetched_at"]["accounts"] > first


def test_bad_configuration_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAID_ENV", "staging")
    monkeypatch.setenv("PLAID_SECRET", "sk-live-do-not-show")
    at = app_test().run()
    assert not at.exception
    message = at.error[0].value
    assert "PLAID_ENV must be one of sandbox, production" in message
    assert "PLAID_CLIENT_ID and PLAID_SECRET must be set together" in message
    assert "sk-live-do-not-show" not in message


def test_plaid_configured_without_connection_points_to_setup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-id-canary")
    monkeypatch.setenv("PLAID_SECRET", "secret-canary-123")
    at = run_app()
    assert any("No accounts connected yet" in i.value for i in at.info)
    assert source_label(at) == "**Plaid sandbox**"
    at.switch_page("pages/setup.py").run()
    statuses = dict(
        zip(at.dataframe[0].value["setting"], at.dataframe[0].value["status"], strict=True)
    )
    assert statuses["PLAID_SECRET"] == "set"
    assert statuses["PLAID_CLIENT_ID"] == "set"
    page_text = str([e.proto for e in at.main]) + str([e.proto for e in at.sidebar])
    assert "secret-canary-123" not in page_text
    assert "client-id-canary" not in page_text


def test_switching_to_demo_data_on_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "cid")
    monkeypatch.setenv("PLAID_SECRET", "secret-canary-123")
    at = run_app("pages/setup.py")
    at.radio(key="setup_source").set_value("demo").run()
    at.switch_page("pages/overview.py").run()
    assert at.session_state["data_source"] == "demo"
    assert metric(at, "Credit score") == str(expect.credit_score(TODAY))
