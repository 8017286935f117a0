"""The read-only JSON API, version 1: ``/api/v1/summary``, ``/cards`` and ``/transactions``
(JSON or CSV, paged), described by ``/api/v1/openapi.json``.

Who may read: whoever sends the operator's ``API_TOKEN`` as ``Authorization: Bearer …``
reads the operator's data (``services.runtime.api_data``); the operator's token is compared
by its SHA-256 hash in constant time. In traditional mode (``DATABASE_URL``) a person's own
token (made on Setup, ``services.runtime.api_tokens``) reads that person's kept history, and
only while the app would still let them in (else 403). No token is ever logged, echoed or
used as a cache key. Without ``API_TOKEN`` or ``DATABASE_URL`` the API does not exist: every
address under ``/api/`` answers 404, the same as an address that was never there.

Every error is ``{"error": {"code": …, "message": …}}`` in our own words: a bad filter names
the parameter, never the value given. Each token may make ``RATE_CAPACITY`` requests at once
and ``RATE_PER_SECOND`` a second after that (a token bucket in this process; a person's
tokens share one bucket); beyond it, 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.models import CreditReport
from services.analytics.money import main_currency
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.transaction_query import (
    QUERY_KEYS,
    choice_dates,
    filter_options,
    from_query,
    to_filter,
)
from services.runtime import api_tokens, keeping
from services.runtime.api_data import (
    api_today,
    held_report,
    operator_snapshot,
    person_data,
)
from services.runtime.settings import Settings
from services.storage.errors import StoreError
from services.storage.store import HistoryStore, TokenHolder
from services.views.api_views import (
    Json,
    Paging,
    cards_payload,
    summary_payload,
    transactions_csv,
    transactions_payload,
)
from services.views.page_figures import TRANSACTION_EXPORT_COLUMNS, transactions_view
from services.web.health import settings_or_none
from services.web.openapi import openapi_document

PREFIX = "/api/v1"
PAGE, PAGE_SIZE, FORMAT = "page", "page_size", "format"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
FORMATS = ("json", "csv")
RATE_CAPACITY = 60  # requests at once
RATE_PER_SECOND = 1.0  # requests a second after that

log = logging.getLogger(__name__)

MESSAGES = {
    "unauthorized": "A valid API token is needed, sent as 'Authorization: Bearer <token>'.",
    "forbidden": "This token's person may no longer use this app; its operator decides who may.",
    "not_found": "There is nothing at this address.",
    "rate_limited": "Too many requests with this token: wait the seconds Retry-After says.",
    "unavailable": "The app's configuration cannot be read now; its operator sees why.",
    "internal": "Something went wrong on our side; nothing was changed.",
}


class ApiError(Exception):
    """An answer other than 200: its status, code and message (ours, never the request's)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.code = status, code
        self.message = message or MESSAGES[code]
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def tokens_unavailable() -> ApiError:
    """The history store does not answer: a person's token can be neither checked nor read."""
    message = "Personal tokens cannot be checked right now; try again in a minute."
    return ApiError(503, "unavailable", message)


# --- Who is asking ------------------------------------------------------------------------------


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if it has one."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def api_enabled(settings: Settings) -> bool:
    """The operator's token, or personal ones (traditional mode), make the API exist."""
    return settings.api_token is not None or keeping.keeps_history(settings)


@dataclass(frozen=True)
class Reader:
    """Whose data a request reads (a person's key, or None for the operator's), and the name
    its rate limit is counted under (a hash, never a token)."""

    limit_key: str
    person: str | None = None


def _invalid_token() -> ApiError:
    challenge = 'Bearer error="invalid_token"'
    return ApiError(401, "unauthorized", headers={"WWW-Authenticate": challenge})


def is_operator_token(settings: Settings, given: bytes) -> bool:
    if settings.api_token is None:
        return False
    return hmac.compare_digest(given, token_hash(settings.api_token.reveal()))


def authenticate(settings: Settings, presented: str | None) -> Reader:
    if presented is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    given = token_hash(presented)
    if is_operator_token(settings, given):
        return Reader("operator-" + given.hex()[:16])
    if not (keeping.keeps_history(settings) and api_tokens.is_personal(presented)):
        raise _invalid_token()
    return person_reader(settings, presented)


def person_reader(settings: Settings, presented: str) -> Reader:
    """The person whose live token this is, if the app still lets them in (403 if not)."""
    store = keeping.kept_store(settings)
    if store is None:
        raise tokens_unavailable()
    try:
        holder = api_tokens.holder_of(store, presented)
    except StoreError as error:
        keeping.failed(error)
        raise tokens_unavailable() from None
    if holder is None:
        raise _invalid_token()
    if not api_tokens.still_admitted(settings, store, holder):
        raise ApiError(403, "forbidden")
    _note_use(store, holder)
    return Reader("person-" + holder.person[:16], holder.person)


def _note_use(store: HistoryStore, holder: TokenHolder) -> None:
    """When the token was last used, for its person on Setup; a store that cannot write it
    now does not stop the answer."""
    try:
        store.token_used(holder)
    except StoreError as error:
        keeping.failed(error)


# --- How often ----------------------------------------------------------------------------------


@dataclass
class TokenBuckets:
    """Per reader: ``capacity`` requests at once, refilled at ``per_second``. In this process
    (each replica counts its own); ``clock`` is a monotonic clock in seconds."""

    capacity: int = RATE_CAPACITY
    per_second: float = RATE_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, key: str) -> int:
        """0 when a request may go now (and counts it), else whole seconds to wait."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - then) * self.per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.per_second))


# --- What is asked ------------------------------------------------------------------------------

Params = dict[str, list[str]]


def query_params(request: Request) -> Params:
    found: Params = {}
    for key, value in request.query_params.multi_items():
        found.setdefault(key, []).append(value)
    return found


def _whole(params: Params, key: str, default: int, high: int) -> int:
    values = params.get(key)
    if not values:
        return default
    text = values[-1].strip()
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise bad_request(f"'{key}' must be a whole number from 1 to {high}.")
    return int(text)


def paging_of(params: Params) -> Paging:
    return Paging(
        page=_whole(params, PAGE, 1, 1_000_000),
        page_size=_whole(params, PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def format_of(params: Params) -> str:
    chosen = (params.get(FORMAT) or ["json"])[-1].strip().lower()
    if chosen not in FORMATS:
        raise bad_request(f"'{FORMAT}' must be one of: {', '.join(FORMATS)}.")
    return chosen


def refuse_unknown(params: Params, known: Sequence[str]) -> None:
    """A parameter this endpoint does not take is an error (named by the list of those it
    takes, never by what was sent)."""
    if any(key not in known for key in params):
        takes = ", ".join(known) if known else "none"
        raise bad_request(f"Unknown query parameter; the parameters this address takes: {takes}.")


# --- The endpoints (run in a thread: they may fetch) ---------------------------------------------

TRANSACTION_PARAMS = (*QUERY_KEYS, PAGE, PAGE_SIZE, FORMAT)


def data_of(
    settings: Settings, reader: Reader, today: date
) -> tuple[FinancialSnapshot | None, CreditReport | None]:
    """The reader's snapshot and report already held: the operator's (their banks, never a
    new pull), or the person's kept history."""
    if reader.person is None:
        return operator_snapshot(settings, today), held_report(settings, today)
    store = keeping.kept_store(settings)
    if store is None:
        raise tokens_unavailable()
    try:
        kept = person_data(settings, store, reader.person)
    except StoreError as error:
        keeping.failed(error)
        raise tokens_unavailable() from None
    return kept.snapshot, kept.report


