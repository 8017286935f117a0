"""Databases for the history store's tests: a SQLite file of the test's own, and the machine's
PostgreSQL, in a schema of the test's own that is dropped after it.

PostgreSQL is the one at 127.0.0.1:5432, database ``test`` (``TEST_DATABASE_URL`` picks
another); without it the PostgreSQL half of each test is skipped with a message naming the URL.
A schema per test, named at random, keeps pytest-xdist's processes apart; the store's URL sets
``search_path`` to it, so its tables and Alembic's version table both land there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.storage.store import HistoryStore

__all__ = [
    "HISTORY_KEY",
    "TEST_DATABASE_URL",
    "history_store",
    "history_url",
    "postgres_schema",
]

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HISTORY_KEY = Fernet.generate_key().decode()
BACKENDS = ("sqlite", "postgresql")


def shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def _admin() -> sa.Engine:
    return sa.create_engine(TEST_DATABASE_URL, connect_args={"connect_timeout": 2})


def postgres_schema() -> Iterator[str]:
    """A store URL on a new schema of the test database, dropped afterwards (skips without
    PostgreSQL)."""
    admin = _admin()
    schema = f"history_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {shown(TEST_DATABASE_URL)} "
                    "(set TEST_DATABASE_URL)")  # fmt: skip
    url = sa.make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ``DATABASE_URL`` of an empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history' / 'history.db'}"
    else:
        yield from postgres_schema()


@pytest.fixture
def history_store(history_url: str) -> Iterator[HistoryStore]:
    """A store on that database, migrated to the newest schema."""
    store = HistoryStore.open(history_url, [HISTORY_KEY])
    store.migrate()
    try:
        yield store
    finally:
        store.close()
