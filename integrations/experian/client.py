"""Fetch a person's credit report from Experian's Consumer Credit Profile API (v2).

Two calls, both JSON over one ``requests.Session`` with explicit (connect, read) timeouts:

1. ``POST {host}/oauth2/v1/token``: the resource-owner password grant. Of the variants seen
   (see the reference notes) we send all four credentials in the JSON body,
   ``{username, password, client_id, client_secret}``, with ``Grant_type: password``,
   ``Content-Type`` and ``Accept: application/json`` headers. It is the first variant in the
   notes, the one public sandbox code uses, and it keeps the client secret out of the headers,
   which gateways and proxies log more often than bodies. ``expires_in`` arrives as a string
   of seconds; ``issued_at`` (the server's clock, in ms) is ignored: the lifetime is counted
   on our own clock from just before the request, so clock skew cannot stretch it. The token
   is reused until 60 s before it expires; a 401 on the report drops it and fetches one new
   token, once.
2. ``POST {host}/consumerservices/credit-profile/v2/credit-report`` with the bearer token and
   the applicant's details; the body is parsed by ``experian_parse.parse_credit_report``.

Each attempt (token if needed, then the report) runs through ``call_with_retry``: 429, 5xx,
timeouts and connection errors are retried, at most three attempts within the call budget.
Every failure becomes an ``ExperianError`` whose message is written for a person and never
holds a credential, the token, the request or response body, the SSN or the date of birth.
Only endpoint names, statuses, codes, request ids and timings are logged.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import requests

from integrations.common.errors import Action, UpstreamError
from integrations.common.guidance import Guidance
from integrations.common.logs import get_logger
from integrations.common.retry import RetryPolicy, call_with_retry
from integrations.common.secret import Secret
from integrations.experian.parse import ExperianBodyError, parse_credit_report
from integrations.models import CreditReport

log = get_logger("experian")

OAUTH_PATH = "/oauth2/v1/token"
CREDIT_REPORT_PATH = "/consumerservices/credit-profile/v2/credit-report"
TOKEN_REFRESH_MARGIN_SECONDS = 60.0
SANDBOX_CLIENT_REFERENCE_ID = "SBMYSQL"
# The consumer's written instruction: the permissible purpose for a person pulling their own file.
PERMISSIBLE_PURPOSE = "3F"
# VantageScore 4.0; what the other model indicators (FICO variants) mean is unconfirmed.
RISK_MODEL_INDICATORS = ("V4",)
# Where Experian puts a request id is unconfirmed; these are the usual gateway headers.
REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "requestid")
DOB_FORMAT = "%m%d%Y"  # MMDDYYYY, the date format Experian uses throughout its bodies


# --- Errors ------------------------------------------------------------------------------------


class ExperianError(UpstreamError):
    service = "Experian"


ERROR_CODES: Mapping[str, Guidance] = {
    "NOT_CONFIGURED": Guidance(
        "Experian is not set up: the app's Experian credentials are missing.",
        Action.FIX_CONFIGURATION,
        retryable=False,
        error_type="CONFIGURATION",
    ),
    "BAD_CREDENTIALS": Guidance(
        "Experian did not accept the app's API credentials "
        "(client id, client secret, user name or password).",
        Action.FIX_CONFIGURATION,
        retryable=False,
        error_type="AUTHENTICATION",
    ),
    "UNAUTHORIZED": Guidance(
        "Experian refused the app's access even after signing in again. "
        "The app's Experian account may be suspended or lack access to credit reports.",
        Action.FIX_CONFIGURATION,
        retryable=False,
        error_type="AUTHENTICATION",
    ),
    "INQUIRY_NOT_ALLOWED": Guidance(
        "The app's Experian account is not provisioned for credit reports "
        '(Experian answered "inquiry not allowed"). '
        "The operator must ask Experian to enable this product.",
        Action.FIX_CONFIGURATION,
        retryable=False,
        error_type="PERMISSION",
    ),
    "REQUEST_REJECTED": Guidance(
        "Experian rejected the credit report request. "
        "Check the details you entered; if they are right, contact support.",
        Action.CONTACT_SUPPORT,
        retryable=False,
        error_type="REQUEST",
    ),
    "RATE_LIMITED": Guidance(
        "Experian is receiving too many requests right now.",
        Action.RETRY_LATER,
        retryable=True,
        error_type="RATE_LIMIT",
    ),
    "SERVICE_UNAVAILABLE": Guidance(
        "Experian's service is unavailable right now.",
        Action.RETRY_LATER,
        retryable=True,
        error_type="UPSTREAM",
    ),
    "TIMEOUT": Guidance(
        "Experian did not answer in time.",
        Action.RETRY_LATER,
        retryable=True,
        error_type="NETWORK",
    ),
    # Not retried: the report may have been pulled (and billed) before the answer was lost.
    "REPORT_TIMEOUT": Guidance(
        "Experian did not answer in time. The request may still have gone through, so it was "
        "not repeated automatically.",
        Action.RETRY_LATER,
        retryable=False,
        error_type="NETWORK",
    ),
    "UNREACHABLE": Guidance(
        "Experian could not be reached. Check the internet connection.",
        Action.RETRY_LATER,
        retryable=True,
        error_type="NETWORK",
    ),
    # Not retried at once: a 200 may already have been a (billed) credit pull.
    "MALFORMED_RESPONSE": Guidance(
        "Experian sent an answer the app could not read.",
        Action.RETRY_LATER,
        retryable=False,
        error_type="RESPONSE",
    ),
    # NONE: there is no file to fetch; neither a retry nor support can create one.
    "NO_CREDIT_PROFILE": Guidance(
        "Experian found no credit file for these details. Check that your name, date of "
        "birth, Social Security number and current address match your credit accounts.",
        Action.NONE,
        retryable=False,
        error_type="NO_FILE",
    ),
}


def experian_error(
    code: str,
    *,
    status: int | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ExperianError:
    """The error for ``code``, with its action, retryability and message from one table."""
    kind = ERROR_CODES[code]
    return ExperianError(
        code=code,
        user_message=kind.message,
        action=kind.action,
        error_type=kind.error_type,
        request_id=request_id,
        status=status,
        retryable=kind.retryable,
        retry_after=retry_after,
    )


# --- The applicant -----------------------------------------------------------------------------

_NAME = re.compile(r"[^\W\d_]+(?:[ .'-]+[^\W\d_]+)*\.?")
_GENERATION = re.compile(r"[A-Z0-9]{1,4}")
_STATE = re.compile(r"[A-Z]{2}")
# ASCII digits only: \d alone would also accept other scripts' digits.
_ZIP = re.compile(r"(\d{5})(?:-?(\d{4}))?", re.ASCII)
_SSN = re.compile(r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})", re.ASCII)
_DOB = re.compile(r"\d{8}", re.ASCII)
_MAX_TEXT = 64


def _plain(value: object) -> object:
    return value.reveal() if isinstance(value, Secret) else value


def _required_text(name: str, value: object, pattern: re.Pattern[str] | None = None) -> str:
    """Stripped text; the error names the field and what it expects, never the value."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required.")
    text = value.strip()
    if len(text) > _MAX_TEXT or not text.isprintable():
        raise ValueError(f"{name} must be at most {_MAX_TEXT} printable characters.")
    if pattern is not None and not pattern.fullmatch(text):
        raise ValueError(f"{name} must be letters, spaces, hyphens, apostrophes or periods.")
    return text


