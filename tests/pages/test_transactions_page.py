"""The transactions page on demo data in AppTest: every filter, KPI, chart, table and CSV
against an independent derivation from the raw demo bodies (tests/support/demo_ledger.py)."""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from integrations.demo.plaid import plaid_demo_items
from services.analytics.transaction_query import url_id
from services.views.export import to_csv_bytes
from services.views.format import plain
from tests.support import demo_ledger as ledger
from tests.support.apps import app_test
from tests.support.clock import TODAY

PAGE = "pages/transactions.py"
EXPORT_HEADER = [
    "transaction_id",
    "date",
    "authorized_date",
    "name",
    "merchant",
    "amount",
    "currency",
    "category",
    "category_detailed",
    "pending",
    "account",
    "institution",
    "payment_channel",
    "account_id",
]


def demo_url_ids() -> dict[str, str]:
    """What stands in the URL for each demo institution and account name: the URL id of the
    Item or account id Plaid gave it."""
    ids = {}
    for item in plaid_demo_items(TODAY):
        name = item.institution["institution"]["name"]
        ids[name] = url_id("institution", item.item_get["item"]["item_id"])
        for account in item.accounts_get["accounts"]:
            label = f"{account['name']} ••{account['mask']}"
            ids[label] = url_id("account", account["account_id"])
    return ids


URL_IDS = demo_url_ids()


def money(amount: float | None) -> str:
    if amount is None:
        return "—"
    return f"-${abs(amount):,.2f}" if round(amount, 2) < 0 else f"${amount:,.2f}"


def open_page(query: dict[str, Any] | None = None) -> AppTest:
    at = app_test()
    at.run()
    at.query_params.update(query or {})
    at.switch_page(PAGE).run()
    assert_fine(at)
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Select a tab: only the open one is computed and drawn, as after a click on it."""
    at.session_state["tx_tab"] = label
    at.run()
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


TABLE_PAGE_ROWS = 1_000  # the table draws the newest rows a page at a time


def table_rows(at: AppTest) -> list[tuple[pd.Timestamp, str, float, str]]:
    """The table's rows as a person reads them (it carries no id: nothing hidden is sent)."""
    table = at.dataframe[0].value
    return list(zip(table["date"], table["name"], table["amount"], table["account"], strict=True))


def first_page(rows: list[ledger.Row]) -> list[tuple[pd.Timestamp, str, float, str]]:
    """What the table shows of these rows: the newest page, in the order fetched data is
    kept (newest day first, then by transaction id)."""
    newest = sorted(rows, key=lambda r: (-r.day.toordinal(), r.transaction_id))
    return [(pd.Timestamp(r.day), r.name, r.amount, r.account) for r in newest[:TABLE_PAGE_ROWS]]


def csv_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv_bytes(frame).decode("utf-8"))))


def comparable_range(start: date, end: date) -> tuple[date, date]:
    """What a person compares a range with: the same days of the month (or year) before for
    a month (or year) so far, otherwise the same number of days just before."""
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        last_month_end = start - timedelta(days=1)
        return last_month_end.replace(day=1), last_month_end.replace(
            day=min(end.day, last_month_end.day)
        )
    if (start.month, start.day) == (1, 1) and start.year == end.year:
        days_in_month = calendar.monthrange(end.year - 1, end.month)[1]
        return date(start.year - 1, 1, 1), date(
            end.year - 1, end.month, min(end.day, days_in_month)
        )
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def expected_delta(now: float | None, before: float | None) -> str:
    return "" if now is None or before is None else money(now - before)


