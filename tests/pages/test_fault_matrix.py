"""Every way Plaid or Experian can fail, through the real clients, in one table.

For each fault: how many attempts were made (bounded), how long it took (bounded by the call
budget), the code and action the person gets, that the page still renders with whatever else
exists, and that nothing is logged at ERROR, with a traceback, or with a secret. The rows are
printed as a table at the end of the run (tests/conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import requests
import responses

from integrations.common.errors import UpstreamError
from integrations.common.retry import RetryPolicy
from integrations.common.secret import Secret
from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from integrations.experian.client import Applicant, ExperianClient
from integrations.plaid import client as plaid_client_module
from integrations.plaid.client import PlaidClient, Timeouts
from services.runtime.loaders import WITHOUT_TRANSACTIONS
from services.views.format import plain
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.experian_support import (
    BEARER,
    CLIENT_SECRET,
    DOB,
    HOST,
    PASSWORD,
    REPORT_URL,
    SSN,
    TOKEN_URL,
    answer_with_report,
    seeded,
)
from tests.support.plaid_double import Fault, PlaidDouble

BUDGET = 4.0
READ_TIMEOUT = 0.5


@dataclass(frozen=True)
class MatrixRow:
    service: str
    fault: str
    attempts: int
    seconds: float
    code: str
    action: str
    page: str


MATRIX: list[MatrixRow] = []


class Sleeps:
    """Records backoff waits instead of sleeping: attempts = waits + 1."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    def clock(self) -> float:
        """Time as the retry policy sees it: the real time plus the waits it was spared."""
        return time.monotonic() + sum(self.waits)


def assert_clean_log(caplog: pytest.LogCaptureFixture, *canaries: str) -> None:
    for record in caplog.records:
        if record.name.startswith("credit_monitor"):
            assert record.levelno < logging.ERROR, record.getMessage()
        assert record.exc_info is None, record.getMessage()
        for canary in canaries:
            assert canary not in record.getMessage()


def measure(call: Callable[[], object]) -> tuple[UpstreamError | None, float]:
    started = time.monotonic()
    try:
        call()
    except UpstreamError as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


# --- Plaid ---------------------------------------------------------------------------------


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A loopback port whose accept queue is full: connecting to it times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}"
    for sock in [*fillers, listener]:
        sock.close()


def with_pages(item: DemoPlaidItem, change: Callable[[dict[str, Any]], None]) -> DemoPlaidItem:
    pages = copy.deepcopy(item.transactions_sync_pages)
    for page in pages:
        change(page)
    return replace(item, transactions_sync_pages=tuple(pages))


def changed_schema(item: DemoPlaidItem) -> DemoPlaidItem:
    """Extra fields, unknown enum and category values: tolerated, the data still shows."""

    def change(page: dict[str, Any]) -> None:
        page["brand_new_field"] = {"nested": [1, 2, 3]}
        for transaction in page["added"][:50]:
            transaction["payment_channel"] = "telepathy"
            transaction["personal_finance_category"]["primary"] = "SPACE_TRAVEL"
            transaction["personal_finance_category"]["detailed"] = "SPACE_TRAVEL_MOON"
            transaction["unheard_of"] = True

    return with_pages(item, change)


def wrong_types(item: DemoPlaidItem) -> DemoPlaidItem:
    def change(page: dict[str, Any]) -> None:
        if page["added"]:
            page["added"][0]["amount"] = "twelve dollars"

    return with_pages(item, change)


def missing_transaction_fields(item: DemoPlaidItem) -> DemoPlaidItem:
    def change(page: dict[str, Any]) -> None:
        for transaction in page["added"][:3]:
            del transaction["transaction_id"]

    return with_pages(item, change)


def huge(item: DemoPlaidItem) -> DemoPlaidItem:
    """One sync page carrying 20,000 transactions (about 20 MB of JSON)."""
    first = copy.deepcopy(item.transactions_sync_pages[0])
    template = first["added"]
    first["added"] = [
        {**template[n % len(template)], "transaction_id": f"huge-{n}"} for n in range(20_000)
    ]
    first["has_more"] = False
    return replace(item, transactions_sync_pages=(first,))


