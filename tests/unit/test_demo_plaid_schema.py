"""The Plaid demo bodies must be exactly what Plaid's API would send.

Schema correctness is judged by plaid-python itself: each body goes through the client's own
response deserializer (``ApiClient.deserialize`` with type checking on, as a live call does).
Because that deserializer tolerates unknown keys and unknown enum values, a stricter walk over
the same model metadata also rejects misspelt keys and values outside the enums.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import plaid
import pytest
from plaid.api_client import ApiClient
from plaid.exceptions import ApiValueError
from plaid.model.accounts_get_response import AccountsGetResponse
from plaid.model.institutions_get_by_id_response import InstitutionsGetByIdResponse
from plaid.model.item_get_response import ItemGetResponse
from plaid.model.liabilities_get_response import LiabilitiesGetResponse
from plaid.model.transactions_sync_response import TransactionsSyncResponse
from plaid.model_utils import ModelSimple, OpenApiModel

from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items

TODAY = date(2025, 11, 26)
OTHER_DAYS = (date(2024, 2, 29), date(2026, 1, 31), date(2030, 12, 31))

Body = dict[str, Any]


@pytest.fixture(scope="module")
def items() -> tuple[DemoPlaidItem, ...]:
    return plaid_demo_items(TODAY)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class _RawResponse:
    """The part of urllib3's response that ApiClient.deserialize reads."""

    def __init__(self, body: Body) -> None:
        self.data = json.dumps(body)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return default


def _deserialize(body: Body, model: type) -> Any:
    # JSON round trip first: the real client parses bytes, and the deserializer mutates dicts.
    client = ApiClient(plaid.Configuration())
    return client.deserialize(_RawResponse(body), (model,), True)


def _model_classes(types: tuple) -> list[type]:
    return [t for t in types if isinstance(t, type) and issubclass(t, OpenApiModel)]


def _assert_strict(value: Any, types: tuple, path: str) -> None:
    """Every key is known to the model and every enum value is one the spec allows."""
    if value is None:
        return
    if isinstance(value, list):
        element_types = tuple(e for t in types if isinstance(t, list) for e in t)
        assert element_types, f"{path}: a list where the model expects {types}"
        for index, element in enumerate(value):
            _assert_strict(element, element_types, f"{path}[{index}]")
        return
    for cls in _model_classes(types):
        if issubclass(cls, ModelSimple):
            allowed = cls.allowed_values.get(("value",), {})
            assert value in allowed.values(), f"{path}: {value!r} is not a {cls.__name__}"
            return
        assert isinstance(value, dict), f"{path}: expected an object for {cls.__name__}"
        known = cls.openapi_types
        unknown = set(value) - set(known)
        assert not unknown, f"{path}: keys unknown to {cls.__name__}: {sorted(unknown)}"
        for key, sub in value.items():
            allowed = cls.allowed_values.get((key,))
            if allowed is not None and sub is not None:
                assert sub in allowed.values(), f"{path}.{key}: {sub!r} not allowed"
            _assert_strict(sub, known[key], f"{path}.{key}")
        return


def _check_body(body: Body, model: type, name: str) -> None:
    result = _deserialize(body, model)
    assert isinstance(result, model)
    _assert_strict(body, (model,), name)
    # What the client hands back converts to the same plain data we produced.
    assert json.loads(json.dumps(body)) == body


def _final_transactions(item: DemoPlaidItem) -> dict[str, Body]:
    by_id: dict[str, Body] = {}
    for page in item.transactions_sync_pages:
        for raw in page["added"]:
            by_id[raw["transaction_id"]] = raw
        for raw in page["modified"]:
            by_id[raw["transaction_id"]] = raw
        for gone in page["removed"]:
            del by_id[gone["transaction_id"]]
    return by_id


def _all_final(items: tuple[DemoPlaidItem, ...]) -> list[Body]:
    return [t for item in items for t in _final_transactions(item).values()]


def _accounts(items: tuple[DemoPlaidItem, ...]) -> list[Body]:
    return [a for item in items for a in item.accounts_get["accounts"]]


