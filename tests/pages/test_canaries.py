"""Canary secrets and personal data planted everywhere, looked for everywhere.

Planted in settings, in the session (sealed tokens and applicant) and in upstream answers
(Plaid error texts, Experian bodies that echo the request); looked for in captured logs,
every page's elements, exception texts, query parameters, the CSV downloads and the
arguments Streamlit hashes into cache keys. A property-based run feeds a few hundred
generated upstream errors and settings through the same paths. The number of canaries
tried is printed with the summary.
"""

from __future__ import annotations

import json
import logging

import pandas as pd
import plaid
import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import plaid_demo_items
from integrations.plaid.client import error_from_api_exception
from services.runtime.settings import SettingsError, parse_settings
from services.views.export import to_csv_bytes
from tests.support.clock import TODAY
from tests.support.experian_support import (
    BEARER,
    CLIENT_SECRET,
    DOB,
    KEY,
    PASSWORD,
    SSN,
    answer_with_report,
    seeded,
)
from tests.support.plaid_double import Fault, PlaidDouble
from tests.support.streamlit_internals import record_hashed_arguments

PLAID_TOKEN_CANARY = "access-sandbox-canary-0000-1111-2222"
CANARIES = {
    "Plaid access token": PLAID_TOKEN_CANARY,
    "Plaid secret": PlaidDouble.SECRET,
    "Plaid client id": PlaidDouble.CLIENT_ID,
    "Experian password": PASSWORD,
    "Experian client secret": CLIENT_SECRET,
    "Experian bearer token": BEARER,
    "Fernet key": KEY,
    "SSN": SSN,
    "date of birth": DOB,
}
TRIED: dict[str, int] = {"canaries": len(CANARIES), "generated inputs": 0, "places": 0}
PAGES = ("overview", "cards", "transactions", "bills", "credit_report", "setup")


@pytest.fixture
def hashed_arguments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argument Streamlit hashes into a cache key, as text."""
    return record_hashed_arguments(monkeypatch)


def assert_no_canary(*texts: str) -> None:
    TRIED["places"] += len(texts)
    joined = "\n".join(texts)
    for what, canary in CANARIES.items():
        assert canary not in joined, f"{what} leaked"


def page_texts(at: AppTest) -> list[str]:
    return [
        str([e.proto for e in at.main]),
        str([e.proto for e in at.sidebar]),
        str([e.value for e in at.exception]),
        str(at.query_params),
        str(at.session_state),
    ]


def test_no_canary_on_any_page_in_any_fault(
    monkeypatch: pytest.MonkeyPatch,
    plaid_double: PlaidDouble,
    experian: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    hashed_arguments: list[str],
    downloads: dict[str, pd.DataFrame],
) -> None:
    caplog.set_level(logging.DEBUG)
    healthy = plaid_double.demo_tokens()[1]
    first = plaid_double.demo_tokens()[0]
    bodies = next(i for i in plaid_demo_items(TODAY) if i.access_token == first)
    plaid_double.add_item(PLAID_TOKEN_CANARY, bodies)
    for name, value in {
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "PLAID_ACCESS_TOKEN": f"{PLAID_TOKEN_CANARY},{healthy}",
        "UPSTREAM_BUDGET_SECONDS": "2",
        "UPSTREAM_READ_TIMEOUT_SECONDS": "0.5",
    }.items():
        monkeypatch.setenv(name, value)
    faults = [
        None,
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED",
              display_message=f"token {PLAID_TOKEN_CANARY} ssn {SSN}", times=999),
        Fault("http_status", status=500, times=999),
        Fault("malformed_json", times=999),
    ]  # fmt: skip
    experian_answers = [
        {"json": experian_demo_report(TODAY)},
        {"status": 400, "json": {"message": f"bad ssn {SSN} dob {DOB} token {BEARER}"}},
        {"status": 200, "body": f"{{not json {SSN}"},
    ]  # fmt: skip
    for fault, answer in zip(faults, [*experian_answers, experian_answers[1]], strict=True):
        if fault is not None:
            plaid_double.inject("/accounts/get", fault, access_token=PLAID_TOKEN_CANARY)
        for _ in range(3):
            answer_with_report(experian, **answer)
        at = seeded()
        for page in PAGES:
            at.switch_page(f"pages/{page}.py").run()
            assert not at.exception
            assert not [e.value for e in at.error if "Something went wrong" in e.value], page
            assert_no_canary(*page_texts(at))
        # What a person takes away: every CSV the pages offered, as the button writes it.
        assert_no_canary(*(to_csv_bytes(frame).decode() for frame in downloads.values()))
    assert {"cards_csv", "tx_csv", "bills_csv", "tl_csv", "inq_csv"} <= set(downloads)
    assert_no_canary(caplog.text, *hashed_arguments)
    assert hashed_arguments, "cache keys were looked at"


plaid_codes = st.sampled_from(
    ["ITEM_LOGIN_REQUIRED", "INSTITUTION_DOWN", "INVALID_API_KEYS", "RATE_LIMIT", "X" * 40]
)
canary_text = st.builds(
    lambda prefix, canary, suffix: f"{prefix}{canary}{suffix}",
    st.text(max_size=30),
    st.sampled_from(sorted(CANARIES.values())),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([400, 401, 429, 500, 503]),
    code=plaid_codes,
    message=canary_text,
    display=st.one_of(st.none(), canary_text),
)
def test_generated_plaid_errors_never_carry_a_canary(
    status: int, code: str, message: str, display: str | None
) -> None:
    body = {
        "error_type": "ITEM_ERROR",
        "error_code": code,
        "error_message": message,
        "display_message": display,
        "request_id": "req-1",
    }
    exception = plaid.ApiException(status=status, reason=message)
    exception.body = json.dumps(body)
    error = error_from_api_exception(exception)
    TRIED["generated inputs"] += 1
    assert_no_canary(str(error), error.user_message, error.describe())


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["PLAID_ENV", "CACHE_TTL_SECONDS", "PLAID_PRODUCTS",
                             "TOKEN_ENCRYPTION_KEY", "EXPERIAN_APPLICANT", "PLAID_BASE_URL"]),
       value=canary_text)  # fmt: skip
def test_generated_bad_settings_never_echo_a_canary(name: str, value: str) -> None:
    TRIED["generated inputs"] += 1
    try:
        parse_settings({name: value})
    except SettingsError as problem:
        assert_no_canary(str(problem))
