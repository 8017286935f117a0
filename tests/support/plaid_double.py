"""A local stand-in for the Plaid API, for tests that drive the real plaid-python client.

The double is an HTTP server on 127.0.0.1 that answers the endpoints the app calls with the
same JSON bodies Plaid sends, so ``plaid.Configuration(host=double.url, ...)`` exercises the
client's real HTTP, error and deserialization paths without any network. Tests steer it with
injected faults and record what the client sent.

Default data are the demo Items from ``integrations.demo.plaid`` (already schema-checked against
plaid-python). Bodies are served read-only: every answer is a fresh top-level copy with its own
``request_id``.

Secrets travel in request headers and bodies, so the double never logs either: the request log
of ``http.server`` and its error printing are silenced, and requests are kept in memory only.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import hashlib
import itertools
import json
import socket
import struct
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from plaid.model.products import Products

from integrations.demo.plaid import DemoPlaidItem, balance_get_body, plaid_demo_items
from integrations.plaid.client import PlaidClient
from tests.support.clock import TODAY
from tests.support.local_http import LocalServer, ServedDouble

__all__ = ["Fault", "PlaidDouble", "RecordedRequest", "WebhookKey", "plaid_double"]

JsonDict = dict[str, Any]

FaultKind = Literal[
    "plaid_error",
    "http_status",
    "slow",
    "held",
    "malformed_json",
    "missing_field",
    "reset",
    "truncated",
    "stuck_cursor",  # /transactions/sync: has_more stays true, next_cursor never moves on
]

SYNC_PATH = "/transactions/sync"
RECURRING_PATH = "/transactions/recurring/get"
RECURRING_PRODUCT = "recurring_transactions"
KEY_PATH = "/webhook_verification_key/get"
DOCUMENTATION_URL = "https://plaid.com/docs/errors/"
MALFORMED_BODY = b'{"accounts": ['
GOOD_PASSWORD = "pass_good"

# Plaid's sandbox test institutions (non-OAuth), as /sandbox/public_token/create accepts them.
SANDBOX_INSTITUTIONS = {
    "ins_109508": "First Platypus Bank",
    "ins_109509": "First Gingham Credit Union",
    "ins_109510": "Tattersall Federal Credit Union",
    "ins_109511": "Tartan Bank",
    "ins_109512": "Houndstooth Bank",
}

# Plaid's product names, as plaid-python's Products enum knows them.
PRODUCT_NAMES = frozenset(Products.allowed_values[("value",)].values())
PRODUCT_LISTS = ("products", "required_if_supported_products", "optional_products")

# Keys whose values are ids: a sandbox Item gets fresh ones so it never collides with the demo.
_ID_KEYS = frozenset({"item_id", "account_id", "transaction_id", "pending_transaction_id"})


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """One injected failure for an endpoint."""

    kind: FaultKind
    status: int = 400
    error_type: str = ""  # for plaid_error, e.g. "ITEM_ERROR"
    error_code: str = ""  # e.g. "ITEM_LOGIN_REQUIRED"
    display_message: str | None = None
    times: int = 1  # how many matching requests fail before it passes through
    delay: float = 0.0  # for slow: seconds to sleep before answering normally
    page: int | None = None  # /transactions/sync only: the Nth page request of a sync pass
    missing: str | None = None  # for missing_field: top-level key dropped from a good body
    retry_after: int | None = None  # adds a Retry-After header (429s)
    # for held: the answer (a normal one) waits until the test sets this, or the double stops
    gate: threading.Event | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the double received it (kept in memory only, never logged)."""

    path: str
    body: dict  # parsed JSON request body ({} when it was not a JSON object)
    headers: dict[str, str] = field(repr=False)  # carries PLAID-SECRET: kept out of reprs


