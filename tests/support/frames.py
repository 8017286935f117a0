"""Small hand-built inputs for the analytics tests: transactions, Plaid cards and liabilities,
Experian tradelines."""

from __future__ import annotations

from datetime import date

import pandas as pd

from integrations.models import (
    Account,
    CardLiability,
    Institution,
    Item,
    PaymentMonth,
    Tradeline,
)


def tx(
    tid: str,
    day: str,
    amount: float,
    category: str = "FOOD_AND_DRINK",
    *,
    currency: str = "USD",
    pending: bool = False,
    pending_id: str | None = None,
    name: str = "Shop",
    merchant: str | None = None,
    account: str = "Card ••1111",
    detailed: str | None = None,
) -> dict[str, object]:
    return {
        "transaction_id": tid,
        "date": pd.Timestamp(day),
        "name": name,
        "merchant": merchant,
        "amount": amount,
        "currency": currency,
        "pending": pending,
        "pending_transaction_id": pending_id,
        "category": category,
        "category_detailed": detailed or f"{category}_OTHER",
        "account": account,
    }


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


ITEM = Item("item-1", Institution("ins_1", "Test Bank"))


def card(
    account_id: str,
    current: float | None,
    limit: float | None,
    *,
    currency: str = "USD",
    mask: str = "1111",
) -> Account:
    return Account(
        account_id=account_id,
        item_id="item-1",
        name=f"Card {account_id}",
        official_name=None,
        mask=mask,
        type="credit",
        subtype="credit card",
        current=current,
        available=None,
        limit=limit,
        currency=currency,
    )


def liability(
    account_id: str,
    due: date | None,
    *,
    overdue: bool = False,
    minimum: float = 35.0,
    statement_day: date | None = None,
    paid: tuple[date, float] | None = None,
) -> CardLiability:
    return CardLiability(
        account_id=account_id,
        is_overdue=overdue,
        next_payment_due_date=due,
        minimum_payment_amount=minimum,
        last_statement_balance=500.0,
        last_statement_issue_date=statement_day,
        last_payment_date=paid[0] if paid else None,
        last_payment_amount=paid[1] if paid else None,
    )


def tradeline(
    creditor: str = "ALPHA BANK",
    number: str = "••1111",
    *,
    kind: str = "revolving",
    is_open: bool = True,
    limit: float | None = 1000.0,
    balance: float | None = 0.0,
    original: float | None = None,
    account_type: str = "Credit card",
    months: tuple[PaymentMonth, ...] = (),
) -> Tradeline:
    """One Experian tradeline, a card in good standing unless told otherwise."""
    return Tradeline(
        creditor=creditor,
        account_number=number,
        account_type_code="18",
        account_type=account_type,
        kind_of_business="Bank credit card",
        open_date=date(2020, 1, 5),
        is_open=is_open,
        kind=kind,  # type: ignore[arg-type]
        credit_limit=limit,
        high_balance=None,
        original_amount=original,
        balance=balance,
        balance_date=None,
        monthly_payment=None,
        last_payment_date=None,
        status_code="11",
        status="Current account in good standing",
        status_date=None,
        payment_history=months,
        delinquencies_30=0,
        delinquencies_60=0,
        delinquencies_90_plus=0,
        derogatory_count=0,
    )
