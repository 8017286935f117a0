"""What the app keeps of a person goes when it should: a revoked bank's data is not shown
again, a remembered fetch is not used past the cache TTL, and Disconnect or "Remove my
details" leaves nothing of the bank or the applicant in any cache or in the session. The
consent names the TTL the cache really uses."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from streamlit.testing.v1 import AppTest

from integrations.experian.parse import parse_credit_report
from services.runtime import last_good
from services.runtime import loaders as data
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.experian_support import DOB, SSN, answer_with_report, report_calls
from tests.support.plaid_double import Fault, PlaidDouble
from tests.support.setup_page import connect_pasted, disconnect_first_bank, save_applicant_on_setup
from tests.support.streamlit_internals import cache_entries, session_values

# --- where things are kept -------------------------------------------------------------------


def _as_bytes(value: object) -> bytes:
    """A value as pickle writes it (strings in UTF-8, frames with their data), or its repr
    for the few that cannot be pickled (AppTest's own callbacks)."""
    try:
        return pickle.dumps(value)
    except (pickle.PicklingError, AttributeError, TypeError):
        return repr(value).encode()


def session_entries(at: AppTest) -> list[tuple[str, bytes]]:
    """Every key of the session's state (ours, the pages' and the widgets'), as it now reads."""
    return [(f"session {key}", _as_bytes(value)) for key, value in session_values(at)]


def places(at: AppTest) -> list[tuple[str, bytes]]:
    remembered = ("last good fetches", _as_bytes(dict(last_good._last_good)))
    return [*cache_entries(), remembered, *session_entries(at)]


def leftovers(at: AppTest, needles: set[str]) -> set[str]:
    return {
        f"{needle!r} in {where}"
        for where, blob in places(at)
        for needle in needles
        if needle.encode() in blob
    }


def page_text(at: AppTest) -> str:
    return str([e.proto for e in at.main])


# --- Plaid -----------------------------------------------------------------------------------


@pytest.fixture
def plaid_env(monkeypatch: pytest.MonkeyPatch, plaid_double: PlaidDouble) -> PlaidDouble:
    monkeypatch.setenv("PLAID_CLIENT_ID", PlaidDouble.CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", PlaidDouble.SECRET)
    monkeypatch.setenv("PLAID_BASE_URL", plaid_double.url)
    return plaid_double


def with_tokens(monkeypatch: pytest.MonkeyPatch, *tokens: str) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))


def transaction_names(double: PlaidDouble, token: str) -> set[str]:
    return {t.name for t in double.client().fetch_item(token).transactions}


