"""Cached loaders: the only functions that fetch, each keyed by whose data it is.

Entries live in Streamlit's process-wide cache for CACHE_TTL_SECONDS. A key never contains a
secret: demo data is keyed by the day it was generated for, a Plaid item by a keyed hash of
its access token (``services.runtime.cache_keys``), with the token itself passed as an underscore
argument that Streamlit does not hash.

In hybrid mode (``REDIS_URL``) an in-process miss asks the shared store next, keyed by the
token or the applicant itself (``shared_keys`` hashes it): one replica's successful fetch serves
every replica for CACHE_TTL_SECONDS. A lock makes one replica fetch while the others wait for
its value (at most one call budget), then fetch themselves if none came. Failures stay in the
process. A report served from the store is not a pull: the permit is not asked.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar

import streamlit as st

from integrations.common.errors import Action, UpstreamError
from integrations.demo.parsed import demo_credit_report, demo_item_data
from integrations.experian.client import Applicant, ExperianClient
from integrations.models import CreditReport, ItemData, SyncState
from integrations.plaid.client import CardsCallback, PlaidClient
from services.analytics.history import SnapshotAnalyses, snapshot_analyses
from services.analytics.snapshot import FinancialSnapshot, ItemProblem, build_snapshot, problem_from
from services.runtime.codec import (
    CodecError,
    decode_item,
    decode_report,
    decode_sync_state,
    encode_item,
    encode_report,
    encode_sync_state,
    stamped,
    unstamped,
)
from services.runtime.settings import (
    DEFAULT_CACHE_TTL_SECONDS,
    DEFAULT_SYNC_RETENTION_DAYS,
    Settings,
    SettingsError,
    applicant_json,
    current_settings,
)
from services.runtime.shared_store import ItemVersion, Kind, SharedStore, shared_store

T = TypeVar("T")


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


def outlived_ttl(fetched_at: datetime) -> bool:
    """Whether data fetched then is older than the cache may keep it."""
    return now() - fetched_at >= timedelta(seconds=CACHE_TTL_SECONDS)


# Snapshots and their analyses are handed to every session as the very same objects (see
# ``snapshot_figures``): read-only by contract, which tests/pages/test_shared_figures.py
# holds every page and the API to; a copy would be unpickled per session (1 to 10 ms).
@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo data…")
def load_demo_snapshot(today: date) -> FinancialSnapshot:
    fetched_at = now()
    snapshot = build_snapshot(demo_item_data(today), "demo", fetched_at)
    return replace(snapshot, version=f"demo|{today}|{fetched_at.isoformat()}")


# A credit report is immutable through and through (frozen dataclasses of tuples, dates and
# strings; tests/unit/test_report_immutable.py), so its cache hands every session the very
# same object: a copy would be unpickled per session (about 1 ms per tradeline's history).
@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo credit report…")
def load_demo_credit_report(today: date) -> tuple[CreditReport, datetime]:
    return demo_credit_report(today), now()


def clear_demo(today: date) -> None:
    load_demo_snapshot.clear(today)
    load_demo_credit_report.clear(today)


# --- Hybrid mode ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """The shared store a loader asks on an in-process miss, and how long one upstream fetch
    may take (the lock's life, and the most a replica waits for another's fetch)."""

    store: SharedStore
    budget_seconds: float
    retention_seconds: float = DEFAULT_SYNC_RETENTION_DAYS * 86_400

    @classmethod
    def of(cls, settings: Settings) -> Shared | None:
        """None without REDIS_URL: the stateless app, exactly as without this module."""
        store = shared_store(settings)
        if store is None:
            return None
        return cls(store, settings.call_budget_seconds, settings.sync_retention_days * 86_400)


def _opened(decode: Callable[[bytes], T]) -> Callable[[bytes], tuple[T, datetime]]:
    def open_stamped(blob: bytes) -> tuple[T, datetime]:
        fetched_at, value = unstamped(blob)
        return decode(value), fetched_at

    return open_stamped


def _through_shared(
    shared: Shared,
    kind: Kind,
    identity: str,
    decode: Callable[[bytes], T],
    encode: Callable[[T], bytes],
    fetch: Callable[[], tuple[T | None, datetime, object]],
    unless_moved: ItemVersion | None = None,
) -> tuple[T | None, datetime, object, bool]:
    """(value, fetched_at, outcome, from_shared): the shared value if there is one, else
    ``fetch`` (whose outcome is passed through), shared when it produced a value (and, given
    the item's webhook version read before, only while no webhook moved it meanwhile)."""
    store, opened = shared.store, _opened(decode)
    found = store.get(kind, identity, opened)
    if found is not None:
        return found[0], found[1], None, True
    with store.lock(kind, identity, shared.budget_seconds) as mine:
        if not mine:
            found = store.wait_for(kind, identity, shared.budget_seconds, opened)
            if found is not None:
                return found[0], found[1], None, True
        value, fetched_at, outcome = fetch()
        if value is not None:
            try:
                blob = stamped(fetched_at, encode(value))
            except CodecError:  # not shared, still shown: the message names no data
                pass
            else:
                store.put(kind, identity, blob, CACHE_TTL_SECONDS, unless_moved)
    return value, fetched_at, outcome, False


# --- Plaid ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFetch:
    """The outcome of fetching one item: its data, or the problem that stopped it."""

    item_key: str
    data: ItemData | None
    problem: ItemProblem | None
    fetched_at: datetime
    # Hybrid mode: the item's webhook version in the shared store before it was fetched (or
    # found there); a later one means a webhook changed the item since (``bank_data``).
    version: int = 0


class ItemKeeper(Protocol):
    """Traditional mode's history of a person's banks (``keeping.Keeper``): where a bank's
    sync stands, and what a fetch brought."""

    def kept(self, token: str) -> SyncState | None: ...

    def keep(
        self, token: str, before: SyncState | None, data: ItemData, after: SyncState
    ) -> None: ...


# Added to the problem of a bank whose transactions failed after its cards came in.
WITHOUT_TRANSACTIONS = (
    "Its accounts and cards are shown, but not its transactions: the figures drawn from "
    "them leave this bank out until a refresh reads them."
)


@dataclass(frozen=True)
class _Failed:
    """A fetch that failed, with the cards part it had brought first, if any."""

    problem: ItemProblem
    cards: ItemData | None


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def fetch_plaid_item(
    item_key: str,
    _access_token: str,
    _client: PlaidClient,
    _shared: Shared | None = None,
    _keeper: ItemKeeper | None = None,
    _on_cards: CardsCallback | None = None,
) -> ItemFetch:
    """One item's data. Keyed by the item's keyed hash only; the token is never hashed.

    Failures are cached too (for the same TTL), so a broken bank is not asked again on every
    click; Refresh clears the entry. With a shared store, only successes are shared.

    ``_on_cards`` is given the item's cards part while its transactions sync (a fetch from
    the start only). If the fetch then fails, that part is its data, beside the problem: the
    cards already on screen stay there. It is never shared nor kept as a history."""

    def upstream() -> tuple[ItemData | None, datetime, object]:
        cards: list[ItemData] = []

        def seen_cards(part: ItemData) -> None:
            cards.append(part)
            if _on_cards is not None:
                _on_cards(part)

        try:
            data = _fetch_item_data(_access_token, _client, _shared, _keeper, seen_cards)
        except UpstreamError as error:
            return None, now(), _Failed(problem_from(item_key, error), next(iter(cards), None))
        return data, now(), None

    if _shared is None:
        data, fetched_at, outcome = upstream()
        return _item_fetch(item_key, data, outcome, fetched_at)
    # Read before the fetch: a webhook that comes while it is under way moves the version, so
    # what this fetch brought is not shared and this replica fetches again.
    seen = _shared.store.item_version(_access_token)
    data, fetched_at, outcome, from_shared = _through_shared(
        _shared, Kind.ITEM, _access_token, decode_item, encode_item, upstream, seen
    )
    if data is not None and (seen is None or not from_shared):
        _shared.store.note_item(_access_token, data.item.item_id, _shared.retention_seconds)
    version = 0 if seen is None else seen.value
    return _item_fetch(item_key, data, outcome, fetched_at, version)


def _item_fetch(
    item_key: str, data: ItemData | None, outcome: object, fetched_at: datetime, version: int = 0
) -> ItemFetch:
    if not isinstance(outcome, _Failed):
        return ItemFetch(item_key, data, None, fetched_at, version)
    if outcome.cards is None:
        return ItemFetch(item_key, None, outcome.problem, fetched_at, version)
    problem = replace(outcome.problem, message=f"{outcome.problem.message} {WITHOUT_TRANSACTIONS}")
    return ItemFetch(item_key, outcome.cards, problem, fetched_at, version)


def _fetch_item_data(
    token: str,
    client: PlaidClient,
    shared: Shared | None,
    keeper: ItemKeeper | None,
    on_cards: CardsCallback | None = None,
) -> ItemData:
    """One item's data from Plaid. In traditional mode its transactions continue from the
    person's kept history and what the fetch brought is kept; else, in hybrid mode, from the
    sync state kept in the shared store (only what changed is asked for), and the new state is
    kept for SYNC_RETENTION_DAYS, past the short TTL of the data itself."""
    if keeper is not None:
        before = keeper.kept(token)
        data, after = client.fetch_item_since(token, before, on_cards)
        keeper.keep(token, before, data, after)
        return data
    if shared is None:
        return client.fetch_item(token, on_cards)
    kept = shared.store.get(Kind.SYNC, token, decode_sync_state)
    data, state = client.fetch_item_since(token, kept, on_cards)
    with suppress(CodecError):  # not kept: the next sync starts over; the data still shows
        shared.store.put(Kind.SYNC, token, encode_sync_state(state), shared.retention_seconds)
    return data


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)  # read-only
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


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)  # read-only
def analyse_snapshot(version: str, today: date, _snapshot: FinancialSnapshot) -> SnapshotAnalyses:
    """Recurring payments and unusual activity over the whole history (0.1 s on the demo,
    2 s at 500k transactions), once per fetched snapshot for every session showing it. The
    version names the fetch (keyed hashes of the items and when they were fetched), never a
    secret; a snapshot without one is not cached here."""
    return snapshot_analyses(
        _snapshot.transactions, today, _snapshot.recurring, _snapshot.recurring_items
    )


