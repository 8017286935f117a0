"""Plaid over plaid-python, returning our domain objects and our errors.

Every call goes through one wrapper: explicit connect and read timeouts, retries only for
what is temporary (through ``call_with_retry``), and every failure turned into a
``PlaidError`` that carries Plaid's error_type, error_code and request_id, a message for a
person and the action they should take. plaid-python's own exception text contains response
headers and bodies, so it is never logged or chained.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import plaid
import urllib3
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_transactions import LinkTokenTransactions
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.transactions_recurring_get_request import TransactionsRecurringGetRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from integrations.common.errors import Action, UpstreamError
from integrations.common.guidance import Guidance
from integrations.common.logs import get_logger
from integrations.common.retry import RetryPolicy, call_with_retry
from integrations.common.timeouts import (
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS,
)
from integrations.models import Account, Institution, ItemData, SyncState, Transaction
from integrations.plaid.parse import (
    PlaidBodyError,
    institution_name,
    parse_item_data,
    parse_live_balances,
    read_recurring,
)

PLAID_VERSION = "2020-09-14"
CLIENT_NAME = "Credit Monitor"
SYNC_PAGE_SIZE = 500
DAYS_REQUESTED = 730
MAX_SYNC_RESTARTS = 3
# Requests one sync may make, restarts and NOT_READY polls included. 400 pages of 500 is
# 200,000 transactions: two years at over 250 a day, or a 100-page history read four times
# over because it changed under us. Past that Plaid is not converging (has_more never ends)
# and reading on would hold the page for many minutes, so the bank gets a problem instead.
MAX_SYNC_PAGES = 400
MAX_NOT_READY_POLLS = 3
# Plaid's published sandbox test login, not a credential.
SANDBOX_USERNAME, SANDBOX_PASSWORD = "user_good", "pass_good"
MUTATION_DURING_PAGINATION = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
# Our own codes for a sync that Plaid never lets finish.
SYNC_CURSOR_REPEATED, SYNC_TOO_MANY_PAGES = "SYNC_CURSOR_REPEATED", "SYNC_TOO_MANY_PAGES"
# A kept cursor Plaid will not continue from (an item reset, a cursor too old): start over.
CURSOR_REFUSED = frozenset({("INVALID_REQUEST", "INVALID_FIELD")})
# A bank without card data still has balances and transactions worth showing.
NO_LIABILITIES = frozenset({"PRODUCTS_NOT_SUPPORTED", "NO_LIABILITY_ACCOUNTS"})
# Products only some accounts have (liabilities needs a card or a loan). Listed in Link's
# `products`, they would hide every bank and account without them (a checking or savings
# account alone); as `required_if_supported_products` they are taken wherever the bank has
# them, and the link succeeds without them.
IF_SUPPORTED_PRODUCTS = frozenset({"liabilities"})
# Plaid's recurring streams (/transactions/recurring/get), an add-on to Transactions billed
# per item once used: asked only of items already billed for it (docs/PLAID.md).
RECURRING_PRODUCT = Products("recurring_transactions").value
RECURRING_REFUSED_NOTE = (
    "Plaid's recurring payments and paychecks were not available for this bank, so the app "
    "found them in the transactions itself."
)

log = get_logger("plaid")


class PlaidError(UpstreamError):
    service = "Plaid"


ERROR_CODES: Mapping[str, Guidance] = {
    "ITEM_LOGIN_REQUIRED": Guidance(
        "Your bank needs you to sign in again before it shares new data.", Action.RELINK
    ),
    "PENDING_EXPIRATION": Guidance(
        "Your bank's consent is about to expire; sign in again to keep it connected.",
        Action.RELINK,
    ),
    "INSTITUTION_DOWN": Guidance(
        "Your bank is not answering Plaid right now.", Action.RETRY_LATER, retryable=True
    ),
    "INSTITUTION_NOT_RESPONDING": Guidance(
        "Your bank is not answering Plaid right now.", Action.RETRY_LATER, retryable=True
    ),
    "INVALID_ACCESS_TOKEN": Guidance("This bank connection is no longer valid.", Action.RECONNECT),
    "ITEM_NOT_FOUND": Guidance("This bank connection no longer exists.", Action.RECONNECT),
    "INVALID_API_KEYS": Guidance("The app's Plaid keys were rejected.", Action.FIX_CONFIGURATION),
    "INVALID_PUBLIC_TOKEN": Guidance(
        "The new connection expired before it could be saved; connect again.", Action.RECONNECT
    ),
    "INVALID_CREDENTIALS": Guidance(
        "The bank did not accept that user name or password.", Action.RELINK
    ),
    "PRODUCTS_NOT_SUPPORTED": Guidance(
        "This bank does not share card details (due dates, APRs).", Action.NONE
    ),
    "NO_LIABILITY_ACCOUNTS": Guidance(
        "This bank has no credit card details to share.", Action.NONE
    ),
    "PRODUCT_NOT_READY": Guidance(
        "Plaid is still preparing this bank's data.", Action.RETRY_LATER, retryable=True
    ),
    MUTATION_DURING_PAGINATION: Guidance(
        "Your bank's transactions changed while they were being read.", Action.RETRY_LATER
    ),
    "PLANNED_MAINTENANCE": Guidance(
        "Plaid is down for planned maintenance.", Action.RETRY_LATER, retryable=True
    ),
    "INTERNAL_SERVER_ERROR": Guidance(
        "Plaid had a problem answering.", Action.RETRY_LATER, retryable=True
    ),
}
ERROR_TYPES: Mapping[str, Guidance] = {
    "RATE_LIMIT_EXCEEDED": Guidance(
        "Too many requests to Plaid for now.", Action.RETRY_LATER, retryable=True
    ),
    "API_ERROR": Guidance("Plaid had a problem answering.", Action.RETRY_LATER, retryable=True),
    "INSTITUTION_ERROR": Guidance(
        "Your bank is not answering Plaid right now.", Action.RETRY_LATER, retryable=True
    ),
    "ITEM_ERROR": Guidance("This bank connection needs attention.", Action.RECONNECT),
    "INVALID_INPUT": Guidance("Plaid rejected the app's request.", Action.CONTACT_SUPPORT),
    "INVALID_REQUEST": Guidance("Plaid rejected the app's request.", Action.CONTACT_SUPPORT),
}
UNKNOWN = Guidance("Plaid returned an error the app does not know.", Action.CONTACT_SUPPORT)


def _guidance(error_type: str, error_code: str, status: int | None) -> Guidance:
    if error_code in ERROR_CODES:
        return ERROR_CODES[error_code]
    if error_type in ERROR_TYPES:
        return ERROR_TYPES[error_type]
    if status == 429:
        return ERROR_TYPES["RATE_LIMIT_EXCEEDED"]
    if status is not None and status >= 500:
        return ERROR_TYPES["API_ERROR"]
    return UNKNOWN


def _retry_after(exc: plaid.ApiException) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_api_exception(exc: plaid.ApiException) -> PlaidError:
    """Plaid's error object, reduced to its codes; the free text is not kept."""
    status = int(exc.status) if exc.status else None
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    error_type = str(body.get("error_type") or "")
    error_code = str(body.get("error_code") or f"HTTP_{status}")
    guide = _guidance(error_type, error_code, status)
    return PlaidError(
        code=error_code,
        error_type=error_type,
        user_message=guide.message,
        action=guide.action,
        request_id=str(body.get("request_id")) if body.get("request_id") else None,
        status=status,
        retryable=guide.retryable,
        retry_after=_retry_after(exc),
    )


