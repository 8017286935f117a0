"""The app on live Plaid data: the real client against the local Plaid double, in AppTest."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from integrations.plaid.client import PlaidClient
from services.runtime.loaders import WITHOUT_TRANSACTIONS
from services.views.format import plain
from tests.support import demo_expectations as expect
from tests.support.apps import app_test, labelled
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble
from tests.support.setup_page import connect_pasted, disconnect_first_bank

LOGIN_REQUIRED = Fault(
    "plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED", times=999
)


def with_tokens(monkeypatch: pytest.MonkeyPatch, *tokens: str) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))


def start(page: str | None = None) -> AppTest:
    at = app_test().run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def upstream_calls(double: PlaidDouble) -> int:
    return len(double.requests)


def test_configured_tokens_load_every_item_on_every_page(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tokens(monkeypatch, *plaid_env.demo_tokens())
    at = start()
    assert at.session_state["data_source"] == "plaid"
    assert at.sidebar.markdown[0].value == "**Plaid sandbox**"
    owed, _, ratio = expect.overall_utilization(TODAY)
    assert metric(at, "Overall utilization") == f"{ratio * 100:.1f}%"
    assert metric(at, "Total owed on cards") == f"${owed:,.2f}"

    at.switch_page("pages/cards.py").run()
    assert len(at.dataframe[0].value) == len(expect.raw_cards(TODAY))
    at.switch_page("pages/transactions.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) > 0


def test_tokens_are_sealed_in_the_session(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tokens(monkeypatch, *plaid_env.demo_tokens())
    at = start()
    connections = at.session_state["plaid_items"]
    assert len(connections) == 2
    for connection, token in zip(connections, plaid_env.demo_tokens(), strict=True):
        assert token.encode() not in connection.sealed
        assert token not in connection.item_key
    assert {c.label for c in connections} == {"Harborline Bank", "Juniper Card Services"}


def test_a_warm_load_asks_plaid_nothing_and_refresh_asks_again(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tokens(monkeypatch, *plaid_env.demo_tokens())
    at = start()  # AppTest shows the entry script's sidebar on a session's first run only
    cold = upstream_calls(plaid_env)
    assert len(plaid_env.calls("/item/get")) == 2

    other_session = start("pages/cards.py")
    other_session.switch_page("pages/transactions.py").run()
    assert upstream_calls(plaid_env) == cold  # same items, within the TTL: the shared cache

    at.sidebar.button(key="refresh_data").click().run()
    assert len(plaid_env.calls("/item/get")) == 4  # Refresh fetched both items again


def test_refresh_is_limited_per_person_across_sessions(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each refresh costs a dozen upstream calls: one per REFRESH_INTERVAL_SECONDS a person,
    however many sessions they open."""
    monkeypatch.setenv("REFRESH_INTERVAL_SECONDS", "60")
    with_tokens(monkeypatch, *plaid_env.demo_tokens())
    first = start()
    first.sidebar.button(key="refresh_data").click().run()
    after_refresh = upstream_calls(plaid_env)
    second = start()  # the same person (this machine) in a new session
    second.sidebar.button(key="refresh_data").click().run()
    assert upstream_calls(plaid_env) == after_refresh
    # What it says is seen in the browser (tests/browser/test_browser_signin.py): AppTest
    # reruns only the page after a session's first run, not app.py's sidebar.
    assert metric(second, "Overall utilization") == metric(first, "Overall utilization")


