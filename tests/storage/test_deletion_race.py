"""Delete everything while a fetch is being kept (a page's, or the webhook worker's), or a
credit report just pulled, on SQLite and PostgreSQL: the deletion cannot slip in between the
keeper's "not deleted" and its writes, so no sealed token, transaction, balance, report or score
of the person outlives it, and no webhook finds them again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy import event

from integrations.demo.experian import experian_demo_report
from integrations.experian.parse import parse_credit_report
from integrations.models import Item, ItemData
from services.runtime.keeping import Keeper
from services.runtime.vault import TokenVault
from services.storage import store as store_module
from services.storage.errors import StoreError
from services.storage.store import HistoryStore
from tests.support.clock import TODAY
from tests.support.database_rows import rows_of_person
from tests.support.databases import HISTORY_KEY
from tests.support.history_data import CARD, CHECKING, FIRST_SYNC, INSTITUTION, ITEM, SECOND_SYNC

IDENTITY = "ann@example.com"
TOKEN = "access-sandbox-deletion-race"
FETCHED = ItemData(Item(ITEM, INSTITUTION), (CARD, CHECKING), (), ())
REPORT = parse_credit_report(experian_demo_report(TODAY))
PULLED_AT = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


@pytest.fixture
def store(history_url: str) -> Iterator[HistoryStore]:
    opened = HistoryStore.open(history_url, [HISTORY_KEY])
    opened.migrate()
    yield opened
    opened.close()
    st.cache_resource.clear()  # the keeper's note of a store in trouble, if any


def impatient(url: str, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    """A second store on the same database (another session or replica) whose writes give up
    at once rather than wait for a lock held elsewhere: what it could not do, it could not
    have done at that moment."""
    if url.startswith("sqlite"):
        monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0)
        return HistoryStore.open(url, [HISTORY_KEY])
    parsed = sa.make_url(url)
    options = f"{parsed.query.get('options', '')} -clock_timeout=50".strip()
    return HistoryStore.open(
        parsed.update_query_dict({"options": options}).render_as_string(hide_password=False),
        [HISTORY_KEY],
    )


def after_the_deletion_check(engine: sa.Engine, then: Any) -> None:
    """Run ``then`` once, right after the keeper has read that the person was not deleted
    (their row in ``people`` is there), before anything of the fetch is written."""
    done: list[bool] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        checking = statement.lstrip().upper().startswith("SELECT") and "FROM people" in statement
        if checking and not done:
            done.append(True)
            then()

    event.listen(engine, "after_cursor_execute", hook)


def test_a_deletion_while_a_fetch_is_kept_leaves_nothing_behind(
    store: HistoryStore, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = store.person_key(IDENTITY)
    keeper = Keeper(store, person, TokenVault([HISTORY_KEY]), TODAY)
    keeper.keep(TOKEN, None, FETCHED, FIRST_SYNC)  # kept since an earlier visit
    assert [p for p, _ in store.holders_of(ITEM)] == [person]

    other = impatient(history_url, monkeypatch)
    deletion: list[str] = []

    def delete_now() -> None:
        try:
            other.delete_person(person)
            deletion.append("deleted")
        except StoreError:
            deletion.append("had to wait")

    after_the_deletion_check(store._engine, delete_now)
    keeper.keep(TOKEN, None, FETCHED, SECOND_SYNC)
    if deletion == ["had to wait"]:  # the fetch was kept whole; the deletion goes now
        other.delete_person(person)
    other.close()

    left = {table: rows for table, rows in rows_of_person(history_url, person).items() if rows}
    assert set(left) == {"audit"}  # the deletion's own line only
    assert [row["event"] for row in left["audit"]] == ["person_deleted"]
    assert store.holders_of(ITEM) == []  # no webhook fetches for them again
    assert store.deleted_since(person) is not None
    # Between the check and the writes the person was held: the deletion had to wait.
    assert deletion == ["had to wait"]


def test_a_fetch_kept_after_a_deletion_writes_nothing(
    store: HistoryStore, history_url: str
) -> None:
    person = store.person_key(IDENTITY)
    keeper = Keeper(store, person, TokenVault([HISTORY_KEY]), TODAY)
    keeper.keep(TOKEN, None, FETCHED, FIRST_SYNC)
    store.delete_person(person)  # while the next fetch was under way

    keeper.keep(TOKEN, None, FETCHED, SECOND_SYNC)

    left = {table: rows for table, rows in rows_of_person(history_url, person).items() if rows}
    assert set(left) == {"audit"}
    assert store.holders_of(ITEM) == []


def test_a_deletion_while_a_report_is_kept_leaves_no_report_behind(
    store: HistoryStore, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = store.person_key(IDENTITY)
    keeper = Keeper(store, person, TokenVault([HISTORY_KEY]), TODAY)
    keeper.keep(TOKEN, None, FETCHED, FIRST_SYNC)  # kept since an earlier visit

    other = impatient(history_url, monkeypatch)
    deletion: list[str] = []

    def delete_now() -> None:
        try:
            other.delete_person(person)
            deletion.append("deleted")
        except StoreError:
            deletion.append("had to wait")

    after_the_deletion_check(store._engine, delete_now)
    kept = keeper.keep_report(REPORT, PULLED_AT)  # pulled as they press Delete everything
    if deletion == ["had to wait"]:  # the report was kept whole; the deletion goes now
        other.delete_person(person)
    other.close()

    left = {table: rows for table, rows in rows_of_person(history_url, person).items() if rows}
    assert set(left) == {"audit"}  # no report, no score: the deletion's own line only
    assert [row["event"] for row in left["audit"]] == ["person_deleted"]
    assert store.reports(person) == []
    assert store.scores(person) == []
    # Between the check and the writes the person was held: the deletion had to wait.
    assert (deletion, kept) == (["had to wait"], True)


def test_a_report_pulled_after_a_deletion_is_not_kept(
    store: HistoryStore, history_url: str
) -> None:
    person = store.person_key(IDENTITY)
    keeper = Keeper(store, person, TokenVault([HISTORY_KEY]), TODAY)
    keeper.keep(TOKEN, None, FETCHED, FIRST_SYNC)
    store.delete_person(person)  # while the report was being pulled

    assert keeper.keep_report(REPORT, PULLED_AT) is False

    left = {table: rows for table, rows in rows_of_person(history_url, person).items() if rows}
    assert set(left) == {"audit"}
    assert store.reports(person) == []
    # After they ask to be kept again, a report is kept as before.
    store.keep_again(person)
    assert keeper.keep_report(REPORT, PULLED_AT) is True
    assert [r.pulled_at for r in store.reports(person)] == [PULLED_AT]