def _optional_text(name: str, value: object, pattern: re.Pattern[str] | None = None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _required_text(name, value, pattern)


def _generation_code(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _GENERATION.fullmatch(value.strip().upper()):
        raise ValueError("generation_code must be 1 to 4 letters or digits, e.g. JR or III.")
    return value.strip().upper()


def _state(value: object) -> str:
    if not isinstance(value, str) or not _STATE.fullmatch(value.strip().upper()):
        raise ValueError("state must be a two-letter state code, e.g. IN.")
    return value.strip().upper()


def _zip_code(value: object) -> str:
    match = _ZIP.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("zip_code must be 5 digits, or ZIP+4 as 9 digits.")
    return "".join(part for part in match.groups() if part)


def _ssn(value: object) -> Secret:
    """Nine digits (dashes or spaces between the groups allowed). No SSA issuance rules:
    Experian's test consumers use numbers the SSA never issues (e.g. starting with 666)."""
    raw = _plain(value)
    match = _SSN.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise ValueError("ssn must be 9 digits.")
    return Secret("".join(match.groups()))


def _dob(value: object, today: date) -> Secret:
    """A ``date`` or an MMDDYYYY string; a real calendar date after 1900 and not in the future."""
    raw = _plain(value)
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = datetime.strptime(text, DOB_FORMAT).date() if _DOB.fullmatch(text) else None
        except ValueError:
            raw = None
    if not isinstance(raw, date) or not date(1900, 1, 1) <= raw <= today:
        raise ValueError("dob must be a past date, as a date or MMDDYYYY text.")
    return Secret(raw.strftime(DOB_FORMAT))


class ExperianSettings(Protocol):
    """What ``ExperianClient.from_settings`` reads. The app's Settings has these fields; the
    integration names them here so that it does not import the layer that configures it."""

    @property
    def experian_client_id(self) -> Secret | None: ...
    @property
    def experian_client_secret(self) -> Secret | None: ...
    @property
    def experian_username(self) -> Secret | None: ...
    @property
    def experian_password(self) -> Secret | None: ...
    @property
    def experian_subscriber_code(self) -> Secret | None: ...
    @property
    def experian_client_reference_id(self) -> str | None: ...
    @property
    def experian_host(self) -> str: ...
    @property
    def connect_timeout_seconds(self) -> float: ...
    @property
    def read_timeout_seconds(self) -> float: ...
    @property
    def call_budget_seconds(self) -> float: ...


@dataclass(frozen=True)
class Applicant:
    """Who the report is for. ``dob`` is MMDDYYYY and ``ssn`` nine digits, both kept as
    Secrets and left out of the repr. Build it with ``Applicant.create``, which validates."""

    first_name: str
    middle_name: str | None
    last_name: str
    generation_code: str | None
    dob: Secret = field(repr=False)
    ssn: Secret = field(repr=False)
    line1: str
    line2: str | None
    city: str
    state: str
    zip_code: str

    @classmethod
    def create(
        cls,
        *,
        first_name: str,
        last_name: str,
        dob: date | str | Secret,
        ssn: str | Secret,
        line1: str,
        city: str,
        state: str,
        zip_code: str,
        middle_name: str | None = None,
        generation_code: str | None = None,
        line2: str | None = None,
        today: date | None = None,
    ) -> Applicant:
        """Validated and normalised; a ValueError names the field, never its value.
        ``today`` bounds the date of birth (default: the system date)."""
        return cls(
            first_name=_required_text("first_name", first_name, _NAME),
            middle_name=_optional_text("middle_name", middle_name, _NAME),
            last_name=_required_text("last_name", last_name, _NAME),
            generation_code=_generation_code(generation_code),
            dob=_dob(dob, today or date.today()),
            ssn=_ssn(ssn),
            line1=_required_text("line1", line1),
            line2=_optional_text("line2", line2),
            city=_required_text("city", city),
            state=_state(state),
            zip_code=_zip_code(zip_code),
        )


def _without_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "", {}, [])}


