"""The real plaid-python client, through our PlaidClient, against the local Plaid double."""

from __future__ import annotations

import copy
import logging
from dataclasses import replace

import pytest

from integrations.common.errors import Action
from integrations.common.retry import RetryPolicy
from integrations.demo.plaid import DemoPlaidItem
from integrations.plaid import client as plaid_client
from integrations.plaid.client import PlaidClient, PlaidError, Timeouts
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble

SYNC = "/transactions/sync"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(
    double: PlaidDouble, sleeps: Sleeps | None = None, read_timeout: float = 5.0, **kwargs: object
) -> PlaidClient:
    """A client that waits long enough for the double on a busy machine: a test that needs a
    timeout says so with `read_timeout`."""
    sleeps = sleeps or Sleeps()
    return PlaidClient(
        host=double.url,
        client_id=kwargs.pop("client_id", PlaidDouble.CLIENT_ID),  # type: ignore[arg-type]
        secret=kwargs.pop("secret", PlaidDouble.SECRET),  # type: ignore[arg-type]
        timeouts=Timeouts(connect=1.0, read=read_timeout),
        policy=RetryPolicy(sleep=sleeps, base_delay=0.01, budget_seconds=30.0),
        sleep=sleeps,
        poll_delay=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def first_token(plaid_double: PlaidDouble) -> str:
    return plaid_double.demo_tokens()[0]


def expected_transactions(double: PlaidDouble, token: str) -> int:
    item = next(i for i in expect_items() if i.access_token == token)
    live: dict[str, dict] = {}
    for page in item.transactions_sync_pages:
        for t in page["added"] + page["modified"]:
            live[t["transaction_id"]] = t
        for gone in page["removed"]:
            live.pop(gone["transaction_id"], None)
    return len(live)


def expect_items():  # type: ignore[no-untyped-def]
    from integrations.demo.plaid import plaid_demo_items

    return plaid_demo_items(TODAY)


def test_fetch_item_reads_every_endpoint_into_domain_objects(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    data = make_client(plaid_double).fetch_item(first_token)
    bodies = next(i for i in expect_items() if i.access_token == first_token)
    assert data.item.institution.name == bodies.institution["institution"]["name"]
    assert {a.account_id for a in data.accounts} == {
        a["account_id"] for a in bodies.accounts_get["accounts"]
    }
    assert len(data.transactions) == expected_transactions(plaid_double, first_token)
    assert len(data.liabilities) == len(bodies.liabilities_get["liabilities"]["credit"])
    assert len(plaid_double.calls(SYNC)) == len(bodies.transactions_sync_pages)
    assert all(r.body["count"] == 500 for r in plaid_double.calls(SYNC))
    assert "cursor" not in plaid_double.calls(SYNC)[0].body


def test_pending_replaced_by_posted_and_modified_applied(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    data = make_client(plaid_double).fetch_item(first_token)
    ids = {t.transaction_id for t in data.transactions}
    replaced = [t for t in data.transactions if t.pending_transaction_id]
    assert replaced, "the demo has pending transactions that posted"
    assert all(t.pending_transaction_id not in ids for t in replaced)
    bodies = next(i for i in expect_items() if i.access_token == first_token)
    modified = bodies.transactions_sync_pages[-1]["modified"][0]
    got = next(t for t in data.transactions if t.transaction_id == modified["transaction_id"])
    assert (got.merchant_name, got.amount) == (modified["merchant_name"], modified["amount"])


def test_mutation_during_pagination_restarts_from_the_first_cursor(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.inject(
        SYNC,
        Fault("plaid_error", error_type="TRANSACTIONS_ERROR",
              error_code="TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", page=2),
    )  # fmt: skip
    pages = make_client(plaid_double).sync_transactions(first_token)
    calls = plaid_double.calls(SYNC)
    bodies = next(i for i in expect_items() if i.access_token == first_token)
    assert len(pages) == len(bodies.transactions_sync_pages)
    assert len(calls) == len(bodies.transactions_sync_pages) + 2
    assert "cursor" not in calls[2].body  # the restart begins again with no cursor


def test_not_ready_is_polled_a_bounded_number_of_times(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.not_ready_polls = 2
    sleeps = Sleeps()
    data = make_client(plaid_double, sleeps).fetch_item(first_token)
    assert len(data.transactions) == expected_transactions(plaid_double, first_token)
    assert len(sleeps.waits) == 2

    plaid_double.not_ready_polls = 10
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).sync_transactions(first_token)
    assert caught.value.code == "PRODUCT_NOT_READY"


@pytest.mark.parametrize(
    ("fault", "code", "action", "attempts"),
    [
        (Fault("plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED"),
         "ITEM_LOGIN_REQUIRED", Action.RELINK, 1),
        (Fault("plaid_error", error_type="INVALID_INPUT", error_code="INVALID_ACCESS_TOKEN"),
         "INVALID_ACCESS_TOKEN", Action.RECONNECT, 1),
        (Fault("http_status", status=500, times=99), "INTERNAL_SERVER_ERROR",
         Action.RETRY_LATER, 3),
        (Fault("plaid_error", error_type="INSTITUTION_ERROR", error_code="INSTITUTION_DOWN",
               times=99), "INSTITUTION_DOWN", Action.RETRY_LATER, 3),
        (Fault("slow", delay=2.0, times=99), "TIMEOUT", Action.RETRY_LATER, 3),
        (Fault("reset", times=99), "UNREACHABLE", Action.RETRY_LATER, 3),
        (Fault("malformed_json"), "MALFORMED_RESPONSE", Action.RETRY_LATER, 1),
        (Fault("missing_field", missing="accounts"), "MALFORMED_RESPONSE",
         Action.RETRY_LATER, 1),
    ],
)  # fmt: skip
def test_each_failure_becomes_one_typed_error_with_bounded_attempts(
    plaid_double: PlaidDouble,
    first_token: str,
    fault: Fault,
    code: str,
    action: Action,
    attempts: int,
) -> None:
    plaid_double.inject("/accounts/get", fault)
    with pytest.raises(PlaidError) as caught:
        # The slow answer (2 s) must outlast the read timeout.
        make_client(plaid_double, read_timeout=0.5).get_accounts(first_token)
    assert (caught.value.code, caught.value.action) == (code, action)
    assert len(plaid_double.calls("/accounts/get")) == attempts
    assert caught.value.user_message
    assert first_token not in str(caught.value)


def test_rate_limit_then_success_honours_retry_after(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.inject("/accounts/get", Fault("http_status", status=429, retry_after=2))
    sleeps = Sleeps()
    body = make_client(plaid_double, sleeps).get_accounts(first_token)
    assert body["accounts"]
    assert len(plaid_double.calls("/accounts/get")) == 2
    assert sleeps.waits == [2.0]


def test_temporary_institution_outage_recovers_within_three_attempts(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.inject(
        "/item/get",
        Fault("plaid_error", error_type="INSTITUTION_ERROR",
              error_code="INSTITUTION_NOT_RESPONDING", times=2),
    )  # fmt: skip
    assert make_client(plaid_double).get_item(first_token)["item"]["item_id"]
    assert len(plaid_double.calls("/item/get")) == 3


@pytest.mark.parametrize(
    ("code", "note"),
    [
        ("PRODUCTS_NOT_SUPPORTED", "This bank does not share card details (due dates, APRs)."),
        ("NO_LIABILITY_ACCOUNTS", "This bank has no credit card details to share."),
    ],
)
def test_a_bank_without_liabilities_degrades_to_balances_with_the_note_for_its_code(
    plaid_double: PlaidDouble, first_token: str, code: str, note: str
) -> None:
    plaid_double.inject(
        "/liabilities/get", Fault("plaid_error", error_type="ITEM_ERROR", error_code=code)
    )
    data = make_client(plaid_double).fetch_item(first_token)
    assert data.liabilities == ()
    assert data.accounts
    assert data.notes == (note,)


def test_missing_institution_name_does_not_fail_the_item(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.inject("/institutions/get_by_id", Fault("http_status", status=500, times=99))
    data = make_client(plaid_double).fetch_item(first_token)
    bodies = next(i for i in expect_items() if i.access_token == first_token)
    assert data.accounts
    # Without /institutions/get_by_id the item's own institution_name still names the bank.
    assert data.item.institution.name == bodies.item_get["item"].get(
        "institution_name", "Unknown institution"
    )


def test_wrong_keys_are_a_configuration_problem(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    client = make_client(plaid_double, secret="not-the-secret")
    with pytest.raises(PlaidError) as caught:
        client.get_item(first_token)
    assert (caught.value.code, caught.value.action) == (
        "INVALID_API_KEYS",
        Action.FIX_CONFIGURATION,
    )
    assert len(plaid_double.calls("/item/get")) == 1


def test_sandbox_connect_exchange_link_token_and_remove(plaid_double: PlaidDouble) -> None:
    client = make_client(plaid_double)
    public = client.create_sandbox_public_token("ins_109511")
    access = client.exchange_public_token(public)
    data = client.fetch_item(access)
    assert data.item.institution.name == "Tartan Bank"

    assert client.create_link_token("session-1").startswith("link-")
    new_mode = plaid_double.calls("/link/token/create")[0].body
    # Cards where the bank has them, without hiding banks that only hold checking or savings.
    assert new_mode["products"] == ["transactions"]
    assert new_mode["required_if_supported_products"] == ["liabilities"]
    assert new_mode["transactions"] == {"days_requested": 730}
    client.create_link_token("session-1", access_token=access)
    update_mode = plaid_double.calls("/link/token/create")[-1].body
    assert update_mode["access_token"] == access
    assert "products" not in update_mode
    assert "required_if_supported_products" not in update_mode

    client.remove_item(access)
    with pytest.raises(PlaidError) as caught:
        client.get_accounts(access)
    assert caught.value.action is Action.RECONNECT


def test_liabilities_alone_stay_required_as_link_needs_one_product(
    plaid_double: PlaidDouble,
) -> None:
    client = make_client(plaid_double, products=("liabilities",))
    client.create_link_token("session-1")
    sent = plaid_double.calls("/link/token/create")[-1].body
    assert sent["products"] == ["liabilities"]
    assert "required_if_supported_products" not in sent


def test_reused_public_token_asks_to_connect_again(plaid_double: PlaidDouble) -> None:
    client = make_client(plaid_double)
    public = client.create_sandbox_public_token("ins_109508")
    client.exchange_public_token(public)
    with pytest.raises(PlaidError) as caught:
        client.exchange_public_token(public)
    assert caught.value.code == "INVALID_PUBLIC_TOKEN"


def test_wrong_sandbox_password_is_explained(plaid_double: PlaidDouble) -> None:
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).create_sandbox_public_token("ins_109508", password="nope")
    assert caught.value.code == "INVALID_CREDENTIALS"


def test_unreachable_host_is_a_retryable_network_error() -> None:
    client = PlaidClient(
        host="http://127.0.0.1:9",
        client_id="x",
        secret="y",
        timeouts=Timeouts(0.5, 0.5),
        policy=RetryPolicy(sleep=lambda _: None, base_delay=0.01),
    )
    with pytest.raises(PlaidError) as caught:
        client.get_item("access-sandbox-00000000")
    assert (caught.value.code, caught.value.retryable) == ("UNREACHABLE", True)


def test_no_token_secret_or_client_id_in_logs(
    plaid_double: PlaidDouble, first_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(plaid_double)
    for path, fault in [
        ("/accounts/get", Fault("http_status", status=500, times=3)),
        ("/item/get", Fault("plaid_error", error_type="ITEM_ERROR",
                            error_code="ITEM_LOGIN_REQUIRED")),
        ("/liabilities/get", Fault("malformed_json")),
    ]:  # fmt: skip
        plaid_double.inject(path, fault)
    for call in (client.get_accounts, client.get_item, client.get_liabilities):
        with pytest.raises(PlaidError):
            call(first_token)
    client.fetch_item(first_token)
    assert "request_id" in caplog.text
    for canary in (first_token, PlaidDouble.SECRET, PlaidDouble.CLIENT_ID):
        assert canary not in caplog.text


@pytest.mark.parametrize(
    "fault",
    [Fault("malformed_json"), Fault("missing_field", missing="has_more")],
)
def test_unreadable_sync_pages_are_malformed_not_a_crash(
    plaid_double: PlaidDouble, first_token: str, fault: Fault
) -> None:
    plaid_double.inject(SYNC, fault)
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).fetch_item(first_token)
    assert caught.value.code == "MALFORMED_RESPONSE"
    assert caught.value.action is Action.RETRY_LATER


def test_a_truncated_page_is_a_network_failure_and_is_retried(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    plaid_double.inject(SYNC, Fault("truncated"))
    pages = make_client(plaid_double).sync_transactions(first_token)
    bodies = next(i for i in expect_items() if i.access_token == first_token)
    assert len(pages) == len(bodies.transactions_sync_pages)
    assert len(plaid_double.calls(SYNC)) == len(bodies.transactions_sync_pages) + 1


def test_a_transaction_missing_its_amount_is_malformed(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    from dataclasses import replace

    from integrations.demo.plaid import plaid_demo_items

    item = next(i for i in plaid_demo_items(TODAY) if i.access_token == first_token)
    first_page = dict(item.transactions_sync_pages[0])
    first_page["added"] = [
        {k: v for k, v in t.items() if k != "amount"} for t in first_page["added"]
    ]
    broken = replace(item, transactions_sync_pages=(first_page, *item.transactions_sync_pages[1:]))
    plaid_double.add_item(first_token, broken)
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).fetch_item(first_token)
    assert caught.value.code == "MALFORMED_RESPONSE"


def test_failures_of_calls_made_together_are_reported_in_a_fixed_order(
    plaid_double: PlaidDouble, first_token: str
) -> None:
    """Accounts, sync and liabilities go out together after /item/get; whichever answers
    first, the same faults always give the same error: the accounts one."""
    login = Fault(
        "plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED", times=99
    )
    plaid_double.inject("/accounts/get", login)
    plaid_double.inject(SYNC, Fault("http_status", status=400, times=99))
    for _ in range(3):
        with pytest.raises(PlaidError) as caught:
            make_client(plaid_double).fetch_item(first_token)
        assert caught.value.code == "ITEM_LOGIN_REQUIRED"


def test_a_bad_token_stops_at_item_get_before_anything_else_is_asked(
    plaid_double: PlaidDouble,
) -> None:
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).fetch_item("access-sandbox-00000000-not-a-real-item")
    assert caught.value.code == "INVALID_ACCESS_TOKEN"
    asked = {request.path for request in plaid_double.requests}
    assert asked == {"/item/get"}


# --- a sync Plaid never lets finish ------------------------------------------------------


def sync_page_count(token: str) -> int:
    return len(next(i for i in expect_items() if i.access_token == token).transactions_sync_pages)


def test_a_cursor_that_never_moves_on_stops_the_sync_with_a_problem_for_that_bank(
    plaid_double: PlaidDouble, first_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    plaid_double.inject(SYNC, Fault("stuck_cursor", times=10_000), access_token=first_token)
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).fetch_item(first_token)
    error = caught.value
    assert (error.code, error.action) == ("SYNC_CURSOR_REPEATED", Action.RETRY_LATER)
    assert error.institution_name == "Harborline Bank"
    assert error.request_id  # the last page's, for Plaid support
    assert len(plaid_double.calls(SYNC)) == 2  # the first page, then its cursor came back
    stopped = [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()]
    assert stopped == [f"/transactions/sync stopped after 2 pages: {error}"]
    for canary in (first_token, PlaidDouble.SECRET, PlaidDouble.CLIENT_ID):
        assert canary not in caplog.text


def test_a_history_longer_than_the_page_cap_stops_at_the_cap(
    plaid_double: PlaidDouble, first_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = sync_page_count(first_token)
    monkeypatch.setattr(plaid_client, "MAX_SYNC_PAGES", pages - 1)
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).sync_transactions(first_token)
    assert caught.value.code == "SYNC_TOO_MANY_PAGES"
    assert len(plaid_double.calls(SYNC)) == pages - 1


@pytest.mark.parametrize(("cap_over_one_pass", "code"), [(1, "SYNC_TOO_MANY_PAGES"), (2, None)])
def test_restarts_after_a_mutation_count_toward_the_page_cap(
    plaid_double: PlaidDouble,
    first_token: str,
    monkeypatch: pytest.MonkeyPatch,
    cap_over_one_pass: int,
    code: str | None,
) -> None:
    """A mutation at page 2 restarts from the first cursor: one pass plus two requests."""
    pages = sync_page_count(first_token)
    monkeypatch.setattr(plaid_client, "MAX_SYNC_PAGES", pages + cap_over_one_pass)
    plaid_double.inject(
        SYNC,
        Fault("plaid_error", error_type="TRANSACTIONS_ERROR",
              error_code="TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", page=2),
    )  # fmt: skip
    client = make_client(plaid_double)
    if code is None:
        assert len(client.sync_transactions(first_token)) == pages
        return
    with pytest.raises(PlaidError) as caught:
        client.sync_transactions(first_token)
    assert caught.value.code == code
    assert len(plaid_double.calls(SYNC)) == pages + cap_over_one_pass


# --- naming a bank in trouble --------------------------------------------------------------


def without_institution_name(item: DemoPlaidItem) -> DemoPlaidItem:
    body = copy.deepcopy(item.item_get)
    del body["item"]["institution_name"]
    return replace(item, item_get=body)


@pytest.mark.parametrize(
    ("lookup_fails", "item_body_names_it", "name"),
    [
        (False, False, "Juniper Card Services"),  # from /institutions/get_by_id
        (True, True, "Juniper Card Services"),  # from the item's own institution_name
        (True, False, None),  # nothing to name it by: the connection keeps its label
    ],
)
def test_an_item_that_needs_a_new_login_names_its_bank(
    plaid_double: PlaidDouble, lookup_fails: bool, item_body_names_it: bool, name: str | None
) -> None:
    _, juniper = plaid_double.demo_tokens()
    if not item_body_names_it:
        item = next(i for i in expect_items() if i.access_token == juniper)
        plaid_double.add_item(juniper, without_institution_name(item))
    if lookup_fails:
        plaid_double.inject("/institutions/get_by_id", Fault("http_status", status=500, times=9))
    plaid_double.require_login(juniper)
    with pytest.raises(PlaidError) as caught:
        make_client(plaid_double).fetch_item(juniper)
    assert (caught.value.code, caught.value.action) == ("ITEM_LOGIN_REQUIRED", Action.RELINK)
    assert caught.value.institution_name == name