@dataclass(frozen=True)
class PlaidCase:
    name: str
    fault: Fault | None = None
    path: str = "/accounts/get"
    bodies: Callable[[DemoPlaidItem], DemoPlaidItem] | None = None
    host: str | None = None  # "blackhole" for a connect timeout
    secret: str = PlaidDouble.SECRET
    code: str | None = None  # None: the item still loads
    on_page: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    # What the case is about is not the read timeout: the double takes a while to serialise
    # a huge body on a busy machine, and 0.5 s made that case flaky.
    read_timeout: float = READ_TIMEOUT
    # A lower MAX_SYNC_PAGES, so that a history longer than the cap needs no 200,000 rows.
    sync_page_cap: int | None = None


ALWAYS = 999
PLAID_CASES = [
    PlaidCase("connect timeout", host="blackhole", code="TIMEOUT"),
    PlaidCase("read timeout", Fault("slow", delay=3, times=ALWAYS), code="TIMEOUT"),
    PlaidCase("connection reset", Fault("reset", times=ALWAYS), code="UNREACHABLE"),
    PlaidCase("429 rate limit", Fault("http_status", status=429, times=ALWAYS),
              code="RATE_LIMIT"),
    PlaidCase("500", Fault("http_status", status=500, times=ALWAYS),
              code="INTERNAL_SERVER_ERROR"),
    PlaidCase("503", Fault("http_status", status=503, times=ALWAYS),
              code="INTERNAL_SERVER_ERROR"),
    PlaidCase("INSTITUTION_DOWN", Fault("plaid_error", error_type="INSTITUTION_ERROR",
              error_code="INSTITUTION_DOWN", times=ALWAYS), code="INSTITUTION_DOWN"),
    PlaidCase("ITEM_LOGIN_REQUIRED", Fault("plaid_error", error_type="ITEM_ERROR",
              error_code="ITEM_LOGIN_REQUIRED", times=ALWAYS), code="ITEM_LOGIN_REQUIRED"),
    PlaidCase("INVALID_ACCESS_TOKEN", Fault("plaid_error", error_type="INVALID_INPUT",
              error_code="INVALID_ACCESS_TOKEN", times=ALWAYS), code="INVALID_ACCESS_TOKEN"),
    PlaidCase("INVALID_API_KEYS", secret="wrong-secret", code="INVALID_API_KEYS"),
    PlaidCase("malformed JSON", Fault("malformed_json", times=ALWAYS),
              code="MALFORMED_RESPONSE"),
    PlaidCase("truncated body", Fault("truncated", times=ALWAYS), code="UNREACHABLE"),
    PlaidCase("200 missing a field", Fault("missing_field", missing="accounts", times=ALWAYS),
              code="MALFORMED_RESPONSE"),
    PlaidCase("200 with a wrong type", bodies=wrong_types, code="MALFORMED_RESPONSE"),
    PlaidCase("transactions missing ids", bodies=missing_transaction_fields,
              code="MALFORMED_RESPONSE"),
    PlaidCase("extra fields, unknown enums and categories", bodies=changed_schema),
    PlaidCase("huge body (20,000 transactions)", bodies=huge, on_page=False, read_timeout=3.0),
    PlaidCase("sync cursor never moves on", Fault("stuck_cursor", times=ALWAYS),
              path="/transactions/sync", code="SYNC_CURSOR_REPEATED"),
    PlaidCase("sync longer than the page cap (4 of 8 pages)", path="/transactions/sync",
              sync_page_cap=4, code="SYNC_TOO_MANY_PAGES"),
]  # fmt: skip


def plaid_client(
    host: str, secret: str, sleeps: Sleeps, read_timeout: float = READ_TIMEOUT
) -> PlaidClient:
    return PlaidClient(
        host=host,
        client_id=PlaidDouble.CLIENT_ID,
        secret=secret,
        timeouts=Timeouts(connect=READ_TIMEOUT, read=read_timeout),
        policy=RetryPolicy(budget_seconds=BUDGET, sleep=sleeps, clock=sleeps.clock),
        sleep=sleeps,
        poll_delay=0.01,
    )


