"""Filtering, headline figures and chart aggregates on small frames worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from services.analytics.transactions import (
    TransactionFilter,
    apply_filter,
    compare_with_previous_period,
    cumulative_this_and_last_month,
    merchant_or_name,
    monthly_spending_by_category,
    period_figures,
    previous_period,
    spending_by_category,
    spending_by_weekday,
    top_merchants,
)
from tests.support.frames import frame, tx

JAN = TransactionFilter(date(2026, 1, 1), date(2026, 1, 31))


def row(
    tid: str,
    day: str,
    amount: float,
    category: str = "FOOD_AND_DRINK",
    *,
    detailed: str | None = None,
    institution: str = "Bank A",
    **kwargs: object,
) -> dict[str, object]:
    """A transaction row with the institution and detailed category set too."""
    out = tx(tid, day, amount, category, **kwargs)  # type: ignore[arg-type]
    out["institution"] = institution
    out["category_detailed"] = detailed or f"{category}_OTHER"
    return out


def ids(view: pd.DataFrame) -> list[str]:
    return sorted(view["transaction_id"])


@pytest.fixture
def ledger() -> pd.DataFrame:
    return frame(
        row("a", "2026-01-03", 12.5, detailed="FOOD_AND_DRINK_COFFEE", name="CAFE OLE"),
        row("b", "2026-01-04", 80.0, "TRAVEL", merchant="Skyward", institution="Bank B"),
        row("c", "2026-01-05", -3000.0, "INCOME", name="PAYROLL"),
        row(
            "d",
            "2026-01-06",
            500.0,
            "LOAN_PAYMENTS",
            name="CARD PAYMENT",
            detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        ),
        row("e", "2026-01-07", 250.0, "TRANSFER_OUT", name="TO SAVINGS"),
        row("f", "2026-01-08", -40.0, "TRANSFER_IN", name="FROM FRIEND"),
        row("g", "2026-01-09", 30.0, name="GROCER", merchant="Northgate", account="Card ••2222"),
        row("h", "2026-01-10", 9.0, pending=True, name="PENDING SHOP"),
        row("i", "2026-02-01", 5.0, name="FEBRUARY"),
    )


def test_dates_include_both_ends_and_nothing_else(ledger: pd.DataFrame) -> None:
    spec = TransactionFilter(date(2026, 1, 3), date(2026, 1, 9))
    assert ids(apply_filter(ledger, spec)) == ["a", "b", "c", "d", "e", "f", "g"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"institutions": ["Bank B"]}, ["b"]),
        ({"accounts": ["Card ••2222"]}, ["g"]),
        ({"categories": ["TRAVEL", "INCOME"]}, ["b", "c"]),
        ({"detailed_categories": ["FOOD_AND_DRINK_COFFEE"]}, ["a"]),
        ({"min_amount": 30.0}, ["b", "d", "e", "g"]),  # inclusive, on the signed amount
        ({"max_amount": 0.0}, ["c", "f"]),  # money in is negative
        ({"min_amount": 10.0, "max_amount": 80.0}, ["a", "b", "g"]),
        ({"text": "northgate"}, ["g"]),  # the merchant, any case
        ({"text": " cafe "}, ["a"]),  # the description, trimmed
        ({"include_pending": False}, ["a", "b", "c", "d", "e", "f", "g"]),
        ({"include_transfers": False}, ["a", "b", "c", "g", "h"]),  # income stays
    ],
)
def test_each_filter_narrows_to_what_it_names(
    ledger: pd.DataFrame, change: dict[str, object], expected: list[str]
) -> None:
    spec = TransactionFilter(JAN.start, JAN.end, **change)  # type: ignore[arg-type]
    assert ids(apply_filter(ledger, spec)) == expected


def test_filters_combine(ledger: pd.DataFrame) -> None:
    spec = TransactionFilter(
        JAN.start, JAN.end, categories=["FOOD_AND_DRINK"], min_amount=10.0, text="o"
    )
    assert ids(apply_filter(ledger, spec)) == ["a", "g"]  # CAFE OLE, GROCER/Northgate


def test_pending_whose_posted_twin_falls_after_the_range_is_still_hidden() -> None:
    rows = frame(
        tx("p", "2026-01-31", 20.0, pending=True),
        tx("t", "2026-02-02", 21.0, pending_id="p"),
    )
    assert ids(apply_filter(rows, JAN)) == []


def test_merchant_or_name_prefers_the_merchant() -> None:
    rows = frame(
        tx("a", "2026-01-01", 1.0, name="RAW", merchant="Nice"), tx("b", "2026-01-01", 1.0)
    )
    assert list(merchant_or_name(rows)) == ["Nice", "Shop"]


def test_period_figures_by_hand(ledger: pd.DataFrame) -> None:
    figures = period_figures(apply_filter(ledger, JAN))
    # Spending: 12.5 + 80 + 30 + 9 (pending counts) = 131.5; income 3000.
    assert figures.count == 8
    assert figures.spending == {"USD": pytest.approx(131.5)}
    assert figures.income == {"USD": pytest.approx(3000.0)}
    assert figures.net == {"USD": pytest.approx(2868.5)}
    assert figures.average_purchase == {"USD": pytest.approx(131.5 / 4)}
    assert figures.median_purchase == {"USD": pytest.approx((12.5 + 30.0) / 2)}


def test_refunds_lower_spending_but_not_the_average_purchase() -> None:
    rows = frame(
        tx("a", "2026-01-02", 100.0), tx("b", "2026-01-05", -30.0), tx("c", "2026-01-06", 20.0)
    )
    figures = period_figures(rows)
    assert figures.spending == {"USD": pytest.approx(90.0)}
    assert figures.average_purchase == {"USD": pytest.approx(60.0)}
    assert figures.median_purchase == {"USD": pytest.approx(60.0)}


def test_other_currencies_get_their_own_figures() -> None:
    rows = frame(tx("a", "2026-01-02", 10.0), tx("b", "2026-01-02", 7.0, currency="EUR"))
    figures = period_figures(rows)
    assert figures.spending == {"USD": 10.0, "EUR": 7.0}
    assert figures.currencies() == ["EUR", "USD"]


def test_empty_view_has_zero_count_and_no_money_figures() -> None:
    figures = period_figures(frame(tx("a", "2026-01-02", 10.0)).iloc[0:0])
    assert (figures.count, figures.spending, figures.average_purchase) == (0, {}, {})


def test_a_month_is_compared_with_the_same_days_of_the_month_before() -> None:
    assert previous_period(date(2026, 3, 1), date(2026, 3, 15)) == (
        date(2026, 2, 1),
        date(2026, 2, 15),
    )
    assert previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert previous_period(date(2026, 1, 1), date(2026, 1, 31)) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )


def test_a_year_so_far_is_compared_with_the_same_days_last_year() -> None:
    assert previous_period(date(2028, 1, 1), date(2028, 2, 29)) == (
        date(2027, 1, 1),
        date(2027, 2, 28),
    )


def test_any_other_range_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_period(date(2026, 1, 5), date(2026, 1, 5)) == (
        date(2026, 1, 4),
        date(2026, 1, 4),
    )
    assert previous_period(date(2026, 2, 25), date(2026, 3, 26)) == (
        date(2026, 1, 26),
        date(2026, 2, 24),
    )


def test_comparison_with_previous_period() -> None:
    rows = frame(
        tx("old", "2025-12-31", 40.0),  # the previous period of Jan 5-6 is Jan 3-4
        tx("new", "2026-01-06", 25.0),
        tx("before", "2026-01-03", 99.0),
    )
    comparison = compare_with_previous_period(
        rows, date(2026, 1, 5), date(2026, 1, 6), history_starts=date(2025, 12, 1)
    )
    assert comparison.current.spending == {"USD": 25.0}
    assert comparison.previous is not None
    assert comparison.previous.spending == {"USD": 99.0}
    assert (comparison.previous_start, comparison.previous_end) == (
        date(2026, 1, 3),
        date(2026, 1, 4),
    )


def test_no_comparison_when_history_does_not_reach_back() -> None:
    rows = frame(tx("a", "2026-01-02", 25.0))
    comparison = compare_with_previous_period(
        rows, date(2026, 1, 1), date(2026, 1, 31), history_starts=date(2026, 1, 1)
    )
    assert comparison.previous is None


@pytest.fixture
def spending() -> pd.DataFrame:
    return frame(
        row("a", "2026-01-05", 50.0, merchant="Northgate"),  # Monday
        row("b", "2026-01-06", 20.0, merchant="Northgate"),  # Tuesday
        row("c", "2026-01-06", -10.0, merchant="Northgate"),  # a refund, Tuesday
        row("d", "2026-02-01", 200.0, "TRAVEL", merchant=None, name="AIRLINE"),  # Sunday
        row("e", "2026-02-02", 7.0, currency="EUR", merchant="Café"),
        row(
            "f", "2026-02-03", 999.0, "LOAN_PAYMENTS", detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
        ),
    )


def test_spending_by_category_nets_refunds_and_keeps_one_currency(spending: pd.DataFrame) -> None:
    by_category = spending_by_category(spending, "USD")
    assert by_category.to_dict("records") == [
        {"category": "TRAVEL", "spending": 200.0},
        {"category": "FOOD_AND_DRINK", "spending": 60.0},
    ]


def test_monthly_spending_by_category(spending: pd.DataFrame) -> None:
    monthly = monthly_spending_by_category(spending, "USD")
    assert [(m.strftime("%Y-%m"), c, v) for m, c, v in monthly.itertuples(index=False)] == [
        ("2026-01", "FOOD_AND_DRINK", 60.0),
        ("2026-02", "TRAVEL", 200.0),
    ]


def test_top_merchants_fall_back_to_the_description(spending: pd.DataFrame) -> None:
    top = top_merchants(spending, "USD")
    assert top.to_dict("records") == [
        {"merchant": "AIRLINE", "spending": 200.0, "transactions": 1},
        {"merchant": "Northgate", "spending": 60.0, "transactions": 3},
    ]
    assert list(top_merchants(spending, "EUR")["merchant"]) == ["Café"]


def test_spending_by_weekday_lists_every_day(spending: pd.DataFrame) -> None:
    by_day = dict(spending_by_weekday(spending, "USD").itertuples(index=False))
    assert list(by_day) == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert (by_day["Monday"], by_day["Tuesday"], by_day["Sunday"]) == (50.0, 10.0, 200.0)
    assert by_day["Friday"] == 0.0


def test_cumulative_this_month_against_last_month() -> None:
    rows = frame(
        tx("a", "2026-01-02", 10.0),
        tx("b", "2026-01-30", 5.0),
        tx("c", "2026-02-01", 3.0),
        tx("d", "2026-02-03", 4.0),
        tx("e", "2026-02-05", 100.0),  # after the end: left out
    )
    lines = cumulative_this_and_last_month(rows, date(2026, 2, 3), "USD")
    january = lines[lines["month"] == "Jan 2026"]["spending"].tolist()
    february = lines[lines["month"] == "Feb 2026"]["spending"].tolist()
    assert len(january) == 31
    assert january[0] == 0.0
    assert january[1] == 10.0
    assert january[-1] == 15.0
    assert february == [3.0, 3.0, 7.0]
