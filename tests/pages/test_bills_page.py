"""The Bills ahead page in AppTest, on demo data and on the Plaid double: card payments and the
first day below zero against the raw demo bodies, the filters, and a CSV that is the list."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from services.views.bills_figures import BILLS_EXPORT_COLUMNS
from tests.support import demo_expectations as expect
from tests.support.apps import app_on_page
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble

PAGE = "pages/bills.py"


def open_bills() -> AppTest:
    at = app_on_page(PAGE)
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def money(amount: float) -> str:
    return f"-${abs(amount):,.2f}" if round(amount, 2) < 0 else f"${amount:,.2f}"


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def as_read(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def card_payments(today: date, horizon: int) -> dict[str, tuple[date, float, float]]:
    """By card mask, from the raw bodies: (day, statement balance less what was paid since,
    minimum less the same); an overdue card on today, a paid one not at all, and a due date
    passed that the issuer does not call overdue on today unless at least the minimum was paid
    since the statement."""
    masks = {c["account_id"]: c["mask"] for c in expect.raw_cards(today)}
    out = {}
    for li in expect.raw_liabilities(today):
        due = date.fromisoformat(li["next_payment_due_date"])
        statement_day = date.fromisoformat(li["last_statement_issue_date"])
        paid_day = date.fromisoformat(li["last_payment_date"])
        paid = li["last_payment_amount"] if paid_day >= statement_day else 0.0
        left = max(li["last_statement_balance"] - paid, 0.0)
        if left == 0:
            continue
        if due < today and not li["is_overdue"] and paid >= li["minimum_payment_amount"]:
            continue  # looks paid: the issuer has not moved the due date yet
        if due < today:
            due = today
        if today <= due <= today + timedelta(days=horizon):
            out[masks[li["account_id"]]] = (due, left, max(li["minimum_payment_amount"] - paid, 0))
    return out


def last_rent(today: date) -> tuple[date, float]:
    """The demo's latest rent charge (its next is a month on)."""
    rent = [
        t for t in expect.raw_transactions(today) if t["merchant_name"] == "Cedar Court Apartments"
    ]
    latest = max(rent, key=lambda t: t["date"])
    return date.fromisoformat(latest["date"]), latest["amount"]


def test_card_payments_due_ahead_are_those_of_the_demo_bodies() -> None:
    at = open_bills()
    assert [t.value for t in at.title] == ["Bills ahead"]
    assert metric(at, "Cash today (USD)") == money(expect.spending_and_savings(TODAY)[0])
    table = at.dataframe[0].value
    cards = table[table["kind"] == "Card payment"]
    expected = card_payments(TODAY, 30)
    assert len(expected) == 2  # the overdue card and the one due on the 4th; the third is paid
    got = {
        account[-4:]: (pd.Timestamp(d).date(), round(amount, 2), round(minimum, 2))
        for account, d, amount, minimum in zip(
            cards["account"], cards["date"], cards["amount"], cards["minimum_payment"], strict=True
        )
    }
    assert got == {mask: (d, round(a, 2), round(m, 2)) for mask, (d, a, m) in expected.items()}
    assert cards["counted_in_cash"].all()


def test_the_demo_warns_of_the_first_day_below_zero_with_its_amount() -> None:
    at = open_bills()
    opening, savings = expect.spending_and_savings(TODAY)
    rent_day, rent = last_rent(TODAY)
    payments = card_payments(TODAY, 30)
    overdue = sum(amount for day, amount, _ in payments.values() if day == TODAY)
    (due_day, statement, _) = next(p for p in payments.values() if p[0] > TODAY)
    next_rent = rent_day.replace(
        month=rent_day.month % 12 + 1, year=rent_day.year + (rent_day.month == 12)
    )
    assert TODAY < next_rent < due_day  # rent goes first, then the card is due
    assert opening - overdue - rent > 0
    # Insurance (the 5th) and later bills come after the card; charges on cards take no cash.
    first_below = opening - overdue - rent - statement
    assert first_below < 0
    warnings = [as_read(e.value) for e in at.error]
    warning = next(
        w
        for w in warnings
        if f"projected to go below zero on {due_day:%b %d, %Y} ({money(first_below)})" in w
    )
    # Savings are not spent from, but they are named as the way out when they cover it.
    assert savings > -first_below
    moved = re.search(
        rf"Your savings hold {re.escape(money(savings))}\W+moving \$([\d,.]+) from", warning
    )
    assert moved, warning
    assert -first_below <= float(moved.group(1).replace(",", "")) <= savings


