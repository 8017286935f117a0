"""The Plaid double answers the real plaid-python client exactly as the tests need.

Every call here goes through plaid-python 46 (urllib3 transport, response type checks), so these
tests also pin down how that client reports each kind of failure:

* a Plaid error (any non-2xx) raises ``plaid.ApiException`` (5xx: its subclass
  ``ServiceException``) with ``.status``, ``.body`` (a JSON ``str``) and ``.headers``;
* a body that is not JSON raises ``plaid.ApiTypeError`` (a ``TypeError``);
* a required top-level key missing from a 200 body raises a plain ``TypeError``;
* a reset connection raises ``urllib3.exceptions.ProtocolError`` (cause ConnectionResetError)
  and a body shorter than its Content-Length raises ``ProtocolError`` (cause IncompleteRead);
* a read timeout raises ``urllib3.exceptions.ReadTimeoutError``;
* a refused connection raises ``urllib3.exceptions.MaxRetryError``.

None of the transport errors is wrapped in ``ApiException``. ``Configuration.retries`` (default
None: urllib3's own Retry(3)) changes none of this for Plaid's POSTs: urllib3 never retries a
read error or timeout of a non-idempotent method, so each faulty call hits the server once
with retries left at the default or set to 0. Only connection errors are retried.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import plaid
import pytest
import urllib3
from plaid.api.plaid_api import PlaidApi
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.plaid_error import PlaidError
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.transactions_sync_response import TransactionsSyncResponse

from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from tests.support import plaid_double as double_module
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble

Body = dict[str, Any]

# The fixture lives next to the double; a module-level name is how pytest finds it here.
plaid_double = double_module.plaid_double

SYNC = "/transactions/sync"
ACCOUNTS = "/accounts/get"
MUTATION = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
FAST = (1, 0.5)  # (connect, read) seconds


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _client(double: PlaidDouble, secret: str | None = None, retries: int | None = None) -> PlaidApi:
    """The real client pointed at the double (secret=None: the right one)."""
    configuration = plaid.Configuration(
        host=double.url,
        api_key={
            "clientId": PlaidDouble.CLIENT_ID,
            "secret": PlaidDouble.SECRET if secret is None else secret,
            "plaidVersion": "2020-09-14",
        },
    )
    configuration.retries = retries
    return PlaidApi(plaid.ApiClient(configuration))


@pytest.fixture
def api(plaid_double: PlaidDouble) -> PlaidApi:
    return _client(plaid_double)


@pytest.fixture(scope="module")
def demo_today() -> tuple[DemoPlaidItem, ...]:
    return plaid_demo_items(TODAY)


@pytest.fixture
def demo(
    plaid_double: PlaidDouble, demo_today: tuple[DemoPlaidItem, ...]
) -> tuple[DemoPlaidItem, ...]:
    """The bodies the double serves by default (same day, same data)."""
    assert [item.access_token for item in demo_today] == plaid_double.demo_tokens()
    return demo_today


@pytest.fixture
def bank(plaid_double: PlaidDouble) -> str:
    """Access token of the demo bank (three accounts, eight sync pages)."""
    return plaid_double.demo_tokens()[0]


@pytest.fixture
def card(plaid_double: PlaidDouble) -> str:
    """Access token of the demo card issuer (one card, two sync pages)."""
    return plaid_double.demo_tokens()[1]


def _small_item(
    base: DemoPlaidItem, token: str, pages: int = 3, per_page: int = 3
) -> DemoPlaidItem:
    """A copy of `base` whose transaction history is a few tiny pages (fast to deserialize)."""
    first = base.transactions_sync_pages[0]
    added = first["added"][: pages * per_page]
    bodies = tuple(
        {
            **first,
            "added": added[index * per_page : (index + 1) * per_page],
            "modified": [],
            "removed": [],
            "next_cursor": f"cursor-{token}-{index + 1}",
            "has_more": index < pages - 1,
        }
        for index in range(pages)
    )
    return replace(base, access_token=token, transactions_sync_pages=bodies)


@pytest.fixture
def small(plaid_double: PlaidDouble, demo: tuple[DemoPlaidItem, ...]) -> str:
    """Token of an Item with three sync pages of three transactions each."""
    base = demo[1]
    plaid_double.add_item("access-small", _small_item(base, "access-small"))
    return "access-small"


def _sync_request(token: str, cursor: str | None) -> TransactionsSyncRequest:
    if cursor is None:
        return TransactionsSyncRequest(access_token=token, count=500)
    return TransactionsSyncRequest(access_token=token, count=500, cursor=cursor)


def _sync_all(api: PlaidApi, token: str) -> list[TransactionsSyncResponse]:
    """Page through /transactions/sync, restarting the pass on a mutation error."""
    pages: list[TransactionsSyncResponse] = []
    cursor: str | None = None
    while True:
        try:
            page = api.transactions_sync(_sync_request(token, cursor))
        except plaid.ApiException as exc:
            if json.loads(exc.body)["error_code"] != MUTATION:
                raise
            pages, cursor = [], None
            continue
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages


def _apply(pages: list[Body]) -> dict[str, Body]:
    """Final transactions by id: added, then modified (replace), then removed (delete)."""
    by_id: dict[str, Body] = {}
    for page in pages:
        for raw in [*page["added"], *page["modified"]]:
            by_id[raw["transaction_id"]] = raw
        for gone in page["removed"]:
            by_id.pop(gone["transaction_id"])
    return by_id


class _RawResponse:
    """The part of urllib3's response that ApiClient.deserialize reads."""

    def __init__(self, body: Body) -> None:
        self.data = json.dumps(body)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return default


