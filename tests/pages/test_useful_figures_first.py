"""Useful figures first: the overview and cards show what accounts and liabilities give while
the transaction history is still syncing, and fill in the rest in the same visit."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from services.runtime import bank_data
from services.views.format import money, plain
from tests.support import demo_expectations as expect
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble

SYNCING = "Syncing transaction history…"


@pytest.fixture
def first_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grace the app really has (the suite waits for whole pages in AppTest)."""
    monkeypatch.setattr(bank_data, "GRACE_SECONDS", 0.05)


@pytest.fixture
def held_sync(plaid_env: PlaidDouble) -> Iterator[threading.Event]:
    """Every /transactions/sync answer waits until the test lets it go."""
    with plaid_env.holding("/transactions/sync") as gate:
        yield gate


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def item_keys(at: AppTest) -> tuple[str, ...]:
    return tuple(c.item_key for c in at.session_state["plaid_items"])


def open_page(page: str | None = None) -> AppTest:
    at = app_test().run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_cards_figures_show_before_any_transaction_arrives_and_the_rest_fills_in(
    plaid_env: PlaidDouble,
    monkeypatch: pytest.MonkeyPatch,
    first_phase: None,
    held_sync: threading.Event,
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    at = open_page()
    owed, _, ratio = expect.overall_utilization(TODAY)
    shown = metrics(at)
    assert shown["Overall utilization"] == f"{ratio * 100:.1f}%"
    assert shown["Total owed on cards"] == f"${owed:,.2f}"
    assert "Spending this month" not in shown  # not a misleading $0 while syncing
    assert [s.label for s in at.status] == [SYNCING]
    assert "Needs attention" not in [h.value for h in at.subheader]  # no "all clear" yet
    # The history had been asked for, and none of it had answered (held) when they were drawn.
    assert plaid_env.calls("/transactions/sync")

    held_sync.set()
    assert bank_data.await_whole(item_keys(at), timeout=30)
    at.run()  # what the page's fragment does on its own once the banks moved on
    shown = metrics(at)
    month_start = TODAY.replace(day=1)
    assert shown["Spending this month"] == money(expect.spending(TODAY, month_start, TODAY))
    assert shown["Total owed on cards"] == f"${owed:,.2f}"
    assert not at.status
    # Once the whole snapshot is drawn, the fetches' data lives in the cache alone: nothing
    # of the person's stays behind in the background fetches.
    assert bank_data.progress(item_keys(at)) == (2,) * len(item_keys(at))
    assert not set(item_keys(at)) & set(bank_data._underway)


def test_the_cards_page_lists_every_card_while_syncing_and_the_planner_follows(
    plaid_env: PlaidDouble,
    monkeypatch: pytest.MonkeyPatch,
    first_phase: None,
    held_sync: threading.Event,
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    at = open_page("pages/cards.py")
    assert len(at.dataframe[0].value) == len(expect.raw_cards(TODAY))
    assert [s.label for s in at.status] == [SYNCING]
    assert "Paydown planner" not in [h.value for h in at.subheader]

    held_sync.set()
    assert bank_data.await_whole(item_keys(at), timeout=30)
    at.run()
    assert "Paydown planner" in [h.value for h in at.subheader]
    assert not at.status


def test_a_sync_that_fails_after_the_cards_came_keeps_them_with_a_clear_message(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, first_phase: None
) -> None:
    harborline, _ = plaid_env.demo_tokens()
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", harborline)
    gate = threading.Event()
    plaid_env.inject("/transactions/sync", Fault("held", gate=gate), harborline)
    plaid_env.inject("/transactions/sync", Fault("stuck_cursor", times=99), harborline)
    at = open_page()
    assert "Overall utilization" in metrics(at)
    gate.set()
    assert bank_data.await_whole(item_keys(at), timeout=30)
    at.run()
    assert not at.exception
    assert "Overall utilization" in metrics(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "Harborline Bank needs attention" in warnings
    assert plain("Its accounts and cards are shown, but not its transactions") in warnings
    assert not at.status


BANKS = ["Harborline Bank", "Juniper Card Services"]  # the double's demo items, in order


def connection_names(at: AppTest) -> list[str]:
    return [c.label for c in at.session_state["plaid_items"]]


def test_setup_names_the_banks_while_their_history_is_still_syncing(
    plaid_env: PlaidDouble,
    monkeypatch: pytest.MonkeyPatch,
    first_phase: None,
    held_sync: threading.Event,
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    at = open_page()
    assert [s.label for s in at.status] == [SYNCING]
    at.switch_page("pages/setup.py").run()
    assert [t.value for t in at.text if t.value in BANKS] == BANKS
    assert connection_names(at) == BANKS


def test_setup_names_the_banks_of_a_visit_that_left_the_overview_before_any_figure(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, first_phase: None
) -> None:
    """The person leaves the overview before any bank's accounts are in: Setup awaits the
    fetches under way for their names rather than list "Bank connection 1", and asks Plaid
    for nothing of its own."""
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setattr(bank_data, "FIRST_WAIT_SECONDS", 0.0)
    with plaid_env.holding("/liabilities/get") as gate:
        at = open_page()
        assert metrics(at)["Overall utilization"] == "—"  # nothing of any bank was in
        assert not set(connection_names(at)) & set(BANKS)
        gate.set()
        at.switch_page("pages/setup.py").run()
    assert [t.value for t in at.text if t.value in BANKS] == BANKS
    assert len(plaid_env.calls("/item/get")) == len(BANKS)  # the overview's fetches only


def test_the_rerun_after_the_banks_answered_draws_the_whole_page_at_once(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, held_sync: threading.Event
) -> None:
    """The fragment's rerun joins the finished fetches rather than start new ones that read
    the cache: with no grace at all (a loaded machine), the page is whole on that rerun."""
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setattr(bank_data, "GRACE_SECONDS", 0.0)
    started: list[str] = []
    fetch = bank_data._fetch_kept

    def counted(settings, connection, *args):  # type: ignore[no-untyped-def]
        started.append(connection.item_key)
        return fetch(settings, connection, *args)

    monkeypatch.setattr(bank_data, "_fetch_kept", counted)
    at = open_page()
    assert [s.label for s in at.status] == [SYNCING]
    held_sync.set()
    assert bank_data.await_whole(item_keys(at), timeout=30)
    at.run()
    assert "Spending this month" in metrics(at)
    assert not at.status
    assert sorted(started) == sorted(item_keys(at))  # one fetch a bank, none again


@pytest.mark.parametrize(
    ("drawn", "now", "troubled", "redraw"),
    [
        ((0, 0), (1, 0), (False, False), True),  # a bank's cards came in: shown at once
        ((1, 1), (2, 1), (False, False), False),  # one bank's history, the other still syncs
        ((1, 1), (2, 2), (False, False), True),  # every bank's history in: the whole page
        ((1, 0), (2, 0), (False, False), False),
        ((1, 0), (2, 1), (False, False), True),  # the second bank's cards
        ((1, 1), (2, 1), (True, False), True),  # a bank ended with a problem: said at once
        ((1,), (1,), (False,), False),  # nothing moved
    ],
)
def test_the_page_is_drawn_again_only_when_what_it_shows_changes(
    drawn: tuple[int, ...], now: tuple[int, ...], troubled: tuple[bool, ...], redraw: bool
) -> None:
    assert bank_data.worth_redrawing(drawn, now, troubled) is redraw
