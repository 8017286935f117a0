"""The JSON API answers what the pages show: the transactions page's rows and CSV for the
same URL filter, the overview's headline figures (demo data, the same day)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from services.runtime.settings import parse_settings
from services.views.export import to_csv_bytes
from services.views.format import markdown_money, percent
from services.views.page_figures import TABLE_PAGE_ROWS
from services.web.api import Api
from tests.support.apps import app_test
from tests.support.clock import TODAY

TOKEN = "operator-token-canary-0123456789abcdefghij"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def api_client() -> TestClient:
    settings = parse_settings({"API_TOKEN": TOKEN, "AS_OF_DATE": TODAY.isoformat()})
    return TestClient(Starlette(routes=Api(lambda: settings).routes()))


def page_with(query: dict[str, str | list[str]], page: str) -> AppTest:
    at = app_test()
    at.run()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


FILTERS = [
    {},
    {"category": "FOOD_AND_DRINK"},
    {"period": "custom", "from": "2026-10-01", "to": "2026-10-31", "transfers": "no"},
    {"period": "this_month", "pending": "no", "min": "20", "max": "200"},
    {"period": "all", "category": ["TRANSPORTATION", "ENTERTAINMENT"]},
]


@pytest.mark.parametrize("query", FILTERS, ids=lambda q: "&".join(q) or "defaults")
def test_transactions_json_and_csv_are_the_rows_and_csv_the_page_shows(
    downloads: dict[str, pd.DataFrame], query: dict[str, str | list[str]]
) -> None:
    at = page_with(query, "pages/transactions.py")
    shown = downloads["tx_csv"]
    assert not shown.empty
    client = api_client()

    answer = client.get(
        "/api/v1/transactions", params={**query, "page_size": "500"}, headers=HEADERS
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(shown)
    # The table draws the newest page of the same rows, in the same order.
    drawn = at.dataframe[0].value
    assert len(drawn) == min(len(shown), TABLE_PAGE_ROWS)
    assert drawn["amount"].tolist() == shown["amount"].tolist()[: len(drawn)]
    rows = body["transactions"]
    assert [r["transaction_id"] for r in rows] == shown["transaction_id"].tolist()[:500]
    assert [r["amount"] for r in rows] == shown["amount"].tolist()[:500]
    assert [r["currency"] for r in rows] == shown["currency"].tolist()[:500]

    csv_answer = client.get(
        "/api/v1/transactions",
        params={**query, "page_size": "500", "format": "csv"},
        headers=HEADERS,
    )
    assert csv_answer.status_code == 200
    assert csv_answer.headers["x-total-count"] == str(len(shown))
    if len(shown) <= 500:
        assert csv_answer.content == to_csv_bytes(shown)
    else:
        from_api = pd.read_csv(io.BytesIO(csv_answer.content))
        assert from_api["transaction_id"].tolist() == shown["transaction_id"].tolist()[:500]


def test_transactions_totals_are_the_pages_kpis() -> None:
    at = page_with({"category": "FOOD_AND_DRINK"}, "pages/transactions.py")
    metrics = {m.label: m.value for m in at.metric}
    body = (
        api_client()
        .get("/api/v1/transactions", params={"category": "FOOD_AND_DRINK"}, headers=HEADERS)
        .json()
    )
    totals = body["totals"]
    assert metrics["Spending"] == markdown_money(totals["spending"].get("USD", 0.0), "USD")
    assert metrics["Income"] == markdown_money(totals["income"].get("USD", 0.0), "USD")
    assert metrics["Net"] == markdown_money(totals["net"].get("USD", 0.0), "USD")
    assert metrics["Transactions"] == f"{totals['count']:,}"


def test_summary_is_the_overviews_headline_figures() -> None:
    at = page_with({}, "pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    summary = api_client().get("/api/v1/summary", headers=HEADERS).json()
    headline = summary["cards"][0]
    assert metrics["Overall utilization"] == percent(headline["utilization"], 1)
    assert metrics["Total owed on cards"] == markdown_money(headline["owed"], headline["currency"])
    due = summary["next_payment_due"]
    assert metrics["Next payment due"] == markdown_money(due["minimum_payment"], due["currency"])
    assert metrics["Credit score"] == str(summary["score"]["score"])
    spending = summary["spending_this_month"]
    this_month = spending["this_month"][spending["currency"]]
    assert metrics["Spending this month"] == markdown_money(this_month, spending["currency"])


def test_cards_are_the_cards_pages_rows_with_their_status() -> None:
    at = page_with({}, "pages/cards.py")
    table = at.dataframe[0].value  # the cards table, in the page's order
    cards = api_client().get("/api/v1/cards", headers=HEADERS).json()["cards"]
    assert [(c["card"], c["mask"]) for c in cards] == list(
        zip(table["card"], table["mask"], strict=True)
    )
    assert [c["status"] for c in cards] == list(table["status"])
    assert "Overdue" in {c["status"] for c in cards}  # the demo's Voyager card
    assert [c["overdue"] for c in cards] == list(table["overdue"])