SHARED_FIGURES_KEPT = 128  # entries: a few per page (figures, income, plan, default view)


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=SHARED_FIGURES_KEPT, show_spinner=False)
def snapshot_figures(
    name: str, version: str, today: date, detail: str, _compute: Callable[[], T]
) -> T:
    """A page's figures drawn from one fetched snapshot (and the day), computed by the first
    session that shows them and served to every other session showing the same fetch: a
    second visitor's first overview costs about a warm rerun.

    Served as the very same object, not a copy (a copy is unpickled per session, 1 to 20 ms
    each): read-only by contract. The figures are frozen dataclasses, and nothing changes a
    frame, dict or chart in them in place; a page or function that needs another frame makes
    a new one (pandas' copy-on-write keeps any frame derived from them apart).
    ``tests/pages/test_shared_figures.py`` holds the pages to it.

    ``version`` names the exact data (keyed hashes of the items and when they were fetched, or
    the demo's day and build time), so a person whose snapshot differs never gets these;
    ``detail`` is a keyed hash of anything else the figures depend on (the credit report, the
    time zone, the default target), never the thing itself. Nothing a person types or picks
    freely goes in: those figures stay in their session (``pages/_shared.derived``)."""
    return _compute()


# Told when an item's cached fetch is dropped (Refresh, a webhook, a disconnection): a finished
# background fetch of it (bank_data) must not stand in for the cache entry any more.
_item_cleared: list[Callable[[str], None]] = []


