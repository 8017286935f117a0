"""The money semantics the pages build on, beyond totals: purchases, income, net, pending."""

from __future__ import annotations

import pytest

from services.analytics.money import (
    CARD_PAYMENT,
    SUPERSEDED,
    income_by_currency,
    net_by_currency,
    pending_by_account,
    purchase_rows,
    spending_rows,
    spending_totals,
    with_money_flags,
)
from tests.support.frames import frame, tx


def account(row: dict[str, object], account_id: str) -> dict[str, object]:
    return {**row, "account_id": account_id}


def test_purchases_are_spending_charges_without_refunds() -> None:
    rows = frame(
        tx("buy", "2026-01-02", 50.0),
        tx("refund", "2026-01-03", -20.0),
        tx(
            "pay",
            "2026-01-04",
            300.0,
            "LOAN_PAYMENTS",
            detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        ),
        tx("wage", "2026-01-05", -900.0, "INCOME"),
    )
    assert list(purchase_rows(rows)["transaction_id"]) == ["buy"]
    assert spending_totals(rows) == {"USD": 30.0}


def test_income_is_shown_positive_and_net_is_income_minus_spending() -> None:
    rows = frame(
        tx("wage", "2026-01-05", -900.0, "INCOME"),
        tx("buy", "2026-01-06", 120.0),
        tx("euro", "2026-01-06", 10.0, currency="EUR"),
        tx("in", "2026-01-07", -500.0, "TRANSFER_IN"),
    )
    income = income_by_currency(rows)
    assert income == {"USD": 900.0}
    assert net_by_currency(spending_totals(rows), income) == {"EUR": -10.0, "USD": 780.0}


def test_columns_can_be_narrowed_without_changing_the_rows() -> None:
    rows = frame(tx("a", "2026-01-02", 5.0), tx("b", "2026-01-02", 7.0, "TRANSFER_OUT"))
    narrow = spending_rows(rows, columns=("currency", "amount"))
    assert list(narrow.columns) == ["currency", "amount"]
    assert narrow["amount"].tolist() == [5.0]


def test_pending_by_account_leaves_out_pending_already_posted() -> None:
    rows = frame(
        account(tx("p1", "2026-01-05", 30.0, pending=True), "card-a"),
        account(tx("t1", "2026-01-06", 31.5, pending_id="p1"), "card-a"),
        account(tx("p2", "2026-01-07", 10.0, pending=True), "card-a"),
        account(tx("p3", "2026-01-07", -4.0, pending=True), "card-a"),
        account(tx("p4", "2026-01-07", 8.0, pending=True, currency="EUR"), "card-a"),
        account(tx("p5", "2026-01-07", 2.5, pending=True), "card-b"),
    )
    assert pending_by_account(rows) == {
        ("card-a", "USD"): pytest.approx(6.0),
        ("card-a", "EUR"): 8.0,
        ("card-b", "USD"): 2.5,
    }


def test_no_pending_gives_nothing() -> None:
    rows = frame(account(tx("a", "2026-01-05", 1.0), "card-a"))
    assert pending_by_account(rows) == {}


def test_flags_set_once_per_snapshot_give_the_same_answers_as_matching_each_time() -> None:
    rows = frame(
        tx("p1", "2026-01-05", 30.0, pending=True),
        tx("t1", "2026-01-06", 30.0, pending_id="p1"),
        tx("p2", "2026-01-07", 12.0, pending=True),
        tx("refund", "2026-01-08", -20.0),
        tx("in", "2026-01-08", -40.0, "OTHER"),
        tx("pay", "2026-01-09", 300.0, "LOAN_PAYMENTS", detailed=CARD_PAYMENT),
        tx("mortgage", "2026-01-09", 900.0, "LOAN_PAYMENTS"),
        tx("wage", "2026-01-10", -900.0, "INCOME"),
    )
    flagged = with_money_flags(rows)
    assert flagged[SUPERSEDED].tolist() == [True, False, False, False, False, False, False, False]
    for view in (rows, flagged):
        assert spending_rows(view)["transaction_id"].tolist() == [
            "t1",
            "p2",
            "refund",
            "mortgage",
        ]
        assert purchase_rows(view, include_pending=False)["transaction_id"].tolist() == [
            "t1",
            "mortgage",
        ]
    # A view without the posted twin still leaves its pending original out once flagged: the
    # twin was in the history the snapshot was built from.
    without_twin = flagged[flagged["transaction_id"] != "t1"]
    assert "p1" not in spending_rows(without_twin)["transaction_id"].tolist()
