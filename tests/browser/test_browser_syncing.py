"""Useful figures first, in Chromium: while a bank's transaction history is still syncing the
overview and the cards page show what accounts and liabilities give, and once the history
arrives the page fills in by itself (its fragment reruns it), with no click and no reload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support import demo_expectations
from tests.support.browser_support import (
    SYNCING_STATUS,
    open_app,
    require_chromium,
    streamlit_server,
    syncing_shown,
    wait_until_filled_in,
)
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble

pytestmark = pytest.mark.browser
# The page is drawn again within a fragment tick (a quarter second) of a bank moving on (its
# cards in, then its history; the first run may have drawn one bank's cards only): room for a
# loaded machine, never a wait when the page is right.
REDRAWN_MS = 60_000


@pytest.fixture
def double() -> Iterator[PlaidDouble]:
    with PlaidDouble() as running:
        yield running


@pytest.fixture
def held_sync(double: PlaidDouble) -> Iterator[threading.Event]:
    """Every /transactions/sync answer waits until the test lets it go."""
    with double.holding("/transactions/sync") as gate:
        yield gate


@pytest.fixture
def operator_url(tmp_path: Path, double: PlaidDouble) -> Iterator[str]:
    """A server of its own per test, holding the operator's two demo banks: nothing of them
    is in its cache, so the visit is a first visit."""
    require_chromium()
    log = tmp_path / "server.log"
    with streamlit_server(log, double.operator_settings(double.demo_tokens()), asgi=True) as url:
        yield url
    assert PlaidDouble.SECRET not in log.read_text()


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(has_text=label)


def test_overview_shows_utilization_while_syncing_and_fills_in_by_itself(
    operator_url: str, page: Page, double: PlaidDouble, held_sync: threading.Event
) -> None:
    _, _, ratio = demo_expectations.overall_utilization(TODAY)
    open_app(page, operator_url)  # its first run drew what is in, and the status
    utilization = f"{ratio * 100:.1f}%"  # of both banks' cards
    expect(metric(page, "Overall utilization")).to_contain_text(utilization, timeout=REDRAWN_MS)
    expect(page.get_by_text(SYNCING_STATUS)).to_be_visible()
    assert syncing_shown(page), "what make bench's finished page waits to be gone"
    # No spending figure yet (not a misleading $0), and none can come: the history is held.
    expect(metric(page, "Spending this month")).to_have_count(0)
    assert double.calls("/transactions/sync"), "the history was asked for and held"

    held_sync.set()
    expect(metric(page, "Spending this month")).to_be_visible(timeout=REDRAWN_MS)
    wait_until_filled_in(page)
    expect(page.get_by_text(SYNCING_STATUS)).to_have_count(0)
    assert not syncing_shown(page)
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    expect(metric(page, "Overall utilization")).to_contain_text(utilization)


def test_cards_page_lists_the_cards_while_syncing_and_the_planner_follows_by_itself(
    operator_url: str, page: Page, held_sync: threading.Event
) -> None:
    open_app(page, f"{operator_url}/cards")
    expect(page.get_by_text(SYNCING_STATUS)).to_be_visible()
    # Each bank's cards redraw the page when they come: on a loaded machine, give it time.
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=REDRAWN_MS)
    expect(page.get_by_role("heading", name="Paydown planner")).to_have_count(0)

    held_sync.set()
    expect(page.get_by_role("heading", name="Paydown planner")).to_be_visible(timeout=REDRAWN_MS)
    wait_until_filled_in(page)
    expect(page.get_by_text(SYNCING_STATUS)).to_have_count(0)
