"""What a ``DATABASE_URL`` may be, in one place: the settings check it with this when the app
starts, and ``make migrate`` with the same words. No SQLAlchemy import: the settings stay quick
to load."""

from __future__ import annotations

from urllib.parse import urlparse

EXPECTED = "a sqlite:///<path> or postgresql+psycopg://<host>/<database> URL"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DRIVER_SCHEME = "postgresql+psycopg"


class DatabaseUrlError(ValueError):
    """What a database URL should look like: our words, never the URL (it may hold a
    password)."""


def database_url(raw: str) -> str:
    """``raw`` as the URL the store opens: a SQLite file, or PostgreSQL through psycopg
    (``postgresql://`` is taken to mean psycopg). libpq options after ``?`` (``sslmode``)
    are PostgreSQL's own and kept."""
    value = raw.strip()
    try:
        parsed = urlparse(value)
        parsed.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:  # its message may quote the value, which may hold a password
        raise DatabaseUrlError(EXPECTED) from None
    if parsed.fragment or value.endswith("#"):
        raise DatabaseUrlError(EXPECTED + ", without a # fragment")
    if parsed.scheme == "sqlite":
        # A file of this machine: an in-memory database would forget the history on restart.
        if parsed.netloc or parsed.query or value.endswith("?"):
            raise DatabaseUrlError(EXPECTED + ": sqlite:/// then the path of a file")
        if parsed.path.strip("/") in ("", ":memory:"):
            raise DatabaseUrlError(EXPECTED + ": sqlite:/// then the path of a file")
        return value
    if parsed.scheme not in POSTGRES_SCHEMES:
        raise DatabaseUrlError(EXPECTED)
    if not parsed.hostname or parsed.path.strip("/") == "":
        raise DatabaseUrlError(EXPECTED + ", with a host and a database name")
    return DRIVER_SCHEME + value[len(parsed.scheme) :]


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL (relative to the working directory unless it starts
    with a fourth slash), or None for PostgreSQL."""
    if not url.startswith("sqlite:///"):
        return None
    return url[len("sqlite:///") :]
