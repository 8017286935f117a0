"""The ASGI entry (`make run`'s way: uvicorn serving services/web/asgi.py) in headless Chromium.

Every page renders under the app's own Content-Security-Policy with no violation, the security
headers are on the pages and on Streamlit's static assets, Plaid Link's script loads and hands
back a token, and a visitor on this machine still counts as local.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Response, expect, sync_playwright

from tests.support.browser_support import (
    CHROMIUM_ARGS,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
    wait_until_idle,
    watch_runs,
)
from tests.support.plaid_double import PlaidDouble

pytestmark = pytest.mark.browser

# (address, heading): every page of the app, opened as the first request of a page load.
PAGES = [
    ("", "Overview"),
    ("cards", "Cards"),
    ("transactions", "Transactions"),
    ("bills", "Bills ahead"),
    ("credit_report", "Credit report"),
    ("setup", "Setup"),
]
PLAID_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
# Plaid's Link, faked: hands back the public token at once, and says it ran.
FAKE_LINK = """
window.__fakeLinkRan = true;
window.Plaid = {create(cfg){ return {open(){ cfg.onSuccess("%s",
  {institution:{name:"Tartan Bank", institution_id:"ins_109511"}, accounts:[],
   link_session_id:"ls-1"}) }, exit(){}, destroy(){} } } };
"""
# Records every CSP violation the page reports, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile})`
  );
});
"""
REBIND_HOST = "rebind.test"  # a page's own name that its DNS answers with 127.0.0.1
NOT_LOCAL_WARNING = "This app holds its operator's bank and credit credentials but has no sign-in"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


class WatchedPage:
    """A page in a fresh context that records CSP violations, from events and the console."""

    def __init__(self, browser: Browser) -> None:
        context = watch_runs(browser.new_context(viewport={"width": 1400, "height": 1000}))
        context.add_init_script(RECORD_VIOLATIONS)
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.console: list[str] = []
        self.static_responses: list[Response] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("response", self._note_static)

    def _note_static(self, response: Response) -> None:
        if "/static/" in response.url:
            self.static_responses.append(response)

    def violations(self) -> list[str]:
        reported = self.page.evaluate("() => window.__cspViolations")
        said = [text for text in self.console if "Content Security Policy" in text]
        return [*reported, *said]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium whose resolver answers REBIND_HOST with 127.0.0.1, as a rebinding page's DNS
    does."""
    executable = require_chromium()
    rule = f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, rule]
        )
        yield launched
        launched.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[WatchedPage]:
    opened = WatchedPage(browser)
    yield opened
    opened.page.context.close()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    log = tmp_path_factory.mktemp("asgi_demo") / "server.log"
    with streamlit_server(log, asgi=True) as url:
        yield url


@pytest.fixture(scope="module")
def double() -> Iterator[PlaidDouble]:
    with PlaidDouble() as running:
        yield running


@pytest.fixture(scope="module")
def operator_url(tmp_path_factory: pytest.TempPathFactory, double: PlaidDouble) -> Iterator[str]:
    """A local run holding the operator's bank, against the Plaid double."""
    require_chromium()
    log = tmp_path_factory.mktemp("asgi_operator") / "server.log"
    env = {
        **double.operator_settings(double.demo_tokens()),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "UPSTREAM_BUDGET_SECONDS": "5",
    }
    with streamlit_server(log, env, asgi=True) as url:
        yield url
    assert PlaidDouble.SECRET not in log.read_text()


def assert_security_headers(response: Response | None, what: str) -> dict[str, str]:
    assert response is not None, what
    headers = response.all_headers()
    missing = [name for name in SECURITY_HEADERS if name not in headers]
    assert missing == [], f"{what} lacks {missing}"
    assert "frame-ancestors 'none'" in headers["content-security-policy"], what
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["referrer-policy"] == "no-referrer", what
    assert "strict-transport-security" not in headers, f"{what}: HSTS over plain http"
    return headers


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


# --- Every page, under the policy ----------------------------------------------------------------


