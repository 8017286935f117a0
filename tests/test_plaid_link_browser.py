"""pages/_plaid_link.py in headless Chromium, with Plaid's CDN script replaced by fakes.

One `streamlit run tests/link_harness.py` serves every test; each test gets a fresh browser
context (a new Streamlit session) whose route for Plaid's script serves a fake or aborts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from pages._plaid_link import LINK_LOAD_FAILED, LOAD_FAILED_MESSAGE, LinkExit, LinkSuccess
from tests.browser_support import (
    RUN_FINISHED,
    require_chromium,
    streamlit_server,
)

pytestmark = pytest.mark.browser

PLAID_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
LINK_TOKEN = "link-sandbox-test-token"

FAKE_SUCCESS = """
window.Plaid = {create(cfg){ return {open(){ cfg.onSuccess("public-sandbox-fake",
  {institution:{name:"<b>Bank</b>", institution_id:"ins_1"},
   accounts:[{id:"a1", name:"Checking", mask:"0000", type:"depository", subtype:"checking"}],
   link_session_id:"ls-1"}) }, exit(){}, destroy(){} } } };
"""
FAKE_EXIT = """
window.Plaid = {create(cfg){ return {open(){ cfg.onExit(
  {error_type:"ITEM_ERROR", error_code:"INVALID_CREDENTIALS",
   error_message:"the provided credentials were not correct",
   display_message:"The <i>credentials</i> were not correct."},
  {link_session_id:"ls-2", status:"requires_credentials", institution:null}) },
  exit(){}, destroy(){} } } };
"""

SUCCESS = LinkSuccess(
    public_token="public-sandbox-fake",
    institution_id="ins_1",
    institution_name="<b>Bank</b>",
    accounts=(
        {
            "id": "a1",
            "name": "Checking",
            "mask": "0000",
            "type": "depository",
            "subtype": "checking",
        },
    ),
    link_session_id="ls-1",
)
EXIT = LinkExit(
    error_code="INVALID_CREDENTIALS",
    error_type="ITEM_ERROR",
    display_message="The <i>credentials</i> were not correct.",
    link_session_id="ls-2",
)
# Echoes what it was given, to prove the OAuth return reopens Link with receivedRedirectUri.
FAKE_ECHO = """
window.Plaid = {create(cfg){ return {open(){ cfg.onSuccess("public-sandbox-oauth",
  {institution:null, accounts:[], link_session_id: cfg.receivedRedirectUri || "none"}) },
  exit(){}, destroy(){} } } };
"""
OAUTH_RETURN = "http://127.0.0.1/?oauth_state_id=state-1"

LOAD_FAILED = LinkExit(
    error_code=LINK_LOAD_FAILED,
    error_type=None,
    display_message=LOAD_FAILED_MESSAGE,
    link_session_id=None,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_chromium()
    log = tmp_path_factory.mktemp("link_server") / "streamlit.log"
    with streamlit_server(log, script="tests/link_harness.py") as url:
        yield url, log


class Harness:
    """One browser session on the harness, with Plaid's script answered by `handle`."""

    def __init__(self, browser: Browser, url: str, handle: Callable[[Route], None]) -> None:
        self.script_requests = 0
        self.console: list[str] = []
        self.page_errors: list[str] = []
        self.context = browser.new_context()

        def counting(route: Route) -> None:
            self.script_requests += 1
            handle(route)

        self.context.route(PLAID_SCRIPT, counting)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.goto(url)
        self.wait_for_run()

    def wait_for_run(self) -> None:
        self.page.wait_for_selector(RUN_FINISHED)

    def runs(self) -> int:
        return int(self.page.locator(".st-key-runs").inner_text().strip().split("=")[1])

    def expect_received(self, count: int, result: object) -> None:
        expect(self.page.locator(".st-key-received")).to_have_text(f"received={count}")
        expect(self.page.locator(".st-key-result")).to_have_text(repr(result))
        self.wait_for_run()

    def click_link(self) -> None:
        self.page.get_by_test_id("plaid-link-button").click()

    def rerun(self) -> None:
        before = self.runs()
        self.page.get_by_role("button", name="rerun").click()
        expect(self.page.locator(".st-key-runs")).to_have_text(f"runs={before + 1}")
        self.wait_for_run()

    def close(self) -> None:
        assert not any(LINK_TOKEN in line for line in self.console)
        assert self.page_errors == []
        self.context.close()


