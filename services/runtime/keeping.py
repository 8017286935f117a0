"""Traditional mode (``DATABASE_URL``): what a session keeps in the history store, and what
it reads back for the History page and the overview's changes.

Rows belong to a person: a signed-in person, or the owner of a local run on this machine. A
visitor of a local run from elsewhere is never kept (anyone could be them). The store is
asked only on a fetch (each bank's sync continues from the kept cursor, and what it brought
is written with the day's balances) and on a pull (the report, sealed, and its scores), never
on a plain rerun. A store in trouble never stops a page: the fetch is shown, the trouble is
logged once and said in the sidebar until the store answers again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import streamlit as st

from integrations.common.logs import get_logger
from integrations.models import CreditReport, ItemData, SyncState
from services.analytics.trends import account_days_of, score_readings
from services.runtime import state
from services.runtime.cache_keys import keyed_hash
from services.runtime.clients import vault
from services.runtime.codec import report_from_text, report_text
from services.runtime.settings import Secret, Settings
from services.runtime.vault import ReconnectRequired, TokenVault
from services.storage.errors import StoreError
from services.storage.store import HistoryStore, history_store, retention_cutoff

_log = get_logger("history_store")
# After a failure the store is left alone this long, so a database that is down does not
# make every page wait for its connect timeout.
RETRY_SECONDS = 30.0


@dataclass
class _Trouble:
    lock: threading.Lock
    since: datetime | None = None
    retry_at: float = 0.0


@st.cache_resource(show_spinner=False)
def _trouble() -> _Trouble:
    return _Trouble(threading.Lock())


def store_trouble() -> datetime | None:
    """Since when the history store has not answered (UTC), or None."""
    return _trouble().since


def failed(error: StoreError) -> None:
    """The store did not answer: said once, and left alone for RETRY_SECONDS."""
    trouble = _trouble()
    with trouble.lock:
        first = trouble.since is None
        if first:
            trouble.since = datetime.now(UTC)
        trouble.retry_at = time.monotonic() + RETRY_SECONDS
    if first:  # our own words: a StoreError names no value, no URL
        _log.warning("history store unavailable (%s); pages go on without it", error.code)


def _answered() -> None:
    trouble = _trouble()
    with trouble.lock:
        was, trouble.since = trouble.since, None
    if was is not None:
        _log.info("history store back")


def _resting() -> bool:
    trouble = _trouble()
    return trouble.since is not None and time.monotonic() < trouble.retry_at


@st.cache_resource(show_spinner=False)
def _writes() -> dict[str, int]:
    return {}


def wrote(person: str) -> None:
    """This person's rows changed: what they read is read again."""
    writes = _writes()
    writes[person] = writes.get(person, 0) + 1


def generation(person: str) -> int:
    """How many times this process wrote this person's history: what they read is read
    again after each (another replica's writes show within the read's short TTL)."""
    return _writes().get(person, 0)


@st.cache_resource(max_entries=2, show_spinner=False)
def _store(configuration: str, _url: Secret, _keys: tuple[Secret, ...]) -> HistoryStore:
    return history_store(_url, _keys)


def kept_store(settings: Settings) -> HistoryStore | None:
    """This process's store for DATABASE_URL, migrated; None without it, or while it is down
    (an open that failed is not cached: the next try comes after RETRY_SECONDS)."""
    if settings.database_url is None or not settings.token_encryption_keys or _resting():
        return None
    url, keys = settings.database_url, settings.token_encryption_keys
    configuration = keyed_hash("history-store", json.dumps([url.reveal(), keys[0].reveal()]))
    try:
        store = _store(configuration, url, keys)
    except StoreError as error:
        failed(error)
        return None
    return store


def keeps_history(settings: Settings) -> bool:
    return settings.database_url is not None


def may_be_kept() -> bool:
    """Only someone the app knows has rows: signed in, or the owner of a local run."""
    visitor = state.visitor()
    return visitor.allowed and (visitor.mode == "sign_in" or visitor.on_this_machine)