def _cards(items: tuple[DemoPlaidItem, ...]) -> list[Body]:
    return [a for a in _accounts(items) if a["type"] == "credit"]


def _credit_liabilities(items: tuple[DemoPlaidItem, ...]) -> list[Body]:
    return [
        c
        for item in items
        if item.liabilities_get
        for c in item.liabilities_get["liabilities"]["credit"]
    ]


# --------------------------------------------------------------------------------------------
# schema, judged by plaid-python
# --------------------------------------------------------------------------------------------


def _check_item(item: DemoPlaidItem, pages: tuple[int, ...] | None = None) -> None:
    _check_body(item.item_get, ItemGetResponse, "item_get")
    _check_body(item.institution, InstitutionsGetByIdResponse, "institution")
    _check_body(item.accounts_get, AccountsGetResponse, "accounts_get")
    for index, page in enumerate(item.transactions_sync_pages):
        if pages is None or index in pages:
            _check_body(page, TransactionsSyncResponse, f"sync[{index}]")
        else:
            _assert_strict(page, (TransactionsSyncResponse,), f"sync[{index}]")
    if item.liabilities_get is not None:
        _check_body(item.liabilities_get, LiabilitiesGetResponse, "liabilities_get")


def test_every_body_deserializes_with_plaid_python(items: tuple[DemoPlaidItem, ...]) -> None:
    for item in items:
        _check_item(item)


def test_another_day_deserializes_too() -> None:
    # Every transaction comes from the same renderer, so on another day the client checks the
    # pages with the special cases (first: pending, last: modified/removed), the walk the rest.
    for item in plaid_demo_items(OTHER_DAYS[0]):
        _check_item(item, pages=(0, len(item.transactions_sync_pages) - 1))


@pytest.mark.parametrize("today", OTHER_DAYS[1:])
def test_more_days_pass_the_strict_walk(today: date) -> None:
    for item in plaid_demo_items(today):
        _check_item(item, pages=())


def test_deserialized_values_keep_their_meaning(items: tuple[DemoPlaidItem, ...]) -> None:
    sync = _deserialize(items[0].transactions_sync_pages[0], TransactionsSyncResponse)
    first = sync.added[0]
    raw = items[0].transactions_sync_pages[0]["added"][0]
    assert first.transaction_id == raw["transaction_id"]
    assert first.date == date.fromisoformat(raw["date"])
    assert first.amount == raw["amount"]
    liabilities = _deserialize(items[0].liabilities_get, LiabilitiesGetResponse)
    assert {c.next_payment_due_date for c in liabilities.liabilities.credit} <= {
        TODAY + timedelta(days=n) for n in range(-40, 40)
    }


def test_the_strict_walk_catches_what_plaid_python_tolerates(
    items: tuple[DemoPlaidItem, ...],
) -> None:
    page = json.loads(json.dumps(items[0].transactions_sync_pages[0]))
    page["added"][0]["payment_channel"] = "telepathy"
    _deserialize(page, TransactionsSyncResponse)  # accepted by the client...
    with pytest.raises(AssertionError):
        _assert_strict(page, (TransactionsSyncResponse,), "sync")  # ...but not by us
    page = json.loads(json.dumps(items[0].transactions_sync_pages[0]))
    page["added"][0]["merchant"] = "typo"
    with pytest.raises(AssertionError):
        _assert_strict(page, (TransactionsSyncResponse,), "sync")
    page = json.loads(json.dumps(items[0].transactions_sync_pages[0]))
    del page["added"][0]["authorized_datetime"]
    # A missing required field: TypeError for plain models, ApiValueError inside allOf ones.
    with pytest.raises((TypeError, ApiValueError)):
        _deserialize(page, TransactionsSyncResponse)


