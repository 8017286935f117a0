"""Pages compute their figures once per fetched data and choice, then only render them: the
figures must follow new data, never stay with what was shown before."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from bench.transactions import synthetic_frame
from services.analytics.money import with_money_flags
from services.analytics.recurring import detect_recurring
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import bank_data
from services.runtime import loaders as data
from services.views.format import plain
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[[FinancialSnapshot], None]:
    """Make ``bank_data.snapshot`` answer with the given snapshot from now on."""
    served: dict[str, FinancialSnapshot] = {}
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: served["snapshot"])

    def put(snapshot: FinancialSnapshot) -> None:
        served["snapshot"] = snapshot

    return put


def demo() -> FinancialSnapshot:
    return data.load_demo_snapshot(TODAY)


def doubled(snapshot: FinancialSnapshot) -> FinancialSnapshot:
    """The same history fetched again, every amount twice as large."""
    frame = snapshot.transactions
    frame = with_money_flags(frame.assign(amount=frame["amount"] * 2))
    return replace(snapshot, transactions=frame, version=f"{snapshot.version}|again")


def open_app(page: str) -> AppTest:
    at = app_on_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def amount(shown: str) -> float:
    """The number in a money figure as shown ("$1,234.50", "\\$1,234.50", "-$3.00")."""
    return float(re.sub(r"[^0-9.\-]", "", shown))


def metric(at: AppTest, label: str) -> str:
    (value,) = [m.value for m in at.metric if m.label == label]
    return value


@pytest.mark.parametrize(
    ("page", "label"),
    [("pages/overview.py", "Spending this month"), ("pages/transactions.py", "Spending")],
)
def test_figures_follow_a_new_fetch(
    serve: Callable[[FinancialSnapshot], None], page: str, label: str
) -> None:
    first = demo()
    serve(first)
    at = open_app(page)
    before = metric(at, label)
    at.run()
    assert metric(at, label) == before  # a rerun on the same data shows the same figure
    serve(doubled(first))
    at.run()
    assert amount(metric(at, label)) == pytest.approx(2 * amount(before), abs=0.02)


def test_only_the_latest_price_rises_get_a_warning(
    serve: Callable[[FinancialSnapshot], None],
) -> None:
    base = demo()
    frame = synthetic_frame(base.transactions, 8 * len(base.transactions))
    serve(replace(base, transactions=frame, version="eight-people"))
    streams = detect_recurring(frame, TODAY)
    rises = streams[streams["price_rise"]].sort_values("price_rise_since", ascending=False)
    assert len(rises) > 5  # the point of the test: more rises than get a warning
    at = open_app("pages/transactions.py")
    at.session_state["tx_tab"] = "Recurring payments"
    at.run()
    recurring = at.tabs[2]
    warned = [w.value for w in recurring.warning]
    assert len(warned) == 5
    for text, merchant in zip(warned, rises["merchant"].head(5), strict=True):
        assert text.startswith(f"**{plain(merchant)}** went up")
    captions = [c.value for c in recurring.caption]
    assert f"{len(rises) - 5} earlier price rises: see the Price rise column." in captions
    shown = at.dataframe[0].value
    assert int(shown["price_rise"].sum()) == len(rises)  # every rise is still in the table
    assert isinstance(shown, pd.DataFrame)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time a run asks the cache for demo data (each ask unpickles the cached value)."""
    asked: list[str] = []
    for name in ("load_demo_snapshot", "load_demo_credit_report"):
        loader = getattr(data, name)

        def counted(today: date, name: str = name, loader: Any = loader) -> object:
            asked.append(name)
            return loader(today)

        counted.clear = loader.clear  # type: ignore[attr-defined]  # what Refresh calls
        monkeypatch.setattr(data, name, counted)
    return asked


def test_a_session_keeps_its_data_while_the_cache_would_serve_the_same(
    loads: list[str],
) -> None:
    at = app_test()
    at.run()  # AppTest shows the entry script's sidebar on a session's first run only
    assert sorted(loads) == ["load_demo_credit_report", "load_demo_snapshot"]
    at.sidebar.button(key="refresh_data").click().run()  # Refresh data
    assert len(loads) == 4
    for _ in range(3):
        at.run()
    for page in ("transactions", "cards", "bills", "credit_report", "overview"):
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert len(loads) == 4  # reruns and other pages use what the session holds


def test_a_session_asks_again_once_the_cache_entry_may_have_expired(
    loads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "CACHE_TTL_SECONDS", 0)
    at = open_app("pages/overview.py")
    asked = len(loads)
    at.run()
    at.run()
    assert len(loads) == asked + 4  # the snapshot and the report, each run


def test_charts_opened_after_a_filter_change_show_the_filtered_rows() -> None:
    at = open_app("pages/transactions.py")
    unfiltered = amount(metric(at, "Spending"))
    at.number_input(key="tx_min").set_value(100.0).run()  # on the table tab
    filtered = amount(metric(at, "Spending"))
    assert filtered < unfiltered
    at.session_state["tx_tab"] = "Charts"
    at.run()
    assert not at.exception
    (by_category,) = [
        c for c in at.get("vega_lite_chart") if '"field": "category"' in c.proto.spec
    ][:1]
    (dataset,) = by_category.proto.datasets
    spending = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()["spending"]
    assert spending.sum() == pytest.approx(filtered, abs=0.02)


def test_the_history_is_analysed_once_per_fetch_for_every_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    analysed: list[str] = []
    original = data.snapshot_analyses

    def counted(frame: pd.DataFrame, today: date, *plaid: object) -> object:
        analysed.append("once")
        return original(frame, today, *plaid)

    monkeypatch.setattr(data, "snapshot_analyses", counted)
    first = app_test()
    first.run()  # the overview: its alerts need the unusual-activity findings
    second = open_app("pages/transactions.py")
    assert not first.exception
    assert len(analysed) == 1  # the second session reused the first one's analysis
    first.sidebar.button(key="refresh_data").click().run()  # Refresh: a new fetch, analysed again
    assert len(analysed) == 2
    second.run()
    assert len(analysed) == 2  # the second session still shows its own (earlier) fetch