def credit_report_request(applicant: Applicant, subscriber_code: str | None) -> dict[str, Any]:
    """The request body. Reveals the SSN and date of birth: build it only to send it."""
    primary = {
        "name": _without_empty(
            {
                "firstName": applicant.first_name,
                "middleName": applicant.middle_name,
                "lastName": applicant.last_name,
                "generationCode": applicant.generation_code,
            }
        ),
        "dob": {"dob": applicant.dob.reveal()},
        "ssn": {"ssn": applicant.ssn.reveal()},
        "currentAddress": _without_empty(
            {
                "line1": applicant.line1,
                "line2": applicant.line2,
                "city": applicant.city,
                "state": applicant.state,
                "zipCode": applicant.zip_code,
            }
        ),
    }
    return _without_empty(
        {
            "consumerPii": {"primaryApplicant": primary},
            "requestor": _without_empty({"subscriberCode": subscriber_code}),
            "permissiblePurpose": {"type": PERMISSIBLE_PURPOSE},
            "addOns": {
                "riskModels": {
                    "modelIndicator": list(RISK_MODEL_INDICATORS),
                    "scorePercentile": "Y",
                }
            },
        }
    )


# --- Reading responses -------------------------------------------------------------------------

_INQUIRY_NOT_ALLOWED = re.compile(r"inquiry[\s_-]*not[\s_-]*allowed", re.IGNORECASE)
# A key ending in "code" (code, errorCode, responseCode ...) whose value is 76, quoted or not.
_CODE_76 = re.compile(r'code"\s*:\s*"?\s*0*76\b', re.IGNORECASE)
_BAD_CLIENT = re.compile(
    r"invalid[\s_-]*(client|grant|credentials?)|unauthori[sz]ed|bad[\s_-]*credentials",
    re.IGNORECASE,
)
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _request_id(response: requests.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name, "").strip()
        if _SAFE_REQUEST_ID.fullmatch(value):
            return value
    return None