def _as_model(body: Body, model: type) -> Any:
    """Deserialize a body the way the client does for a live response (types checked)."""
    return plaid.ApiClient(plaid.Configuration()).deserialize(_RawResponse(body), (model,), True)


def _error(exc: plaid.ApiException) -> Body:
    """The Plaid error body of an ApiException, checked against plaid-python's PlaidError."""
    body = json.loads(exc.body)
    assert isinstance(_as_model(body, PlaidError), PlaidError)  # keys and types as it wants
    assert body["request_id"].startswith("req-double-")
    assert body["status"] == exc.status
    assert body["causes"] == []
    assert body["documentation_url"] == "https://plaid.com/docs/errors/"
    assert body["suggested_action"] is None
    return body


def _link_request(**extra: Any) -> LinkTokenCreateRequest:
    return LinkTokenCreateRequest(
        client_name="Credit Monitor",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        **extra,
    )


def _sandbox_request(
    institution_id: str = "ins_109508",
    password: str = "pass_good",  # noqa: S107 - Plaid's public sandbox password
) -> SandboxPublicTokenCreateRequest:
    return SandboxPublicTokenCreateRequest(
        institution_id=institution_id,
        initial_products=[Products("transactions")],
        options=SandboxPublicTokenCreateRequestOptions(
            override_username="user_good", override_password=password
        ),
    )


# --------------------------------------------------------------------------------------------
# happy paths
# --------------------------------------------------------------------------------------------


def test_item_data_endpoints_deserialize(
    api: PlaidApi, bank: str, card: str, demo: tuple[DemoPlaidItem, ...]
) -> None:
    for token, bodies in zip((bank, card), demo, strict=True):
        accounts = api.accounts_get(AccountsGetRequest(access_token=token))
        assert [a.account_id for a in accounts.accounts] == [
            a["account_id"] for a in bodies.accounts_get["accounts"]
        ]
        item = api.item_get(ItemGetRequest(access_token=token))
        assert item.item.item_id == bodies.item_get["item"]["item_id"]
        liabilities = api.liabilities_get(LiabilitiesGetRequest(access_token=token))
        assert len(liabilities.liabilities.credit) == len(
            bodies.liabilities_get["liabilities"]["credit"]
        )
        institution_id = bodies.institution["institution"]["institution_id"]
        institution = api.institutions_get_by_id(
            InstitutionsGetByIdRequest(
                institution_id=institution_id, country_codes=[CountryCode("US")]
            )
        )
        assert institution.institution.name == bodies.institution["institution"]["name"]
        for response in (accounts, item, liabilities, institution):
            assert response.request_id.startswith("req-double-")


