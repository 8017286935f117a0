"""A second session on the same fetched data gets the figures the first one computed (its
first overview costs about a rerun); sessions on different data never share them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from services.analytics.money import with_money_flags
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import bank_data
from services.runtime import loaders as data
from services.views import page_figures
from tests.support.apps import app_on_page
from tests.support.clock import TODAY

BUILDERS = ("overview_figures", "card_figures")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times each page's figures were computed (the pages import the builders from
    ``page_figures`` on every run, so they call these)."""
    counts = dict.fromkeys(BUILDERS, 0)
    for name in BUILDERS:
        builder = getattr(page_figures, name)

        def counted(*args: Any, name: str = name, builder: Any = builder, **kwargs: Any) -> Any:
            counts[name] += 1
            return builder(*args, **kwargs)

        monkeypatch.setattr(page_figures, name, counted)
    return counts


def opened(page: str) -> AppTest:
    at = app_on_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def spending(at: AppTest) -> float:
    return float(re.sub(r"[^0-9.\-]", "", metrics(at)["Spending this month"]))


@pytest.mark.parametrize(
    ("page", "builder"),
    [("pages/overview.py", "overview_figures"), ("pages/cards.py", "card_figures")],
)
def test_a_second_visitor_on_the_same_data_gets_the_figures_already_computed(
    built: dict[str, int], page: str, builder: str
) -> None:
    first = opened(page)
    assert built[builder] == 1
    second = opened(page)
    assert built[builder] == 1  # not computed again for the second session
    assert metrics(second) == metrics(first)
    assert len(second.metric) > 0


def doubled(snapshot: FinancialSnapshot) -> FinancialSnapshot:
    """The same history fetched again, every amount twice as large."""
    frame = snapshot.transactions
    frame = with_money_flags(frame.assign(amount=frame["amount"] * 2))
    return replace(snapshot, transactions=frame, version=f"{snapshot.version}|again")


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[[FinancialSnapshot], None]:
    """Make ``bank_data.snapshot`` answer with the given snapshot from now on."""
    served: dict[str, FinancialSnapshot] = {}
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: served["snapshot"])
    return lambda snapshot: served.__setitem__("snapshot", snapshot)


def test_sessions_on_different_data_never_share_figures(
    built: dict[str, int], serve: Callable[[FinancialSnapshot], None]
) -> None:
    demo = data.load_demo_snapshot(TODAY)
    serve(demo)
    first = opened("pages/overview.py")
    serve(doubled(demo))
    second = opened("pages/overview.py")
    assert built["overview_figures"] == 2
    assert spending(first) > 0
    assert spending(second) == pytest.approx(2 * spending(first), abs=0.02)
    first.run()  # the first session, on its own data again, still shows its own figures
    serve(demo)
    first.run()
    assert spending(first) == pytest.approx(spending(second) / 2, abs=0.02)


def test_a_snapshot_without_a_version_is_not_shared(
    built: dict[str, int], serve: Callable[[FinancialSnapshot], None]
) -> None:
    unnamed = replace(data.load_demo_snapshot(TODAY), version="")
    serve(unnamed)
    opened("pages/cards.py")
    opened("pages/cards.py")
    assert built["card_figures"] == 2


def test_removing_a_credit_report_drops_the_figures_drawn_with_it(built: dict[str, int]) -> None:
    opened("pages/overview.py")
    data.forget_credit_report("applicant-gone")
    opened("pages/overview.py")
    assert built["overview_figures"] == 2
