"""``python -m services.storage`` (``make migrate``): bring the history store of
``DATABASE_URL`` to this version's schema, as the app does when it starts. The URL is read
from the environment, then ``.env``, and never printed: it may hold a password."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dotenv import dotenv_values

from services.storage.errors import StoreError
from services.storage.store import migrate_database
from services.storage.urls import DatabaseUrlError, database_url


def _configured_url() -> str | None:
    dotenv = dotenv_values(".env") if Path(".env").is_file() else {}
    return (os.environ.get("DATABASE_URL") or dotenv.get("DATABASE_URL") or "").strip() or None


def main() -> int:
    raw = _configured_url()
    if raw is None:
        print("DATABASE_URL is not set (in the environment or .env): there is no history store "
              "to migrate. Example: DATABASE_URL=sqlite:///history.db make migrate",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        revision = migrate_database(database_url(raw))
    except DatabaseUrlError as expected:
        print(f"DATABASE_URL must be {expected}.", file=sys.stderr)
        return 2
    except StoreError as problem:
        print(f"The history store was not migrated: {problem.user_message}", file=sys.stderr)
        return 1
    print(f"The history store's schema is at revision {revision}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
