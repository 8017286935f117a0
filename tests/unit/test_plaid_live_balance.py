"""Live balances (/accounts/balance/get) and update mode with account selection, through the
real plaid-python client against the local Plaid double."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.common.errors import Action
from integrations.demo.parsed import demo_live_balances
from integrations.plaid.client import PlaidError
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble
from tests.unit.test_plaid_client import Sleeps, make_client

BALANCE = "/accounts/balance/get"


def checking_of(double: PlaidDouble, token: str) -> str:
    client = make_client(double)
    return next(a.account_id for a in client.live_balances(token) if a.type == "depository")


def test_live_balances_are_the_banks_figures_now_as_our_accounts(
    plaid_double: PlaidDouble,
) -> None:
    token = plaid_double.demo_tokens()[0]
    checking = checking_of(plaid_double, token)
    plaid_double.set_live_balance(token, checking, current=1234.56, available=1200.0)

    accounts = make_client(plaid_double).live_balances(token)

    live = next(a for a in accounts if a.account_id == checking)
    assert (live.current, live.available, live.currency) == (1234.56, 1200.0, "USD")
    assert live.item_id == plaid_double.item_id(token)
    # Every account of the item comes back, cards too, with the same ids as /accounts/get.
    held = make_client(plaid_double).get_accounts(token)["accounts"]
    assert {a.account_id for a in accounts} == {a["account_id"] for a in held}
    (request,) = plaid_double.calls(BALANCE)[-1:]
    assert request.body["access_token"] == token


def test_a_rate_limited_check_is_one_request_and_says_to_wait(plaid_double: PlaidDouble) -> None:
    token = plaid_double.demo_tokens()[0]
    plaid_double.inject(
        BALANCE,
        Fault("http_status", status=429, error_code="BALANCE_LIMIT", retry_after=1),
        access_token=token,
    )
    sleeps = Sleeps()
    with pytest.raises(PlaidError) as raised:
        make_client(plaid_double, sleeps).live_balances(token)
    error = raised.value
    assert (error.code, error.error_type) == ("BALANCE_LIMIT", "RATE_LIMIT_EXCEEDED")
    assert error.user_message == "Too many requests to Plaid for now."
    assert error.action is Action.RETRY_LATER
    # Billed per call: never asked twice for one click, whatever the error.
    assert len(plaid_double.calls(BALANCE)) == 1
    assert sleeps.waits == []


def test_a_server_error_is_not_retried_either(plaid_double: PlaidDouble) -> None:
    token = plaid_double.demo_tokens()[0]
    plaid_double.inject(BALANCE, Fault("http_status", status=500), access_token=token)
    with pytest.raises(PlaidError) as raised:
        make_client(plaid_double).live_balances(token)
    assert raised.value.code == "INTERNAL_SERVER_ERROR"
    assert len(plaid_double.calls(BALANCE)) == 1


def test_a_bank_that_wants_a_new_login_says_sign_in_again(plaid_double: PlaidDouble) -> None:
    token = plaid_double.demo_tokens()[0]
    plaid_double.require_login(token)
    with pytest.raises(PlaidError) as raised:
        make_client(plaid_double).live_balances(token)
    assert raised.value.code == "ITEM_LOGIN_REQUIRED"
    assert raised.value.action is Action.RELINK


def test_a_timeout_is_a_network_error(plaid_double: PlaidDouble) -> None:
    token = plaid_double.demo_tokens()[0]
    plaid_double.inject(BALANCE, Fault("slow", delay=2.0), access_token=token)
    with pytest.raises(PlaidError) as raised:
        make_client(plaid_double, read_timeout=0.3).live_balances(token)
    assert raised.value.code == "TIMEOUT"


def test_an_answer_without_its_item_is_malformed(plaid_double: PlaidDouble) -> None:
    token = plaid_double.demo_tokens()[0]
    plaid_double.inject(BALANCE, Fault("missing_field", missing="item"), access_token=token)
    with pytest.raises(PlaidError) as raised:
        make_client(plaid_double).live_balances(token)
    assert raised.value.code == "MALFORMED_RESPONSE"


def test_the_demo_answers_through_the_same_parser_with_its_own_figures() -> None:
    from integrations.demo.plaid import plaid_demo_items

    item = plaid_demo_items(TODAY)[0]
    item_id = item.item_get["item"]["item_id"]
    at = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    accounts = demo_live_balances(TODAY, item_id, at)
    expected = {a["account_id"]: a["balances"]["current"] for a in item.accounts_get["accounts"]}
    assert {a.account_id: a.current for a in accounts} == expected
    assert demo_live_balances(TODAY, "no-such-item", at) == ()


def test_update_mode_with_account_selection_carries_the_token_and_the_flag(
    plaid_double: PlaidDouble,
) -> None:
    token = plaid_double.demo_tokens()[0]
    client = make_client(plaid_double, webhook_url="https://example.test/webhooks/plaid")
    assert client.create_link_token("session-1", access_token=token, account_selection=True)
    request = plaid_double.calls("/link/token/create")[-1].body
    assert request["access_token"] == token
    assert request["update"] == {"account_selection_enabled": True}
    assert "products" not in request
    assert "webhook" not in request  # the item keeps the webhook it has

    client.create_link_token("session-1", access_token=token)  # signing in again only
    assert "update" not in plaid_double.calls("/link/token/create")[-1].body


def test_the_double_refuses_update_options_without_an_item(plaid_double: PlaidDouble) -> None:
    import json

    import urllib3

    body = {
        "client_name": "x", "language": "en", "country_codes": ["US"],
        "user": {"client_user_id": "u"}, "products": ["transactions"],
        "update": {"account_selection_enabled": True},
    }  # fmt: skip
    answer = urllib3.request(
        "POST",
        plaid_double.url + "/link/token/create",
        body=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "PLAID-CLIENT-ID": PlaidDouble.CLIENT_ID,
            "PLAID-SECRET": PlaidDouble.SECRET,
        },
        timeout=5,
    )
    assert answer.status == 400
    assert json.loads(answer.data)["error_code"] == "INVALID_FIELD"