def test_charges_billed_to_a_card_are_listed_but_leave_cash_as_it_was() -> None:
    table = open_bills().dataframe[0].value.reset_index(drop=True)
    on_cards = table[~table["counted_in_cash"]]
    assert len(on_cards) > 0
    assert set(on_cards["kind"]) == {"Bill"}
    for index in on_cards.index:
        assert index > 0
        assert table.loc[index, "balance_after"] == table.loc[index - 1, "balance_after"]
    counted = table[table["counted_in_cash"]]
    assert table["balance_after"].iloc[-1] == pytest.approx(
        expect.spending_and_savings(TODAY)[0] - counted["amount"].sum()
    )


def test_filters_narrow_the_list_and_the_csv_is_the_list_shown(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = open_bills()
    everything = at.dataframe[0].value
    at.multiselect(key="bills_kinds").set_value(["Card payment"]).run()
    assert_fine(at)
    shown = at.dataframe[0].value
    assert set(shown["kind"]) == {"Card payment"}
    assert 0 < len(shown) < len(everything)
    assert_same(downloads["bills_csv"], shown)

    at.multiselect(key="bills_kinds").set_value(["Card payment", "Bill"]).run()
    checking = next(a for a in at.multiselect(key="bills_accounts").options if "Checking" in a)
    at.multiselect(key="bills_accounts").set_value([checking]).run()
    shown = at.dataframe[0].value
    assert set(shown["account"]) == {checking}
    assert_same(downloads["bills_csv"], shown)


def assert_same(exported: pd.DataFrame, shown: pd.DataFrame) -> None:
    assert list(exported.columns) == list(BILLS_EXPORT_COLUMNS)
    pd.testing.assert_frame_equal(
        exported.reset_index(drop=True),
        shown[list(BILLS_EXPORT_COLUMNS)].reset_index(drop=True),
        check_dtype=False,
    )


def test_a_longer_horizon_reaches_further_and_the_calendar_draws_every_day() -> None:
    at = open_bills()
    month = at.dataframe[0].value
    at.segmented_control(key="bills_horizon").set_value(60).run()
    assert_fine(at)
    two_months = at.dataframe[0].value
    assert len(two_months) > len(month)
    assert two_months["date"].max() <= pd.Timestamp(TODAY + timedelta(days=60))
    counted = two_months[two_months["counted_in_cash"]]
    assert metric(at, "Paid out, next 60 days (USD)") == money(
        counted["amount"].clip(lower=0).sum()
    )
    days = chart_data(at, "balance")
    assert len(days) == 61  # today and the 60 days after it, both ends included
    assert days["balance"].iloc[-1] == pytest.approx(two_months["balance_after"].iloc[-1])


def chart_data(at: AppTest, column: str) -> pd.DataFrame:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    for chart in charts:
        for dataset in chart.proto.datasets:
            frame: Any = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if column in frame.columns:
                return frame
    raise AssertionError(f"no chart data with {column}")


def test_the_page_shows_the_same_bills_on_the_plaid_double(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    at = open_bills()
    assert at.session_state["data_source"] == "plaid"
    assert metric(at, "Cash today (USD)") == money(expect.spending_and_savings(TODAY)[0])
    table = at.dataframe[0].value
    cards = table[table["kind"] == "Card payment"]
    assert {a[-4:] for a in cards["account"]} == set(card_payments(TODAY, 30))
    assert any("below zero" in e.value for e in at.error)