def _transport_error(code: str, message: str) -> PlaidError:
    return PlaidError(
        code=code, error_type="NETWORK", user_message=message, action=Action.RETRY_LATER,
        retryable=True,
    )  # fmt: skip


def _malformed() -> PlaidError:
    return PlaidError(
        code="MALFORMED_RESPONSE",
        error_type="API_ERROR",
        user_message="Plaid sent an answer the app could not read.",
        action=Action.RETRY_LATER,
    )


def translate(exc: BaseException) -> PlaidError:
    """Any failure of a plaid-python call as a PlaidError."""
    if isinstance(exc, PlaidError):
        return exc
    if isinstance(exc, plaid.ApiException):
        return error_from_api_exception(exc)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason)
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return _transport_error("UNREACHABLE", "Plaid could not be reached.")
    if isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError):
        return _transport_error("TIMEOUT", "Plaid took too long to answer.")
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | OSError):
        return _transport_error("UNREACHABLE", "Plaid could not be reached.")
    # Type errors from the response models, bad JSON, a body missing required fields.
    return _malformed()


def _sync_stopped(code: str, message: str, request_id: object) -> PlaidError:
    return PlaidError(
        code=code, error_type="API_ERROR", user_message=message, action=Action.RETRY_LATER,
        request_id=str(request_id) if request_id else None,
    )  # fmt: skip


