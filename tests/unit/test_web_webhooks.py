"""``POST /webhooks/plaid`` over HTTP (Starlette's test client on the route), with the Plaid
double signing, and what an accepted webhook changes in the process (the worker's effects).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from integrations.plaid.webhooks import WebhookEvent, WebhookVerifier, parse_event
from services.runtime import loaders as data
from services.runtime import webhook_events
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.settings import Settings, parse_settings
from services.web.webhooks import MAX_BODY_BYTES, PATH, Receiver, TokenBucket, routes
from tests.support.plaid_double import SYNC_PATH, PlaidDouble, WebhookKey

WEBHOOK_URL = "https://app.example/webhooks/plaid"


def sync_body(item_id: str = "item-1") -> dict[str, object]:
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "item_id": item_id,
        "initial_update_complete": True,
        "historical_update_complete": True,
        "environment": "sandbox",
    }


def settings_for(double: PlaidDouble, *tokens: str) -> Settings:
    raw = {
        "PLAID_CLIENT_ID": double.CLIENT_ID,
        "PLAID_SECRET": double.SECRET,
        "PLAID_BASE_URL": double.url,
        "PLAID_WEBHOOK_URL": WEBHOOK_URL,
        "UPSTREAM_BUDGET_SECONDS": "5",
    }
    if tokens:
        raw["PLAID_ACCESS_TOKEN"] = ",".join(tokens)
    return parse_settings(raw)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Route:
    client: TestClient
    clock: Clock
    received: list[WebhookEvent] = field(default_factory=list)
    accepting: bool = True


@pytest.fixture
def route(plaid_double: PlaidDouble) -> Iterator[Route]:
    settings = settings_for(plaid_double)
    verifier = WebhookVerifier(plaid_double.client().webhook_verification_key)
    clock = Clock()
    holder: list[Route] = []

    def submit(_: Settings, event: WebhookEvent) -> bool:
        if holder[0].accepting:
            holder[0].received.append(event)
        return holder[0].accepting

    receiver = Receiver(
        TokenBucket(5, 1.0, clock=clock),
        settings=lambda: settings,
        verify=lambda _, token, body: verifier.verify(token, body),
        submit=submit,
    )
    with TestClient(Starlette(routes=routes(receiver))) as client:
        holder.append(Route(client, clock))
        yield holder[0]


def post(route: Route, headers: dict[str, str], body: bytes) -> tuple[int, object]:
    route.clock.now += 1.0  # one call a second passes the limit
    answer = route.client.post(PATH, headers=headers, content=body)
    return answer.status_code, answer.json()


def test_a_signed_webhook_is_acknowledged_and_handed_on(
    plaid_double: PlaidDouble, route: Route
) -> None:
    assert post(route, *plaid_double.signed_webhook(sync_body())) == (200, {"received": True})
    assert [(e.webhook_code, e.item_id) for e in route.received] == [
        ("SYNC_UPDATES_AVAILABLE", "item-1")
    ]


NOT_VERIFIED = (401, {"error": "the call is not verified"})


def test_a_webhook_signed_with_the_wrong_key_is_refused(
    plaid_double: PlaidDouble, route: Route
) -> None:
    forger = WebhookKey.new(plaid_double.webhook_key.kid)
    assert post(route, *plaid_double.signed_webhook(sync_body(), key=forger)) == NOT_VERIFIED
    assert route.received == []


def test_a_webhook_naming_an_unknown_key_is_refused(
    plaid_double: PlaidDouble, route: Route
) -> None:
    stranger = WebhookKey.new("not-plaids")
    assert post(route, *plaid_double.signed_webhook(sync_body(), key=stranger)) == NOT_VERIFIED


def test_a_webhook_signed_more_than_five_minutes_ago_is_refused(
    plaid_double: PlaidDouble, route: Route
) -> None:
    old = time.time() - 301
    assert post(route, *plaid_double.signed_webhook(sync_body(), issued_at=old)) == NOT_VERIFIED


def test_a_body_changed_after_signing_is_refused(plaid_double: PlaidDouble, route: Route) -> None:
    headers, body = plaid_double.signed_webhook(sync_body())
    assert post(route, headers, body.replace(b"item-1", b"item-9")) == NOT_VERIFIED
    assert route.received == []


def test_a_replayed_webhook_is_refused(plaid_double: PlaidDouble, route: Route) -> None:
    headers, body = plaid_double.signed_webhook(sync_body())
    assert post(route, headers, body)[0] == 200
    assert post(route, headers, body) == NOT_VERIFIED
    assert len(route.received) == 1


def test_an_oversized_body_is_refused_unread(plaid_double: PlaidDouble, route: Route) -> None:
    padded = {**sync_body(), "padding": "x" * MAX_BODY_BYTES}
    status, answer = post(route, *plaid_double.signed_webhook(padded))
    assert (status, answer) == (413, {"error": f"the body must be at most {MAX_BODY_BYTES} bytes"})


def test_a_body_that_is_not_json_is_refused(plaid_double: PlaidDouble, route: Route) -> None:
    headers, body = plaid_double.signed_webhook(sync_body())
    for kind in ("text/plain", "application/x-www-form-urlencoded", ""):
        answer = post(route, {**headers, "Content-Type": kind}, body)
        assert answer == (415, {"error": "the body must be application/json"})
    assert route.received == []


def test_a_signed_body_that_is_not_a_webhook_is_refused(
    plaid_double: PlaidDouble, route: Route
) -> None:
    answer = post(route, *plaid_double.signed_webhook({"hello": "there"}))
    assert answer == (400, {"error": "the body is not a Plaid webhook"})


def test_a_flood_is_held_to_the_rate_and_later_calls_pass(
    plaid_double: PlaidDouble, route: Route
) -> None:
    junk = ({"Content-Type": "application/json", "Plaid-Verification": "x.y.z"}, b"{}")
    statuses = [route.client.post(PATH, headers=junk[0], content=junk[1]).status_code
                for _ in range(50)]  # fmt: skip
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    assert route.client.post(PATH, headers=junk[0], content=junk[1]).json() == {
        "error": "too many requests"
    }
    route.clock.now += 10
    assert post(route, *plaid_double.signed_webhook(sync_body()))[0] == 200
    assert plaid_double.calls("/webhook_verification_key/get") != []  # the valid one only
    assert len(plaid_double.calls("/webhook_verification_key/get")) == 1


def test_a_worker_too_far_behind_asks_plaid_to_send_again(
    plaid_double: PlaidDouble, route: Route
) -> None:
    route.accepting = False
    assert post(route, *plaid_double.signed_webhook(sync_body())) == (
        503,
        {"error": "try again later"},
    )


def test_no_answer_says_a_secret_or_which_check_failed(
    plaid_double: PlaidDouble, route: Route
) -> None:
    stranger = WebhookKey.new("not-plaids")
    headers, body = plaid_double.signed_webhook(sync_body(), key=stranger)
    answer = route.client.post(PATH, headers=headers, content=body)
    assert plaid_double.SECRET not in answer.text
    assert "UNKNOWN_KEY" not in answer.text


# --- What an accepted webhook does ---------------------------------------------------------


def test_sync_updates_fetch_the_operators_item_so_the_next_visitor_calls_nobody(
    plaid_double: PlaidDouble,
) -> None:
    token = plaid_double.demo_tokens()[0]
    settings = settings_for(plaid_double, token)
    item_key = keyed_item(token)
    before = webhook_events.versions([item_key])
    plaid_double.post_update(token, added=[new_transaction(plaid_double, token)])

    webhook_events.apply(settings, event_of(sync_body(plaid_double.item_id(token))))

    assert webhook_events.versions([item_key]) != before
    syncs = len(plaid_double.calls(SYNC_PATH))
    fetched = data.fetch_plaid_item(item_key, token, plaid_double.client())
    assert len(plaid_double.calls(SYNC_PATH)) == syncs  # served from the cache
    assert fetched.data is not None
    assert "Webhook Coffee" in {t.merchant_name for t in fetched.data.transactions}


def test_item_news_is_kept_for_the_overview_and_login_repaired_clears_it(
    plaid_double: PlaidDouble,
) -> None:
    token = plaid_double.demo_tokens()[0]
    settings = settings_for(plaid_double, token)
    item_id, item_key = plaid_double.item_id(token), keyed_item(token)
    webhook_events.note_fetched(item_key, item_id)
    for code, extra in (
        ("ERROR", {"error": {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"}}),
        ("PENDING_DISCONNECT", {}),
        ("NEW_ACCOUNTS_AVAILABLE", {}),
        ("USER_PERMISSION_REVOKED", {}),
    ):
        body = {"webhook_type": "ITEM", "webhook_code": code, "item_id": item_id, **extra}
        webhook_events.apply(settings, event_of(body))
    kinds = [notice.kind for _, notice in webhook_events.notices([item_key])]
    assert kinds == ["login_required", "pending_disconnect", "new_accounts", "permission_revoked"]
    assert webhook_events.notices(["another-item"]) == []

    repaired = {"webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED", "item_id": item_id}
    webhook_events.apply(settings, event_of(repaired))
    assert webhook_events.notices([item_key]) == []


def test_an_unknown_webhook_is_acknowledged_and_changes_nothing(
    plaid_double: PlaidDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = plaid_double.demo_tokens()[0]
    settings = settings_for(plaid_double, token)
    item_key = keyed_item(token)
    webhook_events.note_fetched(item_key, plaid_double.item_id(token))
    before = webhook_events.versions([item_key])
    body = {"webhook_type": "HOLDINGS", "webhook_code": "DEFAULT_UPDATE", "item_id": "x"}
    webhook_events.apply(settings, event_of(body))
    assert webhook_events.versions([item_key]) == before
    assert plaid_double.calls(SYNC_PATH) == []
    assert "HOLDINGS/DEFAULT_UPDATE acknowledged" in caplog.text


def test_the_operators_items_are_pointed_at_the_webhook_url_once(
    plaid_double: PlaidDouble,
) -> None:
    tokens = plaid_double.demo_tokens()
    settings = settings_for(plaid_double, *tokens)
    webhook_events.point_operator_items(settings)
    webhook_events.point_operator_items(settings)
    webhook_events.drain()
    assert plaid_double.item_webhooks == dict.fromkeys(tokens, WEBHOOK_URL)
    assert len(plaid_double.calls("/item/webhook/update")) == len(tokens)


def event_of(body: dict[str, object]) -> WebhookEvent:
    return parse_event(json.dumps(body).encode())


def new_transaction(double: PlaidDouble, token: str) -> dict[str, object]:
    """A transaction like the item's first, as new: another id, merchant and amount."""
    first = double.sync_pages(token)[0]["added"][0]
    return {
        **first,
        "transaction_id": "txn-webhook-1",
        "pending_transaction_id": None,
        "merchant_name": "Webhook Coffee",
        "name": "WEBHOOK COFFEE",
        "amount": 4.5,
    }