def check_view(
    at: AppTest, downloads: dict[str, pd.DataFrame], start: date, end: date, **filters: Any
) -> list[ledger.Row]:
    """Table, KPIs (with changes) and CSV against the ledger for this filter."""
    today = TODAY
    rows = ledger.ledger(today)
    shown = ledger.select(rows, start, end, **filters)
    assert table_rows(at) == first_page(shown)

    now = ledger.figures(shown)
    earliest = min(r.day for r in rows)
    before = None
    previous_start, previous_end = comparable_range(start, end)
    if previous_start >= earliest:
        before = ledger.figures(ledger.select(rows, previous_start, previous_end, **filters))
    got = metrics(at)
    assert got["Spending"][0] == money(now.spending)
    assert got["Income"][0] == money(now.income)
    assert got["Net"][0] == money(now.net)
    assert got["Transactions"][0] == f"{now.count:,}"
    assert got["Average purchase"][0] == money(now.average)
    assert got["Median purchase"][0] == money(now.median)
    if before is None:
        assert got["Spending"][1] == ""
    else:
        assert got["Spending"][1] == expected_delta(now.spending, before.spending)
        assert got["Income"][1] == expected_delta(now.income, before.income)
        assert got["Net"][1] == expected_delta(now.net, before.net)
        assert got["Transactions"][1] == f"{now.count - before.count:+,}"
        assert got["Median purchase"][1] == expected_delta(now.median, before.median)

    exported = csv_rows(downloads["tx_csv"])
    assert {r["transaction_id"] for r in exported} == {r.transaction_id for r in shown}
    assert len(exported) == len(shown)
    if exported:
        assert list(exported[0]) == EXPORT_HEADER
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]) for r in exported)
        by_id = {r.transaction_id: r for r in shown}
        assert all(float(e["amount"]) == by_id[e["transaction_id"]].amount for e in exported)
    return shown


def test_default_view_is_the_last_90_days(downloads: dict[str, pd.DataFrame]) -> None:
    today = TODAY
    at = open_page()
    assert at.segmented_control(key="tx_period").value == "last_90_days"
    assert at.date_input(key="tx_dates").value == (today - timedelta(days=89), today)
    assert dict(at.query_params) == {}  # defaults keep the URL clean
    check_view(at, downloads, today - timedelta(days=89), today)


def _this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def _last_30(today: date) -> tuple[date, date]:
    return today - timedelta(days=29), today


def _year_to_date(today: date) -> tuple[date, date]:
    return today.replace(month=1, day=1), today


def _everything(today: date) -> tuple[date, date]:
    return min(r.day for r in ledger.ledger(today)), today


@pytest.mark.parametrize(
    ("period", "dates"),
    [
        ("this_month", _this_month),
        ("last_30_days", _last_30),
        ("year_to_date", _year_to_date),
        ("all", _everything),
    ],
)
def test_quick_periods(
    downloads: dict[str, pd.DataFrame],
    period: str,
    dates: Callable[[date], tuple[date, date]],
) -> None:
    today = TODAY
    start, end = dates(today)
    start = max(start, min(r.day for r in ledger.ledger(today)))
    at = open_page()
    at.segmented_control(key="tx_period").set_value(period).run()
    assert_fine(at)
    assert at.date_input(key="tx_dates").value == (start, end)
    assert dict(at.query_params) == {"period": period}
    check_view(at, downloads, start, end)


FILTERS: list[tuple[str, str, Any, dict[str, Any], dict[str, Any]]] = [
    # (widget kind, key, value, ledger filter, URL)
    (
        "multiselect",
        "tx_institutions",
        ["Juniper Card Services"],
        {"institutions": ("Juniper Card Services",)},
        {"institution": URL_IDS["Juniper Card Services"]},
    ),
    (
        "multiselect",
        "tx_accounts",
        ["Everyday Checking ••1180"],
        {"accounts": ("Everyday Checking ••1180",)},
        {"account": URL_IDS["Everyday Checking ••1180"]},
    ),
    (
        "multiselect",
        "tx_categories",
        ["FOOD_AND_DRINK", "TRAVEL"],
        {"categories": ("FOOD_AND_DRINK", "TRAVEL")},
        {"category": ["FOOD_AND_DRINK", "TRAVEL"]},
    ),
    (
        "multiselect",
        "tx_detailed",
        ["FOOD_AND_DRINK_COFFEE"],
        {"detailed": ("FOOD_AND_DRINK_COFFEE",)},
        {"detailed": "FOOD_AND_DRINK_COFFEE"},
    ),
    ("number_input", "tx_min", 100.0, {"min_amount": 100.0}, {"min": "100"}),
    ("number_input", "tx_max", 9.5, {"max_amount": 9.5}, {"max": "9.5"}),
    ("text_input", "tx_text", "marketly", {"text": "marketly"}, {}),  # never in the URL
    ("toggle", "tx_pending", False, {"include_pending": False}, {"pending": "no"}),
    ("toggle", "tx_transfers", False, {"include_transfers": False}, {"transfers": "no"}),
]


