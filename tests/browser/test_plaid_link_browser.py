"""pages/_plaid_link.py in headless Chromium, with Plaid's CDN script replaced by fakes.

One `streamlit run tests/support/link_harness.py` serves the component's tests; each test gets
a fresh browser context (a new Streamlit session) whose route for Plaid's script serves a fake or
aborts. The OAuth round trip also runs through the whole app against the Plaid double.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from pages._plaid_link import (
    LINK_LOAD_FAILED,
    LOAD_FAILED_MESSAGE,
    OAUTH_RETURN_LOST,
    OAUTH_RETURN_LOST_MESSAGE,
    OAUTH_STORAGE_KEY,
    LinkExit,
    LinkSuccess,
)
from tests.support import browser_support
from tests.support.apps import app_test
from tests.support.browser_support import (
    go_to,
    open_app,
    require_chromium,
    rerun_after,
    runs_interrupted,
    streamlit_server,
    wait_until_idle,
    watch_runs,
)
from tests.support.plaid_double import PlaidDouble

pytestmark = pytest.mark.browser

PLAID_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
LINK_TOKEN = "link-sandbox-test-token"
TIMEOUT_MS = 15_000

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
# An OAuth bank: the first open leaves for the bank, which sends the top window back to the
# page with ?oauth_state_id; the reopened Link echoes the receivedRedirectUri it was given.
FAKE_OAUTH = """
window.Plaid = {create(cfg){ return {open(){
  if (cfg.token !== "link-sandbox-test-token") {
    cfg.onExit({error_code: "WRONG_TOKEN", display_message: "wrong link token"}, {});
  } else if (!cfg.receivedRedirectUri) {
    window.top.location.assign(window.location.origin + "/?oauth_state_id=state-1");
  } else {
    cfg.onSuccess("public-sandbox-oauth",
      {institution: null, accounts: [], link_session_id: cfg.receivedRedirectUri});
  }
}, exit(){}, destroy(){} } } };
"""
# Link stays open: nothing comes back until the test acts.
FAKE_STAYS_OPEN = "window.Plaid = {create(cfg){ return {open(){}, exit(){}, destroy(){} } } };"
RETURN_LOST = LinkExit(
    error_code=OAUTH_RETURN_LOST,
    error_type=None,
    display_message=OAUTH_RETURN_LOST_MESSAGE,
    link_session_id=None,
)

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
    with streamlit_server(log, script="tests/support/link_harness.py") as url:
        yield url, log


class Harness:
    """One browser session on the harness, with Plaid's script answered by `handle`."""

    def __init__(self, browser: Browser, url: str, handle: Callable[[Route], None]) -> None:
        self.script_requests = 0
        self.console: list[str] = []
        self.page_errors: list[str] = []
        self.context = watch_runs(browser.new_context())

        def counting(route: Route) -> None:
            self.script_requests += 1
            handle(route)

        self.context.route(PLAID_SCRIPT, counting)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        open_app(self.page, url)

    def runs(self) -> int:
        return int(self.page.locator(".st-key-runs").inner_text().strip().split("=")[1])

    def expect_received(self, count: int, result: object) -> None:
        # As long as any other wait here: the run may follow a whole page load.
        received = self.page.locator(".st-key-received")
        expect(received).to_have_text(f"received={count}", timeout=TIMEOUT_MS)
        expect(self.page.locator(".st-key-result")).to_have_text(repr(result))
        wait_until_idle(self.page)  # the run that drew them has started: let it finish

    def click_link(self) -> None:
        """Open Link, whose answer (or a redirect to an OAuth bank) starts a run."""
        with rerun_after(self.page):
            self.page.get_by_test_id("plaid-link-button").click()

    def stored(self) -> dict | None:
        """What the browser keeps for an OAuth return, if anything."""
        return stored_for_oauth(self.page)

    def goto(self, url: str) -> None:
        open_app(self.page, url)

    def rerun(self) -> None:
        before = self.runs()
        with rerun_after(self.page):
            self.page.get_by_role("button", name="rerun").click()
        expect(self.page.locator(".st-key-runs")).to_have_text(f"runs={before + 1}")

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