def test_bodies_are_plain_json_with_plaid_formats(items: tuple[DemoPlaidItem, ...]) -> None:
    for item in items:
        assert item.access_token.startswith("access-demo-")
        for page in item.transactions_sync_pages:
            for raw in page["added"] + page["modified"]:
                assert isinstance(raw["amount"], float)
                assert round(raw["amount"], 2) == raw["amount"]
                date.fromisoformat(raw["date"])
                for key in ("datetime", "authorized_datetime"):
                    if raw[key] is not None:
                        assert raw[key].endswith("Z")
                        assert "T" in raw[key]
                category = raw["personal_finance_category"]
                assert category["detailed"].startswith(category["primary"] + "_")
                assert category["confidence_level"] in ("VERY_HIGH", "HIGH", "MEDIUM")
                assert len(raw["transaction_id"]) == 37


# --------------------------------------------------------------------------------------------
# determinism and freshness
# --------------------------------------------------------------------------------------------


def test_same_day_gives_identical_output() -> None:
    first, second = plaid_demo_items(TODAY), plaid_demo_items(TODAY)
    assert first == second
    assert json.dumps([i.__dict__ for i in first], sort_keys=True) == json.dumps(
        [i.__dict__ for i in second], sort_keys=True
    )


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_dates_move_with_today(today: date) -> None:
    transactions = _all_final(plaid_demo_items(today))
    dates = sorted(date.fromisoformat(t["date"]) for t in transactions)
    assert dates[-1] in (today, today - timedelta(days=1))
    assert dates[-1] <= today
    first_allowed = date(today.year - 2, today.month, min(today.day, 28))
    assert first_allowed - timedelta(days=3) <= dates[0] <= first_allowed + timedelta(days=10)


def test_different_day_shifts_the_history() -> None:
    later = TODAY + timedelta(days=40)
    now_dates = {t["date"] for t in _all_final(plaid_demo_items(TODAY))}
    later_dates = {t["date"] for t in _all_final(plaid_demo_items(later))}
    assert max(later_dates) > max(now_dates)
    assert min(later_dates) > min(now_dates)
    assert plaid_demo_items(later) != plaid_demo_items(TODAY)


# --------------------------------------------------------------------------------------------
# content
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_history_size_and_unique_ids(today: date) -> None:
    items = plaid_demo_items(today)
    transactions = _all_final(items)
    assert 4_000 <= len(transactions) <= 6_000
    ids = [t["transaction_id"] for t in transactions]
    assert len(ids) == len(set(ids))


def test_two_institutions_checking_savings_three_cards_a_student_loan(
    items: tuple[DemoPlaidItem, ...],
) -> None:
    assert len(items) == 2
    assert len({i.institution["institution"]["institution_id"] for i in items}) == 2
    accounts = _accounts(items)
    assert sorted((a["type"], a["subtype"]) for a in accounts) == [
        ("credit", "credit card"),
        ("credit", "credit card"),
        ("credit", "credit card"),
        ("depository", "checking"),
        ("depository", "savings"),
        ("loan", "student"),
    ]
    for account in accounts:
        assert len(account["mask"]) == 4
        assert account["mask"].isdigit()
        assert account["balances"]["iso_currency_code"] == "USD"
    for item in items:
        assert set(item.item_get["item"]["billed_products"]) >= {"transactions", "liabilities"}
        assert item.item_get["item"]["item_id"] == item.accounts_get["item"]["item_id"]


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_card_balances_tell_three_stories(today: date) -> None:
    cards = _cards(plaid_demo_items(today))
    no_limit = [c for c in cards if c["balances"]["limit"] is None]
    credit_balance = [c for c in cards if c["balances"]["current"] < 0]
    near_limit = [
        c
        for c in cards
        if c["balances"]["limit"]
        and 0.90 <= c["balances"]["current"] / c["balances"]["limit"] <= 0.95
    ]
    assert len(no_limit) == len(credit_balance) == len(near_limit) == 1
    assert credit_balance[0]["balances"]["current"] == -12.40


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_due_dates_one_soon_one_overdue_one_later(today: date) -> None:
    credit = _credit_liabilities(plaid_demo_items(today))
    assert len(credit) == 3
    due_in = {
        c["account_id"]: (date.fromisoformat(c["next_payment_due_date"]) - today).days
        for c in credit
    }
    soon = [c for c in credit if 0 <= due_in[c["account_id"]] <= 7 and not c["is_overdue"]]
    overdue = [c for c in credit if c["is_overdue"]]
    later = [c for c in credit if 14 <= due_in[c["account_id"]] <= 28 and not c["is_overdue"]]
    assert len(soon) == len(overdue) == len(later) == 1
    assert due_in[overdue[0]["account_id"]] < 0
    for c in credit:
        assert {a["apr_type"] for a in c["aprs"]} & {"purchase_apr"}
        assert date.fromisoformat(c["last_payment_date"]) <= today
        assert date.fromisoformat(c["last_statement_issue_date"]) < today


