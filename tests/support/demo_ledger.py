"""What the demo bodies imply for the cards and transactions pages, derived independently.

In the style of ``tests/support/demo_expectations.py``: plain loops over the raw demo JSON, no
pandas and none of the app's parsers or analytics, so each page test compares the app's answer with
a second, separate derivation. Money is added in integer cents where exactness matters.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from integrations.demo.plaid import plaid_demo_items
from tests.support.demo_expectations import (
    CARD_PAYMENT,
    NOT_SPENDING,
    raw_cards,
    raw_liabilities,
    raw_transactions,
)

TRANSFERS = {"TRANSFER_IN", "TRANSFER_OUT"}


@dataclass(frozen=True)
class Row:
    transaction_id: str
    day: date
    amount: float
    currency: str
    pending: bool
    primary: str
    detailed: str
    name: str
    merchant: str | None
    account: str
    account_id: str
    institution: str

    @property
    def is_spending(self) -> bool:
        return self.primary not in NOT_SPENDING and self.detailed != CARD_PAYMENT

    @property
    def payee(self) -> str:
        return self.merchant if self.merchant else self.name


def ledger(today: date) -> list[Row]:
    """Every transaction the pages should know, with its account and institution names."""
    accounts: dict[str, tuple[str, str]] = {}
    for item in plaid_demo_items(today):
        institution = item.institution["institution"]["name"]
        for account in item.accounts_get["accounts"]:
            label = f"{account['name']} ••{account['mask']}"
            accounts[account["account_id"]] = (label, institution)
    rows = []
    for t in raw_transactions(today):
        label, institution = accounts[t["account_id"]]
        category = t["personal_finance_category"] or {}
        rows.append(
            Row(
                transaction_id=t["transaction_id"],
                day=date.fromisoformat(t["date"]),
                amount=t["amount"],
                currency=t["iso_currency_code"],
                pending=t["pending"],
                primary=category.get("primary") or "UNCATEGORIZED",
                detailed=category.get("detailed") or "UNCATEGORIZED",
                name=t["name"],
                merchant=t["merchant_name"],
                account=label,
                account_id=t["account_id"],
                institution=institution,
            )
        )
    return rows


def select(
    rows: Iterable[Row],
    start: date,
    end: date,
    *,
    institutions: tuple[str, ...] = (),
    accounts: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    detailed: tuple[str, ...] = (),
    min_amount: float | None = None,
    max_amount: float | None = None,
    text: str = "",
    include_pending: bool = True,
    include_transfers: bool = True,
) -> list[Row]:
    chosen = []
    needle = text.strip().lower()
    for r in rows:
        if not start <= r.day <= end:
            continue
        if institutions and r.institution not in institutions:
            continue
        if accounts and r.account not in accounts:
            continue
        if categories and r.primary not in categories:
            continue
        if detailed and r.detailed not in detailed:
            continue
        if min_amount is not None and r.amount < min_amount:
            continue
        if max_amount is not None and r.amount > max_amount:
            continue
        if needle and needle not in r.name.lower() and needle not in (r.merchant or "").lower():
            continue
        if not include_pending and r.pending:
            continue
        if not include_transfers and (r.primary in TRANSFERS or r.detailed == CARD_PAYMENT):
            continue
        chosen.append(r)
    return chosen


@dataclass(frozen=True)
class Figures:
    count: int
    spending: float
    income: float
    net: float
    average: float | None
    median: float | None


def figures(rows: list[Row], currency: str = "USD") -> Figures:
    spending = sum(r.amount for r in rows if r.is_spending and r.currency == currency)
    income = -sum(r.amount for r in rows if r.primary == "INCOME" and r.currency == currency)
    purchases = [
        r.amount for r in rows if r.is_spending and r.amount > 0 and r.currency == currency
    ]
    return Figures(
        count=len(rows),
        spending=spending,
        income=income,
        net=income - spending,
        average=sum(purchases) / len(purchases) if purchases else None,
        median=statistics.median(purchases) if purchases else None,
    )


def spending_by(rows: list[Row], key: str, currency: str = "USD") -> dict[Any, float]:
    """Net spending grouped by an attribute of the row (refunds included)."""
    totals: dict[Any, float] = {}
    for r in rows:
        if r.is_spending and r.currency == currency:
            group = getattr(r, key)
            totals[group] = totals.get(group, 0.0) + r.amount
    return totals


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# --- cards ------------------------------------------------------------------------------------


def cents(amount: float) -> int:
    return round(amount * 100)


def pending_cents(today: date, account_id: str, currency: str) -> int:
    return sum(
        cents(r.amount)
        for r in ledger(today)
        if r.pending and r.account_id == account_id and r.currency == currency
    )


def statement_close(last_statement: date, today: date) -> date:
    months = 1
    while add_months(last_statement, months) <= today:
        months += 1
    return add_months(last_statement, months)


@dataclass(frozen=True)
class CardPlan:
    mask: str
    payment_cents: int | None
    pay_by: date | None
    owed_cents: int
    purchase_apr: float | None


def card_plans(today: date, target_percent: int) -> list[CardPlan]:
    """Per card, in cents: pay down to ``target_percent`` of the limit, pending included."""
    liabilities = {li["account_id"]: li for li in raw_liabilities(today)}
    plans = []
    for card in raw_cards(today):
        balances = card["balances"]
        projected = cents(balances["current"] or 0.0) + pending_cents(
            today, card["account_id"], balances["iso_currency_code"]
        )
        payment = None
        if balances["limit"]:
            target = cents(balances["limit"]) * target_percent // 100
            payment = max(projected - target, 0)
        li = liabilities.get(card["account_id"])
        pay_by = None
        apr = None
        if li:
            close = statement_close(date.fromisoformat(li["last_statement_issue_date"]), today)
            pay_by = max(close - timedelta(days=3), today)
            apr = next(
                (a["apr_percentage"] for a in li["aprs"] if a["apr_type"] == "purchase_apr"), None
            )
        plans.append(CardPlan(card["mask"], payment, pay_by, max(projected, 0), apr))
    return plans