def arrange(case: PlaidCase, double: PlaidDouble, blackhole: str) -> tuple[str, str, str]:
    """Apply the case to the first demo item; return (host, broken token, healthy token)."""
    broken, healthy = double.demo_tokens()
    if case.fault is not None:
        double.inject(case.path, case.fault, access_token=broken)
    if case.bodies is not None:
        item = next(i for i in plaid_demo_items(TODAY) if i.access_token == broken)
        double.add_item(broken, case.bodies(item))
    return (blackhole if case.host == "blackhole" else double.url), broken, healthy


def page_shows(
    case: PlaidCase, monkeypatch: pytest.MonkeyPatch, host: str, tokens: list[str]
) -> str:
    monkeypatch.setenv("PLAID_CLIENT_ID", PlaidDouble.CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", case.secret)
    monkeypatch.setenv("PLAID_BASE_URL", host)
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))
    monkeypatch.setenv("UPSTREAM_BUDGET_SECONDS", str(BUDGET))
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", str(READ_TIMEOUT))
    monkeypatch.setenv("UPSTREAM_CONNECT_TIMEOUT_SECONDS", str(READ_TIMEOUT))
    at = app_test(timeout=120).run()
    at.switch_page("pages/cards.py").run()
    assert not at.exception
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    problems = [w.value for w in at.warning if "needs attention" in w.value]
    shown = set(at.dataframe[0].value["institution"]) if at.dataframe else set()
    if case.code is None:
        assert problems == []
        return "all data shown"
    assert problems, "the failing bank gets its own card"
    if case.host == "blackhole" or case.code == "INVALID_API_KEYS":
        return f"{len(problems)} problem card(s), nothing else to show"
    if any(plain(WITHOUT_TRANSACTIONS) in problem for problem in problems):
        # The transactions failed after the failing bank's cards had come in: they stay.
        assert shown == {"Harborline Bank", "Juniper Card Services"}, shown
        return "problem card + its cards + other bank's data"
    assert shown == {"Juniper Card Services"}, shown
    return "problem card + other bank's data"


