"""Two replicas of the app behind one Redis, in headless Chromium: hybrid mode as deployed.

Two ``streamlit run app.py`` servers on two ports, with the same settings: the operator's banks
(PLAID_ACCESS_TOKEN) and applicant (EXPERIAN_APPLICANT), loaded for a visitor on this machine
as a local run without sign-in does, the same TOKEN_ENCRYPTION_KEY and the same REDIS_URL.
Plaid and Experian are local doubles that record every call. A session on replica A loads the
banks and, after consent, the credit report; a new session on replica B then shows the very
same figures with no call to either. Afterwards, every key and value in Redis is searched for
the canaries: credentials, tokens, the key, the applicant and every name in the bank data and
the report.

On the machine's Redis, in a database of this module's own (``REPLICAS_REDIS_URL``, default
database 11), emptied before and after.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Locator, Page, expect

from integrations.experian.client import CREDIT_REPORT_PATH, OAUTH_PATH
from services.runtime.shared_keys import NAME_PREFIX
from tests.support.browser_support import (
    go_to,
    new_page,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
)
from tests.support.experian_double import ExperianDouble
from tests.support.plaid_double import PlaidDouble
from tests.support.redis_canaries import (
    Canary,
    applicant_canaries,
    canaries_in,
    plaid_canaries,
    scan_for_canaries,
)
from tests.support.redis_server import emptied_database
from tests.support.setup_browser import tick_consent

pytestmark = pytest.mark.browser

REPLICAS_REDIS_URL = os.environ.get("REPLICAS_REDIS_URL", "redis://127.0.0.1:6379/11")
# Every Plaid endpoint that reads a bank's data: none may be asked on replica B.
DATA_PATHS = (
    "/item/get",
    "/accounts/get",
    "/transactions/sync",
    "/liabilities/get",
    "/institutions/get_by_id",
)
APPLICANT = {
    "first_name": "Jordan", "last_name": "Demoperson", "dob": "07041980", "ssn": "666123456",
    "line1": "1420 Larkspur Ln", "city": "Springfield", "state": "IL", "zip_code": "62704",
}  # fmt: skip
SHARED_CACHE = "Shared cache: Redis"
CREDIT_SCORE = "Credit score"


@dataclass
class Replicas:
    """Two app servers, the doubles behind them and the Redis they share."""

    a: str
    b: str
    logs: tuple[Path, Path]
    plaid: PlaidDouble
    bureau: ExperianDouble
    redis: redis.Redis
    encryption_key: str

    def calls(self) -> dict[str, int]:
        """How many requests each upstream endpoint has had so far."""
        counted = {path: len(self.plaid.calls(path)) for path in DATA_PATHS}
        counted["every Plaid endpoint"] = len(self.plaid.requests)
        counted[f"Experian {OAUTH_PATH}"] = self.bureau.token_calls
        counted[f"Experian {CREDIT_REPORT_PATH}"] = self.bureau.report_calls
        return counted

    def canaries(self) -> list[Canary]:
        """What must never reach Redis: the settings' secrets, the tokens, the applicant and
        every name in the doubles' bodies."""
        experian = {
            "EXPERIAN_CLIENT_ID": ExperianDouble.CLIENT_ID,
            "EXPERIAN_CLIENT_SECRET": ExperianDouble.CLIENT_SECRET,
            "EXPERIAN_USERNAME": ExperianDouble.USERNAME,
            "EXPERIAN_PASSWORD": ExperianDouble.PASSWORD,
            "the Experian bearer token": self.bureau.bearer,
            "TOKEN_ENCRYPTION_KEY": self.encryption_key,
        }
        return [
            *(Canary(what, text) for what, text in experian.items()),
            *plaid_canaries(self.plaid),
            *applicant_canaries(APPLICANT, self.bureau.report),
        ]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("replicas")
    logs = (workdir / "replica-a.log", workdir / "replica-b.log")
    key = Fernet.generate_key().decode()
    with (
        emptied_database(REPLICAS_REDIS_URL, "REPLICAS_REDIS_URL") as client,
        PlaidDouble() as plaid,
        ExperianDouble() as bureau,
        ExitStack() as servers,
    ):
        settings = {
            "DATA_SOURCE": "plaid",
            "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
            "PLAID_SECRET": PlaidDouble.SECRET,
            "PLAID_BASE_URL": plaid.url,
            "PLAID_ACCESS_TOKEN": ",".join(plaid.demo_tokens()),
            **bureau.env(),
            "EXPERIAN_APPLICANT": json.dumps(APPLICANT),
            "TOKEN_ENCRYPTION_KEY": key,
            "REDIS_URL": REPLICAS_REDIS_URL,
            "UPSTREAM_BUDGET_SECONDS": "10",
        }
        a, b = (servers.enter_context(streamlit_server(log, settings)) for log in logs)
        yield Replicas(a, b, logs, plaid, bureau, client, key)


