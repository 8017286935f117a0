"""The app in headless Chromium on live Plaid data: the server talks to the local Plaid double,
and Plaid's Link script is replaced by a fake that hands back a real sandbox public token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser_support import (
    ARTIFACTS,
    go_to,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
    wait_until_idle,
)
from tests.support.plaid_double import Fault, PlaidDouble

pytestmark = pytest.mark.browser
PLAID_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
FAKE_LINK = """
window.Plaid = {create(cfg){ return {open(){ cfg.onSuccess("%s",
  {institution:{name:"Tartan Bank", institution_id:"ins_109511"}, accounts:[],
   link_session_id:"ls-1"}) }, exit(){}, destroy(){} } } };
"""


@pytest.fixture(scope="module")
def double() -> Iterator[PlaidDouble]:
    with PlaidDouble() as running:
        yield running


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory, double: PlaidDouble) -> Iterator[str]:
    require_chromium()
    log = tmp_path_factory.mktemp("plaid_server") / "streamlit.log"
    env = {
        "DATA_SOURCE": "plaid",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": double.url,
        "UPSTREAM_BUDGET_SECONDS": "5",
    }
    with streamlit_server(log, env) as url:
        yield url
    assert PlaidDouble.SECRET not in log.read_text()


def open_setup(page: Page, url: str) -> None:
    open_app(page, url)
    go_to(page, "Setup")


def connect_test_bank(page: Page) -> None:
    page.get_by_role("tab", name="Sandbox test bank").click()
    with rerun_after(page):
        page.get_by_role("button", name="Connect test bank").click()
    expect(page.get_by_text("Connected First Platypus Bank")).to_be_visible()


def test_sandbox_test_bank_connects_and_shows_live_data(live_url: str, page: Page) -> None:
    open_setup(page, live_url)
    connect_test_bank(page)
    go_to(page, "Cards")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cards_live.png"), full_page=True)


def test_plaid_link_hands_back_a_token_that_is_exchanged(
    live_url: str, page: Page, double: PlaidDouble
) -> None:
    client = double.client()
    public_token = client.create_sandbox_public_token("ins_109511")
    page.context.route(
        PLAID_SCRIPT,
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_LINK % public_token
        ),
    )
    exchanges = len(double.calls("/item/public_token/exchange"))
    open_setup(page, live_url)
    with rerun_after(page):
        page.get_by_role("button", name="Start").click()
    with rerun_after(page):
        page.get_by_test_id("plaid-link-button").click()
    expect(page.get_by_text("Connected Tartan Bank")).to_be_visible()
    exchanged = double.calls("/item/public_token/exchange")[exchanges:]
    assert [r.body["public_token"] for r in exchanged] == [public_token]


def test_login_required_shows_the_sign_in_again_action(
    live_url: str, page: Page, double: PlaidDouble
) -> None:
    open_setup(page, live_url)
    connect_test_bank(page)
    double.inject(
        "/accounts/get",
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED", times=1),
    )
    with rerun_after(page):
        page.get_by_role("button", name="Refresh data").click()
    go_to(page, "Cards")
    expect(page.get_by_text("needs attention").first).to_be_visible()
    expect(page.get_by_role("button", name="Sign in to First Platypus Bank again")).to_be_visible()


def test_a_reload_starts_a_new_session_without_the_connection(live_url: str, page: Page) -> None:
    open_setup(page, live_url)
    connect_test_bank(page)
    page.reload()
    wait_until_idle(page)
    expect(page.get_by_role("heading", level=1, name="Setup")).to_be_visible()
    expect(page.get_by_text("No bank connected in this session yet.")).to_be_visible()
