"""A person's kept history, as the History page and the overview's change alerts read it.

The demo shows three generated years (``services.analytics.demo_history``), through the same
frames and alerts as a kept history. A live history exists only in traditional mode
(``DATABASE_URL``, ``keeping``): without it nothing about a person outlives the session, so
there is none to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import streamlit as st

from integrations.demo.parsed import demo_credit_report, demo_item_data
from integrations.models import CreditReport, Transaction
from services.analytics.alerts_from_history import history_alerts
from services.analytics.demo_history import demo_history
from services.analytics.trends import AccountDay, Alert, ScoreReading
from services.runtime import keeping, loaders, state
from services.runtime.cache_keys import keyed_hash
from services.runtime.loaders import CACHE_TTL_SECONDS
from services.runtime.settings import Settings
from services.storage.errors import StoreError

HistorySource = Literal["demo", "kept"]


@dataclass(frozen=True)
class History:
    """What the History page draws: every row kept for one person, oldest first."""

    source: HistorySource
    days: tuple[AccountDay, ...]
    readings: tuple[ScoreReading, ...]
    reports: tuple[tuple[date, CreditReport], ...]
    transactions: tuple[Transaction, ...]
    version: str  # names what was read (never who): the page's figures are kept under it

    @property
    def first_day(self) -> date | None:
        days = [d.day for d in self.days] + [r.day for r in self.readings]
        return min(days, default=None)


# Resources, not data: a history is immutable and read on every rerun of the overview and
# History, so it is shared as it is rather than unpickled each time (100k transactions would
# take a second).
@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=2, show_spinner="Building the demo history…")
def load_demo_history(today: date) -> History:
    demo = demo_history(demo_item_data(today), demo_credit_report(today), today)
    return History(
        "demo", demo.days, demo.readings, demo.reports, demo.transactions, f"demo|{today}"
    )


def current_history(settings: Settings) -> History | None:
    """This session's history: the demo's, or the person's kept one (traditional mode);
    None without a store, for someone who is not kept, or while the store is down."""
    if state.active_source(settings) == "demo":
        return load_demo_history(state.today(settings))
    return kept_history(settings)


def kept_history(settings: Settings) -> History | None:
    """What the store keeps about this session's person, whatever the data source."""
    found = keeping.keeper(settings)
    if found is None:
        return None
    stamp = _change_stamp(found.person, keeping.generation(found.person), found)
    if stamp is None:
        return None
    return _kept_history(found.person, stamp, found)


# Another replica's writes show after this long; this process's own at once (generation).
KEPT_READ_TTL_SECONDS = 60
# A history read is kept while nothing changed in the store, up to this long.
KEPT_HISTORY_SECONDS = 3_600


@st.cache_resource(ttl=KEPT_READ_TTL_SECONDS, max_entries=64, show_spinner=False)
def _change_stamp(person: str, generation: int, _keeper: keeping.Keeper) -> str | None:
    """A keyed hash of what the store says changes with ``person``'s history, asked once per
    write of this process or per minute (None while the store does not answer)."""
    try:
        stamp = _keeper.store.change_stamp(person)
    except StoreError as error:
        keeping.failed(error)
        return None
    return keyed_hash("history-stamp", repr(stamp))


@st.cache_resource(ttl=KEPT_HISTORY_SECONDS, max_entries=64, show_spinner="Reading your history…")
def _kept_history(person: str, stamp: str, _keeper: keeping.Keeper) -> History | None:
    """Everything kept for ``person`` (a keyed hash), read again only when the store's
    ``stamp`` of it moved, by another replica or by this process (whose writes ask for a new
    stamp at once): a long history takes a second to read, and a minute's expiry alone made
    a person wait for it every minute."""
    store = _keeper.store
    try:
        days = tuple(store.account_days(person))
        readings = tuple(store.scores(person))
        kept_reports = store.reports(person)
        transactions = tuple(store.transactions(person))
    except StoreError as error:
        keeping.failed(error)
        return None
    reports = tuple(
        (kept.pulled_at.date(), report)
        for kept in kept_reports
        if (report := _keeper.open_report(kept.sealed_report)) is not None
    )
    version = f"kept|{person}|{stamp}|{loaders.now().isoformat()}"
    return History("kept", days, readings, reports, transactions, version)


def forget_kept() -> None:
    """Let go of every kept history this process read ("Delete everything": the person's
    must not linger in memory until its read expires)."""
    _change_stamp.clear()
    _kept_history.clear()


def recent_changes(history: History, today: date) -> tuple[Alert, ...]:
    """What changed in the last weeks of the history, newest first, for the overview."""
    return _recent_changes(history.version, today, history)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=16, show_spinner=False)
def _recent_changes(version: str, today: date, _history: History) -> tuple[Alert, ...]:
    return history_alerts(_history.days, _history.readings, _history.reports, today)