def stored_for_oauth(page: Page) -> dict | None:
    raw = page.evaluate("key => window.localStorage.getItem(key)", OAUTH_STORAGE_KEY)
    return None if raw is None else json.loads(raw)


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
    assert harness.stored() is None

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
    assert harness.stored() is None
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
    harness = open_harness(fake(FAKE_SUCCESS), "/?delay=5")
    runs, interrupted = harness.runs(), runs_interrupted(harness.page)
    # Not click_link: the run this click starts must still be under way at the next click.
    harness.page.get_by_test_id("plaid-link-button").click()
    expect(harness.page.locator(".st-key-received")).to_have_text("received=1")
    # The run that received the result is now sleeping: ask for another one meanwhile.
    with rerun_after(harness.page):
        harness.page.get_by_role("button", name="rerun").click()
    expect(harness.page.locator(".st-key-runs")).to_have_text(f"runs={runs + 2}")
    assert runs_interrupted(harness.page) == interrupted + 1  # it was cut short indeed
    harness.expect_received(1, None)


def test_oauth_return_reopens_link_once_with_the_kept_token_and_the_page_url(
    open_harness, server: tuple[str, Path]
) -> None:
    harness = open_harness(fake(FAKE_OAUTH))
    harness.click_link()
    # The fake sent the top window to the bank and back: a new page load, a new session.
    return_url = f"{server[0]}/?oauth_state_id=state-1"
    expect(harness.page).to_have_url(return_url)
    expected = LinkSuccess(
        public_token="public-sandbox-oauth",
        institution_id=None,
        institution_name=None,
        accounts=(),
        link_session_id=return_url,
    )
    harness.expect_received(1, expected)
    assert harness.stored() is None
    harness.rerun()
    harness.expect_received(1, None)
    assert harness.script_requests == 2  # once per page load


def test_a_return_with_nothing_kept_says_so_once(open_harness) -> None:
    # Another browser, or storage cleared while the person was at the bank.
    harness = open_harness(fake(FAKE_OAUTH), "/?oauth_state_id=state-1")
    harness.expect_received(1, RETURN_LOST)
    expect(harness.page.get_by_test_id("plaid-link-status")).to_have_text(OAUTH_RETURN_LOST_MESSAGE)
    harness.rerun()
    harness.expect_received(1, None)
    assert harness.script_requests == 0


def test_the_token_is_kept_only_while_link_is_open_and_expires(
    open_harness, server: tuple[str, Path]
) -> None:
    harness = open_harness(fake(FAKE_STAYS_OPEN))
    assert harness.stored() is None
    harness.page.get_by_test_id("plaid-link-button").click()  # Link stays open: no run
    harness.page.wait_for_function(
        "key => window.localStorage.getItem(key) !== null", arg=OAUTH_STORAGE_KEY
    )
    assert harness.stored()["token"] == LINK_TOKEN

    # Back from the bank 31 minutes later: too late to finish, and the token is dropped.
    harness.page.evaluate(
        """key => {
          const entry = JSON.parse(window.localStorage.getItem(key));
          entry.saved_at -= 31 * 60 * 1000;
          window.localStorage.setItem(key, JSON.stringify(entry));
        }""",
        OAUTH_STORAGE_KEY,
    )
    harness.goto(f"{server[0]}/?oauth_state_id=state-1")
    harness.expect_received(1, RETURN_LOST)
    assert harness.stored() is None


# ---- the whole app: Setup page, Plaid double, a new session on the way back ---------------

OAUTH_STATE = "state-oauth-1"
# Plaid's Link for an OAuth bank, checked against what the double issued (filled in when the
# script is requested): the first open leaves for the bank, which sends the top window back
# to the redirect URI; the reopened Link must get the same token and that full URL.
FAKE_OAUTH_BANK = """
window.Plaid = {create(cfg){ return {open(){
  const issued = __ISSUED__;
  const returnUrl = issued.redirect_uri + "?oauth_state_id=__STATE__";
  const refuse = (why) => cfg.onExit(
    {error_type: "HARNESS", error_code: "HARNESS_MISMATCH", display_message: why}, {});
  if (cfg.token !== issued.link_token) {
    refuse("Link got a link token the double did not issue.");
  } else if (!cfg.receivedRedirectUri) {
    window.top.location.assign(returnUrl);
  } else if (cfg.receivedRedirectUri !== returnUrl) {
    refuse("Link got the wrong receivedRedirectUri.");
  } else {
    cfg.onSuccess(__PUBLIC_TOKEN__, {institution: {name: "Tartan Bank",
      institution_id: "ins_109511"}, accounts: [], link_session_id: "ls-oauth"});
  }
}, exit(){}, destroy(){} } } };
"""


