"""Hostile upstream text in a real browser: `streamlit run` talks to the local Plaid double
and to a stand-in Experian, both serving the bodies of tests/support/hostile_text.py, and headless
Chromium visits every page (every tab too). Whatever the page shows, no link, image, script,
formula, coloured span or code block comes out of upstream text, no JavaScript dialog opens,
and the hostile text can be read as it was sent.

One tour of the app (a single browser session, as a person would click through) collects
what each page holds; the tests below judge it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect

from tests.support import hostile_text as hostile
from tests.support.browser_support import (
    go_to,
    new_page,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
    wait_until_idle,
)
from tests.support.clock import TODAY
from tests.support.experian_double import ExperianDouble
from tests.support.plaid_double import PlaidDouble

pytestmark = pytest.mark.browser

APPLICANT = {
    "first_name": "Jordan", "last_name": "Demoperson", "dob": "07041980", "ssn": "666123456",
    "line1": "1420 Larkspur Ln", "city": "Springfield", "state": "IL", "zip_code": "62704",
}  # fmt: skip
# (link in the sidebar, tabs to open on that page)
TOUR = (
    ("Overview", ()),
    ("Cards", ()),
    ("Transactions", ("Transactions", "Charts", "Recurring payments", "Unusual activity")),
    ("Credit report", ("Accounts", "Payment history", "Inquiries", "Public records",
                       "Cross-check with your banks", "Personal information")),
    ("Setup", ()),
)  # fmt: skip

# Everything upstream text could turn into, counted in the live DOM.
FINDINGS_SCRIPT = """
() => {
  const count = (selector) => document.querySelectorAll(selector).length;
  const texts = (selector) => [...document.querySelectorAll(selector)].map(e => e.textContent);
  return {
    "evil images": count('img[src*="evil"], img[src="x"], image[href*="evil"]'),
    "evil links": count('a[href*="evil"], a[href^="javascript"]'),
    "onerror attributes": count('[onerror]'),
    "scripts calling alert": [...document.scripts]
        .filter(s => s.textContent.includes("alert(1)")).length,
    "formulas": count('.katex, math'),
    "coloured boom": texts('span, mark').filter(t => t.trim() === "boom").length,
    "warning icons": texts('[data-testid="stIconMaterial"]')
        .filter(t => t.trim() === "warning").length,
    "code blocks from upstream": texts('code, pre').filter(t => t.includes("import os")).length,
    "exceptions": count('[data-testid="stException"]'),
    "page failures": document.body.innerText.includes("Something went wrong") ? 1 : 0,
  };
}
"""


@dataclass
class Tour:
    findings: dict[str, dict[str, int]] = field(default_factory=dict)  # place -> what -> count
    alert_text: dict[str, str] = field(default_factory=dict)  # page -> text of its alerts
    page_text: dict[str, str] = field(default_factory=dict)  # page -> visible text
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def experian_double() -> Iterator[ExperianDouble]:
    with ExperianDouble(hostile.hostile_experian_report(TODAY)) as double:
        yield double


@pytest.fixture(scope="module")
def hostile_double() -> Iterator[PlaidDouble]:
    with PlaidDouble() as double:
        bank, cards = hostile.hostile_plaid_items(TODAY)
        for item in (bank, cards):
            double.add_item(item.access_token, item)
        double.inject("/item/get", hostile.broken_item_fault(), access_token=hostile.BROKEN_TOKEN)
        double.inject(
            "/liabilities/get", hostile.no_liabilities_fault(), access_token=cards.access_token
        )
        yield double


@pytest.fixture(scope="module")
def hostile_url(
    tmp_path_factory: pytest.TempPathFactory,
    hostile_double: PlaidDouble,
    experian_double: ExperianDouble,
) -> Iterator[str]:
    require_chromium()
    log = tmp_path_factory.mktemp("untrusted_server") / "streamlit.log"
    env = {
        "DATA_SOURCE": "plaid",
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": hostile_double.url,
        "PLAID_ACCESS_TOKEN": ",".join((*hostile.HOSTILE_TOKENS, hostile.BROKEN_TOKEN)),
        **experian_double.env(),
        "EXPERIAN_APPLICANT": json.dumps(APPLICANT),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "UPSTREAM_BUDGET_SECONDS": "5",
    }
    with streamlit_server(log, env) as url:
        yield url


def _as_read(texts: list[str]) -> str:
    """What a person reads: the invisible word joiners that keep bare URLs text left out."""
    return " ".join(texts).replace("\u2060", "")


def _read(page: Page) -> tuple[list[str], list[str]]:
    """The alerts and captions on screen, and the whole page's text."""
    alerts = page.get_by_test_id("stAlert").all_inner_texts()
    alerts += page.get_by_test_id("stCaptionContainer").all_inner_texts()
    return alerts, [page.locator("body").inner_text()]