def test_to_dict_gives_strings_for_enums_and_date_objects(api: PlaidApi, bank: str) -> None:
    accounts = api.accounts_get(AccountsGetRequest(access_token=bank)).to_dict()
    assert {type(a["type"]) for a in accounts["accounts"]} == {str}
    item = api.item_get(ItemGetRequest(access_token=bank)).to_dict()
    assert isinstance(item["item"]["created_at"], datetime)
    assert item["item"]["created_at"].tzinfo is not None
    assert item["item"]["update_type"] == "background"
    credit = api.liabilities_get(LiabilitiesGetRequest(access_token=bank)).to_dict()
    due = credit["liabilities"]["credit"][0]["next_payment_due_date"]
    assert type(due) is date
    with pytest.raises(TypeError):
        json.dumps(credit)  # to_dict() is not JSON-ready: dates stay date objects


def test_link_token_create_normal_and_update_mode(api: PlaidApi, bank: str) -> None:
    now = datetime.now(UTC)
    fresh = api.link_token_create(_link_request(products=[Products("transactions")]))
    assert fresh.link_token.startswith("link-sandbox-")
    assert timedelta(hours=3, minutes=59) < fresh.expiration - now <= timedelta(hours=4, seconds=5)
    update = api.link_token_create(_link_request(access_token=bank))
    assert update.link_token != fresh.link_token
    assert update.expiration - now <= timedelta(minutes=30, seconds=5)


def test_sandbox_link_flow_gives_a_new_item(api: PlaidApi, demo: tuple[DemoPlaidItem, ...]) -> None:
    created = api.sandbox_public_token_create(_sandbox_request("ins_109511"))
    assert created.public_token.startswith("public-sandbox-")
    exchanged = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=created.public_token)
    )
    assert exchanged.access_token.startswith("access-sandbox-")
    first = demo[0]
    assert exchanged.item_id != first.item_get["item"]["item_id"]

    item = api.item_get(ItemGetRequest(access_token=exchanged.access_token)).item
    assert item.item_id == exchanged.item_id
    assert item.institution_id == "ins_109511"
    accounts = api.accounts_get(AccountsGetRequest(access_token=exchanged.access_token))
    assert accounts.item.item_id == exchanged.item_id
    assert len(accounts.accounts) == len(first.accounts_get["accounts"])
    demo_ids = {a["account_id"] for a in first.accounts_get["accounts"]}
    assert not demo_ids & {a.account_id for a in accounts.accounts}
    institution = api.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_109511", country_codes=[CountryCode("US")])
    ).institution
    assert institution.name == "Tartan Bank"


def test_sandbox_institution_is_known_before_linking(api: PlaidApi) -> None:
    institution = api.institutions_get_by_id(
        InstitutionsGetByIdRequest(institution_id="ins_109508", country_codes=[CountryCode("US")])
    ).institution
    assert institution.name == "First Platypus Bank"


def test_item_remove_then_token_is_dead(
    plaid_double: PlaidDouble, api: PlaidApi, card: str
) -> None:
    removed = api.item_remove(ItemRemoveRequest(access_token=card))
    assert removed.request_id.startswith("req-double-")
    assert plaid_double.removed_tokens == {card}
    for call in (
        lambda: api.accounts_get(AccountsGetRequest(access_token=card)),
        lambda: api.item_remove(ItemRemoveRequest(access_token=card)),
    ):
        with pytest.raises(plaid.ApiException) as excinfo:
            call()
        assert excinfo.value.status == 400
        assert _error(excinfo.value)["error_code"] == "INVALID_ACCESS_TOKEN"


