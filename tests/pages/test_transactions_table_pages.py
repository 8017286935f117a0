"""Issue 18, item 4: the browser is sent only what a page shows. A long transactions view is
drawn a page of the newest rows at a time, with the rest a click away, while its CSV keeps
every row; and no table on any page carries a column the person does not see."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.support import demo_ledger as ledger
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY

PAGE = "pages/transactions.py"
PAGE_ROWS = 1_000
SHOWN_COLUMNS = [
    "date",
    "name",
    "merchant",
    "amount",
    "currency",
    "category",
    "category_detailed",
    "pending",
    "account",
    "institution",
]


def open_page(query: dict[str, Any]) -> AppTest:
    at = app_test()
    at.run()
    at.query_params.update(query)
    at.switch_page(PAGE).run()
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Showing ")]


def more_button(at: AppTest) -> list[Any]:
    return [b for b in at.button if b.key == "tx_table_more"]


def show_more(at: AppTest) -> AppTest:
    (button,) = more_button(at)
    button.click().run()
    assert_fine(at)
    return at


def everything() -> list[ledger.Row]:
    rows = ledger.ledger(TODAY)
    return ledger.select(rows, min(r.day for r in rows), TODAY)


def newest_days(rows: list[ledger.Row], count: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(day) for day in sorted((r.day for r in rows), reverse=True)[:count]]


def test_a_long_view_shows_the_newest_page_and_says_how_many_there_are(
    downloads: dict[str, pd.DataFrame],
) -> None:
    rows = everything()
    assert len(rows) > 2 * PAGE_ROWS  # the point of the test: several pages
    at = open_page({"period": "all"})

    shown = table(at)
    assert len(shown) == PAGE_ROWS
    assert shown["date"].tolist() == newest_days(rows, PAGE_ROWS)
    assert captions(at) == [f"Showing the newest 1,000 of {len(rows):,} transactions."]
    assert more_button(at)[0].label == "Show 1,000 more"
    # The CSV is the whole view, not the page drawn.
    exported = downloads["tx_csv"]
    assert len(exported) == len(rows)
    assert set(exported["transaction_id"]) == {r.transaction_id for r in rows}


def test_show_more_adds_a_page_at_a_time_until_every_row_is_shown() -> None:
    rows = everything()
    at = show_more(open_page({"period": "all"}))
    assert len(table(at)) == 2 * PAGE_ROWS
    assert table(at)["date"].tolist() == newest_days(rows, 2 * PAGE_ROWS)
    assert captions(at) == [f"Showing the newest 2,000 of {len(rows):,} transactions."]

    while more_button(at):
        before = len(table(at))
        at = show_more(at)
        assert len(table(at)) == min(before + PAGE_ROWS, len(rows))
    assert table(at)["date"].tolist() == newest_days(rows, len(rows))
    assert captions(at) == [f"Showing all {len(rows):,} transactions."]


def test_the_last_click_offers_only_what_is_left() -> None:
    rows = everything()
    at = open_page({"period": "all"})
    for _ in range(len(rows) // PAGE_ROWS - 1):
        at = show_more(at)
    left = len(rows) % PAGE_ROWS
    assert left  # the demo's history is not a whole number of pages
    assert more_button(at)[0].label == f"Show {left:,} more"


def test_the_pages_shown_stay_until_a_filter_changes() -> None:
    at = show_more(open_page({"period": "all"}))
    at.session_state["tx_tab"] = "Charts"
    at.run()
    at.session_state["tx_tab"] = "Transactions"
    at.run()
    assert len(table(at)) == 2 * PAGE_ROWS  # another tab and back: still two pages

    at.multiselect(key="tx_categories").set_value(["FOOD_AND_DRINK"]).run()
    assert_fine(at)
    food = [r for r in everything() if r.primary == "FOOD_AND_DRINK"]
    assert len(food) > PAGE_ROWS
    assert len(table(at)) == PAGE_ROWS
    assert set(table(at)["category"]) == {"FOOD_AND_DRINK"}
    assert captions(at) == [f"Showing the newest 1,000 of {len(food):,} transactions."]


def test_a_short_view_is_drawn_whole_with_nothing_to_click() -> None:
    rows = ledger.select(ledger.ledger(TODAY), TODAY - timedelta(days=89), TODAY)
    assert 0 < len(rows) <= PAGE_ROWS
    at = app_on_page(PAGE)
    assert_fine(at)
    assert len(table(at)) == len(rows)
    assert not more_button(at)
    assert not captions(at)


def test_the_transactions_table_sends_only_the_columns_it_shows() -> None:
    at = open_page({"period": "all"})
    assert list(table(at).columns) == SHOWN_COLUMNS  # no transaction_id, no account id


def hidden_columns(at: AppTest) -> dict[str, list[str]]:
    """Per table (by its first column), the columns sent to the browser but not shown: left
    out of its column order, or configured hidden."""
    hidden = {}
    for element in at.dataframe:
        sent = [str(c) for c in element.value.columns]
        order = list(element.proto.column_order)
        config = json.loads(element.proto.columns or "{}")
        unseen = [
            column
            for column in sent
            if (order and column not in order) or config.get(column, {}).get("hidden")
        ]
        if unseen:
            hidden[sent[0] if sent else "?"] = unseen
    return hidden


def test_no_table_on_any_page_sends_a_column_it_hides() -> None:
    at = open_page({"period": "all"})
    for tab in ("Transactions", "Recurring payments", "Income", "Unusual activity"):
        at.session_state["tx_tab"] = tab
        at.run()
        assert_fine(at)
        assert at.dataframe, tab
        assert hidden_columns(at) == {}, tab
    for page in (
        "pages/overview.py",
        "pages/accounts.py",
        "pages/cards.py",
        "pages/bills.py",
        "pages/credit_report.py",
        "pages/history.py",
    ):
        at.switch_page(page).run()
        assert_fine(at)
        assert hidden_columns(at) == {}, page