# --- a session -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """What a session showed, and what it cost upstream."""

    figures: dict[str, str]  # "<page>: <metric label>" -> its value and change, as shown
    sidebar: tuple[str, ...]  # the sidebar's captions
    calls: dict[str, int]  # what its visit added to Replicas.calls()


def metrics(page: Page, title: str) -> dict[str, str]:
    """Every metric on the page, by label: its value and, when shown, its change."""
    shown: dict[str, str] = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        parts = [metric.get_by_test_id("stMetricValue").inner_text().strip()]
        parts += [d.inner_text().strip() for d in metric.get_by_test_id("stMetricDelta").all()]
        shown[f"{title}: {label}"] = " | ".join(parts)
    return shown


def metric_value(page: Page, label: str) -> Locator:
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return metric.get_by_test_id("stMetricValue")


def give_consent(page: Page) -> None:
    """On Setup: the applicant comes from EXPERIAN_APPLICANT; the person ticks the consent."""
    tick_consent(page)
    with rerun_after(page):
        page.get_by_role("button", name="Give consent and pull my report").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()


def visit(browser: Browser, url: str, replicas: Replicas) -> Visit:
    """A new session: the overview, consent on Setup, the overview with the credit score,
    and Transactions; each figure read once the run that drew it is over."""
    before = replicas.calls()
    page = new_page(browser, viewport={"width": 1400, "height": 1000})
    try:
        open_app(page, url)
        expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
        expect(metric_value(page, "Overall utilization")).to_have_text(re.compile(r"\d"))
        go_to(page, "Setup")
        give_consent(page)
        go_to(page, "Overview")
        expect(metric_value(page, CREDIT_SCORE)).to_have_text(re.compile(r"^\d{3}$"))
        figures = metrics(page, "Overview")
        go_to(page, "Transactions")
        expect(metric_value(page, "Transactions")).to_have_text(re.compile(r"\d"))
        figures |= metrics(page, "Transactions")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        sidebar = page.get_by_test_id("stSidebar").get_by_test_id("stCaptionContainer")
        captions = tuple(c.inner_text().strip() for c in sidebar.all())
    finally:
        page.context.close()
    after = replicas.calls()
    return Visit(figures, captions, {name: after[name] - before[name] for name in after})


@dataclass(frozen=True)
class TwoVisits:
    a: Visit
    b: Visit


@pytest.fixture(scope="module")
def two_visits(browser: Browser, replicas: Replicas) -> TwoVisits:
    """A session on replica A, then a new one on replica B."""
    first = visit(browser, replicas.a, replicas)
    return TwoVisits(first, visit(browser, replicas.b, replicas))


def fetched_at(visit: Visit) -> str:
    """The sidebar's "Data fetched 14:05 UTC", without how long ago that is."""
    said = [c for c in visit.sidebar if c.startswith("Data fetched")]
    assert len(said) == 1, visit.sidebar
    return said[0].split(" (", 1)[0]