@dataclass(frozen=True)
class Keeper:
    """One person's history, as the loaders use it: where each bank's sync stands, and
    what a fetch or a pull brought. Never raises: a store in trouble is a store not asked."""

    store: HistoryStore
    person: str
    vault: TokenVault
    # The day a fetch's balances are kept under, in the person's zone; None keeps none (a
    # background fetch, which does not know the person's zone, leaves that to their next run).
    today: date | None

    def kept(self, token: str) -> SyncState | None:
        """Where this bank's kept history stands, to sync on from."""
        try:
            if self.store.deleted_since(self.person) is not None:
                return None
            item_id = self.item_of(token)
            found = None if item_id is None else self.store.kept_sync(self.person, item_id)
        except StoreError as error:
            failed(error)
            return None
        _answered()
        return found

    def keep(self, token: str, before: SyncState | None, data: ItemData, after: SyncState) -> None:
        """What one fetch brought: the bank, its transactions as of ``after`` and today's
        balances (none without a ``today``), in one transaction that a deletion under way
        either precedes (nothing is written) or follows (nothing is left). A session that
        kept the same sync first leaves nothing to write."""
        item = data.item
        days = (
            ()
            if self.today is None
            else account_days_of((item,), data.accounts, data.liabilities, self.today)
        )
        try:
            if before is None:  # a bank not kept yet, or one whose token changed
                # Read apart from the writes: if it is stale by then, the cursor has moved
                # and the write finds it so (nothing is written twice).
                before = self.store.kept_sync(self.person, item.item_id)
            written = self.store.keep_fetch(
                self.person,
                item.item_id,
                self.vault.seal(token),
                item.institution,
                (_within_reach(before, after), after),
                data.accounts,
                days,
            )
        except StoreError as error:
            failed(error)
            return
        _answered()
        if written is not None:  # None: they deleted everything, maybe during this fetch
            wrote(self.person)

    def keep_report(self, report: CreditReport, pulled_at: datetime) -> bool:
        """Keep a pulled report, sealed, and its scores; whether it was kept. Not after the
        person deleted everything, nor while they do: the check and the writes are one
        transaction that a deletion either precedes or follows (``HistoryStore.keep_report``)."""
        readings = score_readings(report, pulled_at.date())
        try:
            sealed = self.vault.seal(report_text(report))
            kept = self.store.keep_report(self.person, pulled_at, sealed, readings)
        except StoreError as error:
            failed(error)
            return False
        _answered()
        if kept is None:  # they deleted everything, maybe while this report was pulled
            return False
        wrote(self.person)
        return True

    def open_report(self, sealed: bytes) -> CreditReport | None:
        try:
            return report_from_text(self.vault.open(sealed))
        except (ReconnectRequired, ValueError):  # sealed under a key this app no longer has
            return None

    def item_of(self, token: str) -> str | None:
        """The kept item of this token: the token is kept sealed (never searchable), so each
        of the person's few items is opened and compared."""
        for item in self.store.items(self.person):
            try:
                if self.vault.open(item.sealed_token) == token:
                    return item.item_id
            except ReconnectRequired:
                continue
        return None


def _within_reach(before: SyncState | None, after: SyncState) -> SyncState | None:
    """What a sync is compared with: after a sync from the start, only the kept transactions
    from its oldest day on, so history older than Plaid still serves is kept, not removed."""
    if before is None or not after.from_start or not after.transactions:
        return before
    oldest = min(t.date for t in after.transactions)
    recent = tuple(t for t in before.transactions if t.date >= oldest)
    return replace(before, transactions=recent)


def forget_bank(settings: Settings, sealed: bytes) -> None:
    """A bank the person disconnected: its kept connection, accounts and transactions go
    (its past daily balances stay in their history until they delete everything)."""
    found = keeper(settings)
    if found is None:
        return
    try:
        item_id = found.item_of(found.vault.open(sealed))
        if item_id is not None:
            found.store.remove_item(found.person, item_id)
    except ReconnectRequired:
        return
    except StoreError as error:
        failed(error)
        return
    wrote(found.person)


def keeper(settings: Settings) -> Keeper | None:
    """This session's keeper, or None: no DATABASE_URL, nobody to keep, or the store down."""
    if not may_be_kept():
        return None
    store = kept_store(settings)
    if store is None:
        return None
    person = store.person_key(state.visitor().key)
    today = state.today(settings)
    _drop_expired(store, settings, today)
    return Keeper(store, person, vault(settings), today)


@dataclass
class _Retention:
    """The day this process last started applying the retention."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    day: date | None = None


# Every retention worker this process started and that may still run (outside Streamlit's
# caches, so that clearing them does not lose a worker still deleting).
_retention_workers: list[threading.Thread] = []


@st.cache_resource(show_spinner=False)
def _retention() -> _Retention:
    return _Retention()


def _drop_expired(store: HistoryStore, settings: Settings, today: date) -> None:
    """HISTORY_RETENTION_MONTHS, applied once a day by each process (for everyone: what is
    older goes whoever looks), on a worker: the visitor whose run comes first that day does
    not wait for a delete over everyone's history, and two runs at once start it once."""
    cutoff = retention_cutoff(today, settings.history_retention_months)
    retention = _retention()
    with retention.lock:
        if cutoff is None or retention.day == today:
            return
        retention.day = today
        worker = threading.Thread(
            target=_drop_older_than, args=(store, cutoff, retention), name="history-retention"
        )
        _retention_workers[:] = [w for w in _retention_workers if w.is_alive()] + [worker]
        worker.start()


def _drop_older_than(store: HistoryStore, cutoff: date, retention: _Retention) -> None:
    try:
        dropped = store.drop_older_than(cutoff)
    except StoreError as error:
        failed(error)
        with retention.lock:
            retention.day = None  # the next run after the store's pause tries again
        return
    if dropped:
        _log.info("history older than %s dropped: %d rows", cutoff.isoformat(), dropped)


def await_retention(timeout: float) -> bool:
    """Whether every retention this process started is done within ``timeout`` seconds
    (waits for them; tests await them before their database goes)."""
    deadline = time.monotonic() + timeout
    for worker in list(_retention_workers):
        worker.join(max(0.0, deadline - time.monotonic()))
    return not any(worker.is_alive() for worker in _retention_workers)


@st.cache_resource(show_spinner=False)
def _reports_kept() -> dict[tuple[str, datetime], None]:
    return {}


REPORTS_REMEMBERED = 1_000  # pulls this process knows it kept, so a rerun writes nothing


def keep_report(settings: Settings, report: CreditReport, pulled_at: datetime) -> None:
    """Keep a report this session was given (once per pull in this process: a report shared
    from the cache is the same pull, kept under the same time)."""
    found = keeper(settings)
    if found is None:
        return
    kept = _reports_kept()
    if (found.person, pulled_at) in kept or not found.keep_report(report, pulled_at):
        return
    kept[(found.person, pulled_at)] = None
    while len(kept) > REPORTS_REMEMBERED:
        del kept[next(iter(kept))]
