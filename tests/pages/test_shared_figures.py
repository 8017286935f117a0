"""A second session on the same fetched data gets the figures the first one computed (its
first overview costs about a rerun): the overview's figures and income, the cards' figures and
the plan for the default target, the transactions for the default filters. Sessions on
different data never share them, a person's own filters are never shared, and nothing a page
does changes what the next session is handed."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, TypeVar, cast

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from services.analytics import income
from services.analytics.money import with_money_flags
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import bank_data
from services.runtime import loaders as data
from services.runtime.settings import parse_settings
from services.views import page_figures
from services.web.api import Api, TokenBuckets
from tests.support.apps import app_on_page
from tests.support.clock import TODAY
from tests.support.streamlit_internals import shared_resources

BUILDERS = {
    "overview_figures": page_figures,
    "income_summary": income,
    "card_figures": page_figures,
    "plan_figures": page_figures,
    "transactions_view": page_figures,
}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times each page's figures were computed (the pages import the builders by
    name on every run, so they call these)."""
    counts = dict.fromkeys(BUILDERS, 0)
    for name, module in BUILDERS.items():
        builder = getattr(module, name)

        def counted(*args: Any, name: str = name, builder: Any = builder, **kwargs: Any) -> Any:
            counts[name] += 1
            return builder(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
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
    [
        ("pages/overview.py", "overview_figures"),
        ("pages/overview.py", "income_summary"),
        ("pages/cards.py", "card_figures"),
        ("pages/cards.py", "plan_figures"),
        ("pages/transactions.py", "transactions_view"),
    ],
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
    assert tables(second) == tables(first)


def tables(at: AppTest) -> list[str]:
    return [frame.value.to_csv() for frame in at.dataframe]


def test_a_filter_of_ones_own_is_not_shared(built: dict[str, int]) -> None:
    first = opened("pages/transactions.py")
    first.text_input(key="tx_text").input("café").run()
    assert built["transactions_view"] == 2  # the default view, then the filtered one
    second = opened("pages/transactions.py")
    assert built["transactions_view"] == 2  # the default view, shared
    second.text_input(key="tx_text").input("café").run()
    assert built["transactions_view"] == 3  # the filtered view is each session's own
    assert tables(second) == tables(first)


def test_a_target_of_ones_own_is_not_shared(built: dict[str, int]) -> None:
    for _ in range(2):
        at = opened("pages/cards.py")
        at.select_slider(key="cards_target").set_value(0.29).run()
    assert built["plan_figures"] == 3  # the default target's plan once, each 29% plan alone


API_TOKEN = "operator-token-for-the-shared-data-0123456789"
T = TypeVar("T")
SHARED_FIGURES = "services.runtime.loaders.snapshot_figures"
SHARING_PAGES = ("pages/overview.py", "pages/cards.py", "pages/transactions.py")


def shared_now() -> list[bytes]:
    """What the next session would be handed, every shared figure as pickle writes it."""
    return sorted(pickle.dumps(value) for _, value in shared_resources(SHARED_FIGURES))


def shown(at: AppTest) -> tuple[dict[str, str], list[str]]:
    return metrics(at), tables(at)


def transactions_used() -> AppTest:
    """The transactions page with every tab opened and a filter of one's own."""
    transactions = opened("pages/transactions.py")
    for tab in ("Charts", "Recurring payments", "Income", "Unusual activity", "Transactions"):
        transactions.session_state["tx_tab"] = tab
        transactions.run()
    transactions.text_input(key="tx_text").input("café").run()
    return transactions


def test_what_a_page_does_leaves_the_shared_figures_as_they_were() -> None:
    """The shared figures are handed out as the very objects, not copies: clicking around
    on every page that uses them must not change what another session gets."""
    for page in SHARING_PAGES:
        opened(page)
    before = shared_now()
    assert len(before) == 5  # overview, its income, cards, the default plan and view
    cards = opened("pages/cards.py")
    cards.multiselect(key="cards_inst").set_value(["Juniper Card Services"]).run()
    cards.select_slider(key="cards_target").set_value(0.29).run()
    transactions = transactions_used()
    assert not cards.exception
    assert not transactions.exception
    assert shared_now() == before, "a page changed a shared figure in place"
    handed = {page: shown(opened(page)) for page in SHARING_PAGES}
    data.snapshot_figures.clear()  # each session computing its own, as before sharing
    assert {page: shown(opened(page)) for page in SHARING_PAGES} == handed


def copied(thing: T) -> T:
    """A deep copy of ``thing``, by pickle."""
    return cast(T, pickle.loads(pickle.dumps(thing)))  # noqa: S301  # our own bytes


def assert_unchanged(kept: object, now: object) -> None:
    """Every field of a dataclass as it was: frames value by value (dtypes and index too),
    the rest by equality."""
    for field in fields(cast(Any, kept)):
        before, after = getattr(kept, field.name), getattr(now, field.name)
        if isinstance(before, pd.DataFrame):
            pd.testing.assert_frame_equal(after, before, check_exact=True, obj=field.name)
        else:
            assert after == before, field.name


def api_answers() -> list[str]:
    """What the operator's API answers on the demo, in JSON and CSV (it reads the snapshot
    the pages read)."""
    settings = parse_settings({"API_TOKEN": API_TOKEN, "AS_OF_DATE": TODAY.isoformat()})
    routes = Api(lambda: settings, TokenBuckets()).routes()
    api = TestClient(Starlette(routes=routes))
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    paths = ("/api/v1/summary", "/api/v1/cards", "/api/v1/transactions?period=all")
    answers = [api.get(path, headers=headers) for path in paths]
    answers.append(api.get(f"{paths[-1]}&format=csv", headers=headers))
    assert [answer.status_code for answer in answers] == [200] * 4
    return [answer.text for answer in answers]


def test_no_page_and_no_api_call_changes_the_snapshot_or_analyses_every_session_is_handed() -> None:
    """The snapshot and its analyses are handed to every session as the very same objects
    (no copy per session): nothing any page or the API does may change them in place."""
    snapshot = data.load_demo_snapshot(TODAY)  # what every page below is handed
    analyses = data.analyse_snapshot(snapshot.version, TODAY, snapshot)
    kept = copied(snapshot), copied(analyses)
    for page in ("overview", "cards", "accounts", "bills", "credit_report", "history", "setup"):
        opened(f"pages/{page}.py")
    accounts = opened("pages/accounts.py")
    accounts.multiselect(key="accounts_kind").set_value(["Checking"]).run()
    bills = opened("pages/bills.py")
    bills.segmented_control(key="bills_horizon").set_value(60).run()
    transactions = transactions_used()
    cards = opened("pages/cards.py")
    cards.select_slider(key="cards_target").set_value(0.29).run()
    for at in (accounts, bills, transactions, cards):
        assert not at.exception, [e.value for e in at.exception]
    api_answers()
    assert data.load_demo_snapshot(TODAY) is snapshot  # handed out, not copied
    assert data.analyse_snapshot(snapshot.version, TODAY, snapshot) is analyses
    assert_unchanged(kept[0], snapshot)
    assert_unchanged(kept[1], analyses)


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
