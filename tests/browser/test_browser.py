"""The whole app in headless Chromium against a freshly started `streamlit run`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import demo_ledger as ledger
from tests.support.browser_support import (
    ARTIFACTS,
    go_to,
    new_page,
    open_app,
    require_chromium,
    streamlit_server,
)
from tests.support.clock import TODAY

pytestmark = pytest.mark.browser

PAGES = [
    ("Overview", "Overview"),
    ("Cards", "Cards"),
    ("Accounts", "Accounts"),
    ("Transactions", "Transactions"),
    ("Bills ahead", "Bills ahead"),
    ("Credit report", "Credit report"),
    ("History", "History"),
    ("Setup", "Setup"),
]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log) as url:
        yield url


def test_fresh_server_serves_every_page_through_the_sidebar(server_url: str, page: Page) -> None:
    open_app(page, server_url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    expect(page.get_by_text("demo data", exact=False).first).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for link_text, heading in PAGES:
        go_to(page, link_text, heading)
        expect(page.get_by_test_id("stException"), link_text).to_have_count(0)
        expect(page.get_by_text("Something went wrong"), link_text).to_have_count(0)
        slug = link_text.lower().replace(" ", "_")
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)


def test_a_deep_link_as_the_first_request_still_runs_the_whole_app(
    tmp_path: Path, browser: Browser
) -> None:
    # A folder named pages/ starts Streamlit in its legacy mode, which would run the page
    # file alone (no settings check, no session bootstrap, every module listed as a page).
    with streamlit_server(tmp_path / "streamlit.log") as url:
        page = new_page(browser)
        # The page file runs alone first, then reruns the whole app: wait for both runs.
        open_app(page, f"{url}/transactions?period=last_30_days")
        expect(page.get_by_role("heading", level=1, name="Transactions")).to_be_visible()
        links = page.get_by_test_id("stSidebarNav").get_by_role("link")
        expect(links).to_have_count(len(PAGES))
        assert [text.split("\n")[-1] for text in links.all_inner_texts()] == [
            name for name, _ in PAGES
        ]
        expect(page.get_by_text("demo data", exact=False).first).to_be_visible()
        assert "period=last_30_days" in page.url
        page.context.close()


def test_a_long_transactions_list_comes_a_page_at_a_time(server_url: str, page: Page) -> None:
    rows = ledger.ledger(TODAY)
    total = len(ledger.select(rows, min(r.day for r in rows), TODAY))
    open_app(page, f"{server_url}/transactions?period=all")
    expect(page.get_by_text(f"Showing the newest 1,000 of {total:,} transactions.")).to_be_visible()
    page.get_by_role("button", name="Show 1,000 more").click()
    expect(page.get_by_text(f"Showing the newest 2,000 of {total:,} transactions.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "transactions_two_pages.png"), full_page=True)
