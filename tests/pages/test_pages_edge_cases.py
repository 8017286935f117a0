"""Overview, cards and transactions on awkward data: nothing crashes, and the figures shown
for these tiny sets are the ones worked out here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from integrations.models import (
    Account,
    CardLiability,
    Institution,
    Item,
    ItemData,
    Transaction,
)
from services.analytics.snapshot import FinancialSnapshot, build_snapshot
from services.runtime import bank_data
from tests.support.apps import app_on_page
from tests.support.clock import TODAY

ITEM = Item("item-tiny", Institution("ins_tiny", "Tiny Bank"))
CARD_WITHOUT_LIMIT = Account(
    "card-1", "item-tiny", "Charge Card", None, "7710", "credit", "credit card", 50.0, None,
    None, "USD",
)  # fmt: skip
CHECKING = Account(
    "chk-1", "item-tiny", "Checking", None, "1180", "depository", "checking", 900.0, 900.0,
    None, "USD",
)  # fmt: skip


def spend(
    tid: str,
    days_ago: int,
    amount: float,
    *,
    currency: str = "USD",
    pending: bool = False,
    merchant: str = "Shop",
) -> Transaction:
    day = TODAY - timedelta(days=days_ago)
    return Transaction(
        transaction_id=tid,
        account_id="card-1",
        amount=amount,
        currency=currency,
        date=day,
        authorized_date=day,
        name=f"SHOP {tid}",
        merchant_name=merchant,
        pending=pending,
        pending_transaction_id=None,
        category="FOOD_AND_DRINK",
        category_detailed="FOOD_AND_DRINK_GROCERIES",
        payment_channel="in store",
    )


def snapshot(
    *transactions: Transaction, liabilities: tuple[CardLiability, ...] = ()
) -> FinancialSnapshot:
    data = ItemData(ITEM, (CHECKING, CARD_WITHOUT_LIMIT), transactions, liabilities)
    return build_snapshot([data], "demo", datetime.now(UTC))


CASES = {
    "no transactions": snapshot(),
    "a single transaction": snapshot(spend("one", 2, 12.34)),
    "only pending": snapshot(spend("p1", 0, 5.0, pending=True), spend("p2", 1, 7.5, pending=True)),
    "only foreign currency": snapshot(
        spend("e1", 3, 20.0, currency="EUR"), spend("e2", 40, 30.0, currency="EUR")
    ),
    "card liability without dates": snapshot(
        spend("one", 2, 12.34), liabilities=(CardLiability("card-1", is_overdue=True),)
    ),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: CASES[request.param])
    return request.param


def run(page: str) -> AppTest:
    at = app_on_page(page)
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_and_cards_pages_cope(case: str) -> None:
    at = run("pages/overview.py")
    assert metrics(at)["Overall utilization"] == "—"  # the only card has no limit
    at.switch_page("pages/cards.py").run()
    assert_fine(at)
    table = at.dataframe[0].value
    assert table["utilization"].isna().all()
    assert any("without a reported limit" in c.value for c in at.caption)
    plan = at.dataframe[1].value
    assert plan["payment"].isna().all()
    for target in (0.01, 0.49):
        at.select_slider(key="cards_target").set_value(target).run()
        assert_fine(at)


def test_transactions_page_copes_with_every_filter(case: str) -> None:
    at = run("pages/transactions.py")
    if case == "no transactions":
        assert any("No transactions to show yet" in i.value for i in at.info)
        return
    for period in ("this_month", "all", "last_30_days"):
        at.segmented_control(key="tx_period").set_value(period).run()
        assert_fine(at)
    at.toggle(key="tx_pending").set_value(False).run()
    assert_fine(at)
    at.text_input(key="tx_text").input("nothing like this").run()
    assert_fine(at)
    assert len(at.dataframe[0].value) == 0
    assert metrics(at)["Transactions"] == "0"


def test_a_single_transaction_is_its_own_average_and_median(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        bank_data, "snapshot", lambda settings, early=False: CASES["a single transaction"]
    )
    got = metrics(run("pages/transactions.py"))
    assert (got["Transactions"], got["Spending"], got["Income"], got["Net"]) == (
        "1",
        "$12.34",
        "$0.00",
        "-$12.34",
    )
    assert got["Average purchase"] == got["Median purchase"] == "$12.34"


def test_only_pending_counts_until_pending_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: CASES["only pending"])
    at = run("pages/transactions.py")
    assert metrics(at)["Spending"] == "$12.50"
    at.toggle(key="tx_pending").set_value(False).run()
    assert (metrics(at)["Spending"], metrics(at)["Transactions"]) == ("$0.00", "0")


def test_only_foreign_currency_is_shown_in_that_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        bank_data, "snapshot", lambda settings, early=False: CASES["only foreign currency"]
    )
    at = run("pages/transactions.py")
    assert metrics(at)["Spending"] == "€50.00"  # the last 90 days hold both
    assert not [c.value for c in at.caption if "not converted" in c.value]


def test_upstream_names_are_plain_text_in_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    tricky = snapshot(
        spend("old", 200, 10.0),
        spend("new", 3, 640.0, merchant="Evil *[click](https://x.example)*"),
    )
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: tricky)
    at = run("pages/overview.py")
    (alert,) = [i.value for i in at.info if "Large first charge" in i.value]
    assert "Evil \\*\\[click\\]\\(https\\:" in alert  # escaped: no link can come out
