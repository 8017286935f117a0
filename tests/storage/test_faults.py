"""A history store that cannot be reached, is not a database, or is configured wrongly fails
into one StoreError whose text, and the log line it leaves, name neither the URL, its
password, nor any data."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from integrations.common.errors import Action
from integrations.common.secret import Secret
from services.storage.errors import StoreError
from services.storage.store import HistoryStore, history_store
from tests.support.browser_support import free_port
from tests.support.databases import HISTORY_KEY
from tests.support.history_data import CARD, FIRST_SYNC, ITEM, account_day

PASSWORD = "canary-db-password-4711"
IDENTITY = "ann.canary@example.com"

Call = Callable[[HistoryStore, str], object]
CALLS: dict[str, Call] = {
    "migrate": lambda store, person: store.migrate(),
    "items": lambda store, person: store.items(person),
    "save_item": lambda store, person: store.save_item(person, ITEM, b"sealed", None, None),
    "apply_sync": lambda store, person: store.apply_sync(person, ITEM, None, FIRST_SYNC),
    "record_day": lambda store, person: store.record_day(
        person, [account_day(CARD, date(2026, 11, 28), 1.0)]
    ),
    "save_report": lambda store, person: store.save_report(
        person, datetime(2026, 11, 28, tzinfo=UTC), b"sealed", ()
    ),
    "audit": lambda store, person: store.audit(person, "pulled", "ok"),
    "export": lambda store, person: store.export(person),
    "delete_person": lambda store, person: store.delete_person(person),
    "drop_older_than": lambda store, person: store.drop_older_than(date(2026, 1, 1)),
}


def assert_tells_nothing(error: StoreError, caplog: pytest.LogCaptureFixture, *words: str) -> None:
    said = " ".join([str(error), repr(error), error.user_message, caplog.text])
    for word in (PASSWORD, IDENTITY, *words):
        assert word not in said
    assert error.__cause__ is None
    assert error.__suppress_context__


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_postgresql_that_does_not_answer_is_a_store_error_naming_nothing(
    call: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://history_user:{PASSWORD}@127.0.0.1:{port}/history_db"
    store = HistoryStore.open(url, [HISTORY_KEY])
    person = store.person_key(IDENTITY)
    with caplog.at_level(logging.WARNING), pytest.raises(StoreError) as caught:
        CALLS[call](store, person)
    assert caught.value.code == "STORE_UNAVAILABLE"
    assert caught.value.action is Action.RETRY_LATER
    assert_tells_nothing(caught.value, caplog, str(port), "history_user", "history_db")
    store.close()


def test_a_file_that_is_not_a_database_is_a_store_error_naming_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "secret-place" / "history.db"
    path.parent.mkdir()
    path.write_bytes(b"this is not a SQLite database, it is a note of " + IDENTITY.encode() * 90)
    store = HistoryStore.open(f"sqlite:///{path}", [HISTORY_KEY])
    with caplog.at_level(logging.WARNING), pytest.raises(StoreError) as caught:
        store.migrate()
    assert_tells_nothing(caught.value, caplog, "secret-place")
    store.close()


def test_an_unmigrated_database_is_a_store_error(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    with pytest.raises(StoreError):
        store.items(store.person_key(IDENTITY))
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://history_user:{PASSWORD}@db.internal/history_db",
        f"postgresql+psycopg://history_user:{PASSWORD}@db.internal:notaport/history_db",
        "sqlite://",
    ],
)
def test_a_url_the_store_cannot_use_is_refused_without_quoting_it(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(StoreError) as caught:
        HistoryStore.open(url, [HISTORY_KEY])
    assert caught.value.code == "STORE_MISCONFIGURED"
    assert caught.value.action is Action.FIX_CONFIGURATION
    assert_tells_nothing(caught.value, caplog, "history_user", "db.internal")


def test_the_runtime_gets_a_migrated_store_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.db"
    store = history_store(Secret(f"sqlite:///{path}"), [Secret(HISTORY_KEY)])
    assert store.revision() == "0004"
    assert path.stat().st_mode & 0o077 == 0  # the person's history: the owner's eyes only
    store.close()