def test_liabilities_list_only_the_items_own_cards(items: tuple[DemoPlaidItem, ...]) -> None:
    for item in items:
        assert item.liabilities_get is not None
        own_cards = {
            a["account_id"] for a in item.accounts_get["accounts"] if a["type"] == "credit"
        }
        own_loans = {
            a["account_id"] for a in item.accounts_get["accounts"] if a["subtype"] == "student"
        }
        listed = {c["account_id"] for c in item.liabilities_get["liabilities"]["credit"]}
        assert listed == own_cards
        assert item.liabilities_get["liabilities"]["mortgage"] is None
        students = item.liabilities_get["liabilities"]["student"] or []
        assert {s["account_id"] for s in students} == own_loans


def test_foreign_currencies_and_non_ascii_merchants(items: tuple[DemoPlaidItem, ...]) -> None:
    transactions = _all_final(items)
    currencies = {t["iso_currency_code"] for t in transactions}
    assert currencies == {"USD", "EUR", "GBP"}
    foreign_accounts = {t["account_id"] for t in transactions if t["iso_currency_code"] != "USD"}
    assert len(foreign_accounts) == 1
    merchants = {t["merchant_name"] for t in transactions if t["merchant_name"]}
    assert {"Café Olé", "Bäckerei Müller", "Señor Taco", "東京ラーメン"} <= merchants
    assert any(not m.isascii() for m in merchants)


def test_taxonomy_is_broad(items: tuple[DemoPlaidItem, ...]) -> None:
    transactions = _all_final(items)
    primaries = {t["personal_finance_category"]["primary"] for t in transactions}
    assert len(primaries) == 16
    detailed = {t["personal_finance_category"]["detailed"] for t in transactions}
    for expected in (
        "FOOD_AND_DRINK_RESTAURANT",
        "FOOD_AND_DRINK_GROCERIES",
        "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
        "TRANSPORTATION_GAS",
        "TRAVEL_FLIGHTS",
        "RENT_AND_UTILITIES_RENT",
        "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
        "ENTERTAINMENT_TV_AND_MOVIES",
        "INCOME_WAGES",
        "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
        "TRANSFER_IN_ACCOUNT_TRANSFER",
        "TRANSFER_IN_SAVINGS",
    ):
        assert expected in detailed


