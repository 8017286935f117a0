"""Cached loaders: the only functions that fetch, each keyed by whose data it is.

Entries live in Streamlit's process-wide cache for CACHE_TTL_SECONDS. A key never contains a
secret: demo data is keyed by the day it was generated for, a Plaid item by a keyed hash of
its access token (``services.runtime.cache_keys``), with the token itself passed as an underscore
argument that Streamlit does not hash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Protocol

import streamlit as st

from integrations.common.errors import Action, UpstreamError
from integrations.demo.parsed import demo_credit_report, demo_item_data
from integrations.experian.client import Applicant, ExperianClient
from integrations.models import CreditReport, ItemData
from integrations.plaid.client import PlaidClient
from services.analytics.history import SnapshotAnalyses, snapshot_analyses
from services.analytics.snapshot import FinancialSnapshot, ItemProblem, build_snapshot, problem_from
from services.runtime.settings import DEFAULT_CACHE_TTL_SECONDS, SettingsError, current_settings


def _configured_ttl() -> int:
    # Read once at import: the decorator needs the value before any page runs, so a changed
    # CACHE_TTL_SECONDS takes effect at the next restart. Whatever states or relies on the TTL
    # (the consent text, what a session holds, the last good fetch) uses CACHE_TTL_SECONDS,
    # the value the cache really uses, never the live setting. A broken configuration is
    # reported by app.py; the cache just keeps the default meanwhile.
    try:
        return current_settings().cache_ttl_seconds
    except SettingsError:
        return DEFAULT_CACHE_TTL_SECONDS


CACHE_TTL_SECONDS = _configured_ttl()


def now() -> datetime:
    """When a fetch happens, and the clock everything aged by the TTL is measured with (one
    place for a test to set the time)."""
    return datetime.now(UTC)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo data…")
def load_demo_snapshot(today: date) -> FinancialSnapshot:
    fetched_at = now()
    snapshot = build_snapshot(demo_item_data(today), "demo", fetched_at)
    return replace(snapshot, version=f"demo|{today}|{fetched_at.isoformat()}")


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo credit report…")
def load_demo_credit_report(today: date) -> tuple[CreditReport, datetime]:
    return demo_credit_report(today), now()


def clear_demo(today: date) -> None:
    load_demo_snapshot.clear(today)
    load_demo_credit_report.clear(today)


# --- Plaid ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFetch:
    """The outcome of fetching one item: its data, or the problem that stopped it."""

    item_key: str
    data: ItemData | None
    problem: ItemProblem | None
    fetched_at: datetime


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def fetch_plaid_item(item_key: str, _access_token: str, _client: PlaidClient) -> ItemFetch:
    """One item's data. Keyed by the item's keyed hash only; the token is never hashed.

    Failures are cached too (for the same TTL), so a broken bank is not asked again on every
    click; Refresh clears the entry."""
    try:
        data = _client.fetch_item(_access_token)
    except UpstreamError as error:
        return ItemFetch(item_key, None, problem_from(item_key, error), now())
    return ItemFetch(item_key, data, None, now())


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def assemble_plaid_snapshot(
    stamps: tuple[tuple[str, str], ...], _fetches: tuple[ItemFetch, ...]
) -> FinancialSnapshot:
    """The snapshot of several items, rebuilt only when one of them was fetched again."""
    usable = [f for f in _fetches if f.data is not None]
    fetched_at = min((f.fetched_at for f in _fetches), default=now())
    snapshot = build_snapshot([f.data for f in usable if f.data], "plaid", fetched_at)
    return replace(
        snapshot,
        problems=tuple(f.problem for f in _fetches if f.problem),
        version="|".join(f"{key}:{stamp}" for key, stamp in stamps),
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def analyse_snapshot(version: str, today: date, _snapshot: FinancialSnapshot) -> SnapshotAnalyses:
    """Recurring payments and unusual activity over the whole history (0.1 s on the demo,
    2 s at 500k transactions), once per fetched snapshot for every session showing it. The
    version names the fetch (keyed hashes of the items and when they were fetched), never a
    secret; a snapshot without one is not cached here."""
    return snapshot_analyses(_snapshot.transactions, today)


def clear_plaid_item(item_key: str) -> None:
    fetch_plaid_item.clear(item_key)


def forget_plaid_item(item_key: str) -> None:
    """Drop every cached entry holding this item's data, for everyone.

    The snapshots and analyses are keyed by the stamps of all the items they combine, which
    only the sessions that built them know, so both functions are cleared whole: another
    session keeps the copy it holds and rebuilds its entry on its next miss."""
    clear_plaid_item(item_key)
    assemble_plaid_snapshot.clear()
    analyse_snapshot.clear()


# --- Experian ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFetch:
    """The outcome of pulling one applicant's credit report."""

    applicant_key: str
    report: CreditReport | None
    problem: ItemProblem | None
    fetched_at: datetime
    refused: bool = False  # the pull was not allowed, so Experian was not asked


class PullPermit(Protocol):
    """Whether a pull may reach Experian now (None, or why not), and its outcome."""

    def ask(self) -> str | None: ...

    def record(self, outcome: str) -> None: ...


PULL_REFUSED = "PULL_NOT_ALLOWED"


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)
def fetch_credit_report(
    applicant_key: str, _applicant: Applicant, _client: ExperianClient, _permit: PullPermit
) -> ReportFetch:
    """One applicant's report, keyed by a keyed hash of who they are; never by their SSN.
    Every pull is billed: the permit is asked first, only here, where the cache missed."""
    refusal = _permit.ask()
    if refusal is not None:
        problem = ItemProblem(applicant_key, PULL_REFUSED, "LIMIT", refusal, Action.NONE)
        return ReportFetch(applicant_key, None, problem, now(), refused=True)
    try:
        report = _client.credit_report(_applicant)
    except UpstreamError as error:
        _permit.record(f"failed:{error.code}")
        problem = problem_from(applicant_key, error)
        return ReportFetch(applicant_key, None, problem, now())
    _permit.record("pulled")
    return ReportFetch(applicant_key, report, None, now())


def clear_credit_report(applicant_key: str) -> None:
    fetch_credit_report.clear(applicant_key)