@pytest.fixture
def open_harness(
    server: tuple[str, Path], browser: Browser
) -> Iterator[Callable[[Callable[[Route], None]], Harness]]:
    opened: list[Harness] = []

    def make(handle: Callable[[Route], None], query: str = "") -> Harness:
        harness = Harness(browser, server[0] + query, handle)
        opened.append(harness)
        return harness

    yield make
    for harness in opened:
        harness.close()
    assert LINK_TOKEN not in server[1].read_text(errors="replace")


def fake(script: str) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        route.fulfill(status=200, content_type="application/javascript", body=script)

    return handle


def test_success_is_delivered_once_with_upstream_text_kept_literal(open_harness) -> None:
    harness = open_harness(fake(FAKE_SUCCESS))
    button = harness.page.get_by_test_id("plaid-link-button")
    expect(button).to_have_text("Connect a bank")
    harness.expect_received(0, None)

    harness.click_link()
    harness.expect_received(1, SUCCESS)
    status = harness.page.get_by_test_id("plaid-link-status")
    expect(status).to_have_text("Connected: <b>Bank</b>")
    assert status.locator("b").count() == 0

    # Another widget's rerun must not hand the same public token back again.
    harness.rerun()
    harness.expect_received(1, None)
    harness.rerun()
    harness.expect_received(1, None)

    # A second Link session is a new event, and the script was fetched only once.
    harness.click_link()
    harness.expect_received(2, SUCCESS)
    assert harness.script_requests == 1


def test_exit_with_error_is_delivered_as_link_exit(open_harness) -> None:
    harness = open_harness(fake(FAKE_EXIT))
    harness.click_link()
    harness.expect_received(1, EXIT)
    status = harness.page.get_by_test_id("plaid-link-status")
    expect(status).to_have_text("The <i>credentials</i> were not correct.")
    assert status.locator("i").count() == 0
    harness.rerun()
    harness.expect_received(1, None)


def test_blocked_script_reports_a_load_error_once(open_harness) -> None:
    harness = open_harness(lambda route: route.abort())
    status = harness.page.get_by_test_id("plaid-link-status")
    expect(status).to_contain_text("Could not load Plaid Link")
    harness.expect_received(1, LOAD_FAILED)
    harness.rerun()
    harness.expect_received(1, None)

    # A click tries the script again; a second failure is reported as a new event.
    harness.click_link()
    harness.expect_received(2, LOAD_FAILED)
    assert harness.script_requests == 2


def test_a_run_interrupted_after_delivery_does_not_deliver_again(open_harness) -> None:
    # The run that received the result is still busy (a slow exchange) when another widget
    # asks for a rerun: that run is cut short and the next one must not see the event again.
    harness = open_harness(fake(FAKE_SUCCESS), "/?delay=1.5")
    runs = harness.runs()
    harness.click_link()
    expect(harness.page.locator(".st-key-received")).to_have_text("received=1")
    # The run that received the result is now sleeping: ask for another one meanwhile.
    harness.page.get_by_role("button", name="rerun").click()
    expect(harness.page.locator(".st-key-runs")).to_have_text(f"runs={runs + 2}")
    harness.wait_for_run()
    harness.expect_received(1, None)


def test_oauth_return_reopens_link_once_by_itself(open_harness) -> None:
    harness = open_harness(fake(FAKE_ECHO), "/?oauth_state_id=state-1")
    expected = LinkSuccess(
        public_token="public-sandbox-oauth",
        institution_id=None,
        institution_name=None,
        accounts=(),
        link_session_id=OAUTH_RETURN,
    )
    harness.expect_received(1, expected)
    harness.rerun()
    harness.expect_received(1, None)
    assert harness.script_requests == 1
