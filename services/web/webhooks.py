"""``POST /webhooks/plaid``: Plaid's webhooks, verified, answered at once, worked on later.

In order, each refusal a JSON body of our own words and a log line with its reason only:
too many calls (429, a token bucket per process), not JSON (415), too big (413), Plaid not
configured here (404), not signed by Plaid (401; which check failed is logged, never said),
Plaid's keys out of reach (503, so Plaid sends it again), not a webhook body (400), the worker
too far behind (503). Then ``200 {"received": true}`` and the event goes to the worker
(``services.runtime.webhook_events``): no Plaid call holds the answer up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.common.logs import get_logger
from integrations.plaid.webhooks import (
    KeyUnavailableError,
    WebhookBodyError,
    WebhookEvent,
    WebhookVerificationError,
    parse_event,
)
from services.runtime import webhook_events
from services.runtime.settings import Settings
from services.web.health import settings_or_none

log = get_logger("webhooks")

PATH = "/webhooks/plaid"
MAX_BODY_BYTES = 64 * 1024  # Plaid's webhook bodies are a few hundred bytes
# Plaid sends a handful per item and day; a burst of this many passes, then this many a second.
BURST = 30
PER_SECOND = 5.0


@dataclass
class TokenBucket:
    """At most ``capacity`` calls at once, refilled at ``rate`` a second. Thread-safe."""

    capacity: int
    rate: float
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tokens, self._at = float(self.capacity), self.clock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def refusal(status: int, error: str, reason: str) -> Response:
    log.warning("webhook refused: %s", reason)
    return JSONResponse({"error": error}, status_code=status)


@dataclass
class FloodNote:
    """Calls refused by the rate limit, logged once per ``every`` seconds with a count: a
    flood must not flood the log too."""

    every: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _refused: int = 0
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refused(self) -> Response:
        with self._lock:
            self._refused += 1
            now = self.clock()
            due, count = now >= self._next, self._refused
            if due:
                self._refused, self._next = 0, now + self.every
        if due:
            log.warning("webhook refused: rate limit (%d calls)", count)
        return JSONResponse({"error": "too many requests"}, status_code=429)


def is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json"


async def capped_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Receiver:
    """The route's collaborators, replaceable in tests: the rate limit, the settings, the
    check of a signature and where accepted events go."""

    bucket: TokenBucket
    settings: Callable[[], Settings | None] = settings_or_none
    verify: Callable[[Settings, str | None, bytes], None] = lambda settings, token, body: (
        webhook_events.verifier(settings).verify(token, body)
    )
    submit: Callable[[Settings, WebhookEvent], bool] = webhook_events.submit
    flood: FloodNote = field(default_factory=FloodNote)

    async def __call__(self, request: Request) -> Response:
        if not self.bucket.take():
            return self.flood.refused()
        if not is_json(request):
            return refusal(415, "the body must be application/json", "content type")
        try:
            body = await capped_body(request)
        except ClientDisconnect:
            return refusal(400, "the body did not arrive", "client went away")
        if body is None:
            return refusal(413, f"the body must be at most {MAX_BODY_BYTES} bytes", "too big")
        settings = await run_in_threadpool(self.settings)
        if settings is None or not settings.plaid_configured:
            return refusal(404, "no Plaid webhooks are received here", "Plaid not configured")
        return await self.verified(request, settings, body)

    async def verified(self, request: Request, settings: Settings, body: bytes) -> Response:
        token = request.headers.get("plaid-verification")
        try:
            await run_in_threadpool(self.verify, settings, token, body)
        except KeyUnavailableError:
            return refusal(503, "try again later", "Plaid's key out of reach")
        except WebhookVerificationError as refused:
            return refusal(401, "the call is not verified", refused.code)
        try:
            event = parse_event(body)
        except WebhookBodyError:
            return refusal(400, "the body is not a Plaid webhook", "not a webhook body")
        if not self.submit(settings, event):
            return refusal(503, "try again later", "worker behind")
        log.info("webhook %s/%s received", event.webhook_type, event.webhook_code)
        return JSONResponse({"received": True})


def routes(receiver: Receiver) -> list[Route]:
    return [Route(PATH, receiver.__call__, methods=["POST"])]


ROUTES = routes(Receiver(TokenBucket(BURST, PER_SECOND)))