@pytest.mark.parametrize("case", PLAID_CASES, ids=lambda c: c.name)
def test_plaid_fault(
    case: PlaidCase,
    plaid_double: PlaidDouble,
    blackhole: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    if case.sync_page_cap is not None:
        monkeypatch.setattr(plaid_client_module, "MAX_SYNC_PAGES", case.sync_page_cap)
    host, broken, healthy = arrange(case, plaid_double, blackhole)
    sleeps = Sleeps()
    client = plaid_client(host, case.secret, sleeps, case.read_timeout)
    error, seconds = measure(lambda: client.fetch_item(broken))
    assert (error.code if error else None) == case.code
    attempts = len(sleeps.waits) + 1
    assert attempts <= 3
    assert sum(sleeps.waits) <= BUDGET  # the waits between attempts stay within the budget
    if error is not None:
        assert error.user_message
        assert broken not in str(error)
    shown = page_shows(case, monkeypatch, host, [broken, healthy]) if case.on_page else "n/a"
    assert_clean_log(caplog, broken, healthy, PlaidDouble.SECRET)
    MATRIX.append(
        MatrixRow(
            "Plaid",
            case.name,
            attempts,
            seconds,
            error.code if error else "ok",
            error.action.value if error else "-",
            shown,
        )
    )


# --- Experian ------------------------------------------------------------------------------


def experian_body(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(experian_demo_report(TODAY))
    change(body["creditProfile"][0])
    return body


def wrong_experian_types(profile: dict[str, Any]) -> None:
    profile["riskModel"][0]["score"] = 712  # a number where a string belongs
    profile["tradeline"] = {"not": "a list"}
    profile["inquiry"][0]["date"] = "yesterday"


def unknown_codes(profile: dict[str, Any]) -> None:
    profile["newSection"] = [{"anything": "at all"}]
    for line in profile["tradeline"]:
        line["accountType"] = "ZZ"
        line["status"] = "Q9"
        line["paymentHistory"] = "?" + line["paymentHistory"][1:]


def huge_report(profile: dict[str, Any]) -> None:
    profile["tradeline"] = profile["tradeline"] * 500  # 5,000 tradelines


@dataclass(frozen=True)
class ExperianCase:
    name: str
    answer: dict[str, Any]
    code: str | None
    repeat: int = 3
    token_answer: dict[str, Any] | None = None


EXPERIAN_CASES = [
    ExperianCase("connect timeout", {"body": requests.exceptions.ConnectTimeout()}, "TIMEOUT"),
    ExperianCase("read timeout", {"body": requests.exceptions.ReadTimeout()}, "REPORT_TIMEOUT"),
    ExperianCase("connection reset", {"body": requests.exceptions.ConnectionError()},
                 "UNREACHABLE"),
    ExperianCase("429 rate limit", {"status": 429, "body": "slow down"}, "RATE_LIMITED"),
    ExperianCase("500", {"status": 500, "body": "oops"}, "SERVICE_UNAVAILABLE"),
    ExperianCase("503", {"status": 503, "body": "down"}, "SERVICE_UNAVAILABLE"),
    ExperianCase("401 after a fresh token", {"status": 401, "body": ""}, "UNAUTHORIZED"),
    ExperianCase("bad credentials", {"json": {}}, "BAD_CREDENTIALS",
                 token_answer={"status": 401, "json": {"error": "invalid_client"}}),
    ExperianCase("inquiry not allowed (76)",
                 {"status": 400, "json": {"errorCode": "76", "message": "INQUIRY NOT ALLOWED"}},
                 "INQUIRY_NOT_ALLOWED"),
    ExperianCase("malformed JSON", {"status": 200, "body": "{not json"}, "MALFORMED_RESPONSE"),
    ExperianCase("truncated body", {"body": requests.exceptions.ChunkedEncodingError()},
                 "MALFORMED_RESPONSE"),
    ExperianCase("200 without creditProfile", {"json": {"other": []}}, "NO_CREDIT_PROFILE"),
    ExperianCase("200 with wrong types", {"json": experian_body(wrong_experian_types)}, None),
    ExperianCase("extra fields and unknown codes", {"json": experian_body(unknown_codes)}, None),
    ExperianCase("huge body (5,000 tradelines)", {"json": experian_body(huge_report)}, None),
]  # fmt: skip


def applicant() -> Applicant:
    return Applicant.create(
        first_name="Jordan", last_name="Demoperson", dob=DOB, ssn=SSN, line1="1 Main St",
        city="Springfield", state="IL", zip_code="62704",
    )  # fmt: skip


def answer(mock: responses.RequestsMock, case: ExperianCase) -> None:
    mock.replace(responses.POST, TOKEN_URL, **(case.token_answer or {
        "json": {"access_token": BEARER, "expires_in": "1800"}}))  # fmt: skip
    for _ in range(case.repeat):
        answer_with_report(mock, **case.answer)


@pytest.mark.parametrize("case", EXPERIAN_CASES, ids=lambda c: c.name)
def test_experian_fault(
    case: ExperianCase, experian: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer(experian, case)
    sleeps = Sleeps()
    client = ExperianClient(
        host=HOST, client_id="experian-client", client_secret=Secret(CLIENT_SECRET),
        username="experian-user", password=Secret(PASSWORD), subscriber_code=None,
        connect_timeout=READ_TIMEOUT, read_timeout=READ_TIMEOUT,
        policy=RetryPolicy(budget_seconds=BUDGET, sleep=sleeps, clock=sleeps.clock),
    )  # fmt: skip
    error, seconds = measure(lambda: client.credit_report(applicant()))
    assert (error.code if error else None) == case.code
    attempts = sum(call.request.url == REPORT_URL for call in experian.calls)
    assert attempts <= 3 + 1  # three attempts, plus one after a fresh token on a 401
    assert sum(sleeps.waits) <= BUDGET  # the waits between attempts stay within the budget

    answer(experian, case)
    at = seeded("pages/credit_report.py")
    assert not at.exception
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    warnings = " ".join(w.value for w in at.warning)
    if error is not None:
        assert plain(error.user_message) in warnings
    shown = "report shown" if any(m.label == "Credit score" for m in at.metric) else "message"
    assert_clean_log(caplog, SSN, DOB, PASSWORD, CLIENT_SECRET, BEARER)
    MATRIX.append(
        MatrixRow(
            "Experian",
            case.name,
            attempts,
            seconds,
            error.code if error else "ok",
            error.action.value if error else "-",
            shown,
        )
    )