class _SyncBudget:
    """The /transactions/sync requests one sync may still make, shared by its restarts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, last_request_id: object) -> None:
        if self.used >= self.limit:
            raise _sync_stopped(
                SYNC_TOO_MANY_PAGES,
                "Plaid kept sending more of this bank's transactions without end, so the app "
                "stopped reading them.",
                last_request_id,
            )
        self.used += 1


def _accounts_of_sync(pages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The accounts and balances a sync's last page carries, as /accounts/get would give
    them; None when it carries none."""
    accounts = pages[-1].get("accounts") if pages else None
    return {"accounts": accounts} if isinstance(accounts, list) and accounts else None


def _known_institution(kept: SyncState | None) -> Institution | None:
    """The bank a kept state names, unless it could not be named then (asked again)."""
    institution = kept.institution if kept is not None else None
    return institution if institution and institution.institution_id != "unknown" else None


def _check_sync_page(page: Mapping[str, Any]) -> None:
    """The shape the sync loop relies on; each transaction is checked when parsed."""
    lists_ok = all(isinstance(page.get(k, []), list) for k in ("added", "modified", "removed"))
    if not lists_ok or "has_more" not in page or "next_cursor" not in page:
        raise _malformed()


def has_recurring_product(item_body: Mapping[str, Any]) -> bool:
    """Whether /item/get says the item is billed for (or was given) Plaid's recurring
    streams. Merely available is not enough: the first call would start billing it."""
    item = item_body.get("item") or {}
    products = {str(p) for key in ("billed_products", "products") for p in item.get(key) or ()}
    return RECURRING_PRODUCT in products


def _link_products(products: tuple[str, ...]) -> tuple[list[Products], list[Products]]:
    """The configured products split for Link: those every linked bank must have, and those
    taken only where the bank has them. Link needs at least one of the first kind, so a
    configuration of only the second kind requires them all, as before."""
    required = [p for p in products if p not in IF_SUPPORTED_PRODUCTS]
    if not required:
        return [Products(p) for p in products], []
    if_supported = [p for p in products if p in IF_SUPPORTED_PRODUCTS]
    return [Products(p) for p in required], [Products(p) for p in if_supported]


# Given an item's cards part while its transactions are still syncing (``fetch_item_since``).
CardsCallback = Callable[[ItemData], None]


