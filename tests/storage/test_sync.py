"""Transactions kept in step with /transactions/sync: what changed is written in one database
transaction with the cursor, at most once, whoever else is syncing the same bank, and a sync
that dies half-way leaves the history as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

from integrations.models import SyncState
from services.storage import store as store_module
from services.storage.errors import StoreError
from services.storage.store import HistoryStore, SyncWrite
from tests.support.apps import ROOT
from tests.support.database_rows import rows_of_person
from tests.support.databases import HISTORY_KEY
from tests.support.history_data import (
    CARD,
    CHECKING,
    COFFEE_CORRECTED,
    FIRST_SYNC,
    GROCER_PENDING,
    GROCER_POSTED,
    INSTITUTION,
    ITEM,
    REFUND,
    SECOND_SYNC,
)

IDENTITY = "ann@example.com"


def connected(store: HistoryStore, identity: str = IDENTITY) -> str:
    person = store.person_key(identity)
    store.save_item(person, ITEM, b"sealed-token", INSTITUTION.institution_id, INSTITUTION.name)
    return person


def ids(state: SyncState | None) -> list[str]:
    assert state is not None
    return sorted(t.transaction_id for t in state.transactions)


def test_the_first_sync_is_kept_as_it_came(history_store: HistoryStore) -> None:
    person = connected(history_store)
    assert history_store.kept_sync(person, ITEM) is None
    written = history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    assert written == SyncWrite(applied=True, added=3, accounts=2)
    kept = history_store.kept_sync(person, ITEM)
    assert kept is not None
    assert (kept.cursor, kept.institution) == (FIRST_SYNC.cursor, INSTITUTION)
    assert set(kept.transactions) == set(FIRST_SYNC.transactions)  # every field as it came


def test_a_later_sync_adds_modifies_removes_and_posts_the_pending(
    history_store: HistoryStore,
) -> None:
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    before = history_store.kept_sync(person, ITEM)

    written = history_store.apply_sync(person, ITEM, before, SECOND_SYNC, [CARD, CHECKING])

    assert written == SyncWrite(applied=True, added=2, modified=1, removed=1, accounts=2)
    kept = history_store.kept_sync(person, ITEM)
    assert kept is not None
    assert kept.cursor == "cursor-2"
    assert ids(kept) == ["tx-coffee", "tx-grocer", "tx-refund", "tx-rent"]
    by_id = {t.transaction_id: t for t in kept.transactions}
    assert by_id["tx-coffee"] == COFFEE_CORRECTED
    assert by_id["tx-grocer"] == GROCER_POSTED  # posted, pointing at the pending it replaced
    assert by_id["tx-grocer"].pending_transaction_id == GROCER_PENDING.transaction_id
    assert by_id["tx-refund"] == REFUND  # a formula-like name is kept as the text it is
    assert [t.transaction_id for t in history_store.transactions(person)] == [
        "tx-rent", "tx-coffee", "tx-grocer", "tx-refund"
    ]  # fmt: skip


def test_the_same_sync_applied_twice_is_written_once(history_store: HistoryStore) -> None:
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD])
    before = history_store.kept_sync(person, ITEM)
    assert history_store.apply_sync(person, ITEM, before, SECOND_SYNC).applied
    assert history_store.apply_sync(person, ITEM, before, SECOND_SYNC) == SyncWrite(applied=False)
    nothing_new = history_store.kept_sync(person, ITEM)
    assert history_store.apply_sync(person, ITEM, nothing_new, SECOND_SYNC) == SyncWrite(
        applied=True
    )
    assert ids(history_store.kept_sync(person, ITEM)) == ids(SECOND_SYNC)


def test_two_sessions_syncing_one_bank_at_once_leave_no_duplicates(history_url: str) -> None:
    """Two stores (two replicas) read the same kept state, then write at the same moment."""
    stores = [HistoryStore.open(history_url, [HISTORY_KEY]) for _ in range(2)]
    stores[0].migrate()
    person = connected(stores[0])
    start = threading.Barrier(2)
    results: list[SyncWrite | BaseException] = []

    def sync(store: HistoryStore) -> None:
        before = store.kept_sync(person, ITEM)
        start.wait()
        try:
            results.append(store.apply_sync(person, ITEM, before, FIRST_SYNC, [CARD, CHECKING]))
        except BaseException as problem:
            results.append(problem)

    threads = [threading.Thread(target=sync, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(isinstance(r, SyncWrite) and r.applied for r in results) == [False, True]
    rows = rows_of_person(history_url, person)["transactions"]
    assert sorted(row["transaction_id"] for row in rows) == ids(FIRST_SYNC)
    for store in stores:
        store.close()


def test_a_sync_killed_half_way_leaves_the_history_as_it_was(
    history_store: HistoryStore, history_url: str
) -> None:
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    before_rows = rows_of_person(history_url, person)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.support.history_data", history_url, HISTORY_KEY, IDENTITY],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == b"half-way\n"  # inside its database transaction
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if child.stdin is not None:
            child.stdin.close()

    assert rows_of_person(history_url, person) == before_rows
    kept = history_store.kept_sync(person, ITEM)
    assert kept is not None
    assert kept.cursor == FIRST_SYNC.cursor
    # Nothing is left locked: the next sync goes through.
    assert history_store.apply_sync(person, ITEM, kept, SECOND_SYNC).applied


def test_a_sync_the_database_refuses_half_way_writes_nothing(
    history_store: HistoryStore, history_url: str
) -> None:
    """The last row breaks a NOT NULL constraint, after the cursor, accounts, the removal and
    the other rows were written in the same transaction."""
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    before = history_store.kept_sync(person, ITEM)
    before_rows = rows_of_person(history_url, person)
    broken = replace(REFUND, transaction_id="tx-broken", currency=None)  # type: ignore[arg-type]
    after = replace(SECOND_SYNC, transactions=(*SECOND_SYNC.transactions, broken))

    with pytest.raises(StoreError) as caught:
        history_store.apply_sync(person, ITEM, before, after, [CARD, CHECKING])

    assert caught.value.code == "STORE_REFUSED"
    assert rows_of_person(history_url, person) == before_rows


def test_a_failure_between_statements_rolls_the_sync_back(
    history_store: HistoryStore, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD])
    before = history_store.kept_sync(person, ITEM)
    before_rows = rows_of_person(history_url, person)

    def fail(*args: object) -> None:
        raise RuntimeError("the process is going away")

    monkeypatch.setattr(store_module, "_upsert_transactions", fail)
    with pytest.raises(RuntimeError):
        history_store.apply_sync(person, ITEM, before, SECOND_SYNC, [CARD, CHECKING])
    assert rows_of_person(history_url, person) == before_rows


def test_a_bank_that_is_not_kept_cannot_be_synced(history_store: HistoryStore) -> None:
    person = history_store.person_key(IDENTITY)
    with pytest.raises(StoreError) as caught:
        history_store.apply_sync(person, "item-never-saved", None, FIRST_SYNC)
    assert caught.value.code == "ITEM_NOT_KEPT"


def test_a_new_token_for_a_kept_bank_keeps_where_its_sync_stands(
    history_store: HistoryStore,
) -> None:
    person = connected(history_store)
    history_store.apply_sync(person, ITEM, None, FIRST_SYNC)
    history_store.save_item(person, ITEM, b"new-sealed-token", INSTITUTION.institution_id,
                            INSTITUTION.name)  # fmt: skip
    (kept,) = history_store.items(person)
    assert kept.sealed_token == b"new-sealed-token"
    assert kept.cursor == FIRST_SYNC.cursor
