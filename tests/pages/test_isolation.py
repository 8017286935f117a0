"""Sessions with different items never see each other's data, also when run at once,
right after a refresh and after one of them disconnects."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apps import app_test, labelled
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_page import disconnect_first_bank

INSTITUTIONS = ["ins_109508", "ins_109509", "ins_109510", "ins_109511", "ins_109512"]


def sandbox_tokens(double: PlaidDouble, count: int) -> list[str]:
    client = double.client()
    return [
        client.exchange_public_token(
            client.create_sandbox_public_token(INSTITUTIONS[n % len(INSTITUTIONS)])
        )
        for n in range(count)
    ]


def transaction_ids(double: PlaidDouble, tokens: list[str]) -> dict[str, set[str]]:
    client = double.client()
    return {
        token: {t.transaction_id for t in client.fetch_item(token).transactions} for token in tokens
    }


def shown_transactions(at: AppTest, downloads: dict[str, pd.DataFrame]) -> set[str]:
    """The transactions the page holds for this session: its whole view, as the CSV gives
    it (the table draws only the newest page, and no ids)."""
    at.switch_page("pages/transactions.py").run()
    assert not at.exception
    return set(downloads["tx_csv"]["transaction_id"])


def assert_only_own(shown: set[str], token: str, owned: dict[str, set[str]]) -> None:
    assert shown, "the session shows its own transactions"
    assert shown <= owned[token]
    for other, ids in owned.items():
        if other != token:
            assert not shown & ids


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, plaid_double: PlaidDouble) -> PlaidDouble:
    monkeypatch.setenv("PLAID_CLIENT_ID", PlaidDouble.CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", PlaidDouble.SECRET)
    monkeypatch.setenv("PLAID_BASE_URL", plaid_double.url)
    return plaid_double


@pytest.mark.parametrize("count", [2, 10])
def test_sessions_each_see_only_their_own_item(
    live: PlaidDouble,
    monkeypatch: pytest.MonkeyPatch,
    downloads: dict[str, pd.DataFrame],
    count: int,
) -> None:
    tokens = sandbox_tokens(live, count)
    owned = transaction_ids(live, tokens)
    # AppTest sessions cannot run in parallel threads (Streamlit's test runner keeps
    # process-wide state), so the sessions take turns in one process instead; the browser
    # suite covers truly simultaneous sessions against one server.
    sessions = [app_test(timeout=120) for _ in tokens]

    def connect(pair: tuple[AppTest, str]) -> set[str]:
        at, token = pair
        at.run()
        at.switch_page("pages/setup.py").run()
        labelled(at.text_input, "Access token").input(token)
        at.button(key="FormSubmitter:token_connect-Connect").click().run()
        assert not at.exception
        return shown_transactions(at, downloads)

    seen = [connect(pair) for pair in zip(sessions, tokens, strict=True)]
    for shown, token in zip(seen, tokens, strict=True):
        assert_only_own(shown, token, owned)

    # One session refreshes, another disconnects; everyone else still sees only their own.
    sessions[0].switch_page("pages/overview.py").run()
    sessions[1].switch_page("pages/setup.py").run()
    disconnect_first_bank(sessions[1])
    assert sessions[1].session_state["plaid_items"] == []
    for at, token in [*zip(sessions[2:], tokens[2:], strict=True), (sessions[0], tokens[0])]:
        assert_only_own(shown_transactions(at, downloads), token, owned)