def _look(page: Page, tour: Tour, place: str) -> None:
    tour.findings[place] = page.evaluate(FINDINGS_SCRIPT)


def _give_consent(page: Page) -> None:
    """The applicant comes from EXPERIAN_APPLICANT; the person still consents on Setup."""
    go_to(page, "Setup")
    page.get_by_test_id("stCheckbox").filter(has_text="I instruct the app").click()  # in a form
    with rerun_after(page):
        page.get_by_role("button", name="Give consent and pull my report").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()


@pytest.fixture(scope="module")
def tour(hostile_url: str, browser: Browser) -> Iterator[Tour]:
    """Every page and tab once, after consent, in one browser session."""
    seen = Tour()
    page = new_page(browser, viewport={"width": 1400, "height": 1000})
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    try:
        open_app(page, hostile_url)
        expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
        _look(page, seen, "first load")
        _give_consent(page)
        _look(page, seen, "consent")
        for link, tabs in TOUR:
            go_to(page, link)
            _look(page, seen, link)
            alerts, bodies = _read(page)
            for tab in tabs:
                page.get_by_role("tab", name=tab).click()
                # A tab may be drawn only once it is open (the transactions page): then its
                # content appears in the run the click starts, and that run has to finish.
                panel = page.locator('[role="tabpanel"]:visible [data-testid="stElementContainer"]')
                panel.first.wait_for()
                wait_until_idle(page)
                _look(page, seen, f"{link} / {tab}")
                more_alerts, more_bodies = _read(page)
                alerts, bodies = alerts + more_alerts, bodies + more_bodies
            seen.alert_text[link] = _as_read(alerts)
            seen.page_text[link] = _as_read(bodies)
        yield seen
    finally:
        page.context.close()


def test_no_link_image_script_or_directive_comes_from_upstream_text(tour: Tour) -> None:
    assert len(tour.findings) == 2 + len(TOUR) + sum(len(tabs) for _, tabs in TOUR)
    made = {
        place: {what: n for what, n in found.items() if n}
        for place, found in tour.findings.items()
        if any(found.values())
    }
    assert made == {}


def test_no_javascript_dialog_opens(tour: Tour) -> None:
    assert tour.dialogs == []


def test_the_hostile_report_was_pulled_once_for_the_whole_tour(
    tour: Tour, experian_double: ExperianDouble
) -> None:
    assert (experian_double.token_calls, experian_double.report_calls) == (1, 1)


def test_hostile_names_read_as_literal_text_in_alerts_and_captions(tour: Tour) -> None:
    shown = " ".join(tour.alert_text.values())
    for markup in hostile.MARKUP:
        assert " ".join(markup.split()) in shown, markup
    assert hostile.HOSTILE_ERROR_CODE in tour.alert_text["Overview"]  # the failing bank's code
    assert "evil.exe" in tour.page_text["Credit report"]  # the right-to-left message
    assert hostile.SCRIPT in tour.page_text["Credit report"]  # a bureau message, st.text
