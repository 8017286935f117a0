from __future__ import annotations

from datetime import date

import pytest

from services.analytics.money import (
    main_currency,
    spending_by_currency,
    spending_rows,
    totals_by_currency,
    without_superseded_pending,
)
from tests.support.frames import frame, tx

JAN = (date(2026, 1, 1), date(2026, 1, 31))


def test_card_payment_transfers_and_income_are_not_spending() -> None:
    rows = frame(
        tx("a", "2026-01-05", 40.0),
        tx("b", "2026-01-06", 500.0, "LOAN_PAYMENTS", detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
        tx("c", "2026-01-06", -500.0, "TRANSFER_IN"),
        tx("d", "2026-01-07", 200.0, "TRANSFER_OUT"),
        tx("e", "2026-01-15", -3000.0, "INCOME"),
    )
    assert spending_by_currency(rows, *JAN) == {"USD": 40.0}


def test_refund_reduces_spending_in_its_category() -> None:
    rows = frame(tx("a", "2026-01-05", 120.0), tx("b", "2026-01-09", -20.0))
    assert spending_by_currency(rows, *JAN) == {"USD": 100.0}


def test_pending_replaced_by_posted_twin_is_counted_once() -> None:
    rows = frame(
        tx("p1", "2026-01-05", 30.0, pending=True),
        tx("t1", "2026-01-06", 31.5, pending_id="p1"),
        tx("p2", "2026-01-07", 10.0, pending=True),
    )
    assert list(without_superseded_pending(rows)["transaction_id"]) == ["t1", "p2"]
    assert spending_by_currency(rows, *JAN) == {"USD": 41.5}
    assert spending_by_currency(rows, *JAN, include_pending=False) == {"USD": 31.5}


def test_currencies_are_never_summed_together() -> None:
    rows = frame(
        tx("a", "2026-01-05", 10.0),
        tx("b", "2026-01-05", 20.0, currency="EUR"),
        tx("c", "2026-01-05", 5.0, currency="EUR"),
    )
    assert spending_by_currency(rows, *JAN) == {"USD": 10.0, "EUR": 25.0}
    assert main_currency(rows) == "EUR"


def test_date_range_includes_both_ends() -> None:
    rows = frame(
        tx("a", "2025-12-31", 1.0),
        tx("b", "2026-01-01", 2.0),
        tx("c", "2026-01-31", 4.0),
        tx("d", "2026-02-01", 8.0),
    )
    assert spending_by_currency(rows, *JAN) == {"USD": 6.0}


def test_empty_frame_gives_no_totals() -> None:
    rows = frame(tx("a", "2026-01-05", 1.0, "INCOME"))
    assert totals_by_currency(spending_rows(rows)) == {}
    assert spending_by_currency(rows, *JAN) == {}


def test_a_mortgage_payment_is_spending_but_a_card_payment_is_not() -> None:
    rows = frame(
        tx("a", "2026-01-01", 2500.0, "LOAN_PAYMENTS", detailed="LOAN_PAYMENTS_MORTGAGE_PAYMENT"),
        tx("b", "2026-01-02", 400.0, "LOAN_PAYMENTS", detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
    )
    assert spending_by_currency(rows, *JAN) == {"USD": 2500.0}


def test_money_in_under_no_known_category_is_not_negative_spending() -> None:
    rows = frame(
        tx("a", "2026-01-15", -3000.0, "UNCATEGORIZED"),
        tx("b", "2026-01-15", -50.0, "SOMETHING_NEW_IN_V3"),
        tx("c", "2026-01-16", 120.0, "FOOD_AND_DRINK"),
        tx("d", "2026-01-17", -20.0, "FOOD_AND_DRINK"),  # a refund still nets
    )
    assert spending_by_currency(rows, *JAN) == {"USD": 100.0}


@pytest.mark.parametrize("category", ["UNCATEGORIZED", "BANK_FEES", "SOMETHING_NEW_IN_V3"])
def test_unknown_and_other_categories_count_as_spending(category: str) -> None:
    assert spending_by_currency(frame(tx("a", "2026-01-05", 9.0, category)), *JAN) == {"USD": 9.0}
