"""Plaid's webhook verification, against the Plaid double's own signing key: what is
accepted, every way a call is refused, and what Plaid is asked on the way."""

from __future__ import annotations

import base64
import json
import time

import pytest

from integrations.common.errors import Action
from integrations.plaid.client import PlaidError
from integrations.plaid.webhooks import (
    KEY_FETCHES_PER_MINUTE,
    MAX_AGE_SECONDS,
    KeyUnavailableError,
    WebhookBodyError,
    WebhookVerificationError,
    WebhookVerifier,
    parse_event,
)
from tests.support.plaid_double import KEY_PATH, PlaidDouble, WebhookKey, plaid_double

__all__ = ["plaid_double"]

SYNC = {
    "webhook_type": "TRANSACTIONS",
    "webhook_code": "SYNC_UPDATES_AVAILABLE",
    "item_id": "item-1",
    "initial_update_complete": True,
    "historical_update_complete": True,
    "environment": "sandbox",
}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(plaid_double: PlaidDouble, clock: Clock) -> WebhookVerifier:
    return WebhookVerifier(plaid_double.client().webhook_verification_key, clock=clock)


def refusal(verifier: WebhookVerifier, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(WebhookVerificationError) as refused:
        verifier.verify(headers.get("Plaid-Verification"), body)
    return refused.value.code


def test_a_webhook_plaid_signed_is_accepted_and_its_key_fetched_once(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    for code in ("SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE"):
        headers, body = plaid_double.signed_webhook({**SYNC, "webhook_code": code})
        verifier.verify(headers["Plaid-Verification"], body)
    asked = plaid_double.calls(KEY_PATH)
    assert [call.body["key_id"] for call in asked] == [plaid_double.webhook_key.kid]


def test_a_token_signed_with_another_key_under_the_served_id_is_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    forger = WebhookKey.new(plaid_double.webhook_key.kid)
    headers, body = plaid_double.signed_webhook(SYNC, key=forger)
    assert refusal(verifier, headers, body) == "BAD_SIGNATURE"


def test_an_unknown_key_id_is_refused_and_not_asked_about_again_at_once(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    stranger = WebhookKey.new("nobody-serves-this")
    for _ in range(3):
        headers, body = plaid_double.signed_webhook(SYNC, key=stranger)
        assert refusal(verifier, headers, body) == "UNKNOWN_KEY"
    assert len(plaid_double.calls(KEY_PATH)) == 1


def test_a_key_plaid_says_has_expired_is_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC, key=plaid_double.expired_webhook_key)
    assert refusal(verifier, headers, body) == "EXPIRED_KEY"


def test_a_token_older_than_five_minutes_is_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier, clock: Clock
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC, issued_at=clock.now - MAX_AGE_SECONDS - 1)
    assert refusal(verifier, headers, body) == "STALE"
    fresh_headers, fresh = plaid_double.signed_webhook(SYNC, issued_at=clock.now - 290)
    verifier.verify(fresh_headers["Plaid-Verification"], fresh)


def test_a_token_from_the_future_is_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier, clock: Clock
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC, issued_at=clock.now + 600)
    assert refusal(verifier, headers, body) == "FROM_THE_FUTURE"


def test_a_body_changed_after_signing_is_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC)
    changed = body.replace(b"item-1", b"item-2")
    assert refusal(verifier, headers, changed) == "BODY_CHANGED"
    assert plaid_double.calls(KEY_PATH) == []  # junk costs no call to Plaid


def test_a_replayed_call_is_refused_and_stays_refused_once_stale(
    plaid_double: PlaidDouble, verifier: WebhookVerifier, clock: Clock
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC)
    verifier.verify(headers["Plaid-Verification"], body)
    assert refusal(verifier, headers, body) == "REPLAYED"
    clock.now += MAX_AGE_SECONDS + 1
    assert refusal(verifier, headers, body) == "STALE"


def _with_signature(token: str, signature: bytes) -> str:
    head, claims, _ = token.split(".")
    return f"{head}.{claims}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def test_a_replay_written_another_way_is_still_a_replay(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    headers, body = plaid_double.signed_webhook(SYNC)
    token = headers["Plaid-Verification"]
    verifier.verify(token, body)
    head, claims, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    # ECDSA's other valid signature of the same text: s replaced by n - s.
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r, s_value = raw[:32], int.from_bytes(raw[32:], "big")
    mirrored = _with_signature(token, r + (order - s_value).to_bytes(32, "big"))
    for variant in (f"{token}==", f"{head}.{claims}.~{signature}", mirrored):
        assert refusal(verifier, {"Plaid-Verification": variant}, body) in (
            "REPLAYED",
            "MALFORMED_TOKEN",
        )


