"""The history store's schema over time (Alembic), run from code: no ``alembic.ini``.

``upgrade`` is what the store runs when it opens and what ``make migrate`` runs. Each run
happens on a connection the caller has begun a transaction on, so on PostgreSQL a failed
migration leaves the schema as it was, and two replicas starting at once take turns (an
advisory lock) instead of both creating the same tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

HERE = Path(__file__).resolve().parent
# Any number will do, as long as nothing else in the database uses it for an advisory lock.
_MIGRATION_LOCK = 7_215_001


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision this version of the app expects."""
    script = ScriptDirectory(str(HERE))
    revision = script.get_current_head()
    assert revision is not None  # a migrations folder without revisions is not shipped
    return revision


def revision_of(connection: Connection) -> str | None:
    """Where the database's schema stands (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, target: str = "head") -> None:
    _take_turns(connection)
    command.upgrade(_config(connection), target)


def downgrade(connection: Connection, target: str) -> None:
    _take_turns(connection)
    command.downgrade(_config(connection), target)


def _take_turns(connection: Connection) -> None:
    """On PostgreSQL, one migration at a time for the whole database, until this transaction
    ends. SQLite's writers take turns already (the store begins writes IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK})