def test_a_bank_that_needs_a_new_login_is_named_on_its_card_and_the_rest_still_shows(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plaid's /item/get still answers (with item.error) for an item needing a new login:
    someone with two banks is told which one to sign in to, by name."""
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    plaid_env.require_login(juniper)
    at = start("pages/cards.py")
    warnings = [w.value for w in at.warning]
    assert any("Juniper Card Services needs attention" in w for w in warnings), warnings
    assert any("sign in again" in w for w in warnings)
    assert not any("Bank connection" in w for w in warnings), warnings
    assert [b.label for b in at.button if b.label.startswith("Sign in to")] == [
        "Sign in to Juniper Card Services again"
    ]
    assert set(at.dataframe[0].value["institution"]) == {"Harborline Bank"}
    assert len(plaid_env.calls("/accounts/get")) == 2  # a login problem is not retried

    next(b for b in at.button if b.label.startswith("Sign in to")).click().run()
    assert [t.value for t in at.title] == ["Setup"]
    assert "**Sign in to Juniper Card Services again**" in [m.value for m in at.markdown]


def test_relink_opens_link_in_update_mode(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    plaid_env.inject("/accounts/get", LOGIN_REQUIRED, access_token=juniper)
    at = start()
    next(b for b in at.button if b.label.startswith("Sign in to")).click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Setup"]
    (update,) = plaid_env.calls("/link/token/create")
    assert update.body["access_token"] == juniper
    assert "products" not in update.body


def test_a_failed_refresh_keeps_what_was_shown(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tokens(monkeypatch, *plaid_env.demo_tokens())
    at = start()
    owed_before = metric(at, "Total owed on cards")
    plaid_env.inject("/item/get", Fault("http_status", status=500, times=999))
    at.sidebar.button(key="refresh_data").click().run()
    assert not at.exception
    assert metric(at, "Total owed on cards") == owed_before
    warnings = " ".join(w.value for w in at.warning)
    assert "Showing what was fetched at" in warnings
    assert "Plaid had a problem answering" in warnings
    assert len(plaid_env.calls("/item/get")) == 2 + 2 * 3  # first fetch, then 3 attempts each
    at.switch_page("pages/cards.py").run()
    assert len(at.dataframe[0].value) == len(expect.raw_cards(TODAY))


def test_a_bank_with_no_cards_gets_the_note_that_says_so(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    no_cards = Fault(
        "plaid_error", error_type="ITEM_ERROR", error_code="NO_LIABILITY_ACCOUNTS", times=999
    )
    plaid_env.inject("/liabilities/get", no_cards, access_token=harborline)
    at = start("pages/cards.py")
    captions = [c.value for c in at.caption]
    note = plain("This bank has no credit card details to share.")
    assert any(c.startswith("Harborline Bank") and c.endswith(note) for c in captions), captions
    assert not any("does not share card details" in c for c in captions), captions
    assert not [w.value for w in at.warning if "needs attention" in w.value]


def test_a_sync_that_never_ends_is_a_clear_problem_for_that_bank_only(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    plaid_env.inject("/transactions/sync", Fault("stuck_cursor", times=10_000), harborline)
    at = start("pages/cards.py")
    warnings = [w.value for w in at.warning]
    assert any(
        "Harborline Bank needs attention" in w
        and plain("Plaid kept sending the same page of this bank's transactions") in w
        for w in warnings
    ), warnings
    assert any(plain("Code SYNC_CURSOR_REPEATED") in c.value for c in at.caption)
    # Its accounts and cards had come in before the sync broke: they stay, and it says so.
    assert any(plain(WITHOUT_TRANSACTIONS) in w for w in warnings), warnings
    institutions = {"Harborline Bank", "Juniper Card Services"}
    assert set(at.dataframe[0].value["institution"]) == institutions
    assert len(plaid_env.calls("/transactions/sync")) == 2 + 2  # two pages per bank
    at.switch_page("pages/transactions.py").run()
    assert set(at.dataframe[0].value["institution"]) == {"Juniper Card Services"}


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("plaid_error", error_type="INSTITUTION_ERROR", error_code="INSTITUTION_DOWN",
               times=999), "Your bank is not answering Plaid right now"),
        (Fault("http_status", status=429, times=999), "Too many requests to Plaid"),
        (Fault("slow", delay=3, times=999), "Plaid took too long to answer"),
        (Fault("malformed_json", times=999), "Plaid sent an answer the app could not read"),
        (Fault("missing_field", missing="item", times=999),
         "Plaid sent an answer the app could not read"),
    ],
)  # fmt: skip
def test_each_fault_is_a_clear_message_on_screen(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, fault: Fault, message: str
) -> None:
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "0.5")
    plaid_env.inject("/item/get", fault, access_token=harborline)
    at = start("pages/cards.py")
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert set(at.dataframe[0].value["institution"]) == {"Juniper Card Services"}


def test_two_sessions_never_see_each_other(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline)
    first = start()
    with_tokens(monkeypatch, juniper)
    second = start()
    first.sidebar.button(key="refresh_data").click().run()  # a refresh in one session only
    for at, bank in ((first, "Harborline Bank"), (second, "Juniper Card Services")):
        at.switch_page("pages/cards.py").run()
        assert set(at.dataframe[0].value["institution"]) == {bank}
        at.switch_page("pages/transactions.py").run()
        assert set(at.dataframe[0].value["institution"]) == {bank}


def test_sandbox_quick_connect_ends_with_data(plaid_env: PlaidDouble) -> None:
    at = start("pages/setup.py")
    at.selectbox(key="sandbox_institution").set_value("ins_109511")
    at.button(key="FormSubmitter:sandbox_connect-Connect test bank").click().run()
    assert not at.exception
    assert any("Connected Tartan Bank" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert len(plaid_env.calls("/item/public_token/exchange")) == 1
    at.switch_page("pages/cards.py").run()
    assert set(at.dataframe[0].value["institution"]) == {"Tartan Bank"}


def test_wrong_sandbox_password_is_explained_on_screen(plaid_env: PlaidDouble) -> None:
    at = start("pages/setup.py")
    labelled(at.text_input, "Test password").input("wrong-password")
    at.button(key="FormSubmitter:sandbox_connect-Connect test bank").click().run()
    assert any("did not accept that user name or password" in e.value for e in at.error)


def test_pasted_token_is_checked_and_connected(plaid_env: PlaidDouble) -> None:
    client = PlaidClient(
        host=plaid_env.url, client_id=PlaidDouble.CLIENT_ID, secret=PlaidDouble.SECRET
    )
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109509"))
    at = start("pages/setup.py")
    labelled(at.text_input, "Access token").input("not-a-token")
    at.button(key="FormSubmitter:token_connect-Connect").click().run()
    assert any("not a Plaid access token" in e.value for e in at.error)
    labelled(at.text_input, "Access token").input(token)
    at.button(key="FormSubmitter:token_connect-Connect").click().run()
    assert any("Connected First Gingham Credit Union" in s.value for s in at.success)
    page_text = str([e.proto for e in at.main])
    assert token not in page_text


def test_disconnect_removes_the_item_at_plaid_and_here(plaid_env: PlaidDouble) -> None:
    client = plaid_env.client()
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109509"))
    at = start()
    connect_pasted(at, token)  # the person's own connection
    at.run()  # the list of connections above the form was drawn before it connected
    disconnect_first_bank(at)
    assert not at.exception
    (removal,) = plaid_env.calls("/item/remove")
    assert removal.body["access_token"] == token
    assert any("Plaid was told to forget" in t.value for t in at.toast)
    assert at.session_state["plaid_items"] == []
    at.switch_page("pages/overview.py").run()
    assert any("No accounts connected yet" in i.value for i in at.info)


def test_disconnect_asks_first_and_keeping_it_tells_plaid_nothing(plaid_env: PlaidDouble) -> None:
    client = plaid_env.client()
    token = client.exchange_public_token(client.create_sandbox_public_token("ins_109509"))
    at = start()
    connect_pasted(at, token)
    at.run()
    next(b for b in at.button if b.label == "Disconnect").click().run()
    assert any("Plaid will be told to remove this connection" in m.value for m in at.markdown)
    at.button(key="cancel_disconnect").click().run()
    assert plaid_env.calls("/item/remove") == []
    assert [c.label for c in at.session_state["plaid_items"]] == ["First Gingham Credit Union"]
    assert not any("Plaid will be told" in m.value for m in at.markdown)  # the dialog closed


def test_a_visitor_cannot_end_the_operators_connection_at_plaid(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    harborline, _ = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline)  # configured by the operator
    at = start("pages/setup.py")
    assert not [b for b in at.button if b.label == "Disconnect"]
    next(b for b in at.button if b.label == "Remove from this session").click().run()
    assert not at.exception
    assert plaid_env.calls("/item/remove") == []
    assert any("Removed from this session only" in t.value for t in at.toast)
    assert at.session_state["plaid_items"] == []
    again = start("pages/setup.py")  # a new session: the operator's bank is still there
    assert [c.label for c in again.session_state["plaid_items"]] == ["Harborline Bank"]


def test_no_secret_reaches_the_page_or_the_log(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harborline, juniper = plaid_env.demo_tokens()
    with_tokens(monkeypatch, harborline, juniper)
    plaid_env.inject("/accounts/get", LOGIN_REQUIRED, access_token=juniper)
    plaid_env.inject(
        "/item/get", Fault("http_status", status=500, times=2), access_token=harborline
    )
    at = start()
    rendered = []
    for page in ("pages/overview.py", "pages/cards.py", "pages/transactions.py", "pages/setup.py"):
        at.switch_page(page).run()
        # Absent from pages that drew both banks (one with its data, one with its problem),
        # not from a page that failed before drawing them.
        assert not at.exception, page
        assert not [e.value for e in at.error if "Something went wrong" in e.value], page
        rendered.append(str([e.proto for e in at.main]) + str([e.proto for e in at.sidebar]))
        if page != "pages/setup.py":
            warnings = [w.value for w in at.warning]
            assert any("Juniper Card Services needs attention" in w for w in warnings), page
        if page in ("pages/cards.py", "pages/transactions.py"):
            assert set(at.dataframe[0].value["institution"]) == {"Harborline Bank"}, page
    assert [t.value for t in at.text] == ["Harborline Bank", "Juniper Card Services"]  # Setup
    seen = " ".join(rendered) + caplog.text + str(at.session_state)
    for canary in (harborline, juniper, PlaidDouble.SECRET, PlaidDouble.CLIENT_ID):
        assert canary not in seen
