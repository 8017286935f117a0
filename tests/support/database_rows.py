"""Every row of a history database, read as anyone with access to it would: tables reflected
from the database itself, not from our schema module, so a table a migration added and the
store forgot would still be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

__all__ = ["all_rows", "raw_database", "rows_of_person"]

VERSION_TABLE = "alembic_version"


@contextmanager
def raw_database(url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _tables(connection: sa.Connection) -> list[sa.Table]:
    reflected = sa.MetaData()
    reflected.reflect(connection)
    return [t for name, t in sorted(reflected.tables.items()) if name != VERSION_TABLE]


def all_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (but Alembic's own), by table."""
    with raw_database(url) as connection:
        return {
            table.name: [dict(row) for row in connection.execute(sa.select(table)).mappings()]
            for table in _tables(connection)
        }


def rows_of_person(url: str, person: str) -> dict[str, list[dict[str, Any]]]:
    """Every row whose person_key is ``person``, in every table; a table without a
    person_key column fails the test that asks, since its rows could not be told apart."""
    found: dict[str, list[dict[str, Any]]] = {}
    with raw_database(url) as connection:
        for table in _tables(connection):
            assert "person_key" in table.c, f"{table.name} has no person_key column"
            query = sa.select(table).where(table.c.person_key == person)
            found[table.name] = [dict(row) for row in connection.execute(query).mappings()]
    return found