def test_salary_twice_a_month_and_rent_monthly(items: tuple[DemoPlaidItem, ...]) -> None:
    transactions = _all_final(items)
    wages = defaultdict(list)
    rent = defaultdict(list)
    for t in transactions:
        month = t["date"][:7]
        if t["personal_finance_category"]["detailed"] == "INCOME_WAGES":
            wages[month].append(t["amount"])
        if t["personal_finance_category"]["detailed"] == "RENT_AND_UTILITIES_RENT":
            rent[month].append(t["amount"])
    full_months = sorted(wages)[1:-1]
    assert len(full_months) >= 22
    for month in full_months:
        assert len(wages[month]) == 2
        assert all(a < 0 for a in wages[month])
        assert len(rent[month]) == 1
        assert rent[month][0] > 0


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_the_savings_receives_each_transfer_the_checking_sends(today: date) -> None:
    items = plaid_demo_items(today)
    accounts = {a["subtype"]: a for a in _accounts(items)}
    checking, savings = accounts["checking"]["account_id"], accounts["savings"]["account_id"]
    assert accounts["savings"]["mask"] == "5512"
    transactions = _all_final(items)
    sent = sorted(
        (t["date"], t["amount"])
        for t in transactions
        if t["account_id"] == checking and t["name"] == "ONLINE TRANSFER TO SAV ...5512"
    )
    received = sorted(
        (t["date"], -t["amount"])
        for t in transactions
        if t["account_id"] == savings
        and t["personal_finance_category"]["detailed"] == "TRANSFER_IN_SAVINGS"
    )
    assert sent == received
    assert len(sent) >= 23
    interest = [
        t
        for t in transactions
        if t["account_id"] == savings
        and t["personal_finance_category"]["detailed"] == "INCOME_INTEREST_EARNED"
    ]
    assert len(interest) >= 23
    assert all(t["amount"] < 0 for t in interest)  # money in
    # The balance is the opening $8,400 plus everything received.
    balance = accounts["savings"]["balances"]["current"]
    in_savings = sum(t["amount"] for t in transactions if t["account_id"] == savings)
    assert balance == pytest.approx(8_400.00 - in_savings, abs=0.005)


@pytest.mark.parametrize("today", [TODAY, *OTHER_DAYS])
def test_the_student_loan_is_paid_monthly_from_checking_and_due_in_six_days(today: date) -> None:
    items = plaid_demo_items(today)
    loan_account = next(a for a in _accounts(items) if a["subtype"] == "student")
    loan = next(
        s for item in items if item.liabilities_get
        for s in item.liabilities_get["liabilities"]["student"] or ()
    )  # fmt: skip
    assert loan["account_id"] == loan_account["account_id"]
    due = date.fromisoformat(loan["next_payment_due_date"])
    assert (due - today).days == 6
    assert not loan["is_overdue"]
    assert loan["minimum_payment_amount"] == 196.00
    assert loan["origination_principal_amount"] == 18_000.00
    # What is owed: the $9,870 principal the bureau reports plus the interest since the last
    # payment, which is the owed balance on the account.
    assert loan_account["balances"]["current"] == pytest.approx(
        9_870.00 + loan["outstanding_interest_amount"], abs=0.005
    )
    payments = sorted(
        t["date"]
        for t in _all_final(items)
        if t["personal_finance_category"]["detailed"] == "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"
    )
    assert payments[-1] == loan["last_payment_date"]
    assert len(payments) >= 23
    assert len({p[:7] for p in payments}) == len(payments)  # one a month


def test_card_payments_pair_checking_outflow_with_card_inflow(
    items: tuple[DemoPlaidItem, ...],
) -> None:
    transactions = _all_final(items)
    checking_id = next(a["account_id"] for a in _accounts(items) if a["type"] == "depository")
    card_ids = {a["account_id"] for a in _cards(items)}
    outflows = sorted(
        (t["date"], t["amount"])
        for t in transactions
        if t["account_id"] == checking_id
        and t["personal_finance_category"]["detailed"] == "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
    )
    inflows = sorted(
        (t["date"], -t["amount"])
        for t in transactions
        if t["account_id"] in card_ids
        and t["personal_finance_category"]["primary"] == "TRANSFER_IN"
        and t["name"] == "PAYMENT - THANK YOU"
    )
    assert outflows == inflows
    assert all(amount > 0 for _, amount in outflows)
    per_card = defaultdict(set)
    for t in transactions:
        if t["account_id"] in card_ids and t["name"] == "PAYMENT - THANK YOU":
            per_card[t["account_id"]].add(t["date"][:7])
    assert len(per_card) == 3
    assert all(len(months) >= 22 for months in per_card.values())


