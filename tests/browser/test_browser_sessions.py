"""Two browser sessions on one server at the same time, and what the CSV download holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser_support import (
    go_to,
    new_page,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
)
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_browser import choose_test_bank, send_test_bank

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
    page = new_page(browser, viewport={"width": 1400, "height": 1000})
    open_app(page, f"{url}/setup")
    expect(page.get_by_role("heading", level=1, name="Setup")).to_be_visible()
    return page


def downloaded_csv(page: Page) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    path = download.value.path()
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_two_simultaneous_sessions_see_only_their_own_bank(live_url: str, browser: Browser) -> None:
    first, second = open_session(browser, live_url), open_session(browser, live_url)
    choose_test_bank(first, "First Platypus Bank (ins_109508)")
    choose_test_bank(second, "Tartan Bank (ins_109511)")
    # Both connects are in flight at once on the same server.
    with rerun_after(first), rerun_after(second):
        send_test_bank(first)
        send_test_bank(second)
    expect(first.get_by_text("Connected First Platypus Bank")).to_be_visible()
    expect(second.get_by_text("Connected Tartan Bank")).to_be_visible()
    for page, bank in ((first, "First Platypus Bank"), (second, "Tartan Bank")):
        go_to(page, "Transactions")
        rows = downloaded_csv(page)
        assert rows
        assert {row["institution"] for row in rows} == {bank}
    first.context.close()
    second.context.close()


def test_a_filter_changes_the_table_and_the_csv(live_url: str, browser: Browser) -> None:
    page = open_session(browser, live_url)
    choose_test_bank(page, "First Platypus Bank (ins_109508)")
    with rerun_after(page):
        send_test_bank(page)
    expect(page.get_by_text("Connected First Platypus Bank")).to_be_visible()
    go_to(page, "Transactions")
    everything = downloaded_csv(page)
    count = page.get_by_test_id("stMetric").filter(has_text="Transactions")
    count = count.get_by_test_id("stMetricValue")
    before = count.inner_text()
    search = page.get_by_label("Search description or merchant")
    search.fill("Streamly")
    with rerun_after(page):
        search.press("Enter")
    expect(count).not_to_have_text(before)  # the search has been applied
    assert "streamly" not in page.url.lower()  # a search never reaches the address bar
    filtered = downloaded_csv(page)
    assert 0 < len(filtered) < len(everything)
    assert all("streamly" in f"{row['name']} {row['merchant']}".lower() for row in filtered)
    page.context.close()
