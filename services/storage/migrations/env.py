"""Alembic's entry, given the connection by ``services.storage.migrations`` (never a URL)."""

from __future__ import annotations

from alembic import context

from services.storage.schema import metadata

connection = context.config.attributes["connection"]
# Batch mode lets a later revision alter a table on SQLite too (it copies the table).
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
