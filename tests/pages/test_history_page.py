"""The History page and the overview's "Changed lately", on the demo's generated years and,
without a store, on live data (nothing kept, said so)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apps import app_on_page
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble

PAGE = "pages/history.py"


def history_page() -> AppTest:
    at = app_on_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, index: int) -> list[dict[str, object]]:
    return at.dataframe[index].value.to_dict("records")


def test_the_demo_history_shows_every_section_with_its_tables() -> None:
    at = history_page()
    assert at.title[0].value == "History"
    assert any("Demo history since" in c.value for c in at.caption)
    assert [t.label for t in at.tabs] == ["Score", "Utilization", "Balances", "Spending"]
    scores, utilization, balances, spending = (at.dataframe[i].value for i in range(4))
    assert set(scores.columns) == {"day", "model", "score"}
    assert scores["score"].between(300, 850).all()
    assert "Overall" in set(utilization["card"])
    assert {"card", "depository", "total"} <= set(balances["kind"])
    assert (spending["spent"] > 0).all()
    # Each currency on its own rows (the demo's trip abroad spent euros and pounds).
    assert "USD" in set(spending["currency"])
    assert not spending.duplicated(["month", "currency"]).any()


def test_the_period_narrows_every_table_to_its_months() -> None:
    at = history_page()
    year = {i: len(at.dataframe[i].value) for i in range(4)}
    at.segmented_control(key="history_period").set_value("Last 3 months").run()
    assert not at.exception
    quarter = {i: len(at.dataframe[i].value) for i in range(4)}
    assert all(0 < quarter[i] < year[i] for i in range(4)), (quarter, year)
    first_day = min(at.dataframe[1].value["day"]).date()
    assert (TODAY - first_day).days <= 92

    at.segmented_control(key="history_period").set_value("Everything kept").run()
    everything = {i: len(at.dataframe[i].value) for i in range(4)}
    assert all(everything[i] > year[i] for i in range(4))


def test_choosing_cards_shows_only_those_cards() -> None:
    at = history_page()
    cards = at.multiselect(key="history_cards")
    chosen = next(o for o in cards.options if o != "Overall")
    cards.set_value([chosen]).run()
    assert set(at.dataframe[1].value["card"]) == {chosen}


def test_the_overview_says_what_changed_lately_without_repeating_the_alerts() -> None:
    at = app_on_page()
    assert "Changed lately" in [s.value for s in at.subheader]
    said = [w.value for w in (*at.error, *at.warning, *at.info)]
    assert any("score down" in text and "712" in text for text in said)
    assert any("credit limit cut" in text for text in said)
    titles = [text.split("**")[1] for text in said if text.startswith("**")]
    assert len(titles) == len(set(titles))  # an inquiry is said once, not twice


def test_live_data_without_a_store_says_nothing_is_kept(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", plaid_env.demo_tokens()[0])
    at = history_page()
    assert any("no history yet" in i.value and "DATABASE_URL" in i.value for i in at.info)
    assert not at.dataframe
    overview = app_on_page()
    assert "Changed lately" not in [s.value for s in overview.subheader]