# --------------------------------------------------------------------------------------------
# /transactions/sync
# --------------------------------------------------------------------------------------------


def _trimmed_history(base: DemoPlaidItem, token: str, keep: int = 15) -> DemoPlaidItem:
    """`base` with its page structure, cursors, modified and removed entries, but only the
    added transactions those refer to plus `keep` others per page (plaid-python needs ~5 ms
    per transaction to deserialize, so the full history is checked over raw HTTP below)."""
    pages = base.transactions_sync_pages
    touched = {t["transaction_id"] for page in pages for t in [*page["modified"], *page["removed"]]}

    def kept(index: int, raw: Body) -> bool:
        return (
            index < keep
            or raw["transaction_id"] in touched
            or (raw["pending_transaction_id"] in touched)
        )

    trimmed = tuple(
        {**page, "added": [t for i, t in enumerate(page["added"]) if kept(i, t)]} for page in pages
    )
    return replace(base, access_token=token, transactions_sync_pages=trimmed)


def test_full_sync_through_the_client_matches_the_demo_pages(
    plaid_double: PlaidDouble, api: PlaidApi, demo: tuple[DemoPlaidItem, ...]
) -> None:
    item = _trimmed_history(demo[1], "access-trimmed")
    plaid_double.add_item(item.access_token, item)
    demo_pages = list(item.transactions_sync_pages)
    assert [len(p["modified"]) + len(p["removed"]) for p in demo_pages] == [0, 2]

    pages = _sync_all(api, item.access_token)

    assert [page.next_cursor for page in pages] == [p["next_cursor"] for p in demo_pages]
    assert pages[-1].transactions_update_status.value == "HISTORICAL_UPDATE_COMPLETE"
    served = _apply([page.to_dict() for page in pages])
    expected = _apply(demo_pages)
    assert served.keys() == expected.keys()
    for transaction_id, raw in expected.items():
        got = served[transaction_id]
        assert (got["amount"], got["date"].isoformat(), got["pending"]) == (
            raw["amount"],
            raw["date"],
            raw["pending"],
        )


def test_full_sync_of_the_big_item_over_http(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str, demo: tuple[DemoPlaidItem, ...]
) -> None:
    """Eight pages: read the raw bodies through the client's transport (deserializing 4000
    transactions with plaid-python would take ~12 s; the card Item above proves the schema)."""
    bodies: list[Body] = []
    cursor: str | None = None
    while True:
        raw = api.transactions_sync(_sync_request(bank, cursor), _preload_content=False)
        bodies.append(json.loads(raw.data))
        cursor = bodies[-1]["next_cursor"]
        if not bodies[-1]["has_more"]:
            break
    demo_pages = demo[0].transactions_sync_pages
    assert len(bodies) == len(demo_pages) == 8
    assert _apply(bodies) == _apply(list(demo_pages))
    cursors = [call.body.get("cursor") for call in plaid_double.calls(SYNC)]
    assert cursors == [None, *[page["next_cursor"] for page in demo_pages[:-1]]]


def test_sync_with_the_last_cursor_is_an_empty_page(api: PlaidApi, small: str) -> None:
    last = _sync_all(api, small)[-1].next_cursor
    page = api.transactions_sync(_sync_request(small, last))
    assert (page.added, page.modified, page.removed, page.has_more) == ([], [], [], False)
    assert page.next_cursor == last


def test_sync_unknown_cursor_is_invalid_field(api: PlaidApi, small: str) -> None:
    with pytest.raises(plaid.ApiException) as excinfo:
        api.transactions_sync(_sync_request(small, "no-such-cursor"))
    assert excinfo.value.status == 400
    body = _error(excinfo.value)
    assert (body["error_type"], body["error_code"]) == ("INVALID_REQUEST", "INVALID_FIELD")


