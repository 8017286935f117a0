from __future__ import annotations

from datetime import date, timedelta

import pytest

from integrations.models import CardLiability
from services.analytics.cards import (
    cards_frame,
    next_payment_due,
    overall_utilization,
    passed_due_dates,
    upcoming_payments,
    utilization_band,
)
from tests.support.frames import ITEM, card, liability

TODAY = date(2026, 3, 10)


def test_utilization_per_card_and_null_limit_is_unknown() -> None:
    cards = cards_frame(
        [card("a", 900.0, 1000.0), card("b", 250.0, None), card("c", -12.4, 500.0)],
        [],
        [ITEM],
        TODAY,
    )
    by_id = cards.set_index("account_id")["utilization"]
    assert by_id["a"] == pytest.approx(0.9)
    assert by_id.isna()["b"]
    assert by_id["c"] == 0.0
    assert cards.set_index("account_id")["owed"]["c"] == 0.0


def test_overall_leaves_out_cards_without_limit_and_says_so() -> None:
    cards = cards_frame(
        [card("a", 900.0, 1000.0), card("b", 250.0, None), card("c", -12.4, 500.0)],
        [],
        [ITEM],
        TODAY,
    )
    (total,) = overall_utilization(cards)
    assert total.owed == pytest.approx(1150.0)
    assert total.owed_with_limit == pytest.approx(900.0)
    assert total.limit == pytest.approx(1500.0)
    assert total.utilization == pytest.approx(0.6)
    assert (total.cards_counted, total.cards_without_limit) == (2, 1)


def test_overall_utilization_is_per_currency() -> None:
    cards = cards_frame(
        [card("a", 100.0, 1000.0), card("b", 400.0, 500.0, currency="EUR")], [], [ITEM], TODAY
    )
    totals = {t.currency: t.utilization for t in overall_utilization(cards)}
    assert totals == {"USD": pytest.approx(0.1), "EUR": pytest.approx(0.8)}


@pytest.mark.parametrize(
    ("ratio", "label"),
    [
        (0.0, "Excellent"),
        (0.0999, "Excellent"),
        (0.10, "Good"),
        (0.2999, "Good"),
        (0.30, "High"),
        (0.4999, "High"),
        (0.50, "Very high"),
        (1.2, "Very high"),
        (None, "Unknown"),
    ],
)
def test_bands_break_at_10_30_50(ratio: float | None, label: str) -> None:
    assert utilization_band(ratio).label == label


def test_next_payment_skips_overdue_and_already_paid_cards() -> None:
    statement = TODAY - timedelta(days=20)
    cards = cards_frame(
        [
            card("late", 100.0, 1000.0),
            card("paid", 100.0, 1000.0),
            card("soon", 100.0, 1000.0),
            card("later", 100.0, 1000.0),
        ],
        [
            liability("late", TODAY - timedelta(days=3), overdue=True),
            liability(
                "paid",
                TODAY + timedelta(days=1),
                statement_day=statement,
                paid=(TODAY - timedelta(days=2), 35.0),
            ),
            liability("soon", TODAY + timedelta(days=4), minimum=42.0),
            liability("later", TODAY + timedelta(days=20)),
        ],
        [ITEM],
        TODAY,
    )
    due = next_payment_due(cards)
    assert due is not None
    assert (due.card, due.days_left, due.minimum_payment) == ("Card soon", 4, 42.0)
    ordered = [p.card for p in upcoming_payments(cards)]
    assert ordered == ["Card late", "Card soon", "Card later"]


def test_no_cards_means_no_totals_and_no_payment() -> None:
    cards = cards_frame([], [], [ITEM], TODAY)
    assert overall_utilization(cards) == ()
    assert next_payment_due(cards) is None


def test_a_statement_that_asks_for_nothing_is_not_a_payment_due() -> None:
    nothing = CardLiability(
        account_id="zero", next_payment_due_date=TODAY + timedelta(days=3),
        minimum_payment_amount=0.0, last_statement_balance=0.0, is_overdue=False,
    )  # fmt: skip
    cards = cards_frame(
        [card("zero", 0.0, 1000.0), card("owes", 500.0, 1000.0)],
        [nothing, liability("owes", TODAY + timedelta(days=5), minimum=35.0)],
        [ITEM],
        TODAY,
    )
    due = next_payment_due(cards)
    assert due is not None
    assert (due.card, due.minimum_payment) == ("Card owes", 35.0)
    assert [p.card for p in upcoming_payments(cards)] == ["Card owes"]


def test_status_is_overdue_only_when_the_issuer_says_so() -> None:
    statement = TODAY - timedelta(days=24)
    passed = TODAY - timedelta(days=3)
    after, before = (TODAY - timedelta(days=5), 35.0), (statement - timedelta(days=4), 35.0)
    cards = cards_frame(
        [card(name, 100.0, 1000.0) for name in ("late", "auto", "unpaid", "paid", "owes")],
        [
            liability("late", passed, overdue=True),
            liability("auto", passed, statement_day=statement, paid=after),
            liability("unpaid", passed, statement_day=statement, paid=before),
            liability("paid", TODAY + timedelta(days=4), statement_day=statement, paid=after),
            liability("owes", TODAY + timedelta(days=4), statement_day=statement, paid=before),
        ],
        [ITEM],
        TODAY,
    )
    waiting = "Due date passed; waiting for the issuer's update"
    assert dict(zip(cards["account_id"], cards["status"], strict=True)) == {
        "late": "Overdue",
        "auto": f"{waiting} (looks paid)",
        "unpaid": waiting,
        "paid": "Paid this cycle",
        "owes": "Payment due",
    }
    assert list(cards["overdue"]) == [True, False, False, False, False]
    # A passed date the issuer has not moved is neither overdue nor the next payment due.
    assert [p.card for p in upcoming_payments(cards)] == ["Card late", "Card owes"]
    assert [(p.card, p.looks_paid) for p in passed_due_dates(cards)] == [
        ("Card auto", True),
        ("Card unpaid", False),
    ]
    due = next_payment_due(cards)
    assert due is not None
    assert due.card == "Card owes"