# --- what each replica showed and asked ----------------------------------------------------


def test_a_session_on_another_replica_shows_the_same_figures_without_any_upstream_call(
    two_visits: TwoVisits,
) -> None:
    a, b = two_visits.a, two_visits.b
    assert all(a.calls[path] > 0 for path in ("/accounts/get", "/transactions/sync"))
    assert a.calls[f"Experian {CREDIT_REPORT_PATH}"] == 1
    assert {name: count for name, count in b.calls.items() if count} == {}
    assert {"Overview: Overall utilization", "Overview: Credit score"} <= set(a.figures)
    assert "Transactions: Transactions" in a.figures
    assert b.figures == a.figures
    assert fetched_at(b) == fetched_at(a)  # the fetch replica A made, not one of B's own


def test_both_replicas_say_the_shared_cache_is_redis(two_visits: TwoVisits) -> None:
    for shown in (two_visits.a, two_visits.b):
        assert SHARED_CACHE in shown.sidebar
        assert not [c for c in shown.sidebar if "shared cache" in c.lower() and c != SHARED_CACHE]


# --- what Redis holds afterwards -----------------------------------------------------------


def test_redis_holds_no_canary_after_both_replicas_ran(
    replicas: Replicas, two_visits: TwoVisits
) -> None:
    names = [key.decode() for key in replicas.redis.scan_iter(count=500)]
    kinds = sorted(name.removeprefix(NAME_PREFIX).split(":")[0] for name in names)
    assert kinds.count("item") == 2, names  # the operator's two banks
    assert kinds.count("report") == 1, names  # the applicant's report
    canaries = replicas.canaries()
    scan = scan_for_canaries(replicas.redis, canaries)
    assert scan.said() == []
    assert scan.keys == len(names)
    assert scan.looked_for >= 150, scan.left_out  # most canaries are long enough to search for
    for log in replicas.logs:  # nor do the replicas' logs
        assert [c.what for c in canaries_in(log.read_bytes(), canaries)] == []


def test_the_scan_finds_a_canary_written_in_clear(
    replicas: Replicas, two_visits: TwoVisits
) -> None:
    """The scan above cannot pass for want of looking: canaries written into this Redis in
    clear, as strings, a hash field and a list element, in capitals or JSON, are each found
    where they were written, and nowhere else."""
    canaries = replicas.canaries()

    def first(what: str, ascii_only: bool = True) -> Canary:
        return min(
            (c for c in canaries
             if c.what == what and c.text.isascii() == ascii_only and not c.occurs_by_chance()),
            key=lambda c: c.text,
        )  # fmt: skip

    client = replicas.redis
    token, secret = first("a Plaid access token"), first("PLAID_SECRET")
    ssn, merchant = first("the applicant's ssn"), first("a name in the bank data")
    foreign = first("a name in the bank data", ascii_only=False)
    written = {
        b"canary-probe:token": token,
        b"canary-probe:capitals": merchant,
        b"canary-probe:escaped": foreign,
        b"canary-probe:hash": ssn,
        b"canary-probe:list": secret,
    }
    try:
        client.set(b"canary-probe:token", token.text)
        client.set(b"canary-probe:capitals", json.dumps({"merchant": merchant.text.upper()}))
        client.set(b"canary-probe:escaped", json.dumps(foreign.text))  # non-ASCII as \u escapes
        client.hset(b"canary-probe:hash", "ssn", ssn.text)
        client.rpush(b"canary-probe:list", f"secret={secret.text}")
        scan = scan_for_canaries(client, canaries)
    finally:
        client.delete(*written)
    found = {(finding.key, finding.canary) for finding in scan.found}
    assert set(written.items()) <= found
    assert {key for key, _ in found} == set(written)  # nothing else in Redis holds a canary
    assert scan_for_canaries(client, canaries).said() == []
