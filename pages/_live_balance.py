"""The "Check live balances" button and what the banks said: drawn under the overview's cash
figure (and wherever else cash is shown), beside the figures fetched with the snapshot."""

from __future__ import annotations

import streamlit as st

from pages._shared import csv_download, fetching, render_problem, shown_table
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import live_balances, state
from services.runtime.limits import LIVE_BALANCE_INTERVAL_SECONDS
from services.runtime.live_balances import CashBank, CheckOutcome
from services.runtime.settings import Settings
from services.runtime.timezone import person_timezone, shown_time
from services.views.format import markdown_money, plain
from services.views.live_balances import LiveBalance, live_cash, live_rows

MINUTES = LIVE_BALANCE_INTERVAL_SECONDS // 60
BUTTON_HELP = (
    "Asks your banks for the balance they hold right now. The figures above stay the ones "
    f"fetched with the rest of your data. Plaid charges for each check, so each bank can be "
    f"checked once every {MINUTES} minutes."
)
_MONEY = "%.2f"  # the currency is its own column: amounts are never summed across them
LIVE_TABLE = {
    "bank": st.column_config.TextColumn("Bank"),
    "account": st.column_config.TextColumn("Account"),
    "mask": st.column_config.TextColumn("Ending"),
    "currency": st.column_config.TextColumn("Currency"),
    "current_fetched": st.column_config.NumberColumn("Fetched", format=_MONEY),
    "current_live": st.column_config.NumberColumn("Live", format=_MONEY),
    "available_live": st.column_config.NumberColumn("Live available", format=_MONEY),
    "live_at": st.column_config.TextColumn("Live at"),
}


def render_live_balances(settings: Settings, snap: FinancialSnapshot) -> None:
    """The button, what the last click said, and the live figures this session holds."""
    banks = live_balances.cash_banks(snap)
    if not banks:
        return
    if st.button(
        "Check live balances", key="check_live_balances", icon=":material/sync:",
        help=BUTTON_HELP,
    ):  # fmt: skip
        live = state.active_source(settings) == "plaid"
        with fetching(settings, "Asking your banks…", live):
            outcomes = live_balances.check(settings, banks)
        for outcome in outcomes:
            render_outcome(outcome)
    checks = live_balances.held(banks)
    if checks:
        render_live(checks, banks, snap)
    elif snap.source == "demo":
        st.caption("Demo: the demo banks answer with the figures above.")


def render_outcome(outcome: CheckOutcome) -> None:
    label = plain(outcome.bank.label)
    if outcome.allowed_at is not None:
        st.info(
            f"{label} was checked less than {MINUTES} minutes ago; you can check it again at "
            f"{shown_time(outcome.allowed_at)}."
        )
    elif outcome.problem is not None:
        render_problem(
            f"**{label}: its live balance could not be read.**", outcome.problem, "what was"
        )


def render_live(checks: list[LiveBalance], banks: list[CashBank], snap: FinancialSnapshot) -> None:
    """Live cash per currency (never summed across currencies), then per account."""
    for cash in live_cash(checks):
        total = cash.total
        st.markdown(
            f"Live at {plain(shown_time(cash.since))}: "
            f"**{markdown_money(total.current, total.currency)}**, available "
            f"{markdown_money(total.available, total.currency)}"
        )
    unchecked = [plain(b.label) for b in banks if b.bank not in {c.bank for c in checks}]
    if unchecked:
        st.caption(f"Not checked live: {', '.join(unchecked)}.")
    with st.expander("Live balances by account"):
        frame = live_rows(checks, snap.accounts, person_timezone())
        shown_table(frame, LIVE_TABLE, key="live_balances_table")
        csv_download(frame, "live_balances.csv", key="live_balances_csv")
        st.caption("Live figures are shown here only: every other figure is the one fetched.")
