"""Who gets in, and what reaches the banks and the bureau because of it.

The real app in headless Chromium, signed in through Streamlit's own login redirect at a local
OpenID Connect provider, with Plaid and Experian answered by local doubles that count every
call. The operator has configured their own bank (PLAID_ACCESS_TOKEN) and their own applicant
(EXPERIAN_APPLICANT), which only the owner (OWNER_EMAILS) may ever use. Each case checks what
the page shows and how many calls reached the doubles: a refused case costs no upstream call.

Two servers, each shared by the module: one with sign-in (allow-list, owner, one pull a person
a day), one local run without sign-in, bound to every address so that this machine's own
network address and a rebinding host name can visit it as a remote page would.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.support.browser_support import (
    CHROMIUM_ARGS,
    go_to,
    new_page,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
    wait_until_idle,
)
from tests.support.experian_double import ExperianDouble
from tests.support.oidc_provider import OidcProvider, name_from_email
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_browser import (
    choose_test_bank,
    fill_applicant_form,
    send_test_bank,
    tick_consent,
)
from tests.support.signin import sign_in, signin_app
from tests.support.tcp_relay import tcp_relay

pytestmark = pytest.mark.browser

OWNER = "owner.person@example.com"
ALICE = "alice.smith@example.com"  # allowed by her address
BOB = "bob.jones@corp.test"  # allowed by his domain
MALLORY = "mallory@elsewhere.test"  # signs in fine, but is on no list
EVE = "eve.doe@corp.test"  # an allowed domain, but her provider never verified the address
PEOPLE = (OWNER, ALICE, BOB, MALLORY, EVE)
PEOPLE_SETTINGS = {
    "ALLOWED_USERS": f"{OWNER},{ALICE},@corp.test",
    "OWNER_EMAILS": OWNER,
    "CREDIT_PULLS_PER_PERSON_PER_DAY": "1",
}  # top-level keys of the secrets file, as a hosted deployment writes them

# The operator's applicant: the same person the Setup form is filled in for by default.
APPLICANT = {
    "first_name": "Jordan", "last_name": "Demoperson", "dob": "07041980", "ssn": "666123456",
    "line1": "1420 Larkspur Ln", "city": "Springfield", "state": "IL", "zip_code": "62704",
}  # fmt: skip
OPERATOR_BANKS = ("Harborline Bank", "Juniper Card Services")  # the double's demo items
ALICE_BANK, BOB_BANK = "First Platypus Bank", "Tartan Bank"

REBIND_HOST = "rebind.test"  # a page's own name that its DNS answers with 127.0.0.1
NOT_LOCAL_WARNING = "This app holds its operator's bank and credit credentials but has no sign-in"
SIGN_IN_REASON = "so it needs to know who you are"
NOTHING_CONNECTED = "No bank connected in this session yet."
REPORT_SHOWN = "Experian report of"
NOT_OPEN = "but this app is not open to that account"
OWN_NAME_ONLY = "A report can only be pulled for the person signed in"


# --- what reached the doubles --------------------------------------------------------------


@dataclass(frozen=True)
class Calls:
    """Requests that reached the doubles: every Plaid call, Plaid's /item/remove among them,
    and Experian's token and credit-report endpoints."""

    plaid: int = 0
    item_removes: int = 0
    bureau_tokens: int = 0
    bureau_reports: int = 0

    def __sub__(self, before: Calls) -> Calls:
        return Calls(*(getattr(self, f.name) - getattr(before, f.name) for f in fields(self)))


NO_CALLS = Calls()


@dataclass
class Rig:
    """One app server and the doubles behind it."""

    url: str
    log: Path
    plaid: PlaidDouble
    bureau: ExperianDouble
    idp: OidcProvider | None = None
    cookie_secret: str = ""

    def calls(self) -> Calls:
        return Calls(
            plaid=len(self.plaid.requests),
            item_removes=len(self.plaid.calls("/item/remove")),
            bureau_tokens=self.bureau.token_calls,
            bureau_reports=self.bureau.report_calls,
        )

    def tokens_since(self, mark: int) -> set[str]:
        """The access tokens of the Plaid calls made since `mark` (a count of requests)."""
        requests = self.plaid.requests[mark:]
        return {str(r.body["access_token"]) for r in requests if r.body.get("access_token")}

    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)


