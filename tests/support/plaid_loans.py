"""A mortgage Item in Plaid's shapes, for the Plaid double to serve (``add_item``).

The demo person rents (their bureau file's BRIGHTWATER MORTGAGE is a joint account they do
not link), so the demo has no mortgage; this Item lets tests drive a mortgage through the real
plaid-python client and our parsers. Every object carries the fields plaid-python's models
require, nullable ones present with None, as the demo's bodies do.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta

from integrations.common.months import add_months
from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from tests.support.clock import TODAY

MORTGAGE_INSTITUTION = ("ins_demo_mortgage", "Brightwater Mortgage")
MORTGAGE_ACCOUNT_ID = "mortgageAccount0000000000000000000001"
MORTGAGE_ITEM_ID = "mortgageItem000000000000000000000001"
MORTGAGE_BALANCE = 251_180.42
MORTGAGE_PAYMENT = 1_790.00
MORTGAGE_RATE = 3.99
MORTGAGE_DUE_IN_DAYS = 12


def _item_object(template: dict) -> dict:
    item = copy.deepcopy(template["item"])
    item.update(
        item_id=MORTGAGE_ITEM_ID,
        institution_id=MORTGAGE_INSTITUTION[0],
        institution_name=MORTGAGE_INSTITUTION[1],
        consent_expiration_time=None,
        available_products=["balance"],
        billed_products=["liabilities", "transactions"],
        products=["liabilities", "transactions"],
        consented_products=["liabilities", "transactions"],
    )
    item.pop("created_at", None)
    return item


def _account() -> dict:
    return {
        "account_id": MORTGAGE_ACCOUNT_ID,
        "balances": {
            "available": None,
            "current": MORTGAGE_BALANCE,
            "limit": None,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "last_updated_datetime": None,
        },
        "mask": "3431",
        "name": "Brightwater Home Loan",
        "official_name": "Brightwater 30-Year Fixed Mortgage",
        "type": "loan",
        "subtype": "mortgage",
        "holder_category": "personal",
    }


def mortgage_body(
    today: date, past_due: float = 0.0, due_in_days: int = MORTGAGE_DUE_IN_DAYS
) -> dict:
    """One mortgage as /liabilities/get lists it; ``past_due`` above zero makes it overdue
    (its last due day passed unpaid). A negative ``due_in_days`` without ``past_due`` is a
    due date the lender has not moved yet and does not call overdue (its last payment is a
    month before)."""
    due = today + timedelta(days=due_in_days)
    if past_due:
        due = today - timedelta(days=9)
    opened = add_months(today, -58)
    return {
        "account_id": MORTGAGE_ACCOUNT_ID,
        "account_number": "7700123431",
        "current_late_fee": 45.0 if past_due else 0.0,
        "escrow_balance": 3_141.75,
        "has_pmi": False,
        "has_prepayment_penalty": False,
        "interest_rate": {"percentage": MORTGAGE_RATE, "type": "fixed"},
        "last_payment_amount": MORTGAGE_PAYMENT,
        "last_payment_date": add_months(due, -1).isoformat(),
        "loan_term": "30 year",
        "loan_type_description": "conventional",
        "maturity_date": add_months(opened, 360).isoformat(),
        "next_monthly_payment": MORTGAGE_PAYMENT,
        "next_payment_due_date": due.isoformat(),
        "origination_date": opened.isoformat(),
        "origination_principal_amount": 285_000.00,
        "past_due_amount": past_due,
        "property_address": {
            "city": "Seattle",
            "country": "US",
            "postal_code": "98103",
            "region": "WA",
            "street": "4410 Linden Ave N",
        },
        "ytd_interest_paid": 9_112.37,
        "ytd_principal_paid": 10_577.63,
    }


def mortgage_item(
    access_token: str,
    today: date = TODAY,
    past_due: float = 0.0,
    due_in_days: int = MORTGAGE_DUE_IN_DAYS,
) -> DemoPlaidItem:
    """An Item at a mortgage lender with one mortgage and no transactions."""
    template = plaid_demo_items(today)[0]
    item = _item_object(template.item_get)
    institution = copy.deepcopy(template.institution)
    institution["institution"].update(
        institution_id=MORTGAGE_INSTITUTION[0],
        name=MORTGAGE_INSTITUTION[1],
        products=["balance", "liabilities", "transactions"],
        oauth=False,
        url="https://www.brightwater-mortgage.example",
    )
    item_get = copy.deepcopy(template.item_get)
    item_get["item"] = {**item, "created_at": template.item_get["item"]["created_at"]}
    page = {
        "added": [],
        "modified": [],
        "removed": [],
        "next_cursor": "bW9ydGdhZ2UtY3Vyc29yLTE=",
        "has_more": False,
        "accounts": [_account()],
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
        "request_id": "mortgageSync01",
    }
    return DemoPlaidItem(
        access_token=access_token,
        item_get=item_get,
        institution=institution,
        accounts_get={"accounts": [_account()], "item": item, "request_id": "mortgageAcc01"},
        transactions_sync_pages=(page,),
        liabilities_get={
            "accounts": [_account()],
            "item": item,
            "liabilities": {
                "credit": None,
                "mortgage": [mortgage_body(today, past_due, due_in_days)],
                "student": None,
            },
            "request_id": "mortgageLia01",
        },
    )


ODD_LOAN_ACCOUNT_ID = "oddLoanAccount00000000000000000000001"


def with_odd_student_loans(item: DemoPlaidItem) -> DemoPlaidItem:
    """``item`` (one with a student loan) whose loan has no interest rate (null, which
    plaid-python's StudentLoan model refuses), beside two loans that cannot be read: one
    without an account_id (Plaid allows null) and one with text where a rate belongs."""
    body = copy.deepcopy(item.liabilities_get)
    assert body is not None
    (loan,) = body["liabilities"]["student"]
    loan["interest_rate_percentage"] = None
    no_account = {**copy.deepcopy(loan), "account_id": None, "loan_name": "Unlinked Loan"}
    odd_rate = {
        **copy.deepcopy(loan),
        "account_id": ODD_LOAN_ACCOUNT_ID,
        "interest_rate_percentage": "five and a half",
    }
    body["liabilities"]["student"] = [loan, no_account, odd_rate]
    return replace(item, liabilities_get=body)
