"""Plaid's webhooks against the running app (uvicorn on the ASGI entry, the Plaid double
signing): a verified SYNC_UPDATES_AVAILABLE brings a new transaction onto an open page without
Refresh, and the refusals hold over real HTTP, a flood included, while the app keeps serving.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from tests.support.browser_support import (
    free_port,
    go_to,
    open_app,
    require_chromium,
    rerun_after,
    streamlit_server,
)
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble, WebhookKey

pytestmark = pytest.mark.browser

NEW_MERCHANT = "Webhook Corner Cafe"
POLL_TIMEOUT_MS = 60_000  # the page checks for news every few seconds; this is a ceiling


@dataclass(frozen=True)
class Running:
    url: str
    double: PlaidDouble
    token: str
    log: Path

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks/plaid"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A local run holding the operator's bank at the Plaid double, with webhooks on."""
    require_chromium()
    port = free_port()
    log = tmp_path_factory.mktemp("webhooks") / "server.log"
    with PlaidDouble() as double:
        token = double.demo_tokens()[0]
        env = {
            "DATA_SOURCE": "plaid",
            "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
            "PLAID_SECRET": PlaidDouble.SECRET,
            "PLAID_BASE_URL": double.url,
            "PLAID_ACCESS_TOKEN": token,
            "PLAID_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/plaid",
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "UPSTREAM_BUDGET_SECONDS": "5",
        }
        with streamlit_server(log, env, port=port, asgi=True) as url:
            yield Running(url, double, token, log)
        assert PlaidDouble.SECRET not in log.read_text()
        assert token not in log.read_text()


def post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def sync_updates(double: PlaidDouble, token: str) -> dict[str, object]:
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "item_id": double.item_id(token),
        "initial_update_complete": True,
        "historical_update_complete": True,
        "environment": "sandbox",
    }


def new_transaction(double: PlaidDouble, token: str) -> dict[str, object]:
    first = double.sync_pages(token)[0]["added"][0]
    today = TODAY.isoformat()
    return {
        **first,
        "transaction_id": "txn-webhook-browser-1",
        "pending_transaction_id": None,
        "pending": False,
        "merchant_name": NEW_MERCHANT,
        "name": NEW_MERCHANT.upper(),
        "amount": 7.25,
        "date": today,
        "authorized_date": today,
        "datetime": None,
        "authorized_datetime": None,
    }


def transactions_count(page: Page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Transactions")
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_a_verified_sync_update_shows_the_new_transaction_without_refresh(
    running: Running, page: Page
) -> None:
    open_app(page, running.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    go_to(page, "Transactions")
    before = transactions_count(page)
    syncs_before = len(running.double.calls("/transactions/sync"))

    running.double.post_update(
        running.token, added=[new_transaction(running.double, running.token)]
    )
    headers, body = running.double.signed_webhook(sync_updates(running.double, running.token))
    assert post(running.webhook_url, headers, body) == (200, {"received": True})

    count = page.get_by_test_id("stMetric").filter(has_text="Transactions")
    expect(count.get_by_test_id("stMetricValue")).not_to_have_text(before, timeout=POLL_TIMEOUT_MS)
    search = page.get_by_label("Search description or merchant")
    search.fill(NEW_MERCHANT)
    with rerun_after(page):
        search.press("Enter")
    expect(count.get_by_test_id("stMetricValue")).to_have_text("1")
    # The worker fetched it: the page's rerun was served from the cache it filled.
    assert len(running.double.calls("/transactions/sync")) > syncs_before
    syncs_after = len(running.double.calls("/transactions/sync"))
    go_to(page, "Overview")
    assert len(running.double.calls("/transactions/sync")) == syncs_after


def test_the_operators_item_was_pointed_at_the_webhook_url(running: Running) -> None:
    assert running.double.item_webhooks == {running.token: running.webhook_url}


NOT_VERIFIED = (401, {"error": "the call is not verified"})


def test_refusals_over_http(running: Running) -> None:
    double, url = running.double, running.webhook_url
    body = sync_updates(double, running.token)
    forger = WebhookKey.new(double.webhook_key.kid)
    assert post(url, *double.signed_webhook(body, key=forger)) == NOT_VERIFIED
    assert post(url, *double.signed_webhook(body, key=WebhookKey.new("nobody"))) == NOT_VERIFIED
    stale = time.time() - 301
    assert post(url, *double.signed_webhook(body, issued_at=stale)) == NOT_VERIFIED
    headers, raw = double.signed_webhook(body)
    assert post(url, headers, raw.replace(b"TRANSACTIONS", b"ITEM")) == NOT_VERIFIED
    assert post(url, headers, raw)[0] == 200
    assert post(url, headers, raw) == NOT_VERIFIED  # replayed
    huge_headers, huge = double.signed_webhook({**body, "padding": "x" * 70_000})
    assert post(url, huge_headers, huge)[0] == 413
    assert post(url, {**headers, "Content-Type": "text/plain"}, raw)[0] == 415
    assert "x" * 100 not in running.log.read_text()


def test_a_flood_is_held_back_and_the_app_keeps_serving(running: Running, page: Page) -> None:
    junk = {"Content-Type": "application/json", "Plaid-Verification": "x.y.z"}
    statuses = [post(running.webhook_url, junk, b"{}")[0] for _ in range(80)]
    assert 429 in statuses
    assert set(statuses) <= {401, 429}
    with urllib.request.urlopen(f"{running.url}/healthz", timeout=10) as answer:  # noqa: S310
        assert answer.read() == b"ok"
    open_app(page, running.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    # Plaid's own calls get through again once the burst has passed.
    status = 429
    deadline = time.monotonic() + 30
    while status == 429 and time.monotonic() < deadline:
        headers, body = running.double.signed_webhook(
            {**sync_updates(running.double, running.token), "webhook_code": "DEFAULT_UPDATE"}
        )
        status = post(running.webhook_url, headers, body)[0]
    assert status == 200