def operator_settings(plaid: PlaidDouble, bureau: ExperianDouble) -> dict[str, str]:
    """The operator's own bank and applicant, with both upstreams pointed at the doubles."""
    return {
        "DATA_SOURCE": "plaid",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid.url,
        "PLAID_ACCESS_TOKEN": ",".join(plaid.demo_tokens()),
        **bureau.env(),
        "EXPERIAN_APPLICANT": json.dumps(APPLICANT),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "UPSTREAM_BUDGET_SECONDS": "5",
    }


# --- servers and browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium whose resolver answers REBIND_HOST with 127.0.0.1, as a rebinding attacker's
    DNS does; every other name resolves as usual."""
    executable = require_chromium()
    rule = f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, rule]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def signin_rig(tmp_path_factory: pytest.TempPathFactory, idp: OidcProvider) -> Iterator[Rig]:
    """The app with sign-in on, the operator's credentials configured."""
    require_chromium()
    workdir = tmp_path_factory.mktemp("signin_app")
    with PlaidDouble() as plaid, ExperianDouble() as bureau:
        env = operator_settings(plaid, bureau)
        with signin_app(
            "app.py", workdir, idp, extra_secrets=PEOPLE_SETTINGS, extra_env=env
        ) as url:
            secrets = tomllib.loads((workdir / "secrets.toml").read_text(encoding="utf-8"))
            cookie_secret = secrets["auth"]["cookie_secret"]
            yield Rig(url, workdir / "streamlit.log", plaid, bureau, idp, cookie_secret)


@pytest.fixture(scope="module")
def local_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """A local run (no sign-in) holding the operator's credentials, listening on every
    address of this machine."""
    require_chromium()
    log = tmp_path_factory.mktemp("local_app") / "streamlit.log"
    # Every address: the test visits it at this machine's network address too.
    everywhere = ["--server.address", "0.0.0.0"]  # noqa: S104
    with PlaidDouble() as plaid, ExperianDouble() as bureau:
        env = operator_settings(plaid, bureau)
        with streamlit_server(log, env, extra_args=everywhere) as url:
            yield Rig(url, log, plaid, bureau)


def network_address() -> str:
    """One of this machine's own non-loopback IPv4 addresses: a connection to it arrives from
    that address, as a visitor from the network does."""
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False)
    for address in found.stdout.split():
        if re.fullmatch(r"[0-9.]+", address) and not address.startswith("127."):
            return address
    pytest.skip("this machine has no non-loopback IPv4 address to visit the app from")


# --- what a page shows ---------------------------------------------------------------------


def fresh_page(browser: Browser) -> Page:
    return new_page(browser, viewport={"width": 1400, "height": 1000})


def signed_in(browser: Browser, rig: Rig, email: str) -> Page:
    """A new browser session, signed in as `email` through the provider's redirect."""
    assert rig.idp is not None
    page = fresh_page(browser)
    open_app(page, rig.url)
    sign_in(page, rig.idp, email)
    return page


def as_read(locator: Locator) -> str:
    """The text as a person reads it: without the invisible word joiners the app puts in
    addresses so that they stay text, not links."""
    return locator.inner_text().replace("\u2060", "")


def body_text(page: Page) -> str:
    return as_read(page.locator("body"))


def sidebar_links(page: Page) -> Locator:
    return page.get_by_test_id("stSidebarNav")


