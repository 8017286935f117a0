"""Cash and net worth: per currency, never summed across currencies."""

from __future__ import annotations

from integrations.models import Account
from services.analytics.worth import cash_by_currency, net_worth_by_currency
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