def test_every_page_renders_with_its_headers_and_no_policy_violation(
    demo_url: str, watched: WatchedPage
) -> None:
    page = watched.page
    for address, heading in PAGES:
        document = page.goto(f"{demo_url}/{address}")
        wait_until_idle(page)
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(page.get_by_text("demo data", exact=False).first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        headers = assert_security_headers(document, f"the {heading} page")
        assert headers["cache-control"] == "no-store", heading
        assert watched.violations() == [], (heading, watched.violations())
    # Charts and tables drew too (the policy admits what they need).
    page.goto(f"{demo_url}/")
    wait_until_idle(page)
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    assert watched.violations() == []


def test_streamlits_static_assets_carry_the_headers_and_stay_cacheable(
    demo_url: str, watched: WatchedPage
) -> None:
    open_app(watched.page, demo_url)
    scripts = [r for r in watched.static_responses if r.url.endswith(".js")]
    assert scripts, "no static script was loaded"
    headers = assert_security_headers(scripts[0], scripts[0].url)
    # Content-hashed, the same for everyone: Streamlit's own long cache is kept.
    assert "immutable" in headers["cache-control"]


def test_the_policy_admits_plaid_links_script_and_frames() -> None:
    from services.web.headers import content_security_policy

    directives = dict(part.strip().split(" ", 1) for part in content_security_policy(()).split(";"))
    assert PLAID_SCRIPT in directives["script-src"].split()
    assert "https://cdn.plaid.com" in directives["frame-src"].split()
    assert "'unsafe-eval'" not in directives["script-src"]


# --- The routes beside the pages -----------------------------------------------------------------


def test_health_readiness_and_configuration_status_answer(demo_url: str) -> None:
    assert fetch(f"{demo_url}/healthz") == (200, "ok")
    assert fetch(f"{demo_url}/_stcore/health") == (200, "ok")  # Streamlit's own, still there
    status, body = fetch(f"{demo_url}/readyz")
    assert (status, json.loads(body)) == (
        200,
        {
            "ready": True,
            "checks": {"settings": "ok", "redis": "not configured", "database": "not configured"},
        },
    )
    status, body = fetch(f"{demo_url}/config-status")
    assert (status, json.loads(body)) == (
        200,
        {
            "settings": "ok",
            "plaid": "demo",
            "experian": "not configured",
            "sign_in": "off",
            "storage": "stateless",
        },
    )


def test_configuration_status_is_refused_to_a_page_rebinding_its_name(
    demo_url: str, watched: WatchedPage
) -> None:
    port = demo_url.rsplit(":", 1)[1]
    answer = watched.page.goto(f"http://{REBIND_HOST}:{port}/config-status")
    assert answer is not None
    assert answer.status == 403
    assert "plaid" not in answer.text()


# --- Plaid Link and a local visitor, served the ASGI way ------------------------------------------


def test_plaid_link_loads_under_the_policy_and_its_token_is_exchanged(
    operator_url: str, watched: WatchedPage, double: PlaidDouble
) -> None:
    page = watched.page
    public_token = double.client().create_sandbox_public_token("ins_109511")
    page.context.route(
        PLAID_SCRIPT,
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_LINK % public_token
        ),
    )
    exchanges = len(double.calls("/item/public_token/exchange"))
    page.goto(f"{operator_url}/setup")
    wait_until_idle(page)
    with rerun_after(page):
        page.get_by_role("button", name="Start").click()
    with rerun_after(page):
        page.get_by_test_id("plaid-link-button").click()
    expect(page.get_by_text("Connected Tartan Bank")).to_be_visible()
    assert page.evaluate("() => window.__fakeLinkRan") is True
    exchanged = double.calls("/item/public_token/exchange")[exchanges:]
    assert [r.body["public_token"] for r in exchanged] == [public_token]
    assert watched.violations() == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_visitor_on_this_machine_still_gets_the_operators_bank(
    operator_url: str, watched: WatchedPage, host: str
) -> None:
    port = operator_url.rsplit(":", 1)[1]
    open_app(watched.page, f"http://{host}:{port}/")
    expect(watched.page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    expect(watched.page.get_by_text("No accounts connected yet.")).to_have_count(0)
    expect(watched.page.get_by_text(NOT_LOCAL_WARNING)).to_have_count(0)


def test_a_page_rebinding_its_name_to_this_machine_is_still_a_visitor(
    operator_url: str, watched: WatchedPage
) -> None:
    port = operator_url.rsplit(":", 1)[1]
    open_app(watched.page, f"http://{REBIND_HOST}:{port}/")
    expect(watched.page.get_by_text(NOT_LOCAL_WARNING)).to_be_visible()
    expect(watched.page.get_by_text("No accounts connected yet.")).to_be_visible()