def expect_only_the_sign_in_page(page: Page) -> None:
    """Why sign-in is needed and the button: no navigation, no data, no app controls."""
    expect(page.get_by_role("heading", level=1, name="Credit Monitor")).to_be_visible()
    expect(page.get_by_text(SIGN_IN_REASON)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(sidebar_links(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Refresh data")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)


def expect_refused(page: Page, email: str, why: str) -> None:
    """The refusal page: whom it refuses and why, a way out, and nothing of the app."""
    alert = page.get_by_test_id("stAlert").filter(has_text=why)
    expect(alert).to_be_visible()
    assert email in as_read(alert)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(sidebar_links(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Refresh data")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)


def on_page(page: Page, link: str) -> None:
    """Open `link` from the sidebar unless it is the page already shown."""
    if page.get_by_role("heading", level=1, name=link).count() == 0:
        go_to(page, link)


def submit(page: Page, button: str) -> None:
    with rerun_after(page):
        page.get_by_role("button", name=button).click()


IDENTITY_COOKIES = {"_streamlit_user", "_streamlit_user_tokens"}


def sign_out(page: Page, rig: Rig) -> None:
    """Sign out: through the provider's end-session page and back to the app's root, with
    Streamlit's identity cookies gone (a page that only looks signed out is not)."""
    with page.expect_navigation(url=f"{rig.url}/"):
        page.get_by_role("button", name="Sign out").click()
    wait_until_idle(page)
    expect_only_the_sign_in_page(page)
    assert not {cookie["name"] for cookie in page.context.cookies(rig.url)} & IDENTITY_COOKIES


def give_operator_consent(page: Page) -> None:
    """On Setup: the applicant comes from EXPERIAN_APPLICANT; the owner ticks the consent."""
    tick_consent(page)
    submit(page, "Give consent and pull my report")
    expect(page.get_by_text("Consent recorded.")).to_be_visible()


# --- 1 to 3: who is refused at the door ----------------------------------------------------


def test_nobody_signed_in_sees_only_the_sign_in_page_even_by_deep_link(
    signin_rig: Rig, page: Page
) -> None:
    """A page named in the address must not be a way past the front door."""
    before = signin_rig.calls()
    # A deep link first, while the server is fresh: its first request runs the page file alone.
    for path in ("/transactions", "/setup", "/"):
        open_app(page, f"{signin_rig.url}{path}")
        expect_only_the_sign_in_page(page)
        expect(page.get_by_role("heading", level=1, name="Transactions")).to_have_count(0)
        expect(page.get_by_role("heading", level=1, name="Setup")).to_have_count(0)
    assert signin_rig.calls() - before == NO_CALLS


def test_a_person_on_no_list_is_refused_and_nothing_is_fetched(
    signin_rig: Rig, idp: OidcProvider, browser: Browser
) -> None:
    """Any account the provider knows can sign in; only the allow-list gets past the door."""
    before = signin_rig.calls()
    page = signed_in(browser, signin_rig, MALLORY)
    try:
        expect_refused(page, MALLORY, NOT_OPEN)
        open_app(page, f"{signin_rig.url}/setup")  # signed in, a deep link changes nothing
        expect_refused(page, MALLORY, NOT_OPEN)
        expect(page.get_by_role("heading", level=1, name="Setup")).to_have_count(0)
        open_app(page, signin_rig.url)  # (Streamlit says "Page not found" over a deep link)
        sign_out(page, signin_rig)  # the way out, to sign in with another account
    finally:
        page.context.close()
    assert idp.sign_outs[-1].email == MALLORY
    assert signin_rig.calls() - before == NO_CALLS


def test_an_unverified_address_of_an_allowed_domain_is_refused(
    signin_rig: Rig, idp: OidcProvider, browser: Browser
) -> None:
    """Anyone can claim an address at some providers: a domain entry trusts only verified
    ones (Streamlit itself lets an unverified address in)."""
    idp.unverified.add(EVE)
    before = signin_rig.calls()
    page = signed_in(browser, signin_rig, EVE)
    try:
        expect_refused(page, EVE, "has not verified the address")
    finally:
        page.context.close()
    assert idp.sign_ins[-1] == EVE  # the provider did sign her in: the app refused
    assert signin_rig.calls() - before == NO_CALLS


# --- 4: an allowed person who is not the owner ---------------------------------------------


def test_an_allowed_person_gets_nothing_of_the_operators_and_a_report_only_for_herself(
    signin_rig: Rig, browser: Browser
) -> None:
    """Being let in is not being the operator: the operator's bank and applicant stay theirs,
    and a bureau pull under the operator's subscriber code is only for the person signed in."""
    mark, before = len(signin_rig.plaid.requests), signin_rig.calls()
    page = signed_in(browser, signin_rig, ALICE)
    try:
        signed_in_as = page.get_by_test_id("stSidebar").get_by_text("Signed in as")
        expect(signed_in_as).to_be_visible()
        assert as_read(signed_in_as) == f"Signed in as {ALICE}"
        expect(page.get_by_text("No accounts connected yet.")).to_be_visible()
        go_to(page, "Setup")
        expect(page.get_by_text(NOTHING_CONNECTED)).to_be_visible()
        expect(page.get_by_role("button", name="Save and pull my report")).to_be_visible()
        shown = body_text(page)
        for operators in (*OPERATOR_BANKS, "Details from the app's configuration", "ending 3456"):
            assert operators not in shown
        # No bank of the operator's in her session: nothing she could remove or disconnect.
        expect(page.get_by_role("button", name="Remove from this session")).to_have_count(0)
        expect(page.get_by_role("button", name="Disconnect", exact=True)).to_have_count(0)
        assert signin_rig.calls() - before == NO_CALLS

        # The operator's applicant, typed in by hand: not her, so not pulled.
        fill_applicant_form(page)
        submit(page, "Save and pull my report")
        expect(page.get_by_test_id("stAlert").filter(has_text=OWN_NAME_ONLY)).to_be_visible()
        assert signin_rig.calls() - before == NO_CALLS

        # Her own name passes the same check: the count above could have moved.
        fill_applicant_form(page, {"First name": "Alice", "Last name": "Smith"})
        submit(page, "Save and pull my report")
        expect(page.get_by_text("Saved. Your report is on the Credit report page.")).to_be_visible()
        go_to(page, "Credit report")
        expect(page.get_by_text(REPORT_SHOWN)).to_be_visible()
    finally:
        page.context.close()
    made = signin_rig.calls() - before
    assert (made.plaid, made.bureau_reports) == (0, 1)
    assert not set(signin_rig.plaid.demo_tokens()) & signin_rig.tokens_since(mark)


# --- 5 and 8: the owner, and the limits ----------------------------------------------------


@dataclass
class OwnerVisit:
    """The owner signed in, with consent given on Setup and the report pulled: the page is
    left on the Credit report."""

    page: Page
    operator_tokens_used: set[str]
    at_overview: Calls  # from before signing in until the Overview was shown
    setup_text: str
    consent_made: Calls  # giving consent on Setup
    report_made: Calls  # opening the Credit report after it


@pytest.fixture(scope="module")
def owner(signin_rig: Rig, browser: Browser) -> Iterator[OwnerVisit]:
    """The owner's visit, once for the module: the tests of the limits need a pull made."""
    mark, before = len(signin_rig.plaid.requests), signin_rig.calls()
    page = signed_in(browser, signin_rig, OWNER)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    at_overview = signin_rig.calls() - before
    go_to(page, "Setup")
    setup_text = body_text(page)
    consenting = signin_rig.calls()
    give_operator_consent(page)
    consent_made = signin_rig.calls() - consenting
    reporting = signin_rig.calls()
    go_to(page, "Credit report")
    expect(page.get_by_text(REPORT_SHOWN)).to_be_visible()
    report_made = signin_rig.calls() - reporting
    tokens = signin_rig.tokens_since(mark)
    yield OwnerVisit(page, tokens, at_overview, setup_text, consent_made, report_made)
    page.context.close()


def test_the_owner_gets_the_operators_banks_and_one_pull_after_consent(
    signin_rig: Rig, owner: OwnerVisit
) -> None:
    """The positive case: without it, every zero in this module could be a broken rig."""
    assert owner.at_overview.plaid > 0
    assert owner.operator_tokens_used == set(signin_rig.plaid.demo_tokens())
    for bank in OPERATOR_BANKS:
        assert bank in owner.setup_text
    assert "Details from the app's configuration" in owner.setup_text
    assert "SSN ending 3456" in owner.setup_text
    assert owner.at_overview.bureau_reports == 0
    assert owner.consent_made == NO_CALLS  # consent alone pulls nothing
    assert owner.report_made.bureau_reports == 1


def test_refresh_again_within_the_interval_is_refused_without_asking_plaid(
    signin_rig: Rig, owner: OwnerVisit
) -> None:
    """Every refresh costs upstream calls: one a person per interval, and never a pull."""
    page = owner.page
    on_page(page, "Credit report")
    # Said in the sidebar, next to the button, and in a toast that fades.
    refused = page.get_by_test_id("stSidebarUserContent").get_by_text(
        "Refreshed a moment ago: the next refresh is possible in"
    )
    before = signin_rig.calls()
    submit(page, "Refresh data")
    expect(page.get_by_text(REPORT_SHOWN)).to_be_visible()
    expect(refused).to_have_count(0)
    first = signin_rig.calls() - before
    assert first.plaid > 0  # the banks were asked again
    assert first.bureau_reports == 0  # a refresh never pulls a report

    submit(page, "Refresh data")
    expect(refused).to_be_visible()
    assert signin_rig.calls() - before == first  # nothing more reached Plaid or Experian


def test_a_pull_over_the_daily_limit_is_refused_without_asking_experian(
    signin_rig: Rig, owner: OwnerVisit
) -> None:
    """Each pull is billed and leaves an inquiry: fresh consent does not lift the daily
    limit (one a person on this server)."""
    page = owner.page
    on_page(page, "Credit report")
    before = signin_rig.calls()
    page.get_by_test_id("stExpander").get_by_text("Pull a new report").first.click()
    tick_consent(page)
    with rerun_after(page):
        page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    limit = page.get_by_test_id("stAlert").filter(
        has_text="the most this app allows a person in a day"
    )
    expect(limit).to_be_visible()
    expect(page.get_by_text(REPORT_SHOWN)).to_be_visible()  # the last report stays on screen
    assert signin_rig.calls() - before == NO_CALLS


def test_the_owner_removes_an_operator_bank_from_the_session_only(
    signin_rig: Rig, owner: OwnerVisit
) -> None:
    """Whoever opens the app must never end the operator's connection at Plaid for good,
    not even the owner from a session."""
    page = owner.page
    on_page(page, "Setup")
    remove = page.get_by_role("button", name="Remove from this session")
    expect(remove).to_have_count(len(OPERATOR_BANKS))
    expect(page.get_by_role("button", name="Disconnect", exact=True)).to_have_count(0)
    before = signin_rig.calls()
    with rerun_after(page):
        remove.first.click()
    expect(page.get_by_text("Removed from this session only.")).to_be_visible()
    expect(remove).to_have_count(len(OPERATOR_BANKS) - 1)
    assert (signin_rig.calls() - before).item_removes == 0
    assert signin_rig.plaid.removed_tokens.isdisjoint(signin_rig.plaid.demo_tokens())


# --- 6, 7: two people at once, and signing out ----------------------------------------------


@dataclass
class TwoPeople:
    """Alice and Bob signed in at the same time, each having connected a sandbox bank; both
    pages are left on Setup, drawn after the connection."""

    alice: Page
    bob: Page
    connected: Calls


@pytest.fixture(scope="module")
def two_people(signin_rig: Rig, browser: Browser) -> Iterator[TwoPeople]:
    alice, bob = signed_in(browser, signin_rig, ALICE), signed_in(browser, signin_rig, BOB)
    before = signin_rig.calls()
    for page, bank in ((alice, ALICE_BANK), (bob, BOB_BANK)):
        go_to(page, "Setup")
        choose_test_bank(page, bank)
    with rerun_after(alice), rerun_after(bob):  # both connects in flight at once
        send_test_bank(alice)
        send_test_bank(bob)
    for page, bank in ((alice, ALICE_BANK), (bob, BOB_BANK)):
        expect(page.get_by_text(f"Connected {bank}.")).to_be_visible()
        # The list of banks is drawn above the form: a new run shows the new connection.
        go_to(page, "Overview")
        go_to(page, "Setup")
    yield TwoPeople(alice, bob, signin_rig.calls() - before)
    alice.context.close()
    bob.context.close()


def connected_banks(page: Page) -> list[str]:
    """The labels in Setup's list of connected banks."""
    section = page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_role("heading", name="Connected banks")
    )
    return [label.strip() for label in section.last.get_by_test_id("stText").all_inner_texts()]


def test_two_people_at_once_each_see_only_the_bank_they_connected(
    two_people: TwoPeople,
) -> None:
    """One server, one process-wide cache, two people connecting at the same moment."""
    assert two_people.connected.plaid > 0
    for page, mine, theirs in (
        (two_people.alice, ALICE_BANK, BOB_BANK),
        (two_people.bob, BOB_BANK, ALICE_BANK),
    ):
        assert connected_banks(page) == [mine]
        shown = body_text(page)
        for other in (theirs, *OPERATOR_BANKS):
            assert other not in shown


def test_signing_out_and_in_again_keeps_nothing_of_before(
    signin_rig: Rig, idp: OidcProvider, two_people: TwoPeople
) -> None:
    """On a shared computer the next person signs in where the last one signed out."""
    page = two_people.alice
    mark = len(signin_rig.plaid.requests)
    sign_out(page, signin_rig)
    assert idp.sign_outs[-1].email == ALICE
    assert idp.sign_outs[-1].redirected
    open_app(page, signin_rig.url)  # the next person at this computer reloads the page
    expect_only_the_sign_in_page(page)

    sign_in(page, idp, ALICE)
    go_to(page, "Setup")
    expect(page.get_by_text(NOTHING_CONNECTED)).to_be_visible()
    expect(page.get_by_text(ALICE_BANK)).to_have_count(0)
    # Nothing asked Plaid about the bank she had before: the new session never held it.
    assert not any(t.startswith("access-sandbox-") for t in signin_rig.tokens_since(mark))


# --- 8 (a person's own bank), 10: disconnect, and the audit trail ----------------------------


@dataclass
class Disconnected:
    kept: Calls  # Disconnect, then "Keep it connected"
    removed: Calls  # Disconnect, then "Disconnect for good"


@pytest.fixture(scope="module")
def bob_disconnected(signin_rig: Rig, two_people: TwoPeople) -> Disconnected:
    """Bob disconnects the bank he connected: first he changes his mind, then he does not."""
    page = two_people.bob
    on_page(page, "Setup")
    dialog = page.get_by_role("dialog")
    before = signin_rig.calls()
    submit(page, "Disconnect")
    expect(dialog.get_by_text("Disconnect this bank?")).to_be_visible()
    with rerun_after(page):
        dialog.get_by_role("button", name="Keep it connected").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Disconnect", exact=True)).to_be_visible()
    kept = signin_rig.calls() - before

    submit(page, "Disconnect")
    with rerun_after(page):
        dialog.get_by_role("button", name="Disconnect for good").click()
    expect(page.get_by_text("Plaid was told to forget the connection")).to_be_visible()
    expect(page.get_by_text(NOTHING_CONNECTED)).to_be_visible()
    return Disconnected(kept, signin_rig.calls() - before)


def test_disconnect_asks_first_and_only_for_good_removes_the_bank_at_plaid(
    signin_rig: Rig, bob_disconnected: Disconnected
) -> None:
    """Removal at Plaid cannot be undone: only the confirmation in the dialog does it."""
    assert bob_disconnected.kept.item_removes == 0
    assert bob_disconnected.removed.item_removes == 1
    removed = signin_rig.plaid.removed_tokens
    assert len(removed) == 1
    assert removed.isdisjoint(signin_rig.plaid.demo_tokens())


AUDIT_LINE = re.compile(
    r"audit event=(?P<event>\w+) who=(?P<who>\S+) at=(?P<at>\S+) outcome=(?P<outcome>\S+)"
)


def test_pulls_connects_and_disconnects_are_audited_without_naming_anyone(
    signin_rig: Rig,
    idp: OidcProvider,
    owner: OwnerVisit,
    two_people: TwoPeople,
    bob_disconnected: Disconnected,
) -> None:
    """An operator can follow who did what, and the log gives away nobody's identity,
    details or credentials (run last: it reads everything the module's tests logged)."""
    log = signin_rig.log.read_text(encoding="utf-8", errors="replace")
    audited = [m.groupdict() for m in AUDIT_LINE.finditer(log)]
    outcomes = {(line["event"], line["outcome"]) for line in audited}
    assert {("credit_pull", "pulled"), ("connect", "connected")} <= outcomes
    assert ("disconnect", "removed_at_plaid") in outcomes
    assert all(re.fullmatch(r"person-[0-9a-f]{24}", line["who"]) for line in audited)
    connects = [line["who"] for line in audited if line["event"] == "connect"]
    assert len(set(connects)) >= 2  # Alice and Bob, told apart without being named

    names = [name_from_email(email) for email in PEOPLE]
    # Not the state (two letters) nor the ZIP code (five digits): a port could carry them.
    applicant = [APPLICANT[k] for k in ("first_name", "last_name", "ssn", "dob", "line1", "city")]
    applicant += ["Alice", "666-12-3456", "1980-07-04"]
    tokens = {
        str(value)
        for request in signin_rig.plaid.requests
        for key, value in request.body.items()
        if key in ("access_token", "public_token")
    }
    secrets = [
        PlaidDouble.SECRET, ExperianDouble.CLIENT_SECRET, ExperianDouble.PASSWORD,
        signin_rig.bureau.bearer, idp.client_secret, signin_rig.cookie_secret,
    ]  # fmt: skip
    never = [*PEOPLE, *names, *applicant, *tokens, *secrets]
    assert tokens  # the check below has tokens to look for
    assert [text for text in never if text.lower() in log.lower()] == []


# --- 9: a local run without sign-in ---------------------------------------------------------


def test_a_visitor_from_the_network_gets_no_operator_credentials(
    local_rig: Rig, page: Page
) -> None:
    """An operator who runs it on 0.0.0.0 without sign-in must not hand their bank and
    bureau account to the network."""
    before = local_rig.calls()
    open_app(page, f"http://{network_address()}:{local_rig.port()}/")
    expect(page.get_by_text(NOT_LOCAL_WARNING)).to_be_visible()
    expect(page.get_by_text("No accounts connected yet.")).to_be_visible()
    go_to(page, "Setup")
    expect(page.get_by_text(NOT_LOCAL_WARNING)).to_be_visible()  # on every page
    expect(page.get_by_text(NOTHING_CONNECTED)).to_be_visible()
    assert "Details from the app's configuration" not in body_text(page)
    fill_applicant_form(page)
    submit(page, "Save and pull my report")
    expect(
        page.get_by_text("Credit reports are pulled only for a person signed in")
    ).to_be_visible()
    assert local_rig.calls() - before == NO_CALLS


def test_a_network_visitor_naming_this_machine_as_the_host_is_still_a_visitor(
    local_rig: Rig, page: Page
) -> None:
    """Any client but a browser can write Host: 127.0.0.1; the address it connects from is
    what it cannot fake. Through the relay the browser does the same."""
    address = network_address()
    before = local_rig.calls()
    with tcp_relay((address, local_rig.port()), source_address=address) as port:
        open_app(page, f"http://127.0.0.1:{port}/")
        expect(page.get_by_text(NOT_LOCAL_WARNING)).to_be_visible()
        expect(page.get_by_text("No accounts connected yet.")).to_be_visible()
        page.context.close()  # before the relay closes its connections under the page
    assert local_rig.calls() - before == NO_CALLS


def test_a_page_rebinding_its_name_to_this_machine_is_still_a_visitor(
    local_rig: Rig, page: Page
) -> None:
    """A web page whose own name resolves to 127.0.0.1 reaches the app over loopback, but
    its requests still name its host."""
    before = local_rig.calls()
    open_app(page, f"http://{REBIND_HOST}:{local_rig.port()}/")
    expect(page.get_by_text(NOT_LOCAL_WARNING)).to_be_visible()
    expect(page.get_by_text("No accounts connected yet.")).to_be_visible()
    assert local_rig.calls() - before == NO_CALLS


def test_the_same_local_run_opened_on_this_machine_loads_the_operators_banks(
    local_rig: Rig, page: Page
) -> None:
    """The same server from this machine: proves the refusals above are not a broken rig."""
    mark, before = len(local_rig.plaid.requests), local_rig.calls()
    open_app(page, local_rig.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    expect(page.get_by_text(NOT_LOCAL_WARNING)).to_have_count(0)
    expect(page.get_by_text("No accounts connected yet.")).to_have_count(0)
    made = local_rig.calls() - before
    assert made.plaid > 0
    assert made.bureau_reports == 0  # no pull without consent, even on this machine
    assert local_rig.tokens_since(mark) == set(local_rig.plaid.demo_tokens())
