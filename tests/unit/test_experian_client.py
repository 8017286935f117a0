from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.common.errors import Action
from integrations.common.retry import RetryPolicy
from integrations.common.secret import Secret
from integrations.demo.experian import experian_demo_report
from integrations.experian import client as experian_client
from integrations.experian.client import Applicant, ExperianClient, ExperianError
from integrations.models import CreditReport
from services.runtime.settings import Settings

HOST = "https://experian.test"
TOKEN_URL = f"{HOST}/oauth2/v1/token"
REPORT_URL = f"{HOST}/consumerservices/credit-profile/v2/credit-report"
TODAY = date(2024, 6, 15)
REPORT_BODY = experian_demo_report(TODAY)

# Canaries: recognisable values that must never reach a message, a repr or a log line.
SSN_CANARY = "666123456"
DOB_CANARY = "02291964"  # MMDDYYYY, a real leap day
PASSWORD_CANARY = "pw-CANARY-password-7731"
CLIENT_SECRET_CANARY = "cs-CANARY-client-secret-4410"
BEARER_CANARY = "tok-CANARY-bearer-9952"
CANARIES = (SSN_CANARY, DOB_CANARY, PASSWORD_CANARY, CLIENT_SECRET_CANARY, BEARER_CANARY)


class FakeClock:
    """One clock for the token cache and the retry policy; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_client(clock: FakeClock, subscriber_code: str | None = "1234567") -> ExperianClient:
    return ExperianClient(
        host=HOST,
        client_id="client-id-1",
        client_secret=Secret(CLIENT_SECRET_CANARY),
        username="api-user",
        password=Secret(PASSWORD_CANARY),
        subscriber_code=subscriber_code,
        connect_timeout=2.0,
        read_timeout=7.0,
        policy=RetryPolicy(sleep=clock.sleep, clock=clock, jitter=lambda: 1.0),
        clock=clock,
    )


def make_applicant(**overrides: Any) -> Applicant:
    fields: dict[str, Any] = {
        "first_name": "John",
        "middle_name": "N",
        "last_name": "Cann",
        "generation_code": None,
        "dob": DOB_CANARY,
        "ssn": SSN_CANARY,
        "line1": "510 Mondre St",
        "line2": None,
        "city": "Michigan City",
        "state": "IN",
        "zip_code": "46360",
        "today": TODAY,
    }
    fields.update(overrides)
    return Applicant.create(**fields)


def token_body(token: str = BEARER_CANARY, expires_in: object = "1800") -> dict[str, Any]:
    return {
        "issued_at": "1478105120762",
        "expires_in": expires_in,
        "token_type": "Bearer",
        "access_token": token,
        "refresh_token": "refresh-1",
    }


def add_token(upstream: responses.RequestsMock, token: str = BEARER_CANARY, **kw: Any) -> None:
    upstream.add(responses.POST, TOKEN_URL, json=token_body(token, **kw))


def add_report(upstream: responses.RequestsMock, status: int = 200, **kw: Any) -> None:
    if "json" not in kw and "body" not in kw:
        kw["json"] = REPORT_BODY
    upstream.add(responses.POST, REPORT_URL, status=status, **kw)


def calls_to(upstream: responses.RequestsMock, url: str) -> list[Any]:
    return [call for call in upstream.calls if call.request.url == url]


def outcome(client: ExperianClient, applicant: Applicant) -> CreditReport | ExperianError:
    try:
        return client.credit_report(applicant)
    except ExperianError as error:
        return error


def fetch_error(client: ExperianClient, applicant: Applicant | None = None) -> ExperianError:
    with pytest.raises(ExperianError) as caught:
        client.credit_report(applicant or make_applicant())
    return caught.value


# --- Tokens ------------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream)
    client = make_client(clock)
    assert isinstance(client.credit_report(make_applicant()), CreditReport)
    assert isinstance(client.credit_report(make_applicant()), CreditReport)
    assert len(calls_to(upstream, TOKEN_URL)) == 1
    reports = calls_to(upstream, REPORT_URL)
    assert len(reports) == 2
    assert all(c.request.headers["Authorization"] == f"Bearer {BEARER_CANARY}" for c in reports)


def test_token_request_sends_the_json_password_grant(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream)
    make_client(clock).credit_report(make_applicant())
    (call,) = calls_to(upstream, TOKEN_URL)
    assert json.loads(call.request.body) == {
        "username": "api-user",
        "password": PASSWORD_CANARY,
        "client_id": "client-id-1",
        "client_secret": CLIENT_SECRET_CANARY,
    }
    assert call.request.headers["Content-Type"] == "application/json"
    assert call.request.headers["Grant_type"] == "password"
    assert call.request.req_kwargs["timeout"] == (2.0, 7.0)


def test_token_with_string_expires_in_is_refreshed_shortly_before_it_expires(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream, "token-first", expires_in="1800")
    add_token(upstream, "token-second", expires_in="1800")
    add_report(upstream)
    client = make_client(clock)
    client.credit_report(make_applicant())
    clock.now += 1700  # still more than a minute left
    client.credit_report(make_applicant())
    clock.now += 45  # 55 s left: inside the safety margin
    client.credit_report(make_applicant())
    assert len(calls_to(upstream, TOKEN_URL)) == 2
    bearers = [c.request.headers["Authorization"] for c in calls_to(upstream, REPORT_URL)]
    assert bearers == ["Bearer token-first", "Bearer token-first", "Bearer token-second"]


@pytest.mark.parametrize("expires_in", [1800, "1800.0"])
def test_numeric_expires_in_is_also_understood(
    upstream: responses.RequestsMock, clock: FakeClock, expires_in: object
) -> None:
    add_token(upstream, expires_in=expires_in)
    add_report(upstream)
    client = make_client(clock)
    client.credit_report(make_applicant())
    client.credit_report(make_applicant())
    assert len(calls_to(upstream, TOKEN_URL)) == 1


def test_a_token_without_a_readable_lifetime_is_used_once(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream, expires_in="soon")
    add_report(upstream)
    client = make_client(clock)
    client.credit_report(make_applicant())
    client.credit_report(make_applicant())
    assert len(calls_to(upstream, TOKEN_URL)) == 2


def test_401_on_the_report_gets_one_new_token_and_succeeds(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream, "token-stale")
    add_token(upstream, "token-fresh")
    add_report(upstream, status=401, json={"error": "invalid token"})
    add_report(upstream)
    report = make_client(clock).credit_report(make_applicant())
    assert isinstance(report, CreditReport)
    assert len(calls_to(upstream, TOKEN_URL)) == 2
    bearers = [c.request.headers["Authorization"] for c in calls_to(upstream, REPORT_URL)]
    assert bearers == ["Bearer token-stale", "Bearer token-fresh"]
    assert clock.waits == []


def test_401_twice_is_unauthorized_without_more_tokens(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=401, json={"error": "invalid token"})
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.status) == (
        "UNAUTHORIZED",
        Action.FIX_CONFIGURATION,
        401,
    )
    assert len(calls_to(upstream, TOKEN_URL)) == 2
    assert len(calls_to(upstream, REPORT_URL)) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": "unauthorized"}),
        (400, {"error": "invalid_client", "error_description": "Client authentication failed"}),
        (400, {"errors": [{"errorType": "Invalid Credentials", "message": "bad user"}]}),
    ],
)
def test_bad_credentials_are_reported_once_and_not_retried(
    upstream: responses.RequestsMock, clock: FakeClock, status: int, body: dict[str, Any]
) -> None:
    upstream.add(responses.POST, TOKEN_URL, status=status, json=body)
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.retryable) == (
        "BAD_CREDENTIALS",
        Action.FIX_CONFIGURATION,
        False,
    )
    assert len(upstream.calls) == 1
    assert clock.waits == []


def test_token_endpoint_outage_is_retried_like_the_report(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    upstream.add(responses.POST, TOKEN_URL, status=503)
    add_token(upstream)
    add_report(upstream)
    assert isinstance(make_client(clock).credit_report(make_applicant()), CreditReport)
    assert len(calls_to(upstream, TOKEN_URL)) == 2
    assert clock.waits == [0.5]


def test_token_answer_without_access_token_is_malformed(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    upstream.add(responses.POST, TOKEN_URL, json={"expires_in": "1800"})
    assert fetch_error(make_client(clock)).code == "MALFORMED_RESPONSE"


# --- Report errors -----------------------------------------------------------------------------

INQUIRY_NOT_ALLOWED_BODIES = [
    {"errors": [{"errorCode": "76", "errorType": "Client Error", "message": "Not permitted"}]},
    {"error": {"code": 76, "description": "request refused"}},
    {"Error": "INQUIRY NOT ALLOWED"},
]


@pytest.mark.parametrize("body", INQUIRY_NOT_ALLOWED_BODIES)
def test_code_76_means_the_account_is_not_provisioned(
    upstream: responses.RequestsMock, clock: FakeClock, body: dict[str, Any]
) -> None:
    add_token(upstream)
    add_report(upstream, status=400, json=body)
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.status) == (
        "INQUIRY_NOT_ALLOWED",
        Action.FIX_CONFIGURATION,
        400,
    )
    assert "not provisioned" in error.user_message
    assert len(calls_to(upstream, REPORT_URL)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"errors": [{"errorCode": "1076", "message": "Invalid ZIP code"}]},
        {"errors": [{"errorCode": "40", "message": "Missing subscriber code"}]},
    ],
)
def test_other_400_is_a_rejected_request_not_retried(
    upstream: responses.RequestsMock, clock: FakeClock, body: dict[str, Any]
) -> None:
    add_token(upstream)
    add_report(upstream, status=400, json=body)
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.retryable) == (
        "REQUEST_REJECTED",
        Action.CONTACT_SUPPORT,
        False,
    )
    assert len(calls_to(upstream, REPORT_URL)) == 1


def test_500_twice_then_200_succeeds_on_the_third_call(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=500, json={})
    add_report(upstream, status=502, body="<html>bad gateway</html>")
    add_report(upstream)
    assert isinstance(make_client(clock).credit_report(make_applicant()), CreditReport)
    assert len(calls_to(upstream, REPORT_URL)) == 3
    assert len(calls_to(upstream, TOKEN_URL)) == 1
    assert clock.waits == [0.5, 1.0]


def test_500_three_times_is_service_unavailable_after_exactly_three_attempts(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=500, json={})
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.status) == (
        "SERVICE_UNAVAILABLE",
        Action.RETRY_LATER,
        500,
    )
    assert len(calls_to(upstream, REPORT_URL)) == 3


def test_429_waits_as_long_as_retry_after_asks(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=429, headers={"Retry-After": "7"}, json={})
    add_report(upstream)
    assert isinstance(make_client(clock).credit_report(make_applicant()), CreditReport)
    assert clock.waits == [7.0]


def test_429_that_persists_is_rate_limited_with_its_retry_after(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=429, headers={"Retry-After": "2"}, json={})
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.retry_after) == ("RATE_LIMITED", Action.RETRY_LATER, 2)
    assert len(calls_to(upstream, REPORT_URL)) == 3


def test_a_retry_after_date_falls_back_to_backoff(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    add_report(upstream)
    make_client(clock).credit_report(make_applicant())
    assert clock.waits == [0.5]


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (requests.exceptions.ConnectTimeout, "TIMEOUT"),
        (requests.exceptions.ConnectionError, "UNREACHABLE"),
    ],
)
def test_network_failures_are_retried_then_reported(
    upstream: responses.RequestsMock,
    clock: FakeClock,
    failure: type[Exception],
    code: str,
) -> None:
    add_token(upstream)
    add_report(upstream, body=failure(f"failed for {REPORT_URL} ssn={SSN_CANARY}"))
    error = fetch_error(make_client(clock))
    assert (error.code, error.action, error.retryable) == (code, Action.RETRY_LATER, True)
    assert len(calls_to(upstream, REPORT_URL)) == 3
    assert error.__cause__ is None
    assert error.__context__ is None


def test_a_connect_timeout_then_success_returns_the_report(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream, body=requests.exceptions.ConnectTimeout("slow"))
    add_report(upstream)
    assert isinstance(make_client(clock).credit_report(make_applicant()), CreditReport)


def test_a_read_timeout_on_the_report_is_not_repeated(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    # The request reached Experian: pulling again could create a second, billed inquiry.
    add_token(upstream)
    add_report(upstream, body=requests.exceptions.ReadTimeout(f"slow ssn={SSN_CANARY}"))
    error = fetch_error(make_client(clock))
    assert (error.code, error.retryable) == ("REPORT_TIMEOUT", False)
    assert len(calls_to(upstream, REPORT_URL)) == 1
    assert SSN_CANARY not in str(error)


@pytest.mark.parametrize(
    "body",
    ['{"creditProfile": [{"riskModel": [', "<html>Service temporarily unavailable</html>", ""],
)
def test_truncated_or_non_json_body_is_malformed_and_not_pulled_again(
    upstream: responses.RequestsMock, clock: FakeClock, body: str
) -> None:
    add_token(upstream)
    add_report(upstream, body=body, content_type="application/json")
    error = fetch_error(make_client(clock))
    assert (error.code, error.action) == ("MALFORMED_RESPONSE", Action.RETRY_LATER)
    assert len(calls_to(upstream, REPORT_URL)) == 1


@pytest.mark.parametrize("body", [{}, {"creditProfile": []}, {"creditProfile": None}])
def test_200_without_credit_profile_means_no_file_found(
    upstream: responses.RequestsMock, clock: FakeClock, body: dict[str, Any]
) -> None:
    add_token(upstream)
    add_report(upstream, json=body)
    error = fetch_error(make_client(clock))
    assert (error.code, error.action) == ("NO_CREDIT_PROFILE", Action.NONE)
    assert "no credit file" in error.user_message


@pytest.mark.parametrize(
    "profile",
    [
        {"riskModel": [{"modelIndicator": "V4", "score": "²"}]},  # isdigit() but not int()
        {"tradeline": [{"balanceAmount": "9" * 400}]},  # too big for a float
    ],
)
def test_exotic_digits_and_huge_numbers_read_as_not_reported(
    upstream: responses.RequestsMock, clock: FakeClock, profile: dict[str, Any]
) -> None:
    add_token(upstream)
    add_report(upstream, json={"creditProfile": [profile]})
    report = make_client(clock).credit_report(make_applicant())
    assert all(s.score is None for s in report.scores)
    assert all(t.balance is None for t in report.tradelines)


# --- The request -------------------------------------------------------------------------------


def test_report_request_has_the_documented_shape_and_headers(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream)
    make_client(clock).credit_report(make_applicant())
    (call,) = calls_to(upstream, REPORT_URL)
    assert json.loads(call.request.body) == {
        "consumerPii": {
            "primaryApplicant": {
                "name": {"firstName": "John", "middleName": "N", "lastName": "Cann"},
                "dob": {"dob": DOB_CANARY},
                "ssn": {"ssn": SSN_CANARY},
                "currentAddress": {
                    "line1": "510 Mondre St",
                    "city": "Michigan City",
                    "state": "IN",
                    "zipCode": "46360",
                },
            }
        },
        "requestor": {"subscriberCode": "1234567"},
        "permissiblePurpose": {"type": "3F"},
        "addOns": {"riskModels": {"modelIndicator": ["V4"], "scorePercentile": "Y"}},
    }
    headers = call.request.headers
    assert headers["Authorization"] == f"Bearer {BEARER_CANARY}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["clientReferenceId"] == "SBMYSQL"
    assert call.request.req_kwargs["timeout"] == (2.0, 7.0)


def test_optional_fields_are_sent_when_given_and_requestor_omitted_without_code(
    upstream: responses.RequestsMock, clock: FakeClock
) -> None:
    add_token(upstream)
    add_report(upstream)
    applicant = make_applicant(
        generation_code="jr", line2="Apt 4", middle_name=None, zip_code="46360-1234"
    )
    make_client(clock, subscriber_code=None).credit_report(applicant)
    body = json.loads(calls_to(upstream, REPORT_URL)[0].request.body)
    primary = body["consumerPii"]["primaryApplicant"]
    assert primary["name"] == {"firstName": "John", "lastName": "Cann", "generationCode": "JR"}
    assert primary["currentAddress"]["line2"] == "Apt 4"
    assert primary["currentAddress"]["zipCode"] == "463601234"
    assert "requestor" not in body


# --- Applicant ---------------------------------------------------------------------------------


def test_applicant_accepts_a_date_and_a_dashed_ssn() -> None:
    applicant = make_applicant(dob=date(1964, 2, 29), ssn="666-12-3456")
    assert applicant.dob.reveal() == DOB_CANARY
    assert applicant.ssn.reveal() == SSN_CANARY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ssn", "66612345X"),
        ("ssn", "6661234567"),
        ("ssn", "٦٦٦١٢٣٤٥٦"),  # digits, but not ASCII ones
        ("zip_code", "٤٦٣٦٠"),
        ("dob", "02301964"),
        ("dob", "1964-02-29"),
        ("dob", "01012030"),
        ("first_name", " "),
        ("last_name", "C4nn"),
        ("state", "Indiana"),
        ("zip_code", "4636"),
        ("generation_code", "JUNIOR"),
        ("line1", "x" * 65),
    ],
)
def test_invalid_applicant_field_is_named_but_not_echoed(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field) as caught:
        make_applicant(**{field: value})
    if value.strip():
        assert value not in str(caught.value)


def test_from_settings_without_credentials_is_a_configuration_error() -> None:
    with pytest.raises(ExperianError) as caught:
        ExperianClient.from_settings(Settings(experian_client_id=Secret("id")))
    assert (caught.value.code, caught.value.action) == ("NOT_CONFIGURED", Action.FIX_CONFIGURATION)


def test_from_settings_uses_the_configured_host(
    upstream: responses.RequestsMock,
) -> None:
    configured = Settings(
        experian_client_id=Secret("id"),
        experian_client_secret=Secret(CLIENT_SECRET_CANARY),
        experian_username=Secret("user"),
        experian_password=Secret(PASSWORD_CANARY),
        experian_base_url=HOST,
    )
    add_token(upstream)
    add_report(upstream)
    report = ExperianClient.from_settings(configured).credit_report(make_applicant())
    assert isinstance(report, CreditReport)
    assert calls_to(upstream, REPORT_URL)[0].request.req_kwargs["timeout"] == (5.0, 30.0)


# --- Nothing secret leaks ----------------------------------------------------------------------


def _echo(status: int, message: str = "") -> Callable[[responses.RequestsMock], None]:
    """An error body that quotes everything back, as some gateways do."""

    def setup(upstream: responses.RequestsMock) -> None:
        add_token(upstream)
        add_report(upstream, status=status, body=f"{' '.join(CANARIES)} {message}")

    return setup


def _raises(failure: type[Exception]) -> Callable[[responses.RequestsMock], None]:
    def setup(upstream: responses.RequestsMock) -> None:
        add_token(upstream)
        add_report(upstream, body=failure(f"{REPORT_URL} {' '.join(CANARIES)}"))

    return setup


def _token_refused(upstream: responses.RequestsMock) -> None:
    upstream.add(responses.POST, TOKEN_URL, status=401, body=" ".join(CANARIES))


def _report_refused(upstream: responses.RequestsMock) -> None:
    add_token(upstream)
    add_report(upstream, status=401, body=f"Bearer {BEARER_CANARY} refused")


def _malformed(upstream: responses.RequestsMock) -> None:
    add_token(upstream)
    add_report(upstream, body='{"ssn": "' + SSN_CANARY + '", ')


def _no_profile(upstream: responses.RequestsMock) -> None:
    add_token(upstream)
    add_report(upstream, json={"echo": list(CANARIES)})


def _succeeds(upstream: responses.RequestsMock) -> None:
    add_token(upstream)
    add_report(upstream)


LEAK_SCENARIOS = {
    "bad_credentials": _token_refused,
    "unauthorized": _report_refused,
    "inquiry_not_allowed": _echo(400, "INQUIRY NOT ALLOWED"),
    "request_rejected": _echo(422),
    "service_unavailable": _echo(503),
    "rate_limited": _echo(429),
    "connect_timeout": _raises(requests.exceptions.ConnectTimeout),
    "read_timeout": _raises(requests.exceptions.ReadTimeout),
    "unreachable": _raises(requests.exceptions.ConnectionError),
    "truncated": _raises(requests.exceptions.ChunkedEncodingError),
    "malformed": _malformed,
    "no_credit_profile": _no_profile,
    "success": _succeeds,
}


def test_no_canary_reaches_errors_reprs_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # An unfiltered logger: the redaction filter is the second line of defence, this test
    # checks the first (the client never formats a secret into a record).
    raw_logger = logging.getLogger("tests.experian_client.unredacted")
    monkeypatch.setattr(experian_client, "log", raw_logger)
    caplog.set_level(logging.DEBUG)
    applicant = make_applicant()
    exposed = [repr(applicant), str(applicant)]
    codes = set()
    for name, setup in LEAK_SCENARIOS.items():
        clock = FakeClock()
        client = make_client(clock)
        exposed.append(repr(client))
        with responses.RequestsMock(assert_all_requests_are_fired=False) as upstream:
            setup(upstream)
            result = outcome(client, applicant)
        if isinstance(result, ExperianError):
            codes.add(result.code)
            exposed += [str(result), repr(result), result.user_message, result.describe()]
            assert (result.__cause__, result.__context__) == (None, None), name
        else:
            assert name == "success"
    with pytest.raises(ExperianError) as unconfigured:
        ExperianClient.from_settings(Settings(experian_password=Secret(PASSWORD_CANARY)))
    exposed += [str(unconfigured.value), unconfigured.value.user_message]
    for field, value in (("ssn", SSN_CANARY + "0"), ("dob", DOB_CANARY + "0")):
        with pytest.raises(ValueError, match=field) as invalid:
            make_applicant(**{field: value})
        exposed.append(str(invalid.value))
    exposed.append(caplog.text)
    exposed += [str(record.args) for record in caplog.records]
    assert codes == {
        "BAD_CREDENTIALS",
        "UNAUTHORIZED",
        "INQUIRY_NOT_ALLOWED",
        "REQUEST_REJECTED",
        "SERVICE_UNAVAILABLE",
        "RATE_LIMITED",
        "TIMEOUT",
        "REPORT_TIMEOUT",
        "UNREACHABLE",
        "MALFORMED_RESPONSE",
        "NO_CREDIT_PROFILE",
    }
    assert "experian credit-report HTTP 200" in caplog.text
    text = "\n".join(exposed)
    for canary in CANARIES:
        assert canary not in text


def test_every_error_code_has_a_message_free_of_placeholders() -> None:
    for code in experian_client.ERROR_CODES:
        error = experian_client.experian_error(code)
        assert error.user_message.endswith(".")
        assert "{" not in error.user_message
        assert str(error).startswith(f"Experian error {error.error_type}/{code}")


# --- Any body at all ---------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
PROFILE_KEYS = (
    "riskModel",
    "tradeline",
    "inquiry",
    "publicRecord",
    "consumerIdentity",
    "addressInformation",
    "employmentInformation",
    "informationalMessage",
    "headerRecord",
)
FIELD_KEYS = (
    "score",
    "modelIndicator",
    "scoreFactors",
    "importance",
    "code",
    "amount1",
    "amount1Qualifier",
    "balanceAmount",
    "balanceDate",
    "openDate",
    "paymentHistory",
    "status",
    "type",
    "kob",
    "date",
    "reportDate",
    "name",
    "messageText",
    "enhancedPaymentData",
    "creditLimitAmount",
)
# Strings shaped like Experian's values, plus the ones that look numeric but are not.
TRICKY_STRINGS = ("0783", "00000158", "03011995", "0CCCC1", "", " ", "-", "²", "١٢", "9" * 400)
field_values = (
    st.sampled_from(TRICKY_STRINGS)
    | st.text(alphabet="0123456789²CN- ", max_size=12)
    | json_scalars
    | json_values
)
records = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELD_KEYS, field_values))
profiles = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(PROFILE_KEYS, st.lists(records, max_size=3) | json_values)
)
bodies = (
    st.builds(lambda profiles: {"creditProfile": profiles}, st.lists(profiles, max_size=2))
    | st.builds(lambda profile: {"creditProfile": profile}, json_values)
    | json_values
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_any_json_body_gives_a_report_or_an_experian_error(body: object) -> None:
    clock = FakeClock()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as upstream:
        add_token(upstream)
        add_report(upstream, body=json.dumps(body), content_type="application/json")
        result = outcome(make_client(clock), make_applicant())
    if isinstance(result, ExperianError):
        assert result.code in {"NO_CREDIT_PROFILE", "MALFORMED_RESPONSE"}
    else:
        assert isinstance(result, CreditReport)