@pytest.mark.parametrize(("kind", "key", "value", "selection", "url"), FILTERS)
def test_each_filter_narrows_table_kpis_and_csv_and_lands_in_the_url(
    downloads: dict[str, pd.DataFrame],
    kind: str,
    key: str,
    value: Any,
    selection: dict[str, Any],
    url: dict[str, Any],
) -> None:
    today = TODAY
    at = open_page()
    widget = getattr(at, kind)(key=key)
    if kind == "text_input":
        widget.input(value)
    else:
        widget.set_value(value)
    at.run()
    assert_fine(at)
    assert dict(at.query_params) == url
    shown = check_view(at, downloads, today - timedelta(days=89), today, **selection)
    assert shown  # each filter keeps something in the demo's last 90 days


def test_custom_dates_from_the_date_input(downloads: dict[str, pd.DataFrame]) -> None:
    today = TODAY
    start, end = today - timedelta(days=200), today - timedelta(days=150)
    at = open_page()
    at.date_input(key="tx_dates").set_value((start, end)).run()
    assert at.segmented_control(key="tx_period").value == "custom"
    assert dict(at.query_params) == {
        "period": "custom",
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    check_view(at, downloads, start, end)


def test_a_shared_link_sets_every_widget(downloads: dict[str, pd.DataFrame]) -> None:
    today = TODAY
    start, end = today - timedelta(days=400), today - timedelta(days=10)
    accounts = ["Everyday Rewards Card ••4821", "Voyager Charge Card ••7710"]
    query = {
        "period": "custom",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "institution": URL_IDS["Harborline Bank"],
        "account": [URL_IDS[a] for a in accounts],
        "category": "FOOD_AND_DRINK",
        "detailed": ["FOOD_AND_DRINK_RESTAURANT", "FOOD_AND_DRINK_COFFEE"],
        "min": "5",
        "max": "60",
        "pending": "no",
        "transfers": "no",
    }
    at = open_page(query)
    assert at.date_input(key="tx_dates").value == (start, end)
    assert at.multiselect(key="tx_institutions").value == ["Harborline Bank"]
    assert at.multiselect(key="tx_accounts").value == accounts
    assert at.multiselect(key="tx_categories").value == ["FOOD_AND_DRINK"]
    assert at.multiselect(key="tx_detailed").value == query["detailed"]
    assert (at.number_input(key="tx_min").value, at.number_input(key="tx_max").value) == (5, 60)
    assert at.text_input(key="tx_text").value == ""
    assert at.toggle(key="tx_pending").value is False
    assert at.toggle(key="tx_transfers").value is False
    assert dict(at.query_params) == query  # the canonical URL is the one given
    check_view(
        at,
        downloads,
        start,
        end,
        institutions=("Harborline Bank",),
        accounts=tuple(accounts),
        categories=("FOOD_AND_DRINK",),
        detailed=tuple(query["detailed"]),
        min_amount=5.0,
        max_amount=60.0,
        include_pending=False,
        include_transfers=False,
    )


def test_url_follows_the_widgets_back_to_defaults() -> None:
    bank = URL_IDS["Harborline Bank"]
    at = open_page({"category": "TRAVEL", "institution": bank})
    at.multiselect(key="tx_categories").set_value([]).run()
    assert dict(at.query_params) == {"institution": bank}
    at.multiselect(key="tx_institutions").set_value([]).run()
    assert dict(at.query_params) == {}


def test_no_bank_account_or_search_text_reaches_the_url_yet_the_view_can_be_shared(
    downloads: dict[str, pd.DataFrame],
) -> None:
    bank, card, search = "Harborline Bank", "Everyday Rewards Card ••4821", "marketly"
    at = open_page()
    at.multiselect(key="tx_institutions").set_value([bank]).run()
    at.multiselect(key="tx_accounts").set_value([card]).run()
    at.text_input(key="tx_text").input(search).run()
    assert_fine(at)
    url = dict(at.query_params)
    written = " ".join([*url, *(str(v) for v in url.values())])
    for private in (bank, "Harborline", card, "Everyday", "4821", search):
        assert private not in written, private
    assert url == {"institution": URL_IDS[bank], "account": URL_IDS[card]}

    shared = open_page(url)  # another session, as a bookmark or a link sent on opens it
    assert shared.multiselect(key="tx_institutions").value == [bank]
    assert shared.multiselect(key="tx_accounts").value == [card]
    assert shared.text_input(key="tx_text").value == ""
    today = TODAY
    check_view(
        shared, downloads, today - timedelta(days=89), today, institutions=(bank,), accounts=(card,)
    )


def test_an_old_link_with_names_and_search_text_is_ignored_and_leaves_the_url(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = open_page(
        {
            "institution": "Harborline Bank",
            "account": "Everyday Checking ••1180",
            "q": "marketly",
            "category": "FOOD_AND_DRINK",
        }
    )
    notices = [w.value for w in at.warning if "could not be understood" in w.value]
    assert len(notices) == 1
    assert "`institution`" in notices[0]
    assert "`account`" in notices[0]
    assert "Harborline" not in notices[0]
    assert "marketly" not in notices[0]
    assert at.multiselect(key="tx_institutions").value == []
    assert at.text_input(key="tx_text").value == ""
    assert dict(at.query_params) == {"category": "FOOD_AND_DRINK"}  # the names are gone
    today = TODAY
    check_view(at, downloads, today - timedelta(days=89), today, categories=("FOOD_AND_DRINK",))


def test_a_bad_link_falls_back_to_defaults_with_a_notice(
    downloads: dict[str, pd.DataFrame],
) -> None:
    today = TODAY
    at = open_page(
        {
            "period": "fortnight",
            "category": ["FOOD_AND_DRINK", "<img src=x onerror=alert(1)>"],
            "min": "lots",
            "pending": "perhaps",
        }
    )
    notices = [w.value for w in at.warning if "could not be understood" in w.value]
    assert len(notices) == 1
    for name in ("period", "category", "min", "pending"):
        assert f"`{name}`" in notices[0]
    assert "onerror" not in notices[0]
    assert dict(at.query_params) == {"category": "FOOD_AND_DRINK"}  # the valid part kept
    check_view(at, downloads, today - timedelta(days=89), today, categories=("FOOD_AND_DRINK",))
    at.run()
    assert not [w for w in at.warning if "could not be understood" in w.value]  # said once


def test_a_search_with_no_match_is_an_empty_view_not_an_error(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = open_page()
    at.text_input(key="tx_text").input("no such merchant anywhere").run()
    assert_fine(at)
    assert len(at.dataframe[0].value) == 0
    got = metrics(at)
    assert (got["Transactions"][0], got["Spending"][0], got["Median purchase"][0]) == (
        "0",
        "$0.00",
        "—",
    )
    assert downloads["tx_csv"].empty
    open_tab(at, "Charts")
    assert any("No spending in USD" in i.value for i in at.info)


def chart_data(at: AppTest, field: str) -> pd.DataFrame:
    """The data behind the Altair chart that encodes ``field``."""
    for chart in at.get("vega_lite_chart"):
        if f'"field": "{field}"' in chart.proto.spec:
            (dataset,) = chart.proto.datasets
            return pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    raise AssertionError(f"no chart encodes {field}")


def test_charts_show_the_filtered_spending() -> None:
    today = TODAY
    start = today - timedelta(days=89)
    at = open_tab(open_page(), "Charts")
    shown = ledger.select(ledger.ledger(today), start, today)

    by_category = chart_data(at, "category")
    expected = ledger.spending_by(shown, "primary")
    assert dict(zip(by_category["category"], by_category["spending"], strict=True)) == (
        pytest.approx(expected)
    )

    merchants = chart_data(at, "merchant")
    by_payee = ledger.spending_by(shown, "payee")
    top = sorted(by_payee.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert list(merchants["merchant"]) == [name for name, _ in top]
    assert list(merchants["spending"]) == pytest.approx([v for _, v in top])

    weekdays = chart_data(at, "weekday")
    by_day = ledger.spending_by([*shown], "day")
    per_weekday = [0.0] * 7
    for day, amount in by_day.items():
        per_weekday[day.weekday()] += amount
    assert list(weekdays["spending"]) == pytest.approx(per_weekday)

    monthly = chart_data(at, "month")
    for (month, category), amount in _monthly(shown).items():
        match = monthly[
            (monthly["month"].dt.strftime("%Y-%m") == month) & (monthly["category"] == category)
        ]
        assert match["spending"].sum() == pytest.approx(amount)

    cumulative = chart_data(at, "day")
    this_month = f"{today:%b %Y}"
    spent_this_month = sum(
        r.amount
        for r in ledger.ledger(today)
        if r.is_spending and r.currency == "USD" and r.day >= today.replace(day=1)
    )
    line = cumulative[cumulative["month"] == this_month]
    assert list(line["day"]) == list(range(1, today.day + 1))
    assert line["spending"].iloc[-1] == pytest.approx(spent_this_month)


def _monthly(rows: list[ledger.Row]) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for r in rows:
        if r.is_spending and r.currency == "USD":
            key = (f"{r.day:%Y-%m}", r.primary)
            totals[key] = totals.get(key, 0.0) + r.amount
    return totals


def test_foreign_currency_is_flagged_and_kept_apart(downloads: dict[str, pd.DataFrame]) -> None:
    today = TODAY
    rows = ledger.ledger(today)
    trip = [r.day for r in rows if r.currency != "USD"]
    start, end = min(trip), max(trip)
    at = open_page({"from": start.isoformat(), "to": end.isoformat()})
    shown = check_view(at, downloads, start, end)
    euros = sum(r.amount for r in shown if r.currency == "EUR" and r.is_spending)
    flagged = [c.value for c in at.caption if "not converted" in c.value]
    assert any("EUR" in c and plain(f"€{euros:,.2f}") in c for c in flagged), flagged
    assert any("GBP" in c for c in flagged)


def test_recurring_payments_tab_matches_the_demo_subscriptions(
    downloads: dict[str, pd.DataFrame],
) -> None:
    today = TODAY
    at = open_tab(open_page(), "Recurring payments")
    streams = at.dataframe[0].value.set_index("merchant")
    rows = ledger.ledger(today)
    for merchant in ("Streamly", "Tunewave", "Ironworks Fitness", "Pinecone Mobile"):
        charges = sorted((r.day, r.amount) for r in rows if r.merchant == merchant)
        last_day, last_amount = charges[-1]
        stream = streams.loc[merchant]
        assert stream["cadence"] == "Monthly"
        assert stream["charges"] == len(charges)
        assert stream["last_date"].date() == last_day
        assert stream["next_date"].date() == ledger.add_months(last_day, 1)
        assert stream["typical_amount"] == last_amount
        assert stream["yearly_cost"] == pytest.approx(last_amount * 12)
    for merchant in ("Harbor Times", "Washington State Department of Licensing"):
        assert streams.loc[merchant, "cadence"] == "Yearly"
    streamly = streams.loc["Streamly"]
    old = [a for _, a in sorted((r.day, r.amount) for r in rows if r.merchant == "Streamly")]
    assert bool(streamly["price_rise"])
    assert streamly["previous_amount"] == old[0]  # shown as "Was"
    exported = downloads["tx_recurring_csv"].set_index("merchant")
    assert exported.loc["Streamly", "last_amount"] == old[-1]  # in the CSV, not the table
    assert (old[0], old[-1]) == (15.49, 17.99)
    assert not streams["stopped"].any()
    total = metrics(at)["Recurring payments a year (USD)"][0]
    assert total == money(streams["yearly_cost"].sum())
    assert any("Streamly" in w.value and plain("$17.99") in w.value for w in at.warning)
    assert csv_rows(downloads["tx_recurring_csv"])[0]["last_date"] == streams.iloc[0][
        "last_date"
    ].strftime("%Y-%m-%d")


def test_unusual_activity_tab_lists_what_the_rules_find(
    downloads: dict[str, pd.DataFrame],
) -> None:
    today = TODAY
    at = open_tab(open_page({"period": "all"}), "Unusual activity")
    expected = independent_unusual(ledger.ledger(today))
    exported = downloads["tx_unusual_csv"]
    assert set(zip(exported["transaction_id"], exported["kind"], strict=True)) == expected
    table = at.dataframe[-1].value
    by_id = {r.transaction_id: r for r in ledger.ledger(today)}
    flagged = [by_id[t] for t, _ in expected]
    assert sorted(zip(table["date"], table["amount"], strict=True)) == sorted(
        (pd.Timestamp(r.day), r.amount) for r in flagged
    )
    assert "transaction_id" not in table.columns  # nothing hidden is sent
    assert set(table["kind"]) <= {
        "Far above the usual amount",
        "Large first charge at a new merchant",
        "Possible duplicate charge",
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def independent_unusual(rows: list[ledger.Row]) -> set[tuple[str, str]]:
    """The three rules of services/analytics/unusual.py, restated as plain loops over the ledger."""
    charges = sorted(
        (r for r in rows if r.is_spending and r.amount > 0), key=lambda r: (r.day, r.transaction_id)
    )
    refunds = [r for r in rows if r.is_spending and r.amount < 0]
    by_merchant: dict[tuple[str, str], list[ledger.Row]] = {}
    by_category: dict[tuple[str, str], list[float]] = {}
    days_at: dict[str, list[date]] = {}
    for c in charges:
        by_merchant.setdefault((c.payee, c.currency), []).append(c)
        by_category.setdefault((c.detailed, c.currency), []).append(c.amount)
        days_at.setdefault(c.payee, []).append(c.day)
    paid_often = {
        payee: len(days) > 1 and _median([(b - a).days for a, b in pairwise(days)]) <= 2
        for payee, days in days_at.items()
    }
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    start = charges[0].day
    for history in by_merchant.values():
        for position, c in enumerate(history):
            earlier = history[:position]
            category = by_category[(c.detailed, c.currency)]
            usual = None
            if len(history) >= 6:
                usual = _median([h.amount for h in history])
            elif len(category) >= 10 and not (
                earlier and abs(c.amount / earlier[-1].amount - 1) <= 0.2
            ):
                usual = _median(category)
            if usual is not None and c.amount >= 3 * usual and c.amount - usual >= 20:
                found.add((c.transaction_id, "far_above_usual"))
            same = [h for h in earlier if round(h.amount, 2) == round(c.amount, 2)]
            if same and (c.day - same[-1].day).days <= 2 and not paid_often[c.payee]:
                found.add((c.transaction_id, "duplicate"))
    for c in charges:
        if c.payee not in seen and c.day >= start + timedelta(days=60) and c.amount >= 200:
            found.add((c.transaction_id, "new_merchant"))
        seen.add(c.payee)

    def refunded(c: ledger.Row) -> bool:
        return any(
            r.payee == c.payee
            and r.currency == c.currency
            and round(-r.amount, 2) == round(c.amount, 2)
            and r.day >= c.day
            for r in refunds
        )

    by_id = {c.transaction_id: c for c in charges}
    return {(t, k) for t, k in found if not refunded(by_id[t])}
