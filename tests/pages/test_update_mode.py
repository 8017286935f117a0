"""Link's update mode from the bank news: "Add new accounts at <bank>" when Plaid reports new
accounts (account selection on), "Sign in to <bank> again" when it wants a new login. Plaid
Link itself is the browser's (tests/browser); here its answer is handed to the page as the
component would hand it."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest
from streamlit.testing.v1 import AppTest

import pages._plaid_link
from integrations.plaid.webhooks import WebhookEvent
from pages._plaid_link import LinkSuccess
from services.runtime import webhook_events
from services.runtime.settings import current_settings
from services.views.format import markdown_money, plain
from tests.support import demo_expectations as expect
from tests.support.apps import app_on_page
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble

NEW_SAVINGS = 5000.0


@dataclass
class FakeLink:
    """Stands in for the Link component: records the link tokens it is drawn with, and
    answers success once when told to (as the browser's onSuccess would)."""

    tokens: list[str] = field(default_factory=list)
    succeed: bool = False

    def __call__(self, link_token: str, *, key: str, **options: object) -> LinkSuccess | None:
        self.tokens.append(link_token)
        if not self.succeed:
            return None
        self.succeed = False
        # In update mode Link still hands back a public token; nothing exchanges it.
        return LinkSuccess("public-sandbox-update", "ins_1", "Harborline Bank", (), "ls-1")


@pytest.fixture
def link(monkeypatch: pytest.MonkeyPatch) -> FakeLink:
    fake = FakeLink()
    monkeypatch.setattr(pages._plaid_link, "plaid_link", fake)
    return fake


@pytest.fixture
def harborline(plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch) -> str:
    tokens = plaid_env.demo_tokens()
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))
    return tokens[0]


def tell(double: PlaidDouble, token: str, code: str, error_code: str | None = None) -> None:
    event = WebhookEvent("ITEM", code, double.item_id(token), error_code)
    webhook_events.apply(current_settings(), event)


def said(at: AppTest) -> list[str]:
    return [a.value for a in (*at.error, *at.warning, *at.info)]


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    (found,) = [b for b in at.button if b.label == label]
    return found


def a_savings_account(double: PlaidDouble, token: str) -> dict:
    """A savings account opened at the bank since it was linked: $5,000.00."""
    checking = next(
        a for a in double.client().get_accounts(token)["accounts"] if a["type"] == "depository"
    )
    account = copy.deepcopy(checking)
    account.update(
        account_id="new-savings-account-0001", name="Harborline Savings", mask="9001",
        official_name="Harborline Savings", subtype="savings", type="depository",
    )  # fmt: skip
    account["balances"].update(current=NEW_SAVINGS, available=NEW_SAVINGS)
    return {k: str(v) if k in ("type", "subtype") else v for k, v in account.items()}


def test_new_accounts_are_added_through_update_mode_with_account_selection(
    plaid_env: PlaidDouble, harborline: str, link: FakeLink
) -> None:
    at = app_on_page()
    tell(plaid_env, harborline, "NEW_ACCOUNTS_AVAILABLE")
    at.run()
    assert any("Harborline Bank has new accounts" in text for text in said(at))
    plaid_env.add_account(harborline, a_savings_account(plaid_env, harborline))

    button(at, "Add new accounts at Harborline Bank").click().run()

    assert [t.value for t in at.title] == ["Setup"]
    assert "**Add new accounts at Harborline Bank**" in [m.value for m in at.markdown]
    (request,) = plaid_env.calls("/link/token/create")
    assert request.body["access_token"] == harborline
    assert request.body["update"] == {"account_selection_enabled": True}
    assert "products" not in request.body
    assert link.tokens[-1] in plaid_env.link_tokens  # Link gets the link token, nothing else
    fetches = len(plaid_env.calls("/item/get"))

    link.succeed = True
    at.run()
    assert any("the accounts you chose are shared now" in s.value for s in at.success)
    assert plaid_env.calls("/item/public_token/exchange") == []

    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert len(plaid_env.calls("/item/get")) > fetches  # the item was fetched again
    assert not any("has new accounts" in text for text in said(at))
    assert not [b for b in at.button if b.label.startswith("Add new accounts")]
    cash = next(m.value for m in at.metric if m.label == "Cash")
    assert cash == markdown_money(expect.cash(TODAY)[0] + NEW_SAVINGS)


def test_a_bank_that_wants_a_new_login_is_offered_update_mode_without_selection(
    plaid_env: PlaidDouble, harborline: str, link: FakeLink
) -> None:
    at = app_on_page()
    tell(plaid_env, harborline, "ERROR", "ITEM_LOGIN_REQUIRED")
    at.run()
    button(at, "Sign in to Harborline Bank again").click().run()
    assert [t.value for t in at.title] == ["Setup"]
    (request,) = plaid_env.calls("/link/token/create")
    assert request.body["access_token"] == harborline
    assert "update" not in request.body

    link.succeed = True
    at.run()
    assert any(s.value == "Harborline Bank is connected again." for s in at.success)
    at.switch_page("pages/overview.py").run()
    assert not any("needs you to sign in again" in text for text in said(at))


def test_setup_offers_the_new_accounts_too(
    plaid_env: PlaidDouble, harborline: str, link: FakeLink
) -> None:
    at = app_on_page("pages/setup.py")
    tell(plaid_env, harborline, "NEW_ACCOUNTS_AVAILABLE")
    at.run()
    button(at, "Add new accounts at Harborline Bank").click().run()
    assert "**Add new accounts at Harborline Bank**" in [m.value for m in at.markdown]
    assert plaid_env.calls("/link/token/create")[-1].body["update"] == {
        "account_selection_enabled": True
    }


def test_news_of_another_bank_offers_nothing(
    plaid_env: PlaidDouble, harborline: str, link: FakeLink
) -> None:
    stranger = PlaidDouble.__name__  # any item id this session never fetched
    at = app_on_page()
    webhook_events.apply(
        current_settings(), WebhookEvent("ITEM", "NEW_ACCOUNTS_AVAILABLE", stranger, None)
    )
    at.run()
    assert not [b for b in at.button if b.label.startswith("Add new accounts")]
    assert plain("has new accounts") not in " ".join(said(at))
