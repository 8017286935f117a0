"""Live balances on demand: a person asks their banks for today's figure
(/accounts/balance/get, billed by Plaid per call), at most once per bank every
``limits.LIVE_BALANCE_INTERVAL_SECONDS``.

What the banks say is kept in this session beside the snapshot, never in it: every other
figure (cash, net worth, the pages, the history) stays the one fetched with the snapshot, and
a live figure is always shown with the time it was read. The demo answers through the same
parser, from its own bodies, without a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import streamlit as st

from integrations.common.errors import Action, UpstreamError
from integrations.demo.parsed import demo_live_balances
from integrations.models import Account
from services.analytics.snapshot import FinancialSnapshot, ItemProblem, problem_from
from services.analytics.worth import DEPOSITORY
from services.runtime import limits, state, webhook_events
from services.runtime import loaders as data
from services.runtime.clients import plaid_client, vault
from services.runtime.settings import Settings
from services.runtime.vault import ReconnectRequired
from services.views.live_balances import LiveBalance, cash_accounts

LIVE = "live_balances"  # session key: bank -> LiveBalance, the last good check of each
DEMO_PREFIX = "demo:"


@dataclass(frozen=True)
class CashBank:
    """A bank holding cash accounts that this session may ask for a live balance."""

    bank: str  # the connection's item key, or "demo:<item_id>"
    item_id: str
    label: str


@dataclass(frozen=True)
class CheckOutcome:
    """What one click did for one bank: a live answer, a problem, or not yet allowed."""

    bank: CashBank
    live: LiveBalance | None = None
    problem: ItemProblem | None = None
    allowed_at: datetime | None = None


def cash_banks(snap: FinancialSnapshot) -> list[CashBank]:
    """The banks of this snapshot with a checking or savings account, in the snapshot's
    order. Only banks connected in this session (a demo's own): their token is the person's
    (or, for its owner, the operator's), never anyone else's."""
    item_ids = list(dict.fromkeys(a.item_id for a in snap.accounts if a.type == DEPOSITORY))
    if snap.source == "demo":
        names = {item.item_id: item.institution.name for item in snap.items}
        return [CashBank(DEMO_PREFIX + i, i, names.get(i, "Demo bank")) for i in item_ids]
    held = {c.item_key for c in state.connections()}
    banks = []
    for item_id in item_ids:
        item_key = webhook_events.inbox().key_of(item_id)  # noted by each fetch
        if item_key in held:
            banks.append(CashBank(item_key, item_id, state.connection_label(item_key)))
    return banks


def held(banks: Sequence[CashBank]) -> list[LiveBalance]:
    """The last live answer of each of these banks this session got, in their order."""
    kept: dict[str, LiveBalance] = st.session_state.get(LIVE, {})
    return [kept[bank.bank] for bank in banks if bank.bank in kept]


def check(settings: Settings, banks: Sequence[CashBank]) -> list[CheckOutcome]:
    """Ask each bank for its balances now, unless this person asked it too recently. A
    problem leaves the bank's earlier live answer (if any) and the snapshot as they were."""
    now = data.now()
    person = state.visitor().key
    outcomes = []
    for bank in banks:
        billed = not bank.bank.startswith(DEMO_PREFIX)  # the demo's answers cost nothing
        left = limits.take_live_balance(settings, person, bank.bank, now, billed=billed)
        if left is not None:
            outcomes.append(CheckOutcome(bank, allowed_at=now + timedelta(seconds=left)))
            continue
        outcomes.append(_checked(settings, bank, now, person))
    return outcomes


def _checked(settings: Settings, bank: CashBank, now: datetime, person: str) -> CheckOutcome:
    try:
        accounts = _ask(settings, bank, now)
    except UpstreamError as error:
        limits.audit("live_balance", person, f"failed:{error.code}", item=bank.bank)
        return CheckOutcome(bank, problem=problem_from(bank.bank, error))
    except ReconnectRequired:
        problem = ItemProblem(
            item_key=bank.bank, code="TOKEN_UNREADABLE", error_type="SESSION",
            message="This connection can no longer be read (the app's key changed).",
            action=Action.RECONNECT,
        )  # fmt: skip
        return CheckOutcome(bank, problem=problem)
    limits.audit("live_balance", person, "checked", item=bank.bank)
    live = LiveBalance(bank.bank, bank.label, now, cash_accounts(accounts))
    st.session_state.setdefault(LIVE, {})[bank.bank] = live
    return CheckOutcome(bank, live=live)


def _ask(settings: Settings, bank: CashBank, now: datetime) -> tuple[Account, ...]:
    if bank.bank.startswith(DEMO_PREFIX):
        return demo_live_balances(state.today(settings), bank.item_id, now)
    connection = next(c for c in state.connections() if c.item_key == bank.bank)
    with vault(settings).revealed(connection.sealed) as token:
        return plaid_client(settings).live_balances(token)
