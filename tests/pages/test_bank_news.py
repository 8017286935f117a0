"""What Plaid's webhooks say about a bank, as the overview shows it: a new login needed, a
disconnect coming, permission withdrawn; cleared when the bank's login is repaired."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from integrations.plaid.webhooks import WebhookEvent
from services.runtime import webhook_events
from services.runtime.settings import current_settings
from tests.support.apps import app_on_page
from tests.support.plaid_double import PlaidDouble


@pytest.fixture
def operator_bank(plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch) -> str:
    token = plaid_env.demo_tokens()[0]
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", token)
    return plaid_env.item_id(token)


def said(at: AppTest) -> list[str]:
    return [a.value for a in (*at.error, *at.warning, *at.info)]


def tell(item_id: str, code: str, error_code: str | None = None) -> None:
    event = WebhookEvent("ITEM", code, item_id, error_code)
    webhook_events.apply(current_settings(), event)


def test_a_bank_that_needs_a_new_login_is_said_on_the_overview_until_repaired(
    operator_bank: str,
) -> None:
    at = app_on_page()
    assert not any("needs you to sign in again" in text for text in said(at))

    tell(operator_bank, "ERROR", "ITEM_LOGIN_REQUIRED")
    at.run()
    errors = [e.value for e in at.error if "needs you to sign in again" in e.value]
    assert len(errors) == 1
    assert "Harborline Bank" in errors[0]

    tell(operator_bank, "LOGIN_REPAIRED")
    at.run()
    assert not any("needs you to sign in again" in text for text in said(at))


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("PENDING_DISCONNECT", "will disconnect soon"),
        ("USER_PERMISSION_REVOKED", "no longer shares data"),
        ("NEW_ACCOUNTS_AVAILABLE", "has new accounts"),
    ],
)
def test_each_kind_of_bank_news_has_its_alert(operator_bank: str, code: str, words: str) -> None:
    at = app_on_page()
    tell(operator_bank, code)
    at.run()
    assert any(words in text for text in said(at)), said(at)


def test_news_about_a_bank_this_session_does_not_hold_is_not_shown(operator_bank: str) -> None:
    at = app_on_page()
    tell("an-item-of-someone-else", "ERROR", "ITEM_LOGIN_REQUIRED")
    at.run()
    assert not any("needs you to sign in again" in text for text in said(at))
