"""The overview's "Check live balances": the bank's figure now, beside the one fetched, at most
once per bank every ten minutes, and a failure that leaves what is shown as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from integrations.demo.plaid import plaid_demo_items
from services.runtime import loaders
from services.views.format import markdown_money, plain
from tests.support import demo_expectations as expect
from tests.support.apps import app_on_page
from tests.support.clock import TODAY
from tests.support.plaid_double import Fault, PlaidDouble

BALANCE = "/accounts/balance/get"
CLICKED_AT = datetime(TODAY.year, TODAY.month, TODAY.day, 14, 5, tzinfo=UTC)


class Clock:
    """The app's one clock (``loaders.now``), moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = CLICKED_AT
        monkeypatch.setattr(loaders, "now", lambda: self.moment)

    def advance(self, minutes: int) -> None:
        self.moment += timedelta(minutes=minutes)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def live_lines(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("Live at")]


def live_line(at: str, current: float, available: float) -> str:
    return (
        f"Live at {plain(at)}: **{markdown_money(current, 'USD')}**, available "
        f"{markdown_money(available, 'USD')}"
    )


def check_live(at: AppTest) -> AppTest:
    at.button(key="check_live_balances").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def live_table(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "current_live" in d.value.columns)


def harborline_cash() -> list[dict]:
    """Harborline's checking and savings accounts as /accounts/get gives them (the fetched
    figures), checking first."""
    item = plaid_demo_items(TODAY)[0]
    accounts = [a for a in item.accounts_get["accounts"] if a["type"] == "depository"]
    return sorted(accounts, key=lambda a: a["subtype"] != "checking")


def live_totals() -> tuple[float, float]:
    """Live cash at Harborline: its checking at $1,234.56 ($1,200.00 available), any other
    cash account as fetched (the double moves only the checking)."""
    others = harborline_cash()[1:]
    current = 1234.56 + sum(a["balances"]["current"] for a in others)
    available = 1200.0 + sum(
        a["balances"]["available"]
        if a["balances"]["available"] is not None
        else a["balances"]["current"]
        for a in others
    )
    return current, available


@pytest.fixture
def harborline(plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch) -> str:
    """The operator's two banks; Harborline's checking account has moved since Plaid last
    read it: $1,234.56 now, $1,200.00 of it available."""
    tokens = plaid_env.demo_tokens()
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))
    checking = harborline_cash()[0]["account_id"]
    plaid_env.set_live_balance(tokens[0], checking, current=1234.56, available=1200.0)
    return tokens[0]


def test_a_check_shows_the_live_figure_beside_the_fetched_one(
    plaid_env: PlaidDouble, harborline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    at = app_on_page()
    cash_before = metric(at, "Cash")
    assert live_lines(at) == []
    assert plaid_env.calls(BALANCE) == []  # billed: never asked without a click

    check_live(at)

    assert live_lines(at) == [live_line("14:05 UTC", *live_totals())]
    assert metric(at, "Cash") == cash_before  # the fetched figure stays as it was
    table = live_table(at)
    checking = table.iloc[0]
    fetched = harborline_cash()[0]["balances"]["current"]
    assert (checking["current_fetched"], checking["current_live"]) == (fetched, 1234.56)
    assert checking["available_live"] == 1200.0
    assert set(table["live_at"]) == {"14:05 UTC"}
    assert set(table["bank"]) == {"Harborline Bank"}
    # Juniper holds cards only: one billed call, for the bank with cash, with its token.
    assert [r.body["access_token"] for r in plaid_env.calls(BALANCE)] == [harborline]


def test_a_second_check_within_ten_minutes_says_when_it_is_allowed(
    plaid_env: PlaidDouble, harborline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    at = check_live(app_on_page())
    clock.advance(4)
    check_live(at)
    said = [i.value for i in at.info]
    assert said == [
        "Harborline Bank was checked less than 10 minutes ago; you can check it again at 14:15 UTC."
    ]
    assert len(plaid_env.calls(BALANCE)) == 1
    assert live_lines(at) == [live_line("14:05 UTC", *live_totals())]

    clock.advance(6)  # 14:15: ten minutes after the first check
    check_live(at)
    assert len(plaid_env.calls(BALANCE)) == 2
    assert live_lines(at) == [live_line("14:15 UTC", *live_totals())]


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (
            Fault("http_status", status=429, error_code="BALANCE_LIMIT"),
            "Too many requests to Plaid for now.",
        ),
        (
            Fault("plaid_error", error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED"),
            "Your bank needs you to sign in again before it shares new data.",
        ),
        (Fault("http_status", status=500), "Plaid had a problem answering."),
        (Fault("reset"), "Plaid could not be reached."),
    ],
)
def test_a_failed_check_says_why_and_keeps_what_is_shown(
    plaid_env: PlaidDouble,
    harborline: str,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    words: str,
) -> None:
    clock = Clock(monkeypatch)
    at = check_live(app_on_page())
    cash_before = metric(at, "Cash")
    clock.advance(11)
    plaid_env.inject(BALANCE, fault, access_token=harborline)

    check_live(at)

    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith("**Harborline Bank: its live balance could not be read.**")
        and plain(words) in w
        for w in warnings
    ), warnings
    assert live_lines(at) == [live_line("14:05 UTC", *live_totals())]
    assert metric(at, "Cash") == cash_before
    assert len(plaid_env.calls(BALANCE)) == 2  # one request per click, never retried


def test_a_timeout_says_plaid_took_too_long(
    plaid_env: PlaidDouble, harborline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "0.5")
    Clock(monkeypatch)
    plaid_env.inject(BALANCE, Fault("slow", delay=2.0), access_token=harborline)
    at = check_live(app_on_page())
    assert any(plain("Plaid took too long to answer.") in w.value for w in at.warning)
    assert live_lines(at) == []


def test_the_demo_checks_through_the_same_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    Clock(monkeypatch)
    at = app_on_page()
    assert "Demo: the demo banks answer with the figures above." in [c.value for c in at.caption]
    check_live(at)
    current, available = expect.cash(TODAY)
    assert live_lines(at) == [live_line("14:05 UTC", current, available)]
    check_live(at)
    assert any("you can check it again at 14:15 UTC" in i.value for i in at.info)