@pytest.fixture(scope="module")
def double() -> Iterator[PlaidDouble]:
    with PlaidDouble() as running:
        yield running


@pytest.fixture(scope="module")
def oauth_app(
    tmp_path_factory: pytest.TempPathFactory, double: PlaidDouble
) -> Iterator[tuple[str, Path]]:
    """The app on live (double) data, with its Setup page as PLAID_REDIRECT_URI."""
    require_chromium()
    log = tmp_path_factory.mktemp("oauth_app") / "streamlit.log"
    port = browser_support.free_port()
    env = {
        "DATA_SOURCE": "plaid",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": double.url,
        "PLAID_REDIRECT_URI": f"http://127.0.0.1:{port}/setup",
        "UPSTREAM_BUDGET_SECONDS": "5",
    }
    # The redirect URI names the port, so the server must get the one chosen here.
    with (
        mock.patch.object(browser_support, "free_port", return_value=port),
        streamlit_server(log, env) as url,
    ):
        yield url, log


def oauth_bank(double: PlaidDouble, public_token: str) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        link_token, redirect_uri = list(double.link_tokens.items())[-1]
        issued = json.dumps({"link_token": link_token, "redirect_uri": redirect_uri})
        body = (
            FAKE_OAUTH_BANK.replace("__ISSUED__", issued)
            .replace("__STATE__", OAUTH_STATE)
            .replace("__PUBLIC_TOKEN__", json.dumps(public_token))
        )
        route.fulfill(status=200, content_type="application/javascript", body=body)

    return handle


def test_an_oauth_bank_connects_after_the_round_trip_through_a_new_session(
    oauth_app: tuple[str, Path], double: PlaidDouble, page: Page
) -> None:
    url, log = oauth_app
    client = double.client()
    public_token = client.create_sandbox_public_token("ins_109511")
    page.context.route(PLAID_SCRIPT, oauth_bank(double, public_token))
    console: list[str] = []
    visited: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    exchanges = len(double.calls("/item/public_token/exchange"))

    open_app(page, url)
    go_to(page, "Setup")
    tokens_before = len(double.link_tokens)
    with rerun_after(page):
        page.get_by_role("button", name="Start").click()
    assert len(double.link_tokens) == tokens_before + 1  # Start asked for one link token
    link_token = list(double.link_tokens)[-1]
    with rerun_after(page):  # the runs of the page the bank sends the person back to
        page.get_by_test_id("plaid-link-button").click()

    # Off to the bank and back to the redirect URI: a new session finishes the connection.
    expect(page.get_by_text("Connected Tartan Bank.")).to_be_visible(timeout=30_000)
    wait_until_idle(page)
    assert f"{url}/setup?oauth_state_id={OAUTH_STATE}" in visited
    exchanged = double.calls("/item/public_token/exchange")[exchanges:]
    assert [r.body["public_token"] for r in exchanged] == [public_token]

    # Nothing of the return is left: not the state in the URL, not the token in the browser.
    expect(page).not_to_have_url(re.compile("oauth_state_id"))
    assert stored_for_oauth(page) is None
    with rerun_after(page):
        page.get_by_role("button", name="Refresh data").click()
    expect(page.get_by_text("Tartan Bank", exact=True)).to_be_visible()
    assert len(double.calls("/item/public_token/exchange")) == exchanges + 1

    # The link token never reached a URL, the console or the server's log.
    assert not any(link_token in where for where in visited + console)
    assert link_token not in log.read_text(errors="replace")


def test_a_return_this_browser_did_not_start_is_explained(
    oauth_app: tuple[str, Path], page: Page
) -> None:
    # Opened in another browser than the one that went to the bank: nothing to finish with.
    url, log = oauth_app
    page.goto(f"{url}/setup?oauth_state_id=state-elsewhere")
    expect(page.get_by_text(OAUTH_RETURN_LOST_MESSAGE).first).to_be_visible(timeout=30_000)
    wait_until_idle(page)
    expect(page).not_to_have_url(re.compile("oauth_state_id"))
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "OAuth return without a stored Link session" in log.read_text(errors="replace")