def _retry_after_seconds(response: requests.Response) -> float | None:
    """A numeric Retry-After; the HTTP-date form and nonsense are ignored (backoff applies)."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _lifetime_seconds(expires_in: object) -> float:
    """``expires_in`` arrives as a string ("1800"); a missing or odd value means no reuse."""
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _is_inquiry_not_allowed(text: str) -> bool:
    """Experian's "INQUIRY NOT ALLOWED" (code 76); its body layout is unconfirmed, so look
    through the whole text for the phrase or for a code field holding 76."""
    return bool(_INQUIRY_NOT_ALLOWED.search(text) or _CODE_76.search(text))


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise experian_error(
            "MALFORMED_RESPONSE", status=response.status_code, request_id=_request_id(response)
        )
    return body


def _transport_failure_code(failure: requests.exceptions.RequestException) -> str:
    # Timeout first: ConnectTimeout is also a ConnectionError.
    if isinstance(failure, requests.exceptions.Timeout):
        return "TIMEOUT"
    if isinstance(
        failure,
        requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError,
    ):
        return "MALFORMED_RESPONSE"  # the body was cut off or could not be decoded
    return "UNREACHABLE"


def _raise_if_temporary(response: requests.Response) -> None:
    status = response.status_code
    if status == 429:
        raise experian_error(
            "RATE_LIMITED",
            status=status,
            request_id=_request_id(response),
            retry_after=_retry_after_seconds(response),
        )
    if status >= 500:
        raise experian_error("SERVICE_UNAVAILABLE", status=status, request_id=_request_id(response))
    if not 200 <= status < 500:
        # 1xx/3xx: not an answer this API gives.
        raise experian_error("MALFORMED_RESPONSE", status=status, request_id=_request_id(response))


def _token_error(response: requests.Response) -> ExperianError:
    status = response.status_code
    rejected_credentials = status in (401, 403) or (
        status == 400 and _BAD_CLIENT.search(response.text) is not None
    )
    code = "BAD_CREDENTIALS" if rejected_credentials else "REQUEST_REJECTED"
    return experian_error(code, status=status, request_id=_request_id(response))


def _report_error(response: requests.Response) -> ExperianError:
    status = response.status_code
    code = "INQUIRY_NOT_ALLOWED" if _is_inquiry_not_allowed(response.text) else "REQUEST_REJECTED"
    return experian_error(code, status=status, request_id=_request_id(response))


def _credit_report_from(response: requests.Response) -> CreditReport:
    body = _json_object(response)
    request_id = _request_id(response)
    try:
        return parse_credit_report(body)
    except ExperianBodyError:
        code = "NO_CREDIT_PROFILE"
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, RecursionError):
        # A body the parser cannot digest must not take the page down; its text may quote
        # the body, so only the fact is kept.
        log.warning("experian credit-report body could not be parsed")
        code = "MALFORMED_RESPONSE"
    raise experian_error(code, status=response.status_code, request_id=request_id)


# --- The client --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AccessToken:
    value: Secret
    refresh_at: float  # on the client's clock


class ExperianClient:
    """One Experian account: caches its access token and fetches credit reports."""

    def __init__(
        self,
        *,
        host: str,
        client_id: str,
        client_secret: Secret,
        username: str,
        password: Secret,
        subscriber_code: str | None,
        connect_timeout: float,
        read_timeout: float,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        client_reference_id: str = SANDBOX_CLIENT_REFERENCE_ID,
    ) -> None:
        self._host = host.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._password = password
        self._subscriber_code = subscriber_code
        self._timeouts = (connect_timeout, read_timeout)
        self._policy = policy or RetryPolicy()
        self._session = session or requests.Session()
        self._clock = clock
        self._client_reference_id = client_reference_id
        self._token: _AccessToken | None = None
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ExperianClient(host={self._host!r})"

    @classmethod
    def from_settings(cls, settings: ExperianSettings) -> ExperianClient:
        """A client for the configured account; NOT_CONFIGURED when a credential is missing."""
        client_id = settings.experian_client_id
        client_secret = settings.experian_client_secret
        username = settings.experian_username
        password = settings.experian_password
        if not (client_id and client_secret and username and password):
            raise experian_error("NOT_CONFIGURED")
        subscriber_code = settings.experian_subscriber_code
        return cls(
            host=settings.experian_host,
            client_id=client_id.reveal(),
            client_secret=client_secret,
            username=username.reveal(),
            password=password,
            subscriber_code=subscriber_code.reveal() if subscriber_code else None,
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            policy=RetryPolicy(budget_seconds=settings.call_budget_seconds),
            client_reference_id=settings.experian_client_reference_id
            or SANDBOX_CLIENT_REFERENCE_ID,
        )

    def credit_report(self, applicant: Applicant) -> CreditReport:
        """The applicant's credit report, or an ExperianError saying what to do."""
        started = self._clock()
        try:
            report = call_with_retry(lambda: self._attempt_credit_report(applicant), self._policy)
        except ExperianError as error:
            log.warning("experian credit report failed: %s", error.describe())
            raise
        log.info("experian credit report fetched in %d ms", self._elapsed_ms(started))
        return report

    # One attempt: a token (cached or fresh), the report, and one new token after a 401.
    def _attempt_credit_report(self, applicant: Applicant) -> CreditReport:
        token = self._access_token()
        response = self._post_credit_report(applicant, token)
        if response.status_code == 401:
            log.info("experian token refused (HTTP 401); fetching a new one")
            self._forget_token(token)
            response = self._post_credit_report(applicant, self._access_token())
            if response.status_code == 401:
                raise experian_error("UNAUTHORIZED", status=401, request_id=_request_id(response))
        _raise_if_temporary(response)
        if not response.ok:
            raise _report_error(response)
        return _credit_report_from(response)

    def _post_credit_report(self, applicant: Applicant, token: Secret) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "clientReferenceId": self._client_reference_id,
        }
        body = credit_report_request(applicant, self._subscriber_code)
        return self._post("credit-report", CREDIT_REPORT_PATH, body, headers)

    def _access_token(self) -> Secret:
        with self._token_lock:
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = self._request_token()
            return self._token.value

    def _forget_token(self, refused: Secret) -> None:
        with self._token_lock:
            if self._token is not None and self._token.value == refused:
                self._token = None

    def _request_token(self) -> _AccessToken:
        requested_at = self._clock()
        body = {
            "username": self._username,
            "password": self._password.reveal(),
            "client_id": self._client_id,
            "client_secret": self._client_secret.reveal(),
        }
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Grant_type": "password",
        }
        response = self._post("token", OAUTH_PATH, body, headers)
        _raise_if_temporary(response)
        if not response.ok:
            raise _token_error(response)
        answer = _json_object(response)
        access_token = answer.get("access_token")
        if not isinstance(access_token, str) or not access_token.strip():
            raise experian_error(
                "MALFORMED_RESPONSE", status=response.status_code, request_id=_request_id(response)
            )
        lifetime = _lifetime_seconds(answer.get("expires_in"))
        return _AccessToken(
            value=Secret(access_token.strip()),
            refresh_at=requested_at + max(0.0, lifetime - TOKEN_REFRESH_MARGIN_SECONDS),
        )

    def _post(
        self, endpoint: str, path: str, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> requests.Response:
        """One HTTP call. Transport failures become ExperianErrors without their text, which
        can quote the URL or the request."""
        started = self._clock()
        try:
            response = self._session.post(
                self._host + path, json=body, headers=dict(headers), timeout=self._timeouts
            )
        except requests.exceptions.RequestException as failure:
            code, failure_name = _transport_failure_code(failure), type(failure).__name__
            if path == CREDIT_REPORT_PATH and isinstance(failure, requests.exceptions.ReadTimeout):
                code = "REPORT_TIMEOUT"
        else:
            log.info(
                "experian %s HTTP %d in %d ms request_id=%s",
                endpoint,
                response.status_code,
                self._elapsed_ms(started),
                _request_id(response) or "-",
            )
            return response
        log.warning(
            "experian %s %s after %d ms (%s)",
            endpoint,
            code,
            self._elapsed_ms(started),
            failure_name,
        )
        # Raised outside the handler so not even __context__ keeps requests' text.
        raise experian_error(code)

    def _elapsed_ms(self, started: float) -> int:
        return round((self._clock() - started) * 1000)