def on_transactions_page(at: AppTest, names: set[str]) -> set[str]:
    """The item's transaction names the transactions page shows (ASCII ones: the page's
    protos escape other characters)."""
    at.switch_page("pages/transactions.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    return {name for name in names if name.isascii() and name in text}


def warnings_of(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def fresh_session_after_refresh() -> AppTest:
    """A session's first run (AppTest shows app.py's sidebar on that run only), then its
    Refresh button: the item is fetched again."""
    at = app_test().run()
    next(b for b in at.sidebar.button if b.label == "Refresh data").click().run()
    assert not at.exception
    return at


def revoke_by_removal(double: PlaidDouble, token: str) -> None:
    double.client().remove_item(token)  # later calls answer INVALID_ACCESS_TOKEN


def revoke_with(code: str) -> Any:
    def revoke(double: PlaidDouble, token: str) -> None:
        fault = Fault("plaid_error", error_type="ITEM_ERROR", error_code=code, times=999)
        double.inject("/item/get", fault, access_token=token)

    return revoke


@pytest.mark.parametrize(
    ("revoke", "message"),
    [
        (revoke_by_removal, "This bank connection is no longer valid"),
        (revoke_with("ITEM_NOT_FOUND"), "This bank connection no longer exists"),
        (revoke_with("USER_PERMISSION_REVOKED"), "needs attention"),
        (revoke_with("ACCESS_NOT_GRANTED"), "needs attention"),
    ],
    ids=["removed", "not found", "permission revoked", "access not granted"],
)
def test_a_revoked_item_is_not_shown_again_in_any_session(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, revoke: Any, message: str
) -> None:
    token = plaid_env.demo_tokens()[0]
    names = transaction_names(plaid_env, token)
    with_tokens(monkeypatch, token)
    before = app_test().run()
    assert on_transactions_page(before, names), "the item's transactions show before"

    revoke(plaid_env, token)
    first = fresh_session_after_refresh()
    assert not on_transactions_page(first, names)
    assert message in warnings_of(first), warnings_of(first)
    assert "Showing what was fetched at" not in warnings_of(first)

    second = app_test().run()
    assert not on_transactions_page(second, names)
    assert message in warnings_of(second), warnings_of(second)


class Clock:
    """The app's clock (``data.now``), moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("elapsed", "kept"),
    [(data.CACHE_TTL_SECONDS - 1, True), (data.CACHE_TTL_SECONDS, False), (86_400 * 30, False)],
    ids=["within the TTL", "at the TTL", "a month later"],
)
def test_a_failed_refresh_shows_older_data_only_within_the_ttl(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, elapsed: int, kept: bool
) -> None:
    clock = Clock()
    monkeypatch.setattr(data, "now", clock)
    token = plaid_env.demo_tokens()[0]
    names = transaction_names(plaid_env, token)
    with_tokens(monkeypatch, token)
    shown = on_transactions_page(app_test().run(), names)
    assert shown

    login = Fault(
        "plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED", times=999
    )
    plaid_env.inject("/item/get", login, access_token=token)
    clock.advance(elapsed)
    at = fresh_session_after_refresh()
    assert on_transactions_page(at, names) == (shown if kept else set())
    assert "sign in again" in warnings_of(at)
    assert ("Showing what was fetched at 12:00 UTC" in warnings_of(at)) is kept


def test_disconnect_leaves_nothing_of_the_item_in_any_cache_or_the_session(
    plaid_env: PlaidDouble,
) -> None:
    client = plaid_env.client()
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    item = client.fetch_item(token)
    needles = {t.name for t in item.transactions} | {a.name for a in item.accounts}
    needles |= {item.item.institution.name, token}
    at = app_test().run()
    connect_pasted(at, token)
    for page in ("overview", "transactions", "cards"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
    before = leftovers(at, needles)
    assert any("services.runtime.loaders.analyse_snapshot" in place for place in before)
    assert any("session derived_figures" in place for place in before)

    at.switch_page("pages/setup.py").run()
    disconnect_first_bank(at)
    assert not at.exception
    assert at.session_state["plaid_items"] == []
    assert leftovers(at, needles) == set()


# --- Experian --------------------------------------------------------------------------------


def report_needles() -> set[str]:
    from integrations.demo.experian import experian_demo_report

    report = parse_credit_report(experian_demo_report(TODAY))
    return (
        {t.creditor for t in report.tradelines}
        | set(report.identity.names)
        | {SSN, DOB, "DEMOPERSON", "LARKSPUR"}
    )


def test_remove_my_details_leaves_no_report_in_any_cache_or_the_session(
    experian: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_SOURCE", "plaid")  # the person's own data, not the demo's
    answer_with_report(experian)
    at = app_test().run()
    save_applicant_on_setup(at)
    at.switch_page("pages/credit_report.py").run()
    assert not at.exception
    assert report_calls(experian) == 1
    needles = report_needles()
    before = leftovers(at, needles)
    assert any("services.runtime.loaders.fetch_credit_report" in place for place in before)
    assert any("session experian_last_report" in place for place in before)

    at.switch_page("pages/setup.py").run()
    at.button(key="forget_applicant").click().run()
    assert not at.exception
    at.switch_page("pages/credit_report.py").run()
    assert "give your consent and details" in " ".join(i.value for i in at.info)
    assert leftovers(at, needles) == set()


def test_the_consent_names_the_ttl_the_cache_really_uses(
    experian: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CACHE_TTL_SECONDS changed after start: the cache keeps the TTL it was built with.
    monkeypatch.setenv("CACHE_TTL_SECONDS", str(data.CACHE_TTL_SECONDS + 60))
    assert data.fetch_credit_report._info.ttl == data.CACHE_TTL_SECONDS
    said = f"at most every {data.CACHE_TTL_SECONDS} seconds"
    answer_with_report(experian)
    at = app_test().run()
    at.switch_page("pages/setup.py").run()
    assert said in at.checkbox(key="applicant_consent").label
    save_applicant_on_setup(at)
    assert said in at.session_state["experian_consent"].scope
    at.run()
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]