def summary(settings: Settings, reader: Reader, params: Params) -> Response:
    refuse_unknown(params, ())
    today = api_today(settings)
    snap, report = data_of(settings, reader, today)
    return JSONResponse(summary_payload(snap, report, today))


def cards(settings: Settings, reader: Reader, params: Params) -> Response:
    refuse_unknown(params, ())
    today = api_today(settings)
    return JSONResponse(cards_payload(data_of(settings, reader, today)[0], today))


def transactions(settings: Settings, reader: Reader, params: Params) -> Response:
    """The rows the transactions page shows for the same URL: the filter is read by the
    page's own ``from_query``, and a parameter the page would reset is a 400 here."""
    refuse_unknown(params, TRANSACTION_PARAMS)
    paging, chosen = paging_of(params), format_of(params)
    today = api_today(settings)
    snap = data_of(settings, reader, today)[0]
    if snap is None or snap.transactions.empty:
        return _no_transactions(chosen, paging, today)
    frame = snap.transactions
    options = filter_options(frame, today)
    choice = from_query({k: v for k, v in params.items() if k in QUERY_KEYS}, options)
    if choice.notices:
        raise bad_request("These filter parameters cannot be used: " + ", ".join(choice.notices))
    spec = to_filter(choice, today, options)
    currency = main_currency(frame)
    view = transactions_view(frame, spec, options.first_day, currency, TRANSACTION_EXPORT_COLUMNS)
    if chosen == "csv":
        return _csv(transactions_csv(view, paging), len(view.rows))
    start, _ = choice_dates(choice, today, options)
    return JSONResponse(transactions_payload(view, paging, start))