@dataclass(frozen=True)
class WebhookKey:
    """A P-256 key pair that signs webhooks the way Plaid does (a JWT, ES256)."""

    kid: str
    private: ec.EllipticCurvePrivateKey = field(repr=False)
    expired: bool = False

    @classmethod
    def new(cls, kid: str, expired: bool = False) -> WebhookKey:
        return cls(kid, ec.generate_private_key(ec.SECP256R1()), expired)

    def jwk(self) -> JsonDict:
        """The public half, as /webhook_verification_key/get answers it."""
        numbers = self.private.public_key().public_numbers()
        created = int(datetime.now(UTC).timestamp()) - 86_400
        return {
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
            "created_at": created,
            "expired_at": created + 3600 if self.expired else None,
        }

    def sign(self, body: bytes, *, kid: str | None, issued_at: float) -> str:
        header = {"alg": "ES256", "kid": kid or self.kid, "typ": "JWT"}
        claims = {"iat": int(issued_at), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        signed = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
        der = self.private.sign(signed.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signed}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --------------------------------------------------------------------------------------------
# Internal types
# --------------------------------------------------------------------------------------------


class _PlaidError(Exception):
    """Raised by endpoint code to answer with a Plaid error body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        error_code: str,
        message: str,
        display_message: str | None = None,
    ) -> None:
        super().__init__(error_code)
        self.status = status
        self.error_type = error_type
        self.error_code = error_code
        self.message = message
        self.display_message = display_message


@dataclass
class _Reply:
    """What to send back, and how (normally, or broken on purpose)."""

    status: int
    body: JsonDict
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent instead of the JSON of `body`
    delay: float = 0.0  # sleep first (slow fault)
    mode: Literal["normal", "reset", "truncated"] = "normal"
    gate: threading.Event | None = None  # held fault: answer once set


@dataclass
class _Injection:
    """A fault registered for a path (and maybe one token), with its remaining count."""

    path: str
    fault: Fault
    access_token: str | None
    remaining: int


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _demo_items(today: date) -> tuple[DemoPlaidItem, ...]:
    """Demo Items for a day, built once per process: the double never mutates them."""
    return plaid_demo_items(today)


def _iso_z(moment: datetime) -> str:
    """A UTC timestamp the way Plaid writes it (``2025-01-01T12:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_body(failure: _PlaidError, request_id: str) -> JsonDict:
    """Plaid's error object, with every key plaid-python's PlaidError model knows about."""
    return {
        "error_type": failure.error_type,
        "error_code": failure.error_code,
        "error_message": failure.message,
        "display_message": failure.display_message,
        "request_id": request_id,
        "causes": [],
        "status": failure.status,
        "documentation_url": DOCUMENTATION_URL,
        "suggested_action": None,
    }


def _missing_fields(*names: str) -> _PlaidError:
    return _PlaidError(
        400,
        "INVALID_REQUEST",
        "MISSING_FIELDS",
        "the following required fields are missing: " + ", ".join(names),
    )


def _invalid_field(message: str) -> _PlaidError:
    return _PlaidError(400, "INVALID_REQUEST", "INVALID_FIELD", message)


def _invalid_access_token() -> _PlaidError:
    return _PlaidError(
        400,
        "INVALID_INPUT",
        "INVALID_ACCESS_TOKEN",
        "provided access token is in an invalid format",
    )


def _require(body: JsonDict, *names: str) -> None:
    """Fail like Plaid does when required request fields are absent or empty."""
    absent = [name for name in names if body.get(name) in (None, "", [], {})]
    if absent:
        raise _missing_fields(*absent)


def _check_products(body: JsonDict) -> None:
    """Link's product lists: known names only, and no product in two lists (Plaid's rule)."""
    seen: set[str] = set()
    for name in PRODUCT_LISTS:
        products = body.get(name)
        if products is None:
            continue
        if not isinstance(products, list) or not set(products) <= PRODUCT_NAMES:
            raise _invalid_field(f"{name} must be a list of Plaid products")
        if seen & set(products):
            raise _invalid_field(f"{name} must not repeat a product of another list")
        seen |= set(products)


def _check_update(body: JsonDict) -> None:
    """Update mode's options: an object of booleans, and only for an existing Item."""
    update = body.get("update")
    if update is None:
        return
    if body.get("access_token") is None:
        raise _invalid_field("update is only for update mode (with an access_token)")
    flags = ("account_selection_enabled", "reauthorization_enabled")
    if not isinstance(update, dict) or any(
        not isinstance(update.get(name, False), bool) for name in flags
    ):
        raise _invalid_field("update must be an object of booleans")


def _fresh_id(old: str) -> str:
    """A new random id of the same length as `old` (Plaid ids are fixed-width strings)."""
    return (uuid.uuid4().hex + uuid.uuid4().hex)[: max(len(old), 8)]


def _rekey(value: Any, ids: dict[str, str], institution: tuple[str, str]) -> Any:
    """Deep copy of a demo body with fresh ids and the given institution id and name."""
    if isinstance(value, list):
        return [_rekey(element, ids, institution) for element in value]
    if not isinstance(value, dict):
        return value
    copy: JsonDict = {}
    for key, sub in value.items():
        if key in _ID_KEYS and isinstance(sub, str):
            copy[key] = ids.setdefault(sub, _fresh_id(sub))
        elif key == "institution_id" and sub is not None:
            copy[key] = institution[0]
        elif key == "institution_name" and sub is not None:
            copy[key] = institution[1]
        else:
            copy[key] = _rekey(sub, ids, institution)
    return copy


def sandbox_item(template: DemoPlaidItem, access_token: str, institution_id: str) -> DemoPlaidItem:
    """A copy of `template` that looks like a new Item at a sandbox institution."""
    target = (institution_id, SANDBOX_INSTITUTIONS[institution_id])
    ids: dict[str, str] = {}
    institution = _rekey(template.institution, ids, target)
    institution["institution"]["name"] = target[1]
    institution["institution"]["oauth"] = False
    liabilities = template.liabilities_get
    return DemoPlaidItem(
        access_token=access_token,
        item_get=_rekey(template.item_get, ids, target),
        institution=institution,
        accounts_get=_rekey(template.accounts_get, ids, target),
        transactions_sync_pages=tuple(
            _rekey(page, ids, target) for page in template.transactions_sync_pages
        ),
        liabilities_get=None if liabilities is None else _rekey(liabilities, ids, target),
    )


def _sandbox_institution(template: JsonDict, institution_id: str) -> JsonDict:
    """The /institutions/get_by_id body of a sandbox institution nobody linked yet."""
    institution = dict(template["institution"])
    institution.update(
        institution_id=institution_id, name=SANDBOX_INSTITUTIONS[institution_id], oauth=False
    )
    return {"institution": institution, "request_id": ""}


def _is_json_object(raw: bytes) -> JsonDict | None:
    """The request body as a dict, or None when it is not a JSON object."""
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Hands every POST to the double; silences the request log."""

    server: LocalServer

    def do_POST(self) -> None:
        self.server.owner._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Never log: request lines and errors are no business of the test output."""


def _send(handler: _Handler, reply: _Reply, stopping: threading.Event) -> None:
    """Write `reply` to the socket, honouring the fault modes (sleep, reset, truncation)."""
    if reply.delay and stopping.wait(reply.delay):
        reply = replace(reply, mode="reset")  # shutting down: drop it instead of answering
    while reply.gate is not None and not reply.gate.wait(0.05):
        if stopping.is_set():
            reply = replace(reply, mode="reset", gate=None)
    if reply.mode == "reset":
        _reset(handler)
        return
    payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
    handler.send_response(reply.status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if reply.mode == "truncated":
        payload = payload[: len(payload) // 2]
        handler.close_connection = True
    handler.wfile.write(payload)


def _reset(handler: _Handler) -> None:
    """Close the connection with a TCP reset and no answer at all."""
    handler.close_connection = True
    connection = handler.connection
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


# --------------------------------------------------------------------------------------------
# The double
# --------------------------------------------------------------------------------------------


class PlaidDouble(ServedDouble):
    """A scriptable, recording Plaid API on 127.0.0.1 for the real plaid-python client.

    Each request is checked in this order: known path and JSON body, API keys (headers
    PLAID-CLIENT-ID / PLAID-SECRET), injected faults, then the endpoint. So a fault never
    fires for a request with wrong keys. plaid_error, http_status and reset faults answer
    before the endpoint runs (no side effect: a public token stays unused, an Item stays);
    slow, truncated, malformed_json, missing_field and stuck_cursor run it first (the side
    effect happens). ``require_login`` puts an Item in ITEM_LOGIN_REQUIRED, as Plaid does.

    Attributes:
        url: ``http://127.0.0.1:PORT`` once started.
        not_ready_polls: the first N /transactions/sync requests (any token) answer NOT_READY.
        requests: every request received, oldest first.
        removed_tokens: access tokens retired by /item/remove.
    """

    HANDLER = _Handler

    CLIENT_ID = "double-client-id"
    SECRET = "double-secret-value"

    def __init__(self, today: date | None = None, latency: float = 0.0) -> None:
        """Register the demo Items for `today`; call start() (or use ``with``) to serve.

        ``latency`` (seconds) is slept before every answer, like a distant API (benchmarks);
        0 answers at once, as before."""
        super().__init__()
        self.latency = latency
        self.not_ready_polls: int = 0
        self.requests: list[RecordedRequest] = []
        self.removed_tokens: set[str] = set()
        # Each link token issued, with the redirect_uri it was created with (OAuth banks).
        self.link_tokens: dict[str, str | None] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._items: dict[str, DemoPlaidItem] = {}
        self._public_tokens: dict[str, DemoPlaidItem] = {}
        self._injections: list[_Injection] = []
        self._login_required: set[str] = set()
        self._sync_pages_in_pass: dict[str, int] = {}
        self._not_ready_served = 0
        self._today = today or TODAY
        self._demo = _demo_items(self._today)
        # Webhooks: the key this run signs with (served by id), one Plaid has retired, and
        # the webhook URL each item was pointed at.
        self.webhook_key = WebhookKey.new(f"double-key-{uuid.uuid4().hex[:12]}")
        self.expired_webhook_key = WebhookKey.new("double-key-expired", expired=True)
        self.item_webhooks: dict[str, str] = {}
        self.link_webhooks: dict[str, str | None] = {}
        # What the bank says now, per token and account, where it differs from /accounts/get.
        self._live: dict[str, dict[str, JsonDict]] = {}
        # Per token, a change to the recurring streams served (odd fields Plaid may send).
        self._recurring_edits: dict[str, Callable[[JsonDict], JsonDict]] = {}
        for item in self._demo:
            self.add_item(item.access_token, item)
        self._routes: dict[str, Callable[[JsonDict], JsonDict]] = {
            "/link/token/create": self._link_token_create,
            "/item/public_token/exchange": self._public_token_exchange,
            "/sandbox/public_token/create": self._sandbox_public_token_create,
            "/accounts/get": self._accounts_get,
            "/accounts/balance/get": self._accounts_balance_get,
            "/liabilities/get": self._liabilities_get,
            "/item/get": self._item_get,
            "/item/remove": self._item_remove,
            "/institutions/get_by_id": self._institutions_get_by_id,
            SYNC_PATH: self._transactions_sync,
            KEY_PATH: self._webhook_verification_key_get,
            "/item/webhook/update": self._item_webhook_update,
            RECURRING_PATH: self._transactions_recurring_get,
        }

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> PlaidDouble:
        self._stopping.clear()
        return super().start()

    def stop(self) -> None:
        """Stop serving; wakes handlers sleeping in a slow fault so this returns quickly."""
        self._stopping.set()
        super().stop()

    # ---- scenario --------------------------------------------------------------------------

    def add_item(self, access_token: str, bodies: DemoPlaidItem) -> None:
        """Serve `bodies` (Plaid response bodies of one Item) for `access_token`."""
        with self._lock:
            self._items[access_token] = bodies
            self.removed_tokens.discard(access_token)
            self._sync_pages_in_pass.pop(access_token, None)

    def post_update(
        self,
        access_token: str,
        *,
        added: Iterable[JsonDict] = (),
        modified: Iterable[JsonDict] = (),
        removed: Iterable[str] = (),
    ) -> str:
        """New activity at the bank since the last page: one more sync page, served to a
        sync that continues from the cursor the Item's pages ended with (a sync from the
        start reads it after the earlier pages). Returns the new page's cursor."""
        with self._lock:
            item = self._items[access_token]
            last = item.transactions_sync_pages[-1]
            cursor = f"{last['next_cursor']}+{len(item.transactions_sync_pages)}"
            page = {
                **last,
                "added": list(added),
                "modified": list(modified),
                "removed": [
                    {"transaction_id": t, "account_id": self._account_of(item, t)} for t in removed
                ],
                "next_cursor": cursor,
                "has_more": False,
            }
            # The old last page now has more after it, for a sync from the start.
            pages = (*item.transactions_sync_pages[:-1], {**last, "has_more": True}, page)
            self._items[access_token] = replace(item, transactions_sync_pages=pages)
            return cursor

    def sync_pages(self, access_token: str) -> tuple[JsonDict, ...]:
        """The Item's /transactions/sync pages as served now, first to last."""
        with self._lock:
            return self._items[access_token].transactions_sync_pages

    @staticmethod
    def _account_of(item: DemoPlaidItem, transaction_id: str) -> str:
        for page in item.transactions_sync_pages:
            for raw in (*page["added"], *page["modified"]):
                if raw["transaction_id"] == transaction_id:
                    return str(raw["account_id"])
        raise KeyError(transaction_id)

    def set_live_balance(
        self, access_token: str, account_id: str, current: float, available: float | None
    ) -> None:
        """The bank's balance now, for /accounts/balance/get only (/accounts/get keeps the
        figures it had): money that moved since Plaid last read the bank."""
        with self._lock:
            self._live.setdefault(access_token, {})[account_id] = {
                "current": current,
                "available": available,
            }

    def add_account(self, access_token: str, account: JsonDict) -> None:
        """A new account at the bank, shared from now on (as when the person picks it in
        Link's update mode): /accounts/get and the sync pages carry it."""
        with self._lock:
            item = self._items[access_token]
            accounts = {**item.accounts_get, "accounts": [*item.accounts_get["accounts"], account]}
            pages = tuple(
                {**page, "accounts": [*page["accounts"], account]}
                for page in item.transactions_sync_pages
            )
            self._items[access_token] = replace(
                item, accounts_get=accounts, transactions_sync_pages=pages
            )

    def login_repaired(self, access_token: str) -> None:
        """The person signed in again (Link's update mode): the Item answers as before."""
        with self._lock:
            self._login_required.discard(access_token)

    def bill_recurring(self, access_token: str) -> None:
        """The Item is billed for Plaid's recurring streams (``recurring_transactions`` in
        /item/get's billed_products and products), as an item linked with the add-on is."""
        with self._lock:
            item = self._items[access_token]
            body = item.item_get["item"]
            billed = [*body["billed_products"], RECURRING_PRODUCT]
            products = [*body.get("products", []), RECURRING_PRODUCT]
            available = [p for p in body["available_products"] if p != RECURRING_PRODUCT]
            item_object = {
                **body,
                "billed_products": billed,
                "products": products,
                "available_products": available,
            }
            self._items[access_token] = replace(
                item, item_get={**item.item_get, "item": item_object}
            )

    def edit_recurring(self, access_token: str, edit: Callable[[JsonDict], JsonDict]) -> None:
        """/transactions/recurring/get answers ``edit`` of the streams it would serve (a copy
        of its body), e.g. a stream with a null Plaid's schema does not allow."""
        with self._lock:
            self._recurring_edits[access_token] = edit

    def require_login(self, access_token: str) -> None:
        """The bank wants a new login: /item/get still answers, with the error in
        ``item.error``; the data endpoints fail with ITEM_LOGIN_REQUIRED."""
        with self._lock:
            self._login_required.add(access_token)

    def demo_tokens(self) -> list[str]:
        """Access tokens of the default demo Items (registered at construction)."""
        return [item.access_token for item in self._demo]

    def operator_settings(self, tokens: Iterable[str]) -> dict[str, str]:
        """The settings of an app server whose operator holds `tokens`' banks at this double."""
        return {
            "DATA_SOURCE": "plaid",
            "PLAID_CLIENT_ID": self.CLIENT_ID,
            "PLAID_SECRET": self.SECRET,
            "PLAID_BASE_URL": self.url,
            "PLAID_ACCESS_TOKEN": ",".join(tokens),
        }

    def access_tokens(self) -> list[str]:
        """Every access token the double serves an Item for: the demo ones and any added."""
        with self._lock:
            return list(self._items)

    def names_served(self) -> set[str]:
        """Every institution, account, merchant and transaction name in the bodies the double
        serves: a person's data, for tests that look for it where it must never be."""
        with self._lock:
            items = list(self._items.values())
        names: set[str] = set()
        for item in items:
            names.add(item.institution["institution"]["name"])
            for account in item.accounts_get["accounts"]:
                names.update(filter(None, (account.get("name"), account.get("official_name"))))
            for page in item.transactions_sync_pages:
                for transaction in (*page["added"], *page["modified"]):
                    names.update(
                        filter(None, (transaction.get("merchant_name"), transaction.get("name")))
                    )
                    names.update(c["name"] for c in transaction.get("counterparties") or ())
        return names

    def client(self) -> PlaidClient:
        """The app's own Plaid client, pointed at this double with its credentials."""
        return PlaidClient(host=self.url, client_id=self.CLIENT_ID, secret=self.SECRET)

    def add_sandbox_item(self, access_token: str, institution_id: str) -> None:
        """Serve one more Item for `access_token`: the first demo Item, as if linked at the
        sandbox institution `institution_id` (a key of SANDBOX_INSTITUTIONS)."""
        self.add_item(access_token, sandbox_item(self._demo[0], access_token, institution_id))

    def inject(self, path: str, fault: Fault, access_token: str | None = None) -> None:
        """Make the next `fault.times` matching requests to `path` fail (None = any token)."""
        if fault.kind == "plaid_error" and not (fault.error_type and fault.error_code):
            raise ValueError("a plaid_error fault needs error_type and error_code")
        if fault.kind == "missing_field" and not fault.missing:
            raise ValueError("a missing_field fault needs `missing`")
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._injections.append(_Injection(path, fault, access_token, fault.times))

    @contextlib.contextmanager
    def holding(self, path: str) -> Iterator[threading.Event]:
        """Every answer to `path` waits until the caller sets the event it is given (set on
        leaving the block at the latest, so nothing stays held)."""
        gate = threading.Event()
        self.inject(path, Fault("held", gate=gate, times=10_000))
        try:
            yield gate
        finally:
            gate.set()

    def item_id(self, access_token: str) -> str:
        """The item_id Plaid names this token's item by in webhooks."""
        with self._lock:
            return str(self._items[access_token].item_get["item"]["item_id"])

    def signed_webhook(
        self,
        body: JsonDict | bytes,
        *,
        key: WebhookKey | None = None,
        kid: str | None = None,
        issued_at: float | None = None,
        signed_body: bytes | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as Plaid sends it: the headers (``Plaid-Verification`` and the JSON
        content type) and the body. By default signed now with the key this double serves;
        ``key`` signs with another (say ``WebhookKey.new("x")``, which nobody serves),
        ``kid`` names a different key id, ``issued_at`` (epoch seconds) dates the token, and
        ``signed_body`` is hashed into the token instead of the body sent."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signer = key or self.webhook_key
        token = signer.sign(
            raw if signed_body is None else signed_body,
            kid=kid,
            issued_at=datetime.now(UTC).timestamp() if issued_at is None else issued_at,
        )
        return {"Plaid-Verification": token, "Content-Type": "application/json"}, raw

    def calls(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to one path, oldest first."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # ---- request handling ------------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        """Read, record and answer one request (runs on a handler thread)."""
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = _is_json_object(raw)
        path = handler.path.split("?", 1)[0]
        headers = dict(handler.headers.items())
        with self._lock:
            request_id = f"req-double-{next(self._ids)}"
            self.requests.append(RecordedRequest(path, body or {}, headers))
            reply = self._answer(path, body, headers, request_id)
        if self.latency:
            reply = replace(reply, delay=reply.delay + self.latency)
        with contextlib.suppress(OSError):  # the client may have given up (timeouts)
            _send(handler, reply, self._stopping)

    def _answer(
        self, path: str, body: JsonDict | None, headers: dict[str, str], request_id: str
    ) -> _Reply:
        """Decide the reply: credentials, then injected faults, then the endpoint itself."""
        try:
            checked = self._check_request(path, body, headers)
            fault = self._take_fault(path, checked)
        except _PlaidError as failure:
            return _Reply(failure.status, _error_body(failure, request_id))
        if fault is not None and fault.kind in ("plaid_error", "http_status", "reset"):
            return self._failed_reply(fault, path, request_id)
        reply = self._normal_reply(path, checked, request_id)
        return reply if fault is None else self._spoil(reply, fault, checked)

    def _check_request(self, path: str, body: JsonDict | None, headers: dict[str, str]) -> JsonDict:
        """Reject unknown paths, non-JSON bodies and wrong API keys, as Plaid does."""
        if path not in self._routes:
            raise _PlaidError(404, "INVALID_REQUEST", "NOT_FOUND", f"unknown endpoint {path}")
        if body is None:
            raise _PlaidError(
                400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON"
            )
        wanted = {"plaid-client-id": self.CLIENT_ID, "plaid-secret": self.SECRET}
        received = {name.lower(): value for name, value in headers.items()}
        if any(received.get(name) != value for name, value in wanted.items()):
            raise _PlaidError(
                400,
                "INVALID_INPUT",
                "INVALID_API_KEYS",
                "invalid client_id or secret provided",
            )
        return body

    def _take_fault(self, path: str, body: JsonDict) -> Fault | None:
        """The first live injection matching this request, with its count used up by one."""
        token = body.get("access_token")
        page = self._count_sync_page(body) if path == SYNC_PATH else None
        for injection in self._injections:
            fault = injection.fault
            if injection.path != path or injection.remaining <= 0:
                continue
            if injection.access_token is not None and injection.access_token != token:
                continue
            if path == SYNC_PATH and fault.page is not None and fault.page != page:
                continue
            injection.remaining -= 1
            return fault
        return None

    def _count_sync_page(self, body: JsonDict) -> int:
        """Number of this request within the token's sync pass (no cursor starts a pass)."""
        token = str(body.get("access_token"))
        if body.get("cursor"):
            self._sync_pages_in_pass[token] = self._sync_pages_in_pass.get(token, 0) + 1
        else:
            self._sync_pages_in_pass[token] = 1
        return self._sync_pages_in_pass[token]

    def _failed_reply(self, fault: Fault, path: str, request_id: str) -> _Reply:
        """Replies for faults that stop the request before the endpoint runs."""
        if fault.kind == "reset":
            return _Reply(0, {}, mode="reset")
        if fault.kind == "plaid_error":
            error_type, error_code = fault.error_type, fault.error_code
        elif fault.status == 429:
            error_type = fault.error_type or "RATE_LIMIT_EXCEEDED"
            error_code = fault.error_code or "RATE_LIMIT"
        else:
            error_type = fault.error_type or "API_ERROR"
            error_code = fault.error_code or "INTERNAL_SERVER_ERROR"
        failure = _PlaidError(
            fault.status,
            error_type,
            error_code,
            f"{error_code} injected by the test double for {path}",
            fault.display_message,
        )
        return _Reply(fault.status, _error_body(failure, request_id), _fault_headers(fault))

    def _spoil(self, reply: _Reply, fault: Fault, request: JsonDict) -> _Reply:
        """Apply faults that act on an otherwise normal answer."""
        headers = {**reply.headers, **_fault_headers(fault)}
        if reply.status == 200 and fault.kind == "stuck_cursor":
            # The cursor sent comes back (the page's own on a first request), always "more".
            cursor = request.get("cursor") or reply.body["next_cursor"]
            body = {**reply.body, "has_more": True, "next_cursor": cursor}
            return replace(reply, body=body, headers=headers)
        if fault.kind == "slow":
            return replace(reply, delay=fault.delay, headers=headers)
        if fault.kind == "held":
            return replace(reply, gate=fault.gate, headers=headers)
        if fault.kind == "truncated":
            return replace(reply, mode="truncated", headers=headers)
        if fault.kind == "malformed_json":
            return _Reply(200, {}, headers, raw=MALFORMED_BODY)
        if reply.status == 200 and fault.kind == "missing_field":
            body = {key: value for key, value in reply.body.items() if key != fault.missing}
            return replace(reply, body=body, headers=headers)
        return reply

    def _normal_reply(self, path: str, body: JsonDict, request_id: str) -> _Reply:
        """Run the endpoint; its answer gets this request's request_id."""
        try:
            answer = self._routes[path](body)
        except _PlaidError as failure:
            return _Reply(failure.status, _error_body(failure, request_id))
        return _Reply(200, {**answer, "request_id": request_id})

    # ---- endpoints (called with the lock held; return bodies without request_id) ----------

    def _item(self, body: JsonDict) -> DemoPlaidItem:
        """The Item of the request's access_token, or Plaid's error for a bad token."""
        token = body.get("access_token")
        if not token:
            raise _missing_fields("access_token")
        if token in self.removed_tokens or token not in self._items:
            raise _invalid_access_token()
        return self._items[token]

    def _item_data(self, body: JsonDict) -> DemoPlaidItem:
        """The Item of a data endpoint: refused while the bank wants a new login."""
        item = self._item(body)
        if body["access_token"] in self._login_required:
            raise _login_required()
        return item

    def _link_token_create(self, body: JsonDict) -> JsonDict:
        """A link token; update mode (with an access_token) needs a live Item."""
        _require(body, "client_name", "language", "country_codes", "user")
        user = body["user"]
        if not isinstance(user, dict) or not user.get("client_user_id"):
            raise _missing_fields("user.client_user_id")
        lifetime = timedelta(hours=4)
        if body.get("access_token") is not None:
            self._item(body)
            lifetime = timedelta(minutes=30)
        _check_update(body)
        _check_products(body)
        webhook = body.get("webhook")
        if webhook is not None and not (isinstance(webhook, str) and webhook.startswith("http")):
            raise _invalid_field("webhook must be a URL")
        link_token = f"link-sandbox-{uuid.uuid4()}"
        self.link_tokens[link_token] = body.get("redirect_uri")
        self.link_webhooks[link_token] = webhook
        return {"link_token": link_token, "expiration": _iso_z(datetime.now(UTC) + lifetime)}

    def _public_token_exchange(self, body: JsonDict) -> JsonDict:
        """Trade a single-use public token for a new access token."""
        _require(body, "public_token")
        item = self._public_tokens.pop(body["public_token"], None)
        if item is None:
            raise _PlaidError(
                400,
                "INVALID_INPUT",
                "INVALID_PUBLIC_TOKEN",
                "provided public token is expired or has already been used",
            )
        self.add_item(item.access_token, item)
        return {"access_token": item.access_token, "item_id": item.item_get["item"]["item_id"]}

    def _sandbox_public_token_create(self, body: JsonDict) -> JsonDict:
        """A public token for a new sandbox Item (a copy of the first demo Item)."""
        _require(body, "institution_id", "initial_products")
        institution_id = body["institution_id"]
        if institution_id not in SANDBOX_INSTITUTIONS:
            raise _invalid_institution(institution_id)
        options = body.get("options") or {}
        if options.get("override_password", GOOD_PASSWORD) != GOOD_PASSWORD:
            raise _PlaidError(
                400,
                "ITEM_ERROR",
                "INVALID_CREDENTIALS",
                "the provided credentials were not correct",
                "The provided credentials were not correct. Please try again.",
            )
        access_token = f"access-sandbox-{uuid.uuid4()}"
        public_token = f"public-sandbox-{uuid.uuid4()}"
        self._public_tokens[public_token] = sandbox_item(
            self._demo[0], access_token, institution_id
        )
        return {"public_token": public_token}

    def _accounts_get(self, body: JsonDict) -> JsonDict:
        """The Item's accounts, filtered by options.account_ids when given."""
        answer = dict(self._item_data(body).accounts_get)
        wanted = (body.get("options") or {}).get("account_ids")
        if wanted:
            answer["accounts"] = [a for a in answer["accounts"] if a["account_id"] in wanted]
        return answer

    def _accounts_balance_get(self, body: JsonDict) -> JsonDict:
        """The Item's accounts with the balances the bank gives now (``set_live_balance``),
        stamped with the moment they were read."""
        item = self._item_data(body)
        answer = balance_get_body(item, datetime.now(UTC))
        live = self._live.get(body["access_token"], {})
        for account in answer["accounts"]:
            account["balances"].update(live.get(account["account_id"], {}))
        return answer

    def _liabilities_get(self, body: JsonDict) -> JsonDict:
        """The Item's liabilities, or PRODUCTS_NOT_SUPPORTED when it has none."""
        item = self._item_data(body)
        if item.liabilities_get is None:
            raise _PlaidError(
                400,
                "ITEM_ERROR",
                "PRODUCTS_NOT_SUPPORTED",
                "the requested product is not supported by this institution",
            )
        return item.liabilities_get

    def _item_get(self, body: JsonDict) -> JsonDict:
        answer = self._item(body).item_get
        if body["access_token"] not in self._login_required:
            return answer
        error = _error_body(_login_required(), "")
        return {**answer, "item": {**answer["item"], "error": error}}

    def _item_remove(self, body: JsonDict) -> JsonDict:
        """Forget the access token: later calls with it fail with INVALID_ACCESS_TOKEN."""
        self._item(body)
        self.removed_tokens.add(body["access_token"])
        return {}

    def _webhook_verification_key_get(self, body: JsonDict) -> JsonDict:
        """The public key of a key id this double signs with; Plaid's error for any other."""
        _require(body, "key_id")
        for key in (self.webhook_key, self.expired_webhook_key):
            if body["key_id"] == key.kid:
                return {"key": key.jwk()}
        raise _PlaidError(
            400,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "invalid key_id provided",
        )

    def _item_webhook_update(self, body: JsonDict) -> JsonDict:
        """Point the item's webhooks at a new URL; the item comes back with it."""
        _require(body, "access_token", "webhook")
        item = self._item(body)
        if not str(body["webhook"]).startswith("http"):
            raise _invalid_field("webhook must be a URL")
        self.item_webhooks[body["access_token"]] = body["webhook"]
        return {"item": {**item.item_get["item"], "webhook": body["webhook"]}}

    def _institutions_get_by_id(self, body: JsonDict) -> JsonDict:
        """The institution of any registered Item, or one of the sandbox institutions."""
        _require(body, "institution_id", "country_codes")
        institution_id = body["institution_id"]
        for item in self._items.values():
            if item.institution["institution"]["institution_id"] == institution_id:
                return item.institution
        if institution_id in SANDBOX_INSTITUTIONS:
            return _sandbox_institution(self._demo[0].institution, institution_id)
        raise _invalid_institution(institution_id)

    def _transactions_recurring_get(self, body: JsonDict) -> JsonDict:
        """Recurring streams found in the Item's posted transactions, for an Item that has
        the product at all; PRODUCTS_NOT_SUPPORTED for one that does not."""
        item = self._item_data(body)
        listed = item.item_get["item"]
        has = {
            str(p)
            for key in ("billed_products", "products", "available_products")
            for p in listed.get(key) or ()
        }
        if RECURRING_PRODUCT not in has:
            raise _PlaidError(
                400,
                "ITEM_ERROR",
                "PRODUCTS_NOT_SUPPORTED",
                "the requested product is not supported by this item",
            )
        inflows, outflows = _recurring_streams(item.transactions_sync_pages, self._today)
        answer = {
            "inflow_streams": inflows,
            "outflow_streams": outflows,
            "updated_datetime": _iso_z(datetime.combine(self._today, datetime.min.time(), UTC)),
            "personal_finance_category_version": "v2",
        }
        edit = self._recurring_edits.get(str(body.get("access_token")))
        return edit(copy.deepcopy(answer)) if edit else answer

    def _transactions_sync(self, body: JsonDict) -> JsonDict:
        """Serve the Item's sync pages in order; the cursor says which page comes next."""
        pages = self._item_data(body).transactions_sync_pages
        count = body.get("count")
        if count is not None and not (isinstance(count, int) and 1 <= count <= 500):
            raise _invalid_field("count must be between 1 and 500")
        if self._not_ready_served < self.not_ready_polls:
            self._not_ready_served += 1
            return _not_ready_page(pages[0])
        cursor = body.get("cursor") or ""
        if not cursor:
            return pages[0]
        cursors = [page["next_cursor"] for page in pages]
        if cursor not in cursors:
            raise _invalid_field("cursor is not valid for this access_token")
        index = cursors.index(cursor) + 1
        if index < len(pages):
            return pages[index]
        return _caught_up_page(pages[-1])


@dataclass(frozen=True)
class _Frequency:
    name: str
    low: int  # gaps in [low, high] days are on time
    high: int
    days: int  # the nominal gap, for the predicted next date


_FREQUENCIES = (
    _Frequency("WEEKLY", 5, 9, 7),
    _Frequency("BIWEEKLY", 13, 15, 14),
    _Frequency("SEMI_MONTHLY", 10, 20, 15),
    _Frequency("MONTHLY", 26, 35, 30),
    _Frequency("ANNUALLY", 350, 380, 365),
)


def _frequency_of(gaps: list[int]) -> _Frequency | None:
    """The frequency most gaps fit: every two weeks only when the gaps are all 14 days
    (fixed days of the month, like the 15th and the last, are semi-monthly)."""
    median = sorted(gaps)[len(gaps) // 2]
    for frequency in _FREQUENCIES:
        if not frequency.low <= median <= frequency.high:
            continue
        if frequency.name == "BIWEEKLY" and any(gap != 14 for gap in gaps):
            continue
        on_time = sum(frequency.low <= gap <= frequency.high for gap in gaps)
        if on_time >= 0.75 * len(gaps):
            return frequency
    return None


def _posted_transactions(pages: Iterable[JsonDict]) -> list[JsonDict]:
    """The transactions the pages leave standing (modified replace, removed go), posted only."""
    by_id: dict[str, JsonDict] = {}
    for page in pages:
        for raw in (*page["added"], *page["modified"]):
            by_id[raw["transaction_id"]] = raw
        for gone in page["removed"]:
            by_id.pop(gone["transaction_id"], None)
    return [raw for raw in by_id.values() if not raw["pending"]]


def _stream_amount(amount: float, currency: str | None) -> JsonDict:
    return {"amount": round(amount, 2), "iso_currency_code": currency,
            "unofficial_currency_code": None}  # fmt: skip


def _stream(key: tuple[str, str, bool], runs: list[JsonDict], today: date) -> JsonDict | None:
    """One stream of /transactions/recurring/get from one payee's transactions, or None when
    they come at no regular frequency."""
    minimum = 2 if len(runs) == 2 else 3
    if len(runs) < minimum:
        return None
    runs = sorted(runs, key=lambda raw: (raw["date"], raw["transaction_id"]))
    days = [date.fromisoformat(raw["date"]) for raw in runs]
    frequency = _frequency_of([(b - a).days for a, b in itertools.pairwise(days)])
    if frequency is None or (len(runs) == 2 and frequency.name != "ANNUALLY"):
        return None
    last = runs[-1]
    amounts = [float(raw["amount"]) for raw in runs]
    active = (today - days[-1]).days <= 1.5 * frequency.days
    category = last.get("personal_finance_category") or {}
    return {
        "account_id": key[0],
        "stream_id": hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:37],
        "category": None,
        "category_id": None,
        "description": last["name"],
        "merchant_name": last.get("merchant_name"),
        "first_date": days[0].isoformat(),
        "last_date": days[-1].isoformat(),
        "predicted_next_date": (days[-1] + timedelta(days=frequency.days)).isoformat(),
        "frequency": frequency.name,
        "transaction_ids": [raw["transaction_id"] for raw in runs],
        "average_amount": _stream_amount(sum(amounts) / len(amounts), last["iso_currency_code"]),
        "last_amount": _stream_amount(amounts[-1], last["iso_currency_code"]),
        "is_active": active,
        "status": ("MATURE" if len(runs) >= 6 else "EARLY_DETECTION") if active else "TOMBSTONED",
        "is_user_modified": False,
        "personal_finance_category": {
            "primary": category.get("primary"),
            "detailed": category.get("detailed"),
            "confidence_level": category.get("confidence_level"),
        },
    }


def _recurring_streams(
    pages: Iterable[JsonDict], today: date
) -> tuple[list[JsonDict], list[JsonDict]]:
    """Inflow and outflow streams: each payee's posted transactions per account and
    direction, kept where they come at a regular frequency."""
    groups: dict[tuple[str, str, bool], list[JsonDict]] = {}
    for raw in _posted_transactions(pages):
        key = (raw["account_id"], raw["name"], raw["amount"] < 0)
        groups.setdefault(key, []).append(raw)
    inflows: list[JsonDict] = []
    outflows: list[JsonDict] = []
    for key in sorted(groups):
        stream = _stream(key, groups[key], today)
        if stream is not None:
            (inflows if key[2] else outflows).append(stream)
    return inflows, outflows


def _login_required() -> _PlaidError:
    return _PlaidError(
        400,
        "ITEM_ERROR",
        "ITEM_LOGIN_REQUIRED",
        "the login details of this item have changed (credentials, MFA, or required user "
        "action) and a user login is required to update this information",
        "To keep your account connected, sign in again.",
    )


def _invalid_institution(institution_id: str) -> _PlaidError:
    return _PlaidError(
        400, "INVALID_INPUT", "INVALID_INSTITUTION", f"invalid institution_id {institution_id}"
    )


def _fault_headers(fault: Fault) -> dict[str, str]:
    return {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}


def _not_ready_page(first: JsonDict) -> JsonDict:
    """What /transactions/sync says while the Item's first extraction is still running."""
    return {
        "added": [],
        "modified": [],
        "removed": [],
        "next_cursor": "",
        "has_more": False,
        "accounts": first["accounts"],
        "transactions_update_status": "NOT_READY",
    }


def _caught_up_page(last: JsonDict) -> JsonDict:
    """No news since the last page: an empty delta that keeps the same cursor."""
    return {**last, "added": [], "modified": [], "removed": [], "has_more": False}


# --------------------------------------------------------------------------------------------
# pytest fixture
# --------------------------------------------------------------------------------------------


@pytest.fixture
def plaid_double() -> Iterator[PlaidDouble]:
    """A started PlaidDouble with the demo Items, stopped after the test."""
    double = PlaidDouble().start()
    try:
        yield double
    finally:
        double.stop()
    if double.internal_errors:
        pytest.fail(f"the Plaid double itself failed: {double.internal_errors}")


@pytest.fixture
def plaid_env(monkeypatch: pytest.MonkeyPatch, plaid_double: PlaidDouble) -> PlaidDouble:
    """The app's settings pointed at a started double: its credentials and URL."""
    monkeypatch.setenv("PLAID_CLIENT_ID", PlaidDouble.CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", PlaidDouble.SECRET)
    monkeypatch.setenv("PLAID_BASE_URL", plaid_double.url)
    monkeypatch.setenv("UPSTREAM_BUDGET_SECONDS", "5")
    return plaid_double