def test_a_subscription_rises_in_price(items: tuple[DemoPlaidItem, ...]) -> None:
    card_ids = {a["account_id"] for a in _cards(items)}
    series = defaultdict(list)
    for t in _all_final(items):
        if t["account_id"] in card_ids and t["merchant_name"] and t["amount"] > 0:
            series[(t["account_id"], t["merchant_name"])].append((t["date"], t["amount"]))
    rises = []
    for key, charges in series.items():
        amounts = [a for _, a in sorted(charges)]
        if len(amounts) >= 20 and len(set(amounts)) == 2:
            low, high = sorted(set(amounts))
            split = amounts.index(high)
            if amounts[:split] == [low] * split and amounts[split:] == [high] * (
                len(amounts) - split
            ):
                rises.append((key[1], low, high, len(amounts) - split))
    assert len(rises) == 1
    merchant, low, high, charges_at_new_price = rises[0]
    assert (merchant, low, high) == ("Streamly", 15.49, 17.99)
    assert 4 <= charges_at_new_price <= 6


def test_refunds_return_an_earlier_purchase(items: tuple[DemoPlaidItem, ...]) -> None:
    transactions = _all_final(items)
    card_ids = {a["account_id"] for a in _cards(items)}
    spending = {"TRANSFER_IN", "LOAN_PAYMENTS", "INCOME", "TRANSFER_OUT", "BANK_FEES"}
    refunds = [
        t
        for t in transactions
        if t["account_id"] in card_ids
        and t["amount"] < 0
        and t["personal_finance_category"]["primary"] not in spending
    ]
    assert len(refunds) >= 3
    for refund in refunds:
        assert any(
            t["merchant_name"] == refund["merchant_name"]
            and t["amount"] == -refund["amount"]
            and t["date"] < refund["date"]
            for t in transactions
        )


def test_recent_pending_transactions(items: tuple[DemoPlaidItem, ...]) -> None:
    pending = [t for t in _all_final(items) if t["pending"]]
    assert 3 <= len(pending) <= 20
    for t in pending:
        assert (TODAY - date.fromisoformat(t["date"])).days <= 2
        assert t["pending_transaction_id"] is None


def test_pending_transactions_post_under_new_ids(items: tuple[DemoPlaidItem, ...]) -> None:
    replaced = 0
    for item in items:
        pages = item.transactions_sync_pages
        final = _final_transactions(item)
        first_seen = {}
        for index, page in enumerate(pages):
            for raw in page["added"]:
                first_seen.setdefault(raw["transaction_id"], (index, raw))
        for index, page in enumerate(pages):
            for gone in page["removed"]:
                seen_at, original = first_seen[gone["transaction_id"]]
                assert seen_at < index
                assert original["pending"] is True
                assert gone["account_id"] == original["account_id"]
                posted = [
                    t
                    for t in final.values()
                    if t["pending_transaction_id"] == gone["transaction_id"]
                ]
                assert len(posted) == 1
                assert posted[0]["transaction_id"] != gone["transaction_id"]
                assert posted[0]["pending"] is False
                assert posted[0]["account_id"] == original["account_id"]
                replaced += 1
    assert replaced >= 2


def test_modified_transactions_change_a_field(items: tuple[DemoPlaidItem, ...]) -> None:
    changed = 0
    for item in items:
        first_versions = {}
        for index, page in enumerate(item.transactions_sync_pages):
            for raw in page["added"]:
                first_versions[raw["transaction_id"]] = (index, raw)
            for raw in page["modified"]:
                seen_at, original = first_versions[raw["transaction_id"]]
                assert seen_at < index
                assert raw != original
                assert set(raw) == set(original)
                changed += 1
    assert changed >= 1


def test_sync_pages_are_well_formed(items: tuple[DemoPlaidItem, ...]) -> None:
    for item in items:
        pages = item.transactions_sync_pages
        assert len(pages) >= 2
        assert [p["has_more"] for p in pages] == [True] * (len(pages) - 1) + [False]
        assert len({p["next_cursor"] for p in pages}) == len(pages)
        account_ids = {a["account_id"] for a in item.accounts_get["accounts"]}
        for page in pages:
            assert len(page["added"]) <= 500
            assert page["transactions_update_status"] == "HISTORICAL_UPDATE_COMPLETE"
            assert {a["account_id"] for a in page["accounts"]} == account_ids
            assert {t["account_id"] for t in page["added"]} <= account_ids
