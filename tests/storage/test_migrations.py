"""The history store's schema, built by its Alembic revisions on SQLite and PostgreSQL: from
an empty database, from the previous revision with rows in it, down and up again; and what a
database newer than this version gets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.storage import migrations
from services.storage.errors import StoreError
from services.storage.schema import metadata
from services.storage.store import HistoryStore
from tests.support.apps import ROOT
from tests.support.browser_support import free_port
from tests.support.database_rows import raw_database
from tests.support.databases import HISTORY_KEY
from tests.support.history_data import CARD, CHECKING, FIRST_SYNC, INSTITUTION, ITEM

PREVIOUS = "0003"
HEAD = "0004"


def schema_drift(url: str) -> list[object]:
    """What the migrated database lacks or has beyond ``schema.metadata``."""
    with raw_database(url) as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def test_an_empty_database_is_migrated_to_the_schema_the_code_declares(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    assert store.revision() is None
    assert store.migrate() == migrations.head() == HEAD
    assert schema_drift(history_url) == []
    assert store.migrate() == HEAD  # again: nothing to do
    store.close()


def test_a_database_at_the_first_revision_keeps_its_history(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    assert store.migrate("0001") == "0001"
    person = store.person_key("ann@example.com")
    store.save_item(person, ITEM, b"sealed-token", INSTITUTION.institution_id, INSTITUTION.name)
    store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    with pytest.raises(StoreError):  # the audit log comes with the next revision
        store.audit(person, "pulled", "ok")

    assert store.migrate() == HEAD
    assert store.kept_sync(person, ITEM) == FIRST_SYNC
    store.audit(person, "pulled", "ok")
    assert [line.event for line in store.audit_lines(person)] == ["pulled"]
    assert schema_drift(history_url) == []
    store.close()


def test_api_tokens_come_with_0003_and_go_with_its_downgrade(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    assert store.migrate("0002") == "0002"
    person = store.person_key("ann@example.com")
    store.save_item(person, ITEM, b"sealed-token", INSTITUTION.institution_id, INSTITUTION.name)
    store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    with pytest.raises(StoreError):  # no table for them yet
        store.api_tokens(person)

    assert store.migrate() == HEAD
    assert store.api_tokens(person) == []
    assert store.add_api_token(person, "script", "ab" * 32) is not None
    assert schema_drift(history_url) == []

    engine = sa.create_engine(history_url)
    with engine.begin() as connection:
        migrations.downgrade(connection, "0002")
    assert "api_tokens" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    assert store.revision() == "0002"
    assert store.kept_sync(person, ITEM) == FIRST_SYNC  # the rest of the history stays
    assert store.migrate() == HEAD
    assert store.api_tokens(person) == []
    store.close()


def item_indexes(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {index["name"] for index in sa.inspect(engine).get_indexes("items")}
    finally:
        engine.dispose()


def test_the_holders_of_an_item_are_found_by_an_index_from_0004(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    assert store.migrate(PREVIOUS) == PREVIOUS
    ann, ben = store.person_key("ann@example.com"), store.person_key("ben@example.com")
    for person in (ann, ben):
        store.save_item(person, ITEM, b"sealed-token", INSTITUTION.institution_id, INSTITUTION.name)
    assert "ix_items_item" not in item_indexes(history_url)

    assert store.migrate() == HEAD
    assert "ix_items_item" in item_indexes(history_url)
    assert sorted(person for person, _ in store.holders_of(ITEM)) == sorted([ann, ben])
    if history_url.startswith("sqlite"):  # the planner says which index it takes
        with raw_database(history_url) as connection:
            plan = connection.execute(
                sa.text("EXPLAIN QUERY PLAN SELECT person_key FROM items WHERE item_id = :i"),
                {"i": ITEM},
            ).all()
        assert "ix_items_item" in " ".join(str(step) for step in plan)
    assert schema_drift(history_url) == []

    engine = sa.create_engine(history_url)
    with engine.begin() as connection:
        migrations.downgrade(connection, PREVIOUS)
    engine.dispose()
    assert "ix_items_item" not in item_indexes(history_url)
    assert len(store.holders_of(ITEM)) == 2  # the rows stay
    store.close()


def test_a_downgrade_to_nothing_and_back_gives_the_same_schema(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    store.migrate()
    engine = sa.create_engine(history_url)
    with engine.begin() as connection:
        migrations.downgrade(connection, "base")
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()
    assert store.migrate() == HEAD
    assert schema_drift(history_url) == []
    store.close()


def test_a_database_from_a_newer_version_is_refused_not_touched(history_url: str) -> None:
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    store.migrate()
    with raw_database(history_url) as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        connection.commit()
    with pytest.raises(StoreError) as caught:
        store.migrate()
    assert caught.value.code == "STORE_MISCONFIGURED"
    assert store.revision() == "9999"
    store.close()


def migrate_command(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """``make migrate``'s command, in a directory without a .env, with only ``environment``."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **environment}
    return subprocess.run(
        [sys.executable, "-m", "services.storage"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_make_migrate_brings_the_database_of_database_url_to_the_newest_schema(
    history_url: str, tmp_path: Path
) -> None:
    done = migrate_command(tmp_path, DATABASE_URL=history_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"The history store's schema is at revision {HEAD}."
    assert schema_drift(history_url) == []


def test_make_migrate_says_when_there_is_nothing_to_migrate(tmp_path: Path) -> None:
    done = migrate_command(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("DATABASE_URL is not set")


def test_make_migrate_never_prints_the_password(tmp_path: Path) -> None:
    password = "canary-db-password-0815"
    unreachable = f"postgresql://history_user:{password}@127.0.0.1:{free_port()}/history_db"
    for url, code in ((unreachable, 1), (f"mysql://history_user:{password}@db/x", 2)):
        done = migrate_command(tmp_path, DATABASE_URL=url)
        assert done.returncode == code
        assert password not in done.stdout + done.stderr
        said = done.stderr.splitlines()[-1]
        assert said.startswith(("The history store was not migrated", "DATABASE_URL must be"))
