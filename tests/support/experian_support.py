"""Experian answered by `responses` for page tests: settings, a session already holding
consent and sealed details, and the canaries that must never show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import responses
from cryptography.fernet import Fernet
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from services.runtime.cache_keys import keyed_hash
from services.runtime.credit_file import Consent, SealedApplicant
from services.runtime.vault import TokenVault
from tests.support.apps import app_test
from tests.support.clock import TODAY

HOST = "https://experian.test"
TOKEN_URL = f"{HOST}/oauth2/v1/token"
REPORT_URL = f"{HOST}/consumerservices/credit-profile/v2/credit-report"
SSN = "666123456"
DOB = "07041980"
PASSWORD = "experian-password-canary"
CLIENT_SECRET = "experian-client-secret-canary"
BEARER = "bearer-token-canary-0123456789"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def experian(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    for name, value in {
        "EXPERIAN_CLIENT_ID": "experian-client",
        "EXPERIAN_CLIENT_SECRET": CLIENT_SECRET,
        "EXPERIAN_USERNAME": "experian-user",
        "EXPERIAN_PASSWORD": PASSWORD,
        "EXPERIAN_BASE_URL": HOST,
        "TOKEN_ENCRYPTION_KEY": KEY,
        "DATA_SOURCE": "plaid",  # Experian alone leaves `auto` on demo data, as the README says
    }.items():
        monkeypatch.setenv(name, value)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json={"access_token": BEARER, "expires_in": "1800"})
        yield mock


def answer_with_report(mock: responses.RequestsMock, **kwargs: object) -> None:
    if not kwargs:
        kwargs = {"json": experian_demo_report(TODAY)}
    mock.post(REPORT_URL, **kwargs)  # type: ignore[arg-type]


def report_calls(mock: responses.RequestsMock) -> int:
    return sum(call.request.url == REPORT_URL for call in mock.calls)


def seeded(page: str | None = None) -> AppTest:
    """A session that already holds consent and sealed details, as the Setup form leaves it."""
    fields = {
        "first_name": "JORDAN", "middle_name": "Q", "last_name": "DEMOPERSON",
        "generation_code": None, "dob": DOB, "ssn": SSN, "line1": "1420 LARKSPUR LN",
        "line2": None, "city": "SPRINGFIELD", "state": "IL", "zip_code": "62704",
    }  # fmt: skip
    canonical = json.dumps(fields, sort_keys=True)
    at = app_test()
    at.session_state["experian_applicant"] = SealedApplicant(
        key=keyed_hash("applicant", canonical),
        sealed=TokenVault([KEY]).seal(canonical),
        summary="J. D., SPRINGFIELD IL, SSN ending 3456",
    )
    at.session_state["experian_consent"] = Consent(datetime.now(UTC), "one report", "3F")
    at.run()
    if page:
        at.switch_page(page).run()
    return at