def on_item_cleared(listener: Callable[[str], None]) -> None:
    _item_cleared.append(listener)


def clear_plaid_item(item_key: str) -> None:
    fetch_plaid_item.clear(item_key)
    for listener in _item_cleared:
        listener(item_key)


def forget_plaid_item(item_key: str) -> None:
    """Drop every cached entry holding this item's data, for everyone.

    The snapshots, analyses and figures are keyed by the stamps of all the items they combine, which
    only the sessions that built them know, so these functions are cleared whole: another
    session keeps the copy it holds and rebuilds its entry on its next miss."""
    clear_plaid_item(item_key)
    assemble_plaid_snapshot.clear()
    analyse_snapshot.clear()
    snapshot_figures.clear()


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


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=64, show_spinner=False)  # immutable
def fetch_credit_report(
    applicant_key: str,
    _applicant: Applicant,
    _client: ExperianClient,
    _permit: PullPermit,
    _shared: Shared | None = None,
) -> ReportFetch:
    """One applicant's report, keyed by a keyed hash of who they are; never by their SSN.
    Every pull is billed: the permit is asked first, only here, where the cache missed (and,
    in hybrid mode, the shared store too: a report another replica pulled is not a pull)."""

    def pull() -> tuple[CreditReport | None, datetime, object]:
        refusal = _permit.ask()
        if refusal is not None:
            problem = ItemProblem(applicant_key, PULL_REFUSED, "LIMIT", refusal, Action.NONE)
            return None, now(), ReportFetch(applicant_key, None, problem, now(), refused=True)
        try:
            report = _client.credit_report(_applicant)
        except UpstreamError as error:
            _permit.record(f"failed:{error.code}")
            problem = problem_from(applicant_key, error)
            return None, now(), ReportFetch(applicant_key, None, problem, now())
        _permit.record("pulled")
        return report, now(), None

    if _shared is None:
        report, fetched_at, failed = pull()
    else:
        identity = applicant_json(_applicant)
        report, fetched_at, failed, _ = _through_shared(
            _shared, Kind.REPORT, identity, decode_report, encode_report, pull
        )
    if isinstance(failed, ReportFetch):
        return failed
    return ReportFetch(applicant_key, report, None, fetched_at)


def clear_credit_report(applicant_key: str) -> None:
    fetch_credit_report.clear(applicant_key)


def forget_credit_report(applicant_key: str) -> None:
    """Drop the applicant's report and, whole, the figures drawn with a report (their key
    names the report by a keyed hash only, so which entries came from this one is not known
    here): other sessions compute theirs again on their next miss."""
    clear_credit_report(applicant_key)
    snapshot_figures.clear()
