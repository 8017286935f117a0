"""Numbers the demo data implies, computed straight from the raw demo bodies.

Written independently of the app's parsers and analytics: plain loops over the JSON, so a
page test compares the app's answer with a second, separate derivation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import plaid_demo_items

NOT_SPENDING = {"INCOME", "TRANSFER_IN", "TRANSFER_OUT"}
CARD_PAYMENT = "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"


def counts_as_spending(transaction: dict[str, Any]) -> bool:
    category = transaction["personal_finance_category"]
    return category["primary"] not in NOT_SPENDING and category["detailed"] != CARD_PAYMENT


def raw_cards(today: date) -> list[dict[str, Any]]:
    return [
        a
        for item in plaid_demo_items(today)
        for a in item.accounts_get["accounts"]
        if a["type"] == "credit"
    ]


def raw_liabilities(today: date) -> list[dict[str, Any]]:
    return [
        c
        for item in plaid_demo_items(today)
        if item.liabilities_get
        for c in item.liabilities_get["liabilities"]["credit"] or ()
    ]


def raw_transactions(today: date) -> list[dict[str, Any]]:
    """Every item's sync pages applied by hand, pending rows superseded by a posted twin dropped."""
    result: list[dict[str, Any]] = []
    for item in plaid_demo_items(today):
        current: dict[str, dict[str, Any]] = {}
        for page in item.transactions_sync_pages:
            for t in page["added"] + page["modified"]:
                current[t["transaction_id"]] = t
            for gone in page["removed"]:
                current.pop(gone["transaction_id"], None)
        result.extend(current.values())
    posted_from = {t["pending_transaction_id"] for t in result if not t["pending"]}
    return [t for t in result if not (t["pending"] and t["transaction_id"] in posted_from)]


def raw_accounts(today: date) -> list[dict[str, Any]]:
    return [a for item in plaid_demo_items(today) for a in item.accounts_get["accounts"]]


def cash(today: date, currency: str = "USD") -> tuple[float, float]:
    """(current, available) over the depository accounts in ``currency``."""
    current = available = 0.0
    for account in raw_accounts(today):
        balances = account["balances"]
        if account["type"] == "depository" and balances["iso_currency_code"] == currency:
            current += balances["current"]
            available += (
                balances["current"] if balances["available"] is None else balances["available"]
            )
    return current, available


def spending_and_savings(today: date, currency: str = "USD") -> tuple[float, float]:
    """(checking, savings) current balances in ``currency``: bills are paid from the first."""
    spending = savings = 0.0
    for account in raw_accounts(today):
        balances = account["balances"]
        if account["type"] != "depository" or balances["iso_currency_code"] != currency:
            continue
        if account["subtype"] == "savings":
            savings += balances["current"]
        else:
            spending += balances["current"]
    return spending, savings


def raw_loan_accounts(today: date) -> list[dict[str, Any]]:
    return [a for a in raw_accounts(today) if a["type"] == "loan"]


def raw_student_loans(today: date) -> list[dict[str, Any]]:
    return [
        s
        for item in plaid_demo_items(today)
        if item.liabilities_get
        for s in item.liabilities_get["liabilities"]["student"] or ()
    ]


def net_worth(today: date, currency: str = "USD") -> float:
    """Cash less every card's balance as reported (a credit balance counts for the person),
    less what every loan is owed."""
    cards = sum(
        c["balances"]["current"]
        for c in raw_cards(today)
        if c["balances"]["iso_currency_code"] == currency
    )
    loans = sum(
        a["balances"]["current"]
        for a in raw_loan_accounts(today)
        if a["balances"]["iso_currency_code"] == currency
    )
    return cash(today, currency)[0] - cards - loans


def overall_utilization(today: date) -> tuple[float, float, float]:
    """(owed on all cards, limit of cards with a limit, utilization over those cards)."""
    owed_all = owed_limited = limit = 0.0
    for card in raw_cards(today):
        owed = max(card["balances"]["current"] or 0.0, 0.0)
        owed_all += owed
        if card["balances"]["limit"]:
            owed_limited += owed
            limit += card["balances"]["limit"]
    return owed_all, limit, owed_limited / limit


def spending(today: date, start: date, end: date, currency: str = "USD") -> float:
    return sum(
        t["amount"]
        for t in raw_transactions(today)
        if counts_as_spending(t)
        and t["iso_currency_code"] == currency
        and start <= date.fromisoformat(t["date"]) <= end
    )


def overdue_cards(today: date) -> list[str]:
    return [c["account_id"] for c in raw_liabilities(today) if c["is_overdue"]]


def due_within_week(today: date) -> list[dict[str, Any]]:
    return [
        c
        for c in raw_liabilities(today)
        if not c["is_overdue"]
        and today <= date.fromisoformat(c["next_payment_due_date"]) <= today + timedelta(days=7)
    ]


def credit_score(today: date) -> int:
    return int(experian_demo_report(today)["creditProfile"][0]["riskModel"][0]["score"])


def tradeline_count(today: date, *, closed: bool | None = None) -> int:
    lines = experian_demo_report(today)["creditProfile"][0]["tradeline"]
    if closed is None:
        return len(lines)
    return sum((t["openOrClosed"] == "C") == closed for t in lines)


def consent_expiries(today: date, zone: tzinfo = UTC) -> list[tuple[str, date, int]]:
    """(bank, day its consent lapses in ``zone``, days from ``today``) for each demo bank
    whose consent lapses."""
    found = []
    for item in plaid_demo_items(today):
        raw = item.item_get["item"]["consent_expiration_time"]
        if raw is None:
            continue
        moment = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        expires_on = moment.astimezone(zone).date()
        found.append(
            (item.institution["institution"]["name"], expires_on, (expires_on - today).days)
        )
    return found