def test_forged_calls_naming_new_key_ids_cannot_spend_the_plaid_quota(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    for n in range(3 * KEY_FETCHES_PER_MINUTE):
        headers, body = plaid_double.signed_webhook(SYNC, key=WebhookKey.new(f"forged-{n}"))
        with pytest.raises((WebhookVerificationError, KeyUnavailableError)):
            verifier.verify(headers["Plaid-Verification"], body)
    assert len(plaid_double.calls(KEY_PATH)) == KEY_FETCHES_PER_MINUTE


def test_claims_changed_under_the_signature_are_refused(
    plaid_double: PlaidDouble, verifier: WebhookVerifier
) -> None:
    headers, _ = plaid_double.signed_webhook(SYNC)
    other_body = json.dumps({**SYNC, "item_id": "item-2"}).encode()
    other, _ = plaid_double.signed_webhook(other_body)
    header, _, signature = headers["Plaid-Verification"].split(".")
    claims = other["Plaid-Verification"].split(".")[1]
    forged = {"Plaid-Verification": f"{header}.{claims}.{signature}"}
    assert refusal(verifier, forged, other_body) == "BAD_SIGNATURE"


def _segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _token(header: dict[str, object], claims: dict[str, object]) -> str:
    return f"{_segment(header)}.{_segment(claims)}.sig0"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "NO_TOKEN"),
        ("", "NO_TOKEN"),
        ("not-a-jwt", "MALFORMED_TOKEN"),
        ("a.b.c", "MALFORMED_TOKEN"),
        (_token({"alg": "none", "kid": "k"}, {"iat": 1}), "WRONG_ALGORITHM"),
        (_token({"alg": "HS256", "kid": "k"}, {"iat": 1}), "WRONG_ALGORITHM"),
        (_token({"alg": "ES256"}, {"iat": 1}), "NO_KEY_ID"),
        (_token({"alg": "ES256", "kid": "k"}, {}), "NO_ISSUED_AT"),
    ],
)
def test_a_token_that_is_not_plaids_shape_is_refused(
    verifier: WebhookVerifier, token: str | None, code: str
) -> None:
    with pytest.raises(WebhookVerificationError) as refused:
        verifier.verify(token, b"{}")
    assert refused.value.code == code
    assert refused.value.action is Action.NONE


def test_plaid_out_of_reach_is_not_a_refusal_of_the_call(plaid_double: PlaidDouble) -> None:
    def unreachable(kid: str) -> dict[str, object]:
        raise PlaidError(
            code="UNREACHABLE", user_message="Plaid could not be reached.",
            action=Action.RETRY_LATER, error_type="NETWORK",
        )  # fmt: skip

    headers, body = plaid_double.signed_webhook(SYNC)
    with pytest.raises(KeyUnavailableError):
        WebhookVerifier(unreachable).verify(headers["Plaid-Verification"], body)


def test_events_keep_only_what_the_app_acts_on() -> None:
    error = {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": "item-1",
        "error": {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"},
        "environment": "sandbox",
    }
    event = parse_event(json.dumps(error).encode())
    assert (event.webhook_type, event.webhook_code, event.item_id) == ("ITEM", "ERROR", "item-1")
    assert event.error_code == "ITEM_LOGIN_REQUIRED"
    for bad in (b"[]", b"not json", b'{"webhook_type": "ITEM"}', b'{"webhook_code": 3}'):
        with pytest.raises(WebhookBodyError):
            parse_event(bad)


def test_link_sets_the_webhook_url_for_new_items_only(plaid_double: PlaidDouble) -> None:
    url = "https://example.org/webhooks/plaid"
    client = plaid_double.client()
    client._webhook_url = url  # as the app configures it from PLAID_WEBHOOK_URL
    new_item = client.create_link_token("session-1")
    token = plaid_double.demo_tokens()[0]
    update_mode = client.create_link_token("session-1", access_token=token)
    assert plaid_double.link_webhooks[new_item] == url
    assert plaid_double.link_webhooks[update_mode] is None


def test_an_existing_item_is_pointed_at_the_webhook_url(plaid_double: PlaidDouble) -> None:
    url = "https://example.org/webhooks/plaid"
    token = plaid_double.demo_tokens()[0]
    client = plaid_double.client()
    client.update_item_webhook(token)  # no URL configured: Plaid is not asked
    assert plaid_double.calls("/item/webhook/update") == []
    client._webhook_url = url
    client.update_item_webhook(token)
    assert plaid_double.item_webhooks == {token: url}
