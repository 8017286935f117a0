"""The paydown planner and the payoff order, on hand-built cards with answers worked out here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from integrations.models import Apr, CardLiability
from services.analytics.cards import cards_frame
from services.analytics.paydown import (
    avalanche_order,
    interest_totals,
    next_statement_close,
    overall_payment_needed,
    overall_payment_split,
    pay_by_date,
    paydown_plan,
    payment_totals,
)
from tests.support.frames import ITEM, card

TODAY = date(2026, 3, 10)


def liability(
    account_id: str,
    *,
    statement: date | None = None,
    due: date | None = None,
    apr: float | None = None,
    overdue: bool = False,
) -> CardLiability:
    aprs = (Apr("purchase_apr", apr),) if apr is not None else ()
    return CardLiability(
        account_id=account_id,
        aprs=aprs,
        is_overdue=overdue,
        last_statement_issue_date=statement,
        next_payment_due_date=due,
    )


@pytest.mark.parametrize(
    ("statement", "due", "closes", "basis"),
    [
        (date(2026, 2, 18), None, date(2026, 3, 18), "last statement"),
        (date(2026, 2, 10), None, date(2026, 4, 10), "last statement"),  # closes today: next one
        (date(2026, 1, 31), None, date(2026, 3, 31), "last statement"),  # keeps the 31st
        (date(2025, 11, 5), None, date(2026, 4, 5), "last statement"),  # months of no news
        (None, date(2026, 3, 30), date(2026, 4, 5), "due date"),  # Mar 30 - 25 days = Mar 5
        (None, None, None, "unknown"),
    ],
)
def test_next_statement_close(
    statement: date | None, due: date | None, closes: date | None, basis: str
) -> None:
    assert next_statement_close(statement, due, TODAY) == (closes, basis)


def test_pay_by_is_three_days_before_the_close_but_never_in_the_past() -> None:
    assert pay_by_date(date(2026, 3, 18), TODAY) == date(2026, 3, 15)
    assert pay_by_date(date(2026, 3, 12), TODAY) == TODAY
    assert pay_by_date(None, TODAY) == TODAY


@pytest.fixture
def cards() -> pd.DataFrame:
    return cards_frame(
        [
            card("a", 6948.21, 7500.0, mask="4821"),
            card("b", 1630.03, None, mask="7710"),  # charge card: no limit
            card("c", -12.40, 3000.0, mask="0374"),  # a credit balance
            card("d", 450.0, 1000.0, mask="5555"),
        ],
        [
            liability("a", statement=date(2026, 2, 18), apr=24.99),
            liability("b", statement=date(2026, 2, 12), apr=0.0, overdue=True),
            liability("c", statement=date(2026, 3, 6), apr=19.49),
            liability("d", apr=29.99, due=date(2026, 3, 28)),
        ],
        [ITEM],
        TODAY,
    )


def test_plan_pays_each_card_down_to_the_target_by_the_close(cards: pd.DataFrame) -> None:
    pending = {("a", "USD"): 82.32, ("c", "USD"): 20.45, ("a", "EUR"): 999.0}
    plan = paydown_plan(cards, 0.09, TODAY, pending).set_index("account_id")
    # a: 6948.21 + 82.32 pending = 7030.53; 9% of 7500 = 675.00 -> pay 6355.53.
    assert plan.loc["a", "projected_balance"] == pytest.approx(7030.53)
    assert plan.loc["a", "target_balance"] == 675.0
    assert plan.loc["a", "payment"] == pytest.approx(6355.53)
    assert plan.loc["a", "statement_closes"] == date(2026, 3, 18)
    assert plan.loc["a", "pay_by"] == date(2026, 3, 15)
    # b: no limit, so no target; overdue is said first.
    assert pd.isna(plan.loc["b", "payment"])
    assert plan.loc["b", "note"].startswith("Overdue")
    # c: -12.40 + 20.45 = 8.05, under 270.00: nothing to pay, and no "-0.00".
    assert plan.loc["c", "payment"] == 0.0
    assert str(plan.loc["c", "payment"]) == "0.0"
    assert plan.loc["c", "note"] == "Already under the target."
    # d: 450 - 90 = 360, close estimated from the due date (Mar 28 - 25 days = Mar 3 -> Apr 3).
    assert plan.loc["d", "payment"] == 360.0
    assert (plan.loc["d", "statement_closes"], plan.loc["d", "close_estimated_from"]) == (
        date(2026, 4, 3),
        "due date",
    )
    assert payment_totals(plan.reset_index()) == {"USD": pytest.approx(6715.53)}


def test_target_balance_rounds_down_and_payment_rounds_up_to_the_cent() -> None:
    cards = cards_frame([card("x", 100.0, 333.0)], [], [ITEM], TODAY)
    (row,) = paydown_plan(cards, 0.29, TODAY).itertuples(index=False)
    # 29% of 333 is 96.57: pay 3.43 so the balance is 96.57, not a cent more.
    assert (row.target_balance, row.payment) == (96.57, 3.43)


@pytest.mark.parametrize(("target", "payment"), [(0.01, 6955.53), (0.29, 4855.53), (0.49, 3355.53)])
def test_the_target_moves_the_payment(cards: pd.DataFrame, target: float, payment: float) -> None:
    plan = paydown_plan(cards, target, TODAY, {("a", "USD"): 82.32}).set_index("account_id")
    assert plan.loc["a", "payment"] == pytest.approx(payment)


def test_overall_only_needs_less_when_other_cards_have_room(cards: pd.DataFrame) -> None:
    plan = paydown_plan(cards, 0.09, TODAY)
    # Owed on cards with a limit: 6948.21 + 0 + 450 = 7398.21; 9% of 11500 = 1035.00.
    assert overall_payment_needed(plan, 0.09) == {"USD": pytest.approx(6363.21)}
    assert overall_payment_needed(plan, 0.9) == {"USD": 0.0}


def test_payments_are_never_added_across_currencies() -> None:
    cards = cards_frame(
        [card("u", 500.0, 1000.0), card("e", 800.0, 1000.0, currency="EUR")], [], [ITEM], TODAY
    )
    plan = paydown_plan(cards, 0.1, TODAY)
    assert payment_totals(plan) == {"EUR": 700.0, "USD": 400.0}


def test_avalanche_puts_the_highest_apr_first_with_monthly_interest(cards: pd.DataFrame) -> None:
    order = avalanche_order(cards)
    assert list(order["mask"]) == ["5555", "4821", "7710"]  # c owes nothing
    assert list(order["order"]) == [1, 2, 3]
    interest = dict(zip(order["mask"], order["monthly_interest"], strict=True))
    assert interest["5555"] == pytest.approx(450.0 * 29.99 / 100 / 12)
    assert interest["4821"] == pytest.approx(6948.21 * 24.99 / 100 / 12)
    assert interest["7710"] == 0.0
    assert interest_totals(order) == {
        "USD": pytest.approx(450.0 * 0.2999 / 12 + 6948.21 * 0.2499 / 12)
    }


def test_a_card_without_apr_comes_last_and_adds_no_interest() -> None:
    cards = cards_frame([card("n", 100.0, 1000.0), card("y", 50.0, 1000.0)], [], [ITEM], TODAY)
    cards.loc[cards["account_id"] == "y", "purchase_apr"] = 10.0
    order = avalanche_order(cards)
    assert list(order["card"]) == ["Card y", "Card n"]
    assert pd.isna(order["monthly_interest"].iloc[1])
    assert interest_totals(order) == {"USD": pytest.approx(50.0 * 0.10 / 12)}


def test_no_cards_no_plan() -> None:
    cards = cards_frame([], [], [ITEM], TODAY)
    assert paydown_plan(cards, 0.09, TODAY).empty
    assert payment_totals(paydown_plan(cards, 0.09, TODAY)) == {}
    assert avalanche_order(cards).empty


def test_cards_frame_has_every_apr_type_and_the_statement_date() -> None:
    li = replace(
        liability("a", statement=date(2026, 2, 18)),
        aprs=(
            Apr("purchase_apr", 24.99),
            Apr("cash_apr", 29.99),
            Apr("balance_transfer_apr", 19.99),
            Apr("special", 0.0),
            Apr("penalty_apr", 31.0),
        ),
    )
    (row,) = cards_frame([card("a", 1.0, 10.0)], [li], [ITEM], TODAY).itertuples(index=False)
    assert (row.purchase_apr, row.cash_apr, row.balance_transfer_apr) == (24.99, 29.99, 19.99)
    assert (row.special_apr, row.penalty_apr) == (0.0, 31.0)
    assert row.statement_date == date(2026, 2, 18)


def test_the_overall_only_payment_is_split_so_it_can_be_made() -> None:
    # A owes little at a high APR, B a lot at a low one: A can only take what it owes.
    frame = cards_frame(
        [card("a", 100.0, 10_000.0, mask="1111"), card("b", 5000.0, 1000.0, mask="2222")],
        [liability("a", apr=29.99), liability("b", apr=9.99)],
        [ITEM],
        TODAY,
    )
    plan = paydown_plan(frame, 0.09, TODAY)
    needed = overall_payment_needed(plan, 0.09)["USD"]
    assert needed == pytest.approx(5100.0 - 990.0)
    (split,) = overall_payment_split(plan, 0.09).values()
    assert split == [("Card a", "1111", 100.0), ("Card b", "2222", 4010.0)]
    assert sum(amount for *_, amount in split) == pytest.approx(needed)