def test_mutation_during_pagination_on_page_two(
    plaid_double: PlaidDouble, api: PlaidApi, small: str
) -> None:
    plaid_double.inject(
        SYNC,
        Fault("plaid_error", error_type="TRANSACTIONS_ERROR", error_code=MUTATION, page=2),
    )
    pages = _sync_all(api, small)
    assert len(pages) == 3
    cursors = [call.body.get("cursor") for call in plaid_double.calls(SYNC)]
    first, second = (f"cursor-{small}-{n}" for n in (1, 2))
    # page 1, page 2 fails, restart: page 1, page 2, page 3
    assert cursors == [None, first, None, first, second]


def test_page_fault_counts_requests_of_the_current_pass(
    plaid_double: PlaidDouble, api: PlaidApi, small: str
) -> None:
    plaid_double.inject(SYNC, Fault("http_status", status=500, page=3, times=2))
    with pytest.raises(plaid.ApiException):
        _sync_all(api, small)
    with pytest.raises(plaid.ApiException):
        _sync_all(api, small)
    assert len(_sync_all(api, small)) == 3


def test_not_ready_polls(plaid_double: PlaidDouble, api: PlaidApi, small: str) -> None:
    plaid_double.not_ready_polls = 2
    for _ in range(2):
        page = api.transactions_sync(_sync_request(small, None))
        assert page.transactions_update_status.value == "NOT_READY"
        assert (page.added, page.next_cursor, page.has_more) == ([], "", False)
        assert page.accounts
    page = api.transactions_sync(_sync_request(small, None))
    assert page.transactions_update_status.value == "HISTORICAL_UPDATE_COMPLETE"
    assert len(page.added) == 3


# --------------------------------------------------------------------------------------------
# injected faults
# --------------------------------------------------------------------------------------------


def test_plaid_error_fault(plaid_double: PlaidDouble, api: PlaidApi, bank: str) -> None:
    plaid_double.inject(
        ACCOUNTS,
        Fault(
            "plaid_error",
            error_type="ITEM_ERROR",
            error_code="ITEM_LOGIN_REQUIRED",
            display_message="Please sign in again.",
        ),
    )
    with pytest.raises(plaid.ApiException) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=bank))
    assert type(excinfo.value) is plaid.ApiException
    assert excinfo.value.status == 400
    assert isinstance(excinfo.value.body, str)
    body = _error(excinfo.value)
    assert body["error_type"] == "ITEM_ERROR"
    assert body["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert body["display_message"] == "Please sign in again."
    # times=1: the next call passes
    assert api.accounts_get(AccountsGetRequest(access_token=bank)).accounts


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_fault(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str, status: int
) -> None:
    plaid_double.inject(ACCOUNTS, Fault("http_status", status=status))
    with pytest.raises(plaid.ApiException) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=bank))
    assert isinstance(excinfo.value, plaid.exceptions.ServiceException)
    assert excinfo.value.status == status
    body = _error(excinfo.value)
    assert (body["error_type"], body["error_code"]) == ("API_ERROR", "INTERNAL_SERVER_ERROR")


def test_rate_limit_fault_with_retry_after(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str
) -> None:
    plaid_double.inject(
        ACCOUNTS, Fault("http_status", status=429, error_code="ACCOUNTS_LIMIT", retry_after=7)
    )
    with pytest.raises(plaid.ApiException) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=bank))
    assert type(excinfo.value) is plaid.ApiException
    assert excinfo.value.status == 429
    assert excinfo.value.headers["Retry-After"] == "7"
    body = _error(excinfo.value)
    assert (body["error_type"], body["error_code"]) == ("RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT")


