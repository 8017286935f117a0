"""Cash and net worth: per currency, never summed across currencies."""

from __future__ import annotations

import pytest

from integrations.models import Account
from services.analytics.worth import cash_by_currency, net_worth_by_currency, net_worth_parts
from tests.support.frames import card


def deposit(
    account_id: str, current: float | None, available: float | None, *, currency: str = "USD"
) -> Account:
    return Account(
        account_id=account_id,
        item_id="item-1",
        name=f"Account {account_id}",
        official_name=None,
        mask="0000",
        type="depository",
        subtype="checking",
        current=current,
        available=available,
        limit=None,
        currency=currency,
    )


def test_cash_sums_checking_and_savings_in_one_currency() -> None:
    (usd,) = cash_by_currency([deposit("c", 1200.0, 1150.0), deposit("s", 5000.0, 5000.0)])
    assert (usd.currency, usd.current, usd.available, usd.accounts) == ("USD", 6200.0, 6150.0, 2)


def test_an_account_without_available_counts_its_current() -> None:
    (usd,) = cash_by_currency([deposit("c", 300.0, None)])
    assert usd.available == 300.0


def test_cash_in_two_currencies_stays_apart() -> None:
    totals = cash_by_currency(
        [deposit("a", 100.0, 100.0), deposit("b", 50.0, 50.0, currency="EUR"),
         deposit("c", 10.0, 10.0)]
    )  # fmt: skip
    assert [(t.currency, t.current) for t in totals] == [("USD", 110.0), ("EUR", 50.0)]


def test_cards_are_not_cash() -> None:
    assert cash_by_currency([card("k", 400.0, 1000.0)]) == ()


def test_net_worth_is_cash_less_card_balances_per_currency() -> None:
    accounts = [
        deposit("c", 2000.0, 1900.0),
        card("k1", 450.0, 1000.0),
        card("k2", -20.0, 500.0),  # a credit balance: the issuer owes the person
        card("k3", 300.0, 900.0, currency="EUR"),
    ]
    assert net_worth_by_currency(accounts) == {"USD": 2000.0 - 450.0 + 20.0, "EUR": -300.0}


def loan(
    account_id: str, current: float, *, subtype: str = "student", currency: str = "USD"
) -> Account:
    return Account(
        account_id=account_id, item_id="item-1", name=f"Loan {account_id}", official_name=None,
        mask="9999", type="loan", subtype=subtype, current=current, available=None, limit=None,
        currency=currency,
    )  # fmt: skip


def test_net_worth_takes_loans_off_too_and_keeps_its_parts() -> None:
    accounts = [
        deposit("c", 5_644.55, 5_591.48),
        deposit("s", 15_385.23, 15_385.23),
        card("k1", 6_948.21, 7_500.0),
        card("k2", -12.40, 3_000.0),
        loan("l1", 9_905.69),
        loan("m1", 120_000.0, subtype="mortgage", currency="EUR"),
    ]
    usd, eur = net_worth_parts(accounts)
    # 5,644.55 + 15,385.23 = 21,029.78 cash; 6,948.21 - 12.40 = 6,935.81 on cards.
    assert (usd.currency, usd.cash, usd.cards, usd.loans) == ("USD", 21_029.78, 6_935.81, 9_905.69)
    assert usd.net == pytest.approx(21_029.78 - 6_935.81 - 9_905.69)  # 4,188.28
    assert usd.net == pytest.approx(4_188.28)
    # A loan in euros is its own line: never taken off dollars.
    assert (eur.currency, eur.cash, eur.loans, eur.net) == ("EUR", 0.0, 120_000.0, -120_000.0)
    assert net_worth_by_currency(accounts) == {"USD": usd.net, "EUR": -120_000.0}
