"""Income on the overview and the Transactions page's Income tab: on the demo (the app's own
detection) and on the Plaid double (Plaid's streams where the bank is billed for them, the
app's own when Plaid refuses), checked against the demo ledger and a calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from integrations.plaid.client import RECURRING_REFUSED_NOTE
from services.views.format import plain
from tests.support import demo_ledger as ledger
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.plaid_double import RECURRING_PATH, Fault, PlaidDouble

PAYER = "Northwind Analytics"
# TODAY, Monday 2026-11-30, is a payday (the last day of the month). The demo pays on the
# 15th and the last day; Tuesday 2026-12-15 is the next.
NEXT_PAYDAY = date(2026, 12, 15)
PAYCHECK = 3326.84  # the demo's net pay since its raise eleven months ago


def dollars(amount: float) -> str:
    return f"${amount:,.2f}"


def income_between(start: date, end: date) -> float:
    """Money received under INCOME in the demo ledger, reversals netted (none in the demo)."""
    rows = ledger.ledger(TODAY)
    return round(-sum(r.amount for r in rows if r.primary == "INCOME" and start <= r.day <= end), 2)


def open_app(page: str | None = None) -> AppTest:
    at = app_test().run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_income_tab() -> AppTest:
    at = open_app("pages/transactions.py")
    at.session_state["tx_tab"] = "Income"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_the_overview_shows_income_of_the_last_30_days_and_the_next_paycheck() -> None:
    payroll = sorted(r.day for r in ledger.ledger(TODAY) if r.merchant == PAYER)
    assert payroll[-2:] == [date(2026, 11, 13), TODAY]  # Nov 15 is a Sunday: paid Friday
    at = open_app()
    start = TODAY - timedelta(days=29)  # the last 30 days, today included: Nov 1 to Nov 30
    received = income_between(start, TODAY)
    assert received == pytest.approx(2 * PAYCHECK, abs=1.0)  # two paychecks and interest
    assert metric(at, "Income, last 30 days") == dollars(received)
    assert f"This month so far: {dollars(received)}" in captions(at)
    assert metric(at, "Next paycheck") == dollars(PAYCHECK)
    assert f"{PAYER}, expected Dec 15, 2026 (in 15 days)" in captions(at)


def test_the_income_tab_lists_months_and_the_paycheck_stream(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = open_income_tab()
    months, streams = at.dataframe[0].value, at.dataframe[1].value
    november = months.iloc[0]
    assert (pd.Timestamp(november["month"]), november["currency"]) == (
        pd.Timestamp("2026-11-01"),
        "USD",
    )
    assert november["income"] == pytest.approx(income_between(date(2026, 11, 1), TODAY))
    assert november["payments"] == 3  # two paychecks and the month's interest
    # The tax refund is income in its month, but no stream to plan on.
    assert list(streams["merchant"]) == [PAYER]
    (paycheck,) = streams.to_dict("records")
    assert paycheck["cadence"] == "Twice a month"
    assert paycheck["typical_amount"] == PAYCHECK
    assert pd.Timestamp(paycheck["last_date"]).date() == TODAY
    assert pd.Timestamp(paycheck["next_date"]).date() == NEXT_PAYDAY
    assert (paycheck["status"], paycheck["source"]) == ("Running", "Found by this app")
    exported = downloads["tx_income_streams_csv"]
    assert list(exported["merchant"]) == [PAYER]
    assert not downloads["tx_income_months_csv"].empty


@pytest.fixture
def billed_bank(plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch) -> PlaidDouble:
    """The operator's two demo banks on the double, the first billed for recurring streams."""
    tokens = plaid_env.demo_tokens()
    plaid_env.bill_recurring(tokens[0])
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))
    return plaid_env


def test_plaids_streams_are_shown_for_a_bank_billed_for_them(billed_bank: PlaidDouble) -> None:
    at = open_income_tab()
    assert len(billed_bank.calls(RECURRING_PATH)) == 1  # the other bank is not billed: not asked
    streams = at.dataframe[1].value.set_index("merchant")
    # Plaid's inflows of money moved in from the person's own accounts are not income.
    assert "PAYMENT - THANK YOU" not in streams.index
    paycheck = streams.loc[PAYER]
    amounts = [-r.amount for r in ledger.ledger(TODAY) if r.merchant == PAYER]
    assert paycheck["source"] == "Plaid"
    assert paycheck["cadence"] == "Twice a month"
    assert paycheck["typical_amount"] == pytest.approx(round(sum(amounts) / len(amounts), 2))
    assert paycheck["last_amount"] == PAYCHECK
    at.switch_page("pages/overview.py").run()
    assert metric(at, "Next paycheck") == dollars(round(sum(amounts) / len(amounts), 2))


def test_a_refusal_shows_the_apps_own_streams_and_says_so_once(
    billed_bank: PlaidDouble,
) -> None:
    billed_bank.inject(
        RECURRING_PATH,
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="PRODUCT_NOT_READY", times=99),
    )
    at = open_income_tab()
    assert not at.error
    streams = at.dataframe[1].value
    assert list(streams["merchant"]) == [PAYER]
    assert list(streams["source"]) == ["Found by this app"]
    assert sum(plain(RECURRING_REFUSED_NOTE) in c for c in captions(at)) == 1