@pytest.mark.parametrize("retries", [None, 0])
def test_slow_fault_times_out_and_stop_does_not_wait(
    plaid_double: PlaidDouble, bank: str, retries: int | None
) -> None:
    api = _client(plaid_double, retries=retries)
    plaid_double.inject(ACCOUNTS, Fault("slow", delay=2))
    started = time.perf_counter()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.accounts_get(AccountsGetRequest(access_token=bank), _request_timeout=FAST)
    assert time.perf_counter() - started < 1.5
    assert len(plaid_double.calls(ACCOUNTS)) == 1  # urllib3 does not retry a POST read timeout
    # the next call is answered while the first handler still sleeps
    assert api.accounts_get(AccountsGetRequest(access_token=bank), _request_timeout=FAST).accounts
    started = time.perf_counter()
    plaid_double.stop()
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("retries", [None, 0])
@pytest.mark.parametrize(
    ("fault", "expected", "detail"),
    [
        (Fault("malformed_json"), plaid.ApiTypeError, "received_data"),
        (Fault("missing_field", missing="item"), TypeError, "'item'"),
        (Fault("truncated"), urllib3.exceptions.ProtocolError, "IncompleteRead"),
        (Fault("reset"), urllib3.exceptions.ProtocolError, "ConnectionResetError"),
    ],
    ids=["malformed_json", "missing_field", "truncated", "reset"],
)
def test_broken_answers_raise(
    plaid_double: PlaidDouble,
    bank: str,
    retries: int | None,
    fault: Fault,
    expected: type[Exception],
    detail: str,
) -> None:
    api = _client(plaid_double, retries=retries)
    plaid_double.inject(ACCOUNTS, replace(fault))
    with pytest.raises(expected) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=bank), _request_timeout=FAST)
    assert type(excinfo.value) is expected  # exactly this type, not a subclass
    assert not isinstance(excinfo.value, plaid.ApiException)
    assert detail in repr(excinfo.value)
    assert len(plaid_double.calls(ACCOUNTS)) == 1  # no retry, whatever `retries` says
    assert api.accounts_get(AccountsGetRequest(access_token=bank)).accounts


def test_missing_field_on_sync(plaid_double: PlaidDouble, api: PlaidApi, small: str) -> None:
    plaid_double.inject(SYNC, Fault("missing_field", missing="transactions_update_status"))
    with pytest.raises(TypeError, match="transactions_update_status"):
        api.transactions_sync(_sync_request(small, None))


def test_times_fails_n_times_then_passes(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str
) -> None:
    plaid_double.inject(ACCOUNTS, Fault("http_status", status=503, times=2))
    for _ in range(2):
        with pytest.raises(plaid.ApiException):
            api.accounts_get(AccountsGetRequest(access_token=bank))
    assert api.accounts_get(AccountsGetRequest(access_token=bank)).accounts


def test_fault_for_one_token_spares_the_others(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str, card: str
) -> None:
    plaid_double.inject(
        ACCOUNTS,
        Fault(
            "plaid_error", error_type="INSTITUTION_ERROR", error_code="INSTITUTION_DOWN", times=99
        ),
        access_token=card,
    )
    assert api.accounts_get(AccountsGetRequest(access_token=bank)).accounts
    with pytest.raises(plaid.ApiException) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=card))
    assert _error(excinfo.value)["error_code"] == "INSTITUTION_DOWN"


def test_refused_connection_is_max_retry_error(plaid_double: PlaidDouble, bank: str) -> None:
    api = _client(plaid_double)
    plaid_double.stop()
    with pytest.raises(urllib3.exceptions.MaxRetryError) as excinfo:
        api.accounts_get(AccountsGetRequest(access_token=bank), _request_timeout=FAST)
    assert isinstance(excinfo.value.reason, urllib3.exceptions.NewConnectionError)


