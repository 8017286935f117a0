"""Personal API tokens end to end, on SQLite and PostgreSQL: made on Setup (shown once),
read through the JSON API as the pages show the same kept data, revoked on Setup; and every
endpoint without a token, with a revoked one, with another person's, and with the token of
someone the app no longer lets in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pandas as pd
import pytest
import responses
import streamlit as st
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from services.runtime import keeping
from services.runtime.api_tokens import DOMAIN_LABEL, still_admitted, token_digest
from services.runtime.identity import local_visitor, signed_in_key
from services.runtime.settings import Secret, Settings, SignIn, current_settings, parse_settings
from services.storage.store import HistoryStore, TokenHolder
from services.views.export import to_csv_bytes
from services.views.format import percent
from services.web.api import Api
from tests.support.apps import app_on_page, app_test
from tests.support.databases import HISTORY_KEY
from tests.support.experian_support import answer_with_report, seeded
from tests.support.history_data import CARD, CHECKING, FIRST_SYNC, INSTITUTION, ITEM
from tests.support.plaid_double import PlaidDouble

ENDPOINTS = ("/api/v1/summary", "/api/v1/cards", "/api/v1/transactions")
FILTERS = [
    {},
    {"category": "FOOD_AND_DRINK"},
    {"period": "all", "pending": "no", "min": "20", "max": "200"},
]
BOBS_TOKEN = "cmk_bobs-token-0123456789abcdefghijklmnopqrstu"
DEMO_SCORE = 712  # the demo report's risk model score, "0712" as Experian writes it


@pytest.fixture
def kept(
    plaid_env: PlaidDouble, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The operator's demo banks, kept for the owner of a run on this machine (AppTest)."""
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setenv("DATABASE_URL", history_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", HISTORY_KEY)
    yield history_url
    assert keeping.await_retention(30)  # its worker is done with the database
    st.cache_resource.clear()  # the store's engine, before its database goes


def api(settings: Settings | None = None) -> TestClient:
    """The API reading the settings as the app does, or ``settings`` if given."""
    source = current_settings if settings is None else (lambda: settings)
    return TestClient(Starlette(routes=Api(source).routes()))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def made_on_setup(name: str = "my script") -> tuple[AppTest, str]:
    at = app_on_page("pages/setup.py")
    at.text_input(key="api_token_name").input(name)
    at.button(key="FormSubmitter:api_token_new-Create token").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (token,) = [c.value for c in at.code if c.value.startswith("cmk_")]
    return at, token


def page_with(query: dict[str, str], page: str) -> AppTest:
    at = app_test()
    at.run()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(*allowed: str) -> Settings:
    """The app's settings with sign-in on and ``allowed`` on ALLOWED_USERS."""
    return replace(
        current_settings(),
        sign_in=SignIn((), Secret("cookie-secret-0123456789")),
        allowed_users=tuple(Secret(entry) for entry in allowed),
    )


def keep_bob(url: str, settings: Settings) -> None:
    """Another person, signed in as bob@corp.test, with a small history and a token."""
    store = HistoryStore.open(url, [HISTORY_KEY])
    bob = store.person_key(signed_in_key(settings, "bob@corp.test"))
    store.save_item(bob, ITEM, b"sealed", INSTITUTION.institution_id, INSTITUTION.name)
    store.apply_sync(bob, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    store.add_api_token(bob, "bob's", token_digest(BOBS_TOKEN))
    store.close()


def test_a_token_is_shown_once_and_lists_by_its_name(kept: str) -> None:
    at, token = made_on_setup()
    assert token not in str([at.session_state[key] for key in at.session_state])
    at.run()
    assert not [c for c in at.code if c.value.startswith("cmk_")]
    assert any(t.value.startswith("my script · made ") for t in at.text)
    assert any(t.value.endswith("last used never") for t in at.text)


@pytest.mark.parametrize("query", FILTERS, ids=lambda q: "&".join(q) or "defaults")
def test_a_persons_token_reads_what_their_transactions_page_shows(
    kept: str, downloads: dict[str, pd.DataFrame], query: dict[str, str]
) -> None:
    _, token = made_on_setup()
    shown = page_with(query, "pages/transactions.py") and downloads["tx_csv"]
    assert not shown.empty
    client = api()
    params = {**query, "page_size": "500"}
    body = client.get("/api/v1/transactions", params=params, headers=bearer(token)).json()
    assert body["total"] == len(shown)
    rows = body["transactions"]
    assert [r["transaction_id"] for r in rows] == shown["transaction_id"].tolist()[:500]
    assert [r["amount"] for r in rows] == shown["amount"].tolist()[:500]
    if len(shown) <= 500:
        answer = client.get(
            "/api/v1/transactions", params={**params, "format": "csv"}, headers=bearer(token)
        )
        assert answer.content == to_csv_bytes(shown)


def test_a_persons_summary_is_their_overviews_utilization(kept: str) -> None:
    _at, token = made_on_setup()
    overview = page_with({}, "pages/overview.py")
    metrics = {m.label: m.value for m in overview.metric}
    summary = api().get("/api/v1/summary", headers=bearer(token)).json()
    assert metrics["Overall utilization"] == percent(summary["cards"][0]["utilization"], 1)
    cards = api().get("/api/v1/cards", headers=bearer(token)).json()
    assert cards["cards"]
    assert {c["available"] for c in cards["cards"]} == {None}  # not kept, so not made up


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_refuses_no_token_and_a_revoked_one(kept: str, path: str) -> None:
    at, token = made_on_setup()
    client = api()
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(token)).status_code == 200
    (revoke,) = [b for b in at.button if b.key and b.key.startswith("revoke_api_token-")]
    revoke.click().run()
    assert not at.exception
    refused = client.get(path, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert token not in refused.text
    assert any("You have no API token" in c.value for c in at.caption)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_another_persons_token_never_reads_this_persons_rows(kept: str, path: str) -> None:
    _, token = made_on_setup()
    bobs_app = signed_in("bob@corp.test")
    keep_bob(kept, bobs_app)
    params = {"period": "all"} if path.endswith("transactions") else {}
    mine = api().get(path, params=params, headers=bearer(token))
    bobs = api(bobs_app).get(path, params=params, headers=bearer(BOBS_TOKEN))
    assert mine.status_code == 200
    assert bobs.status_code == 200
    if path.endswith("transactions"):
        bobs_ids = {row["transaction_id"] for row in bobs.json()["transactions"]}
        assert bobs_ids == {t.transaction_id for t in FIRST_SYNC.transactions}
        assert not bobs_ids & {row["transaction_id"] for row in mine.json()["transactions"]}
    else:
        assert mine.json() != bobs.json()
    if path.endswith("cards"):
        assert [c["account_id"] for c in bobs.json()["cards"]] == [CARD.account_id]
    # Each token reads only where its own person is let in.
    assert api().get(path, headers=bearer(BOBS_TOKEN)).status_code == 403
    assert api(bobs_app).get(path, headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_of_someone_the_app_no_longer_lets_in_is_403(kept: str, path: str) -> None:
    _, token = made_on_setup()
    refused = api(signed_in("ann@corp.test", "corp.test")).get(path, headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert token not in refused.text


def test_a_signed_in_persons_token_follows_the_allow_list(history_store: HistoryStore) -> None:
    base = replace(
        parse_settings({"TOKEN_ENCRYPTION_KEY": HISTORY_KEY}),
        sign_in=SignIn((), Secret("cookie-secret-0123456789")),
    )
    ann = history_store.person_key(signed_in_key(base, "Ann@Corp.test"))
    holder = TokenHolder(1, ann, history_store.person_key(DOMAIN_LABEL + "corp.test"), None)

    def admitted(*entries: str) -> bool:
        listed = replace(base, allowed_users=tuple(Secret(e) for e in entries))
        return still_admitted(listed, history_store, holder)

    assert admitted("ann@corp.test")
    assert admitted("corp.test")
    assert not admitted("bob@corp.test", "else.test")
    assert not admitted("corp.test.attacker.net")
    local_run = replace(base, sign_in=None)
    assert not still_admitted(local_run, history_store, holder)
    owner = TokenHolder(2, history_store.person_key(local_visitor(local_run, None, None).key),
                        None, None)  # fmt: skip
    assert still_admitted(local_run, history_store, owner)


def test_a_persons_summary_has_the_score_of_their_newest_kept_report(
    plaid_env: PlaidDouble,
    history_url: str,
    experian: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setenv("DATABASE_URL", history_url)  # the key is the one the details are sealed by
    answer_with_report(experian)
    try:
        at = seeded("pages/credit_report.py")  # the person pulls their report: it is kept
        assert not at.exception, [e.value for e in at.exception]
        at.switch_page("pages/overview.py").run()
        shown = {m.label: m.value for m in at.metric}
        _setup, token = made_on_setup()
        summary = api().get("/api/v1/summary", headers=bearer(token)).json()
    finally:
        st.cache_resource.clear()  # the store's engine, before its database goes
    assert summary["score"]["score"] == DEMO_SCORE
    assert shown["Credit score"] == str(DEMO_SCORE)
