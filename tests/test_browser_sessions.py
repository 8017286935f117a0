"""Two browser sessions on one server at the same time, and what the CSV download holds."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import require_chromium, streamlit_server, wait_for_run
from tests.plaid_double import PlaidDouble

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    with PlaidDouble() as double:
        env = {
            "DATA_SOURCE": "plaid",
            "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
            "PLAID_SECRET": PlaidDouble.SECRET,
            "PLAID_BASE_URL": double.url,
        }
        log = tmp_path_factory.mktemp("sessions") / "streamlit.log"
        with streamlit_server(log, env) as url:
            yield url


def open_session(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/setup")
    wait_for_run(page)
    return page


def connect_test_bank(page: Page, institution: str) -> None:
    page.get_by_role("tab", name="Sandbox test bank").click()
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=institution).click()
    page.get_by_role("button", name="Connect test bank").click()


def go_to(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    wait_for_run(page)


def downloaded_csv(page: Page) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    path = download.value.path()
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_two_simultaneous_sessions_see_only_their_own_bank(live_url: str, browser: Browser) -> None:
    first, second = open_session(browser, live_url), open_session(browser, live_url)
    # Both connects are in flight at once on the same server.
    connect_test_bank(first, "First Platypus Bank (ins_109508)")
    connect_test_bank(second, "Tartan Bank (ins_109511)")
    expect(first.get_by_text("Connected First Platypus Bank")).to_be_visible()
    expect(second.get_by_text("Connected Tartan Bank")).to_be_visible()
    for page, bank in ((first, "First Platypus Bank"), (second, "Tartan Bank")):
        wait_for_run(page)
        go_to(page, "Transactions")
        rows = downloaded_csv(page)
        assert rows
        assert {row["institution"] for row in rows} == {bank}
    first.context.close()
    second.context.close()


def test_a_filter_changes_the_table_and_the_csv(live_url: str, browser: Browser) -> None:
    page = open_session(browser, live_url)
    connect_test_bank(page, "First Platypus Bank (ins_109508)")
    expect(page.get_by_text("Connected First Platypus Bank")).to_be_visible()
    wait_for_run(page)
    go_to(page, "Transactions")
    everything = downloaded_csv(page)
    search = page.get_by_label("Search description or merchant")
    search.fill("Streamly")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Streamly"))
    wait_for_run(page)
    filtered = downloaded_csv(page)
    assert 0 < len(filtered) < len(everything)
    assert all("streamly" in f"{row['name']} {row['merchant']}".lower() for row in filtered)
    page.context.close()