def test_inject_rejects_incomplete_faults(plaid_double: PlaidDouble) -> None:
    with pytest.raises(ValueError, match="error_code"):
        plaid_double.inject(ACCOUNTS, Fault("plaid_error"))
    with pytest.raises(ValueError, match="missing"):
        plaid_double.inject(ACCOUNTS, Fault("missing_field"))


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _expect_error(call: Any, status: int, error_type: str, error_code: str) -> Body:
    with pytest.raises(plaid.ApiException) as excinfo:
        call()
    assert excinfo.value.status == status
    body = _error(excinfo.value)
    assert (body["error_type"], body["error_code"]) == (error_type, error_code)
    return body


def test_wrong_credentials(plaid_double: PlaidDouble, bank: str) -> None:
    api = _client(plaid_double, secret="wrong-secret")
    _expect_error(
        lambda: api.accounts_get(AccountsGetRequest(access_token=bank)),
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    )


def test_empty_secret_fails_in_the_client(plaid_double: PlaidDouble, bank: str) -> None:
    """plaid-python drops a falsy key to None and urllib3 rejects a None header value."""
    api = _client(plaid_double, secret="")
    with pytest.raises(TypeError, match="NoneType"):
        api.accounts_get(AccountsGetRequest(access_token=bank))
    assert len(plaid_double.requests) == 0


def test_missing_secret_header_is_invalid_api_keys(plaid_double: PlaidDouble, bank: str) -> None:
    configuration = plaid.Configuration(
        host=plaid_double.url, api_key={"clientId": PlaidDouble.CLIENT_ID}
    )
    api = PlaidApi(plaid.ApiClient(configuration))
    _expect_error(
        lambda: api.accounts_get(AccountsGetRequest(access_token=bank)),
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    )
    assert "PLAID-SECRET" not in plaid_double.requests[0].headers


