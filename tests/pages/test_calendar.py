"""Every dated claim the suites make holds on every day of a year, not just on the day of
tests/support/clock.py.

The page and browser suites run with "today" pinned (AS_OF_DATE), so they pass on any
calendar day. This test shows the pin is not a lucky choice: for each day from the last day
of 2027 to the last day of 2028 (a year end, a leap day, every month end), the demo data
built for that day and run through the same parsers and analytics still gives what the
suites assert: the overview's alerts (an overdue card, one due soon, the card near its
limit, the hard inquiry, the late payment), the demo subscriptions with the Streamly price
rise, and every hostile string of tests/support/hostile_text.py in an alert that fires.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from integrations.experian.parse import parse_credit_report
from integrations.models import CreditReport, ItemData
from integrations.plaid.parse import parse_item_data
from services.analytics.cards import cards_frame, overall_utilization
from services.analytics.recurring import detect_recurring
from services.analytics.snapshot import FinancialSnapshot, build_snapshot
from services.runtime.settings import SettingsError, parse_settings
from services.views.alerts import Alert, build_alerts
from tests.support import demo_expectations as expect
from tests.support import hostile_text as hostile
from tests.support.apps import app_test
from tests.support.clock import TODAY

FIRST_DAY = date(2027, 12, 31)
DAYS = tuple(FIRST_DAY + timedelta(days=n) for n in range(367))  # to 2028-12-31
FETCHED_AT = datetime(2027, 12, 31, tzinfo=UTC)
MONTHLY = ("Streamly", "Tunewave", "Ironworks Fitness", "Pinecone Mobile")
YEARLY = ("Harbor Times", "Washington State Department of Licensing")
SUBSCRIPTIONS = frozenset(MONTHLY + YEARLY)


def _alerts(snap: FinancialSnapshot, report: CreditReport, day: date) -> list[Alert]:
    cards = cards_frame(snap.accounts, snap.liabilities, snap.items, day)
    return build_alerts(cards, overall_utilization(cards), report, day)


def _read(alerts: list[Alert]) -> str:
    """The alerts as a person reads them: whitespace collapsed, as a browser shows it."""
    return " ".join(" ".join(f"{a.title} {a.detail}".split()) for a in alerts)


def _overview_broken(alerts: list[Alert]) -> list[str]:
    text = {kind: _read([a for a in alerts if a.kind == kind]) for kind in {a.kind for a in alerts}}
    claims = {
        "one overdue card": sum(a.kind == "overdue" for a in alerts) == 1,
        "one payment due within the week": sum(a.kind == "due_soon" for a in alerts) == 1,
        "the card near its limit": "utilization is 9" in text.get("card_utilization", ""),
        "the hard inquiry": "New hard inquiry from HARBORLINE BANK" in text.get("hard_inquiry", ""),
        "the late payment": "on JUNIPER CARD SVCS" in text.get("late_payment", ""),
    }
    return [f"overview alert: {claim}" for claim, holds in claims.items() if not holds]


def _recurring_broken(transactions: pd.DataFrame, day: date) -> list[str]:
    streams = detect_recurring(transactions, day).set_index("merchant")
    broken = [f"{m} monthly" for m in MONTHLY if streams.at[m, "cadence"] != "Monthly"]
    broken += [f"{m} yearly" for m in YEARLY if streams.at[m, "cadence"] != "Yearly"]
    streamly = streams.loc["Streamly"]
    rise = (streamly["previous_amount"], streamly["last_amount"])
    if not (bool(streamly["price_rise"]) and rise == (15.49, 17.99)):
        broken.append(f"Streamly price rise 15.49 -> 17.99, found {rise}")
    if streams["stopped"].any():
        broken.append("no subscription stopped")
    return [f"recurring: {claim}" for claim in broken]


def _parsed(item: DemoPlaidItem, merchants: frozenset[str] = frozenset()) -> ItemData:
    """What the claims need of an item: its accounts and liabilities, and the history of the
    ``merchants`` named (streams are found merchant by merchant, so theirs alone give the
    same streams; parsing the whole history every day would take most of the test's time)."""

    def kept(transactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [t for t in transactions if t["merchant_name"] in merchants]

    pages = [
        {**page, "added": kept(page["added"]), "modified": kept(page["modified"]), "removed": []}
        for page in item.transactions_sync_pages
    ]
    return parse_item_data(
        item_body=item.item_get,
        institution_body=item.institution,
        accounts_body=item.accounts_get,
        sync_pages=pages,
        liabilities_body=item.liabilities_get,
    )


def _hostile_broken(day: date, demo_items: tuple[DemoPlaidItem, ...]) -> list[str]:
    items = hostile.hostile_plaid_items(day, demo_items)
    snap = build_snapshot([_parsed(item) for item in items], "plaid", FETCHED_AT)
    report = parse_credit_report(hostile.hostile_experian_report(day, demo_items))
    shown = _read(_alerts(snap, report, day))
    return [
        f"hostile text not in an alert: {markup!r}"
        for markup in hostile.MARKUP
        if " ".join(markup.split()) not in shown
    ]


def broken_claims(day: date) -> list[str]:
    """Every claim of the suites that does not hold with ``day`` as today, named."""
    items = plaid_demo_items(day)
    parsed = [_parsed(item, SUBSCRIPTIONS) for item in items]
    snap = build_snapshot(parsed, "demo", FETCHED_AT)
    report = parse_credit_report(experian_demo_report(day, items))
    broken = _overview_broken(_alerts(snap, report, day))
    broken += _recurring_broken(snap.transactions, day)
    broken += _hostile_broken(day, items)  # last: it renames the items
    return [f"{day}: {claim}" for claim in broken]


# 367 days of the whole app's figures: 2 to 3 minutes while other test processes share the
# cores, so it gets more than the suite's 300 s, for a busy machine.
@pytest.mark.timeout(900)
def test_dated_claims_hold_on_every_day_of_a_year() -> None:
    assert {date(2028, 2, 29), date(2028, 1, 1), date(2027, 12, 31)} <= set(DAYS)
    # Two processes (this machine's cores); spawned, as pytest's process holds threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        broken = [
            claim for claims in pool.map(broken_claims, DAYS, chunksize=8) for claim in claims
        ]
    assert broken == []


def test_the_app_computes_as_of_the_day_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leap day, set through AS_OF_DATE: this month's spending is that of February 2028
    (the demo's history moves with the day it is built for)."""
    leap_day = date(2028, 2, 29)
    monkeypatch.setenv("AS_OF_DATE", leap_day.isoformat())
    at = app_test().run()
    assert not at.exception, [e.value for e in at.exception]
    spent = expect.spending(leap_day, leap_day.replace(day=1), leap_day)
    assert spent != expect.spending(TODAY, TODAY.replace(day=1), TODAY)
    shown = [m.value for m in at.metric if m.label == "Spending this month"]
    assert shown == [f"${spent:,.2f}"]


@pytest.mark.parametrize("value", ["2028-02-30", "29/02/2028", "tomorrow"])
def test_a_day_that_cannot_be_read_is_named_not_echoed(value: str) -> None:
    with pytest.raises(SettingsError) as rejected:
        parse_settings({"AS_OF_DATE": value})
    assert rejected.value.problems == ("AS_OF_DATE must be a date written YYYY-MM-DD.",)
    assert value not in str(rejected.value)