def _csv(body: bytes, total: int) -> Response:
    headers = {
        "Content-Disposition": 'attachment; filename="transactions.csv"',
        "X-Total-Count": str(total),
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _no_transactions(chosen: str, paging: Paging, today: date) -> Response:
    if chosen == "csv":
        header = ",".join(TRANSACTION_EXPORT_COLUMNS) + "\r\n"
        return _csv(header.encode(), 0)
    empty: Json = {
        "from": today.isoformat(),
        "to": today.isoformat(),
        "page": paging.page,
        "page_size": paging.page_size,
        "pages": 1,
        "total": 0,
        "totals": {"count": 0, "spending": {}, "income": {}, "net": {}},
        "transactions": [],
    }
    return JSONResponse(empty)


# --- Routes -------------------------------------------------------------------------------------

Endpoint = Callable[[Settings, Reader, Params], Response]


@dataclass(frozen=True)
class Api:
    """The API's routes over where settings come from and the rate limit's buckets (a test
    gives its own of both)."""

    settings: Callable[[], Settings | None] = settings_or_none
    buckets: TokenBuckets = field(default_factory=TokenBuckets)

    def _enabled_settings(self) -> Settings:
        settings = self.settings()
        if settings is None:
            raise ApiError(503, "unavailable")
        if not api_enabled(settings):
            raise ApiError(404, "not_found")
        return settings

    def _answer(self, request: Request, endpoint: Endpoint) -> Response:
        settings = self._enabled_settings()
        reader = authenticate(settings, bearer_token(request))
        wait = self.buckets.wait_seconds(reader.limit_key)
        if wait:
            raise ApiError(429, "rate_limited", headers={"Retry-After": str(wait)})
        return endpoint(settings, reader, query_params(request))

    def guarded(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                return await run_in_threadpool(self._answer, request, endpoint)
            except ApiError as error:
                return error.response()
            except Exception as error:  # its message may hold data: only its type is logged
                log.error("API request failed: %s", type(error).__name__)
                return ApiError(500, "internal").response()

        return handle

    async def openapi(self, _: Request) -> Response:
        """The description is public where the API exists: it holds no data."""
        try:
            await run_in_threadpool(self._enabled_settings)
        except ApiError as error:
            return error.response()
        return JSONResponse(openapi_document())

    async def nowhere(self, _: Request) -> Response:
        return ApiError(404, "not_found").response()

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/summary", self.guarded(summary), methods=["GET"]),
            Route(f"{PREFIX}/cards", self.guarded(cards), methods=["GET"]),
            Route(f"{PREFIX}/transactions", self.guarded(transactions), methods=["GET"]),
            Route(f"{PREFIX}/openapi.json", self.openapi, methods=["GET"]),
            # Any other address under /api/ is the API's 404, not a page of the app.
            Route("/api/{rest:path}", self.nowhere),
        ]


ROUTES = Api().routes()