def test_unknown_access_token(api: PlaidApi) -> None:
    for call in (
        lambda: api.item_get(ItemGetRequest(access_token="access-sandbox-nope")),
        lambda: api.transactions_sync(_sync_request("access-sandbox-nope", None)),
        lambda: api.link_token_create(_link_request(access_token="access-sandbox-nope")),
    ):
        _expect_error(call, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")


def test_public_token_is_single_use(api: PlaidApi) -> None:
    public_token = api.sandbox_public_token_create(_sandbox_request()).public_token
    request = ItemPublicTokenExchangeRequest(public_token=public_token)
    api.item_public_token_exchange(request)
    _expect_error(
        lambda: api.item_public_token_exchange(request),
        400,
        "INVALID_INPUT",
        "INVALID_PUBLIC_TOKEN",
    )


def test_sandbox_wrong_password(api: PlaidApi) -> None:
    body = _expect_error(
        lambda: api.sandbox_public_token_create(_sandbox_request(password="pass_bad")),
        400,
        "ITEM_ERROR",
        "INVALID_CREDENTIALS",
    )
    assert body["display_message"]


def test_unknown_institution(api: PlaidApi) -> None:
    _expect_error(
        lambda: api.institutions_get_by_id(
            InstitutionsGetByIdRequest(institution_id="ins_nope", country_codes=[CountryCode("US")])
        ),
        400,
        "INVALID_INPUT",
        "INVALID_INSTITUTION",
    )
    _expect_error(
        lambda: api.sandbox_public_token_create(_sandbox_request("ins_nope")),
        400,
        "INVALID_INPUT",
        "INVALID_INSTITUTION",
    )


def test_link_token_needs_a_user(api: PlaidApi) -> None:
    request = LinkTokenCreateRequest(
        client_name="Credit Monitor", language="en", country_codes=[CountryCode("US")]
    )
    _expect_error(lambda: api.link_token_create(request), 400, "INVALID_REQUEST", "MISSING_FIELDS")


def test_link_token_takes_liabilities_where_supported(
    plaid_double: PlaidDouble, api: PlaidApi
) -> None:
    api.link_token_create(
        _link_request(
            products=[Products("transactions")],
            required_if_supported_products=[Products("liabilities")],
        )
    )
    sent = plaid_double.calls("/link/token/create")[-1].body
    assert sent["required_if_supported_products"] == ["liabilities"]


def test_link_token_refuses_a_product_in_two_lists(api: PlaidApi) -> None:
    request = _link_request(
        products=[Products("transactions")],
        required_if_supported_products=[Products("transactions")],
    )
    _expect_error(lambda: api.link_token_create(request), 400, "INVALID_REQUEST", "INVALID_FIELD")


def test_link_token_refuses_an_unknown_product(plaid_double: PlaidDouble) -> None:
    # plaid-python refuses an unknown product before sending it, so this goes as raw JSON.
    body = {
        "client_name": "Credit Monitor",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-1"},
        "products": ["transactions"],
        "required_if_supported_products": ["teleportation"],
    }
    headers = {"PLAID-CLIENT-ID": PlaidDouble.CLIENT_ID, "PLAID-SECRET": PlaidDouble.SECRET}
    reply = urllib3.request(
        "POST", f"{plaid_double.url}/link/token/create", json=body, headers=headers
    )
    assert reply.status == 400
    assert reply.json()["error_code"] == "INVALID_FIELD"


def test_item_without_liabilities(
    plaid_double: PlaidDouble, api: PlaidApi, demo: tuple[DemoPlaidItem, ...]
) -> None:
    plaid_double.add_item("access-no-cards", replace(demo[1], liabilities_get=None))
    _expect_error(
        lambda: api.liabilities_get(LiabilitiesGetRequest(access_token="access-no-cards")),
        400,
        "ITEM_ERROR",
        "PRODUCTS_NOT_SUPPORTED",
    )


# --------------------------------------------------------------------------------------------
# recording and hygiene
# --------------------------------------------------------------------------------------------


def test_requests_are_recorded(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str, small: str
) -> None:
    api.accounts_get(AccountsGetRequest(access_token=bank))
    api.transactions_sync(_sync_request(small, None))
    assert [r.path for r in plaid_double.requests] == [ACCOUNTS, SYNC]
    assert plaid_double.calls(ACCOUNTS)[0].body == {"access_token": bank}
    assert plaid_double.calls(SYNC)[0].body == {"access_token": small, "count": 500}
    headers = plaid_double.requests[0].headers
    # plaid-python sends the keys under these exact names (HTTP header names are case-blind)
    assert headers["PLAID-CLIENT-ID"] == PlaidDouble.CLIENT_ID
    assert headers["PLAID-SECRET"] == PlaidDouble.SECRET
    assert headers["Plaid-Version"] == "2020-09-14"
    assert headers["Content-Type"] == "application/json"


def test_request_ids_are_distinct(api: PlaidApi, bank: str) -> None:
    ids = {api.item_get(ItemGetRequest(access_token=bank)).request_id for _ in range(3)}
    assert len(ids) == 3


def test_nothing_is_printed(
    plaid_double: PlaidDouble, api: PlaidApi, bank: str, capfd: pytest.CaptureFixture[str]
) -> None:
    plaid_double.inject(ACCOUNTS, Fault("reset"))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.accounts_get(AccountsGetRequest(access_token=bank))
    api.accounts_get(AccountsGetRequest(access_token=bank))
    _expect_error(
        lambda: _client(plaid_double, secret="bad").item_get(ItemGetRequest(access_token=bank)),
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    )
    out, err = capfd.readouterr()
    assert PlaidDouble.SECRET not in out + err
    assert out + err == ""


def test_context_manager_starts_and_stops() -> None:
    with PlaidDouble(today=date(2025, 11, 26)) as double:
        assert double.url.startswith("http://127.0.0.1:")
        api = _client(double)
        token = double.demo_tokens()[0]
        assert api.item_get(ItemGetRequest(access_token=token)).item.item_id
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.item_get(ItemGetRequest(access_token=token), _request_timeout=FAST)