def cards_part(
    item_body: Mapping[str, Any],
    institution: Future[dict[str, Any] | None] | None,
    accounts: Future[dict[str, Any]],
    liabilities: Future[tuple[dict[str, Any] | None, str | None]],
    known: Institution | None,
) -> ItemData | None:
    """The item as its first answers give it (bank, accounts with balances, card and loan
    liabilities) with no transactions yet, once those calls are in; None when one of them
    failed or cannot be read (the whole fetch then reports it, in its usual order)."""
    try:
        institution_body = institution.result() if institution else None
        accounts_body = accounts.result()
        liabilities_body, note = liabilities.result()
        return parse_item_data(
            item_body=item_body,
            institution_body=institution_body,
            accounts_body=accounts_body,
            sync_pages=(),
            liabilities_body=liabilities_body,
            notes=(note,) if note else (),
            known_institution=known,
        )
    except (PlaidError, PlaidBodyError, KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read: float = DEFAULT_READ_TIMEOUT_SECONDS


class PlaidClient:
    """One configured plaid-python API, used by every session of the process."""

    def __init__(
        self,
        *,
        host: str,
        client_id: str,
        secret: str,
        country_codes: tuple[str, ...] = ("US",),
        products: tuple[str, ...] = ("transactions", "liabilities"),
        redirect_uri: str | None = None,
        webhook_url: str | None = None,
        timeouts: Timeouts = Timeouts(),
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_delay: float = 2.0,
    ) -> None:
        configuration = plaid.Configuration(
            host=host,
            api_key={"clientId": client_id, "secret": secret, "plaidVersion": PLAID_VERSION},
        )
        # Retries happen in call_with_retry only, so that they are counted and bounded.
        configuration.retries = False
        self._api = plaid_api.PlaidApi(plaid.ApiClient(configuration))
        self._countries = [CountryCode(c) for c in country_codes]
        self._products = [Products(p) for p in products]
        self._link_required, self._link_if_supported = _link_products(products)
        self._redirect_uri = redirect_uri
        self._webhook_url = webhook_url
        self._timeouts = timeouts
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._poll_delay = poll_delay

    # --- one call -------------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        method: Callable[..., Any],
        request: Any,
        *,
        typed: bool = True,
        raw: bool = False,
        policy: RetryPolicy | None = None,
    ) -> dict[str, Any]:
        """One endpoint, with retries (``policy``, else the client's). ``typed=False`` skips
        plaid-python's type checks of the response, which cost milliseconds per transaction;
        our parser checks instead. ``raw`` skips plaid-python's models altogether (the JSON
        as Plaid sent it): even unchecked, they refuse a null in a nested object whose field
        is not nullable, where our parser can leave out that one entry."""

        def attempt() -> dict[str, Any]:
            started = time.monotonic()
            try:
                response = method(
                    request,
                    _request_timeout=(self._timeouts.connect, self._timeouts.read),
                    _check_return_type=typed,
                    _preload_content=not raw,
                )
                if raw:
                    body = json.loads(response.data)
                    response.release_conn()  # unread by plaid-python: back to the pool
                else:
                    body = response.to_dict()
                if not isinstance(body, dict):
                    raise TypeError("response is not an object")
            except Exception as exc:  # every failure becomes a PlaidError below
                error = translate(exc)
                log.warning(
                    "%s failed: %s after %.2fs", endpoint, error, time.monotonic() - started
                )
                raise error from None
            log.info(
                "%s ok, request_id %s, %.2fs",
                endpoint,
                body.get("request_id"),
                time.monotonic() - started,
            )
            return body

        return call_with_retry(attempt, policy or self._policy)

    # --- connecting -----------------------------------------------------------------------

    def create_link_token(
        self,
        client_user_id: str,
        access_token: str | None = None,
        *,
        account_selection: bool = False,
    ) -> str:
        """A Link token; with an access token, for update mode (signing in again), and with
        ``account_selection`` too, update mode where the person picks the accounts to share
        (new accounts at the bank). The access token stays here: Link gets the link token."""
        fields: dict[str, Any] = {
            "client_name": CLIENT_NAME,
            "language": "en",
            "country_codes": self._countries,
            "user": LinkTokenCreateRequestUser(client_user_id=client_user_id),
        }
        if access_token:
            fields["access_token"] = access_token
            if account_selection:
                fields["update"] = LinkTokenCreateRequestUpdate(account_selection_enabled=True)
        else:
            fields["products"] = self._link_required
            if self._link_if_supported:
                fields["required_if_supported_products"] = self._link_if_supported
            fields["transactions"] = LinkTokenTransactions(days_requested=DAYS_REQUESTED)
        if self._redirect_uri:
            fields["redirect_uri"] = self._redirect_uri
        if self._webhook_url and not access_token:  # a new item's webhooks come to us
            fields["webhook"] = self._webhook_url
        body = self._call(
            "/link/token/create", self._api.link_token_create, LinkTokenCreateRequest(**fields)
        )
        return str(body["link_token"])

    def exchange_public_token(self, public_token: str) -> str:
        body = self._call(
            "/item/public_token/exchange",
            self._api.item_public_token_exchange,
            ItemPublicTokenExchangeRequest(public_token=public_token),
        )
        return str(body["access_token"])

    def create_sandbox_public_token(
        self,
        institution_id: str,
        username: str = SANDBOX_USERNAME,
        password: str = SANDBOX_PASSWORD,
    ) -> str:
        """A sandbox public token for a test institution, as if Link had just succeeded."""
        request = SandboxPublicTokenCreateRequest(
            institution_id=institution_id,
            initial_products=self._products,
            options=SandboxPublicTokenCreateRequestOptions(
                override_username=username, override_password=password
            ),
        )
        body = self._call(
            "/sandbox/public_token/create", self._api.sandbox_public_token_create, request
        )
        return str(body["public_token"])

    def remove_item(self, access_token: str) -> None:
        self._call(
            "/item/remove", self._api.item_remove, ItemRemoveRequest(access_token=access_token)
        )

    def update_item_webhook(self, access_token: str) -> None:
        """Point an existing item's webhooks at the configured URL (items that did not come
        through Link here, such as the operator's)."""
        if not self._webhook_url:
            return
        request = ItemWebhookUpdateRequest(access_token=access_token, webhook=self._webhook_url)
        self._call("/item/webhook/update", self._api.item_webhook_update, request)

    def webhook_verification_key(self, key_id: str) -> dict[str, Any]:
        """The public key (a JWK) Plaid signs webhooks with under ``key_id``."""
        body = self._call(
            "/webhook_verification_key/get",
            self._api.webhook_verification_key_get,
            WebhookVerificationKeyGetRequest(key_id=key_id),
        )
        key = body.get("key")
        if not isinstance(key, dict):
            raise _malformed()
        return key

    # --- reading --------------------------------------------------------------------------

    def get_item(self, access_token: str) -> dict[str, Any]:
        return self._call(
            "/item/get", self._api.item_get, ItemGetRequest(access_token=access_token)
        )

    def get_institution(self, institution_id: str) -> dict[str, Any]:
        request = InstitutionsGetByIdRequest(
            institution_id=institution_id, country_codes=self._countries
        )
        return self._call("/institutions/get_by_id", self._api.institutions_get_by_id, request)

    def get_accounts(self, access_token: str) -> dict[str, Any]:
        return self._call(
            "/accounts/get", self._api.accounts_get, AccountsGetRequest(access_token=access_token)
        )

    def live_balances(self, access_token: str) -> tuple[Account, ...]:
        """Every account of the item with the balance its bank gives now (/accounts/balance/get:
        real time, billed per call, a few calls per item a minute). Asked once, never retried:
        a retried timeout could be billed twice, and the person sees a failure at once."""
        body = self._call(
            "/accounts/balance/get",
            self._api.accounts_balance_get,
            AccountsBalanceGetRequest(access_token=access_token),
            policy=replace(self._policy, max_attempts=1),
        )
        try:
            return parse_live_balances(body)
        except (PlaidBodyError, KeyError, TypeError, ValueError):
            raise _malformed() from None

    def get_liabilities(self, access_token: str) -> dict[str, Any] | None:
        """Card liabilities, or None when the bank offers none (balances still show)."""
        return self._liabilities_or_note(access_token)[0]

    def _liabilities_or_note(self, access_token: str) -> tuple[dict[str, Any] | None, str | None]:
        """Card liabilities, or why there are none in words for the person (by Plaid's code:
        a bank without the product is not the same news as one without cards)."""
        try:
            body = self._call(
                "/liabilities/get",
                self._api.liabilities_get,
                LiabilitiesGetRequest(access_token=access_token),
                # plaid-python refuses the whole answer for one null it does not expect (a
                # loan without a rate); our parser reads each card and loan on its own.
                raw=True,
            )
        except PlaidError as error:
            if error.code in NO_LIABILITIES:
                return None, ERROR_CODES[error.code].message
            raise
        return body, None

    def get_recurring(self, access_token: str) -> dict[str, Any]:
        """Plaid's recurring inflow and outflow streams of the item's accounts."""
        return self._call(
            "/transactions/recurring/get",
            self._api.transactions_recurring_get,
            TransactionsRecurringGetRequest(access_token=access_token),
            raw=True,  # one odd stream must not refuse the list: the parser skips it
            # Tried once: the app has its own detection to fall back on, and the next fetch
            # asks again, so a refusal (not ready yet) is not worth holding the page for.
            policy=replace(self._policy, max_attempts=1),
        )

    def _recurring_or_note(self, access_token: str) -> tuple[dict[str, Any] | None, str | None]:
        """Plaid's recurring streams, or why not in words for the person. Any refusal of
        this one call (not supported, not ready, more consent needed, a fault) leaves the
        item whole: the app finds the streams in the transactions instead."""
        try:
            body = self.get_recurring(access_token)
            # A body we cannot read is a refusal too, not a broken item; one odd stream in
            # it is only left out.
            _, skipped = read_recurring(body)
        except PlaidError as error:
            code = error.code
        except (PlaidBodyError, KeyError, TypeError, ValueError):
            code = "MALFORMED_RESPONSE"
        else:
            if skipped:
                log.warning("/transactions/recurring/get: %d streams could not be read", skipped)
            return body, None
        log.warning(
            "/transactions/recurring/get refused (%s); the app finds this bank's recurring "
            "payments in its transactions instead",
            code,
        )
        return None, RECURRING_REFUSED_NOTE

    def _sync_request(self, access_token: str, cursor: str | None) -> TransactionsSyncRequest:
        if cursor:
            return TransactionsSyncRequest(
                access_token=access_token, cursor=cursor, count=SYNC_PAGE_SIZE
            )
        return TransactionsSyncRequest(access_token=access_token, count=SYNC_PAGE_SIZE)

    def _sync_pass(
        self, access_token: str, start_cursor: str | None, budget: _SyncBudget
    ) -> list[dict[str, Any]]:
        """One pass of /transactions/sync from ``start_cursor`` until has_more is false.

        A cursor that comes back (or an empty one while has_more) would make the pass ask
        for the same pages for ever: it stops with a problem for this bank instead."""
        pages: list[dict[str, Any]] = []
        cursor, polls, request_id = start_cursor, 0, None
        seen = {"", start_cursor or ""}
        while True:
            budget.spend(request_id)
            page = self._call(
                "/transactions/sync",
                self._api.transactions_sync,
                self._sync_request(access_token, cursor),
                typed=False,
            )
            _check_sync_page(page)
            request_id = page.get("request_id")
            if str(page.get("transactions_update_status")) == "NOT_READY" and not page.get(
                "next_cursor"
            ):
                polls += 1
                if polls > MAX_NOT_READY_POLLS:
                    raise self._not_ready()
                self._sleep(self._poll_delay * polls)
                continue
            pages.append(page)
            if not page.get("has_more"):
                return pages
            cursor = str(page["next_cursor"] or "")
            if cursor in seen:
                raise _sync_stopped(
                    SYNC_CURSOR_REPEATED,
                    "Plaid kept sending the same page of this bank's transactions, so the app "
                    "stopped reading them.",
                    request_id,
                )
            seen.add(cursor)

    def _not_ready(self) -> PlaidError:
        guide = ERROR_CODES["PRODUCT_NOT_READY"]
        return PlaidError(
            code="PRODUCT_NOT_READY", error_type="ITEM_ERROR", user_message=guide.message,
            action=guide.action,
        )  # fmt: skip

    def sync_transactions(
        self, access_token: str, start_cursor: str | None = None
    ) -> list[dict[str, Any]]:
        """Every sync page from ``start_cursor``; restarts from it if the data moves under us
        (Plaid's rule: the pages read so far are thrown away). At most MAX_SYNC_PAGES
        requests in all, restarts included."""
        budget = _SyncBudget(MAX_SYNC_PAGES)
        for restart in range(MAX_SYNC_RESTARTS + 1):
            try:
                return self._sync_pass(access_token, start_cursor, budget)
            except PlaidError as error:
                if error.code in (SYNC_CURSOR_REPEATED, SYNC_TOO_MANY_PAGES):
                    log.warning("/transactions/sync stopped after %d pages: %s", budget.used, error)
                if error.code != MUTATION_DURING_PAGINATION or restart == MAX_SYNC_RESTARTS:
                    raise
                log.info("transactions changed during pagination; restarting the sync")
        raise AssertionError("unreachable")  # pragma: no cover

    def fetch_item(self, access_token: str, on_cards: CardsCallback | None = None) -> ItemData:
        """Everything the app shows for one item, its whole transaction history synced."""
        return self.fetch_item_since(access_token, None, on_cards)[0]

    def fetch_item_since(
        self, access_token: str, kept: SyncState | None, on_cards: CardsCallback | None = None
    ) -> tuple[ItemData, SyncState]:
        """Everything the app shows for one item, parsed, and where its sync now stands.

        With ``kept``, an earlier sync's state, only what changed since its cursor is asked
        for and applied to its transactions (one or two sync requests instead of the whole
        history); a cursor Plaid no longer accepts means one sync from the start instead.
        Balances and liabilities are always fetched afresh (the balances from the sync's last
        page, which carries the accounts; /accounts/get if it does not), the institution is
        the one kept: three calls for an item with little news (four for an item billed for
        Plaid's recurring streams, asked each time: they change as transactions arrive).

        /item/get goes first and alone: a bad token shows there, before anything else is
        asked. The other calls then go out together (the sync pages follow one another), so
        a cold item waits for its slowest call, not for the sum. A failure is reported in the
        order the calls are listed here, so the same fault always gives the same message.
        For a bank that wants a new login /item/get still answers (with item.error), so that
        failure is raised naming the bank.

        ``on_cards`` is given the item's cards part (``cards_part``) as soon as its accounts
        and liabilities are in, two round trips in, while the sync pages go on: the same
        answers, so no call is added or repeated."""
        item_body = self.get_item(access_token)
        resuming = kept is not None and bool(kept.cursor)
        known = _known_institution(kept)
        with ThreadPoolExecutor(max_workers=5, thread_name_prefix="plaid-item") as pool:
            institution = None if known else pool.submit(self._institution_or_none, item_body)
            # Resuming, the balances come with the sync's last page: one call fewer.
            accounts = None if resuming else pool.submit(self.get_accounts, access_token)
            sync = pool.submit(self._sync_from_kept, access_token, kept)
            liabilities = pool.submit(self._liabilities_or_note, access_token)
            recurring = (
                pool.submit(self._recurring_or_note, access_token)
                if has_recurring_product(item_body)
                else None
            )
            if on_cards is not None and accounts is not None:
                part = cards_part(item_body, institution, accounts, liabilities, known)
                if part is not None:
                    on_cards(part)
        institution_body = institution.result() if institution else None
        try:
            accounts_body = accounts.result() if accounts else None
            pages, earlier = sync.result()
            liabilities_body, note = liabilities.result()
            recurring_body, recurring_note = recurring.result() if recurring else (None, None)
            if accounts_body is None:
                accounts_body = _accounts_of_sync(pages) or self.get_accounts(access_token)
        except PlaidError as error:
            # /item/get answered, so the bank can be named even while it needs a new login.
            name = institution_name(item_body, institution_body) or (known.name if known else None)
            raise error.naming(name) from None
        try:
            data = parse_item_data(
                item_body=item_body,
                institution_body=institution_body,
                accounts_body=accounts_body,
                sync_pages=pages,
                liabilities_body=liabilities_body,
                notes=tuple(n for n in (note, recurring_note) if n),
                earlier=earlier,
                known_institution=known,
                recurring_body=recurring_body,
            )
        except (PlaidBodyError, KeyError, TypeError, ValueError):
            raise _malformed() from None
        cursor = str(pages[-1].get("next_cursor") or "") if pages else ""
        cursor = cursor or (kept.cursor if kept else "")
        from_start = kept is None or not kept.cursor or not earlier
        return data, SyncState(cursor, data.transactions, data.item.institution, from_start)

    def _sync_from_kept(
        self, access_token: str, kept: SyncState | None
    ) -> tuple[list[dict[str, Any]], tuple[Transaction, ...]]:
        """The sync pages since ``kept`` and the transactions they apply to; from the start
        (and nothing earlier: the state then says ``from_start``) without a kept state or
        when Plaid refuses its cursor."""
        if kept is None or not kept.cursor:
            return self.sync_transactions(access_token), ()
        try:
            return self.sync_transactions(access_token, kept.cursor), kept.transactions
        except PlaidError as error:
            if (error.error_type, error.code) not in CURSOR_REFUSED:
                raise
        log.info("/transactions/sync refused the kept cursor; syncing from the start")
        return self.sync_transactions(access_token), ()

    def _institution_or_none(self, item_body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The institution's name is a nicety: without it the item still shows."""
        institution_id = (item_body.get("item") or {}).get("institution_id")
        if not institution_id:
            return None
        try:
            return self.get_institution(str(institution_id))
        except PlaidError:
            return None
