"""The embedded demo: upstream-shaped bodies, parsed by the same code as live responses.

After the parsers there is no separate demo path: the app cannot tell demo data from a live
fetch except by the source label it is given.
"""

from __future__ import annotations

from datetime import date, datetime

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import DemoPlaidItem, balance_get_body, plaid_demo_items
from integrations.experian.parse import parse_credit_report
from integrations.models import Account, CreditReport, ItemData
from integrations.plaid.parse import parse_item_data, parse_live_balances


def parse_demo_item(item: DemoPlaidItem) -> ItemData:
    return parse_item_data(
        item_body=item.item_get,
        institution_body=item.institution,
        accounts_body=item.accounts_get,
        sync_pages=item.transactions_sync_pages,
        liabilities_body=item.liabilities_get,
    )


def demo_item_data(today: date) -> tuple[ItemData, ...]:
    return tuple(parse_demo_item(item) for item in plaid_demo_items(today))


def demo_live_balances(today: date, item_id: str, checked_at: datetime) -> tuple[Account, ...]:
    """The demo item's balances as /accounts/balance/get would give them, through the live
    parser; none for an item the demo does not have."""
    for item in plaid_demo_items(today):
        if item.item_get["item"]["item_id"] == item_id:
            return parse_live_balances(balance_get_body(item, checked_at))
    return ()


def demo_credit_report(today: date) -> CreditReport:
    return parse_credit_report(experian_demo_report(today))