def test_a_return_when_the_app_has_no_redirect_uri_is_explained(
    plaid_double: PlaidDouble, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in {
        "DATA_SOURCE": "plaid",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
    }.items():
        monkeypatch.setenv(name, value)
    at = app_test().run()
    at.query_params["oauth_state_id"] = "state-1"
    at.switch_page("pages/setup.py").run()
    assert not at.exception
    assert any("PLAID_REDIRECT_URI is not set" in w.value for w in at.warning)
    assert "OAuth return ignored: PLAID_REDIRECT_URI is not set" in caplog.text
    assert "oauth_state_id" not in at.query_params


def test_a_return_finishes_on_own_data_where_the_app_starts_on_demo_data(
    plaid_double: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DATA_SOURCE=demo: the person chose their own data before leaving for the bank, and the
    # new session would start on demo data, where the Setup page has no Plaid part at all.
    for name, value in {
        "DATA_SOURCE": "demo",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "PLAID_REDIRECT_URI": "http://127.0.0.1:8501/setup",
    }.items():
        monkeypatch.setenv(name, value)
    at = app_test().run()
    at.query_params["oauth_state_id"] = "state-1"
    at.switch_page("pages/setup.py").run()
    assert not at.exception
    assert at.session_state["data_source"] == "plaid"
    assert "Connect a bank" in [s.value for s in at.subheader]


# ---- update mode: signing in again to a bank of the session, through the whole app ---------

# Link in update mode: it must get the link token the double issued for the item's access
# token; then the person signs in, and Link hands back a public token nobody exchanges.
FAKE_UPDATE_MODE = """
window.Plaid = {create(cfg){ return {open(){
  if (cfg.token !== __ISSUED__) {
    cfg.onExit({error_type: "HARNESS", error_code: "HARNESS_MISMATCH",
      display_message: "Link got a link token the double did not issue."}, {});
  } else {
    cfg.onSuccess("public-sandbox-update", {institution: {name: "First Platypus Bank",
      institution_id: "ins_109508"}, accounts: [], link_session_id: "ls-update"});
  }
}, exit(){}, destroy(){} } } };
"""


@pytest.fixture(scope="module")
def update_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, PlaidDouble]]:
    """The app on live data from a double of its own."""
    require_chromium()
    log = tmp_path_factory.mktemp("update_app") / "streamlit.log"
    with PlaidDouble() as running:
        env = {
            "DATA_SOURCE": "plaid",
            "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
            "PLAID_SECRET": PlaidDouble.SECRET,
            "PLAID_BASE_URL": running.url,
            "UPSTREAM_BUDGET_SECONDS": "5",
        }
        # A port of its own: while oauth_app runs, free_port is patched to name oauth_app's.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with streamlit_server(log, env, port=port) as url:
            yield url, running


def update_mode_link(double: PlaidDouble) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        issued = json.dumps(list(double.link_tokens)[-1])
        body = FAKE_UPDATE_MODE.replace("__ISSUED__", issued)
        route.fulfill(status=200, content_type="application/javascript", body=body)

    return handle


def test_signing_in_again_goes_through_link_in_update_mode(
    update_app: tuple[str, PlaidDouble], page: Page
) -> None:
    url, double = update_app
    client = double.client()
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    page.context.route(PLAID_SCRIPT, update_mode_link(double))
    open_app(page, url)
    go_to(page, "Setup")
    page.get_by_role("tab", name="Paste an access token").click()
    page.get_by_label("Access token", exact=True).fill(token)
    with rerun_after(page):
        page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_text("Connected First Platypus Bank.")).to_be_visible(timeout=30_000)

    double.require_login(token)  # the bank now wants a new login
    with rerun_after(page):
        page.get_by_role("button", name="Refresh data").click()
    go_to(page, "Overview")
    with rerun_after(page):
        page.get_by_role("button", name="Sign in to First Platypus Bank again").click()
    expect(page.get_by_text("Sign in to First Platypus Bank again")).to_be_visible(timeout=30_000)
    request = double.calls("/link/token/create")[-1].body
    assert request["access_token"] == token  # made on the server, from the sealed token
    assert "products" not in request

    double.login_repaired(token)  # what signing in at the bank does
    exchanges = len(double.calls("/item/public_token/exchange"))
    with rerun_after(page):
        page.get_by_test_id("plaid-link-button").click()
    done = page.get_by_text("First Platypus Bank is connected again.")
    expect(done).to_be_visible(timeout=30_000)
    # Link's update-mode public token is not exchanged: the item and its token stay.
    assert len(double.calls("/item/public_token/exchange")) == exchanges
    go_to(page, "Overview")
    expect(page.get_by_text("First Platypus Bank needs attention")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
