"""Cash and net worth, per currency: never summed across currencies.

Cash is what the depository accounts (checking, savings, money market...) hold. Net worth is
cash less what the credit cards carry; loans and investments are not counted yet. A card's
balance is taken as reported: a credit balance (negative) is the issuer owing the person, so it
adds to net worth, where the overview's "total owed" leaves it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from integrations.models import Account

DEPOSITORY = "depository"


@dataclass(frozen=True)
class CashTotal:
    currency: str
    current: float  # what the accounts hold, pending charges included
    available: float  # what can be spent now; an account without it counts its current
    accounts: int


def _cash_accounts(accounts: Iterable[Account]) -> list[Account]:
    return [a for a in accounts if a.type == DEPOSITORY and a.current is not None]


def cash_by_currency(accounts: Iterable[Account]) -> tuple[CashTotal, ...]:
    """Cash per currency, the largest number of accounts first (the headline), then by code."""
    grouped: dict[str, list[Account]] = {}
    for account in _cash_accounts(accounts):
        grouped.setdefault(account.currency, []).append(account)
    totals = [
        CashTotal(
            currency=currency,
            current=sum(a.current or 0.0 for a in group),
            available=sum(a.current if a.available is None else a.available for a in group),
            accounts=len(group),
        )
        for currency, group in grouped.items()
    ]
    return tuple(sorted(totals, key=lambda t: (-t.accounts, t.currency)))


def card_balances_by_currency(accounts: Iterable[Account]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for card in accounts:
        if card.is_credit_card and card.current is not None:
            totals[card.currency] = totals.get(card.currency, 0.0) + card.current
    return totals


def net_worth_by_currency(accounts: Iterable[Account]) -> dict[str, float]:
    """Cash less card balances, per currency that has either."""
    accounts = tuple(accounts)
    worth = {t.currency: t.current for t in cash_by_currency(accounts)}
    for currency, balance in card_balances_by_currency(accounts).items():
        worth[currency] = worth.get(currency, 0.0) - balance
    return worth
