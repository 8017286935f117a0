"""Cash and net worth, per currency: never summed across currencies.

Cash is what the depository accounts (checking, savings, money market...) hold. Net worth is
cash less what the credit cards carry and less what the loans (student loans, mortgages, any
account of type "loan") are owed on; investments and property are not counted. A card's
balance is taken as reported: a credit balance (negative) is the issuer owing the person, so it
adds to net worth, where the overview's "total owed" leaves it out. A loan's balance is what
is still owed on it, interest included when the lender counts it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from integrations.models import Account

DEPOSITORY = "depository"
LOAN = "loan"


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


# Depository subtypes kept aside rather than spent from: bills are paid from the others.
RESERVE_SUBTYPES = frozenset({"savings", "cd", "hsa", "money market"})


def is_reserve(account: Account) -> bool:
    return (account.subtype or "").lower() in RESERVE_SUBTYPES


def spending_cash_by_currency(
    accounts: Iterable[Account],
) -> tuple[dict[str, float], dict[str, float]]:
    """(spending, reserve) cash per currency: what checking and other everyday accounts hold,
    which bills are paid from, and what savings, CDs and the like hold beside. A currency held
    only in reserve accounts has that as its spending cash (there is nothing else to pay from)."""
    spending: dict[str, float] = {}
    reserve: dict[str, float] = {}
    for account in _cash_accounts(accounts):
        into = reserve if is_reserve(account) else spending
        into[account.currency] = into.get(account.currency, 0.0) + (account.current or 0.0)
    for currency in [c for c in reserve if c not in spending]:
        spending[currency] = reserve.pop(currency)
    return spending, reserve


def card_balances_by_currency(accounts: Iterable[Account]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for card in accounts:
        if card.is_credit_card and card.current is not None:
            totals[card.currency] = totals.get(card.currency, 0.0) + card.current
    return totals


def loan_balances_by_currency(accounts: Iterable[Account]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for loan in accounts:
        if loan.type == LOAN and loan.current is not None:
            totals[loan.currency] = totals.get(loan.currency, 0.0) + loan.current
    return totals


@dataclass(frozen=True)
class NetWorth:
    """Net worth in one currency, with the parts it is made of."""

    currency: str
    cash: float
    cards: float  # card balances as reported (a credit balance is negative)
    loans: float

    @property
    def net(self) -> float:
        return self.cash - self.cards - self.loans


def net_worth_parts(accounts: Iterable[Account]) -> tuple[NetWorth, ...]:
    """Per currency that has cash, a card or a loan: the cash headline's currency first."""
    accounts = tuple(accounts)
    cash = {t.currency: t.current for t in cash_by_currency(accounts)}
    cards = card_balances_by_currency(accounts)
    loans = loan_balances_by_currency(accounts)
    order = list(cash) + sorted((set(cards) | set(loans)) - set(cash))
    return tuple(NetWorth(c, cash.get(c, 0.0), cards.get(c, 0.0), loans.get(c, 0.0)) for c in order)


def net_worth_by_currency(accounts: Iterable[Account]) -> dict[str, float]:
    """Cash less card and loan balances, per currency that has any of them."""
    return {part.currency: part.net for part in net_worth_parts(accounts)}
