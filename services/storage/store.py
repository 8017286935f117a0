"""The history store: what a person's money and credit file looked like over time.

One ``HistoryStore`` per process holds an engine (SQLite for one person on one machine,
PostgreSQL for a deployment). Every method is one database transaction, and raises nothing of
the database's: a failure is a ``StoreError`` whose text names neither the URL nor the data.
People are named by ``person_key`` (a keyed hash), never by who they are. Access tokens and
credit reports arrive sealed by the caller's vault and leave sealed; the store holds no key
that opens them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from integrations.common.logs import get_logger
from integrations.common.months import add_months
from integrations.common.secret import Secret
from integrations.models import Account, Institution, SyncState, Transaction
from services.analytics.trends import AccountDay, ScoreReading
from services.storage import errors, migrations
from services.storage.export import ReportOpener, zip_of
from services.storage.keys import PersonKeys, checked_person
from services.storage.schema import (
    PERSON_TABLES,
    TOKEN_NAME_LENGTH,
    account_days,
    accounts,
    api_tokens,
    audit,
    items,
    people,
    reports,
    scores,
    transactions,
)
from services.storage.urls import DatabaseUrlError, database_url, sqlite_path

_log = get_logger("history_store")

CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: a server that does not answer fails the call soon
BUSY_TIMEOUT_SECONDS = 5  # SQLite: how long a writer waits for another to finish
_CHUNK = 500  # ids per IN (...): well under every backend's limit on bound values
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TRANSACTION_FIELDS = tuple(f.name for f in fields(Transaction))
_TOKEN_HASH = re.compile(r"[0-9a-f]{64}")
MAX_LIVE_TOKENS = 10  # per person: a handful of scripts, never an unbounded table
TOKEN_USE_PRECISION = timedelta(minutes=1)  # last_used_at is written at most this often


@dataclass(frozen=True, slots=True)
class KeptItem:
    """A connection as the history keeps it."""

    item_id: str
    institution: Institution | None
    sealed_token: bytes
    cursor: str | None  # None until a sync was kept
    updated_at: datetime | None = None  # when a session last kept it


@dataclass(frozen=True, slots=True)
class KeptReport:
    report_id: int
    pulled_at: datetime
    sealed_report: bytes


@dataclass(frozen=True, slots=True)
class ApiToken:
    """What a person sees of one of their API tokens: never the token, nor its hash."""

    token_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Whose live token a hash is, and what says whether they are still admitted."""

    token_id: int
    person: str
    domain_key: str | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    event: str
    outcome: str


@dataclass(frozen=True, slots=True)
class SyncWrite:
    """What ``apply_sync`` wrote; ``applied`` is False when another session had already moved
    the cursor on (nothing was written)."""

    applied: bool
    added: int = 0
    modified: int = 0
    removed: int = 0
    accounts: int = 0

    @property
    def transaction_rows(self) -> int:
        return self.added + self.modified + self.removed


@dataclass(frozen=True, slots=True)
class _Changes:
    added: tuple[Transaction, ...]
    modified: tuple[Transaction, ...]
    removed: tuple[str, ...]


class HistoryStore:
    """A person's history in SQLite or PostgreSQL. See the module's docstring."""

    def __init__(self, engine: sa.Engine, person_keys: PersonKeys) -> None:
        self._engine = engine
        self._keys = person_keys

    def __repr__(self) -> str:
        return f"HistoryStore({self._engine.dialect.name})"

    def __reduce__(self) -> object:
        raise TypeError("a history store is never pickled")

    @classmethod
    def open(cls, url: str, encryption_keys: Sequence[str]) -> HistoryStore:
        """A store for ``url`` (a ``DATABASE_URL``), naming people with a key derived from
        the first of ``encryption_keys``. Connects only when first asked."""
        if not encryption_keys:
            raise ValueError("the history store needs TOKEN_ENCRYPTION_KEY")
        return cls(_engine(url), PersonKeys(encryption_keys[0]))

    def close(self) -> None:
        self._engine.dispose()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # --- Schema ----------------------------------------------------------------------------

    def migrate(self, target: str = "head") -> str | None:
        """Bring the schema to ``target`` (the newest by default); the revision it is at."""
        with self._writing() as connection:
            migrations.upgrade(connection, target)
            return migrations.revision_of(connection)

    def revision(self) -> str | None:
        with self._reading() as connection:
            return migrations.revision_of(connection)

    # --- People and their items -------------------------------------------------------------

    def person_key(self, identity: str) -> str:
        """The key of ``identity``'s rows: the same on every replica and after a restart."""
        return self._keys.person_key(identity)

    def save_item(
        self,
        person: str,
        item_id: str,
        sealed_token: bytes,
        institution_id: str | None,
        institution_name: str | None,
    ) -> None:
        """Keep a connection (or its new token after the person signed in again); its sync
        cursor is kept."""
        person = checked_person(person)
        row = {
            "person_key": person,
            "item_id": item_id,
            "sealed_token": bytes(sealed_token),
            "institution_id": institution_id,
            "institution_name": institution_name,
            "updated_at": _now(),
        }
        with self._writing() as connection:
            _save_item(connection, row)

    def items(self, person: str) -> list[KeptItem]:
        person = checked_person(person)
        query = sa.select(items).where(items.c.person_key == person).order_by(items.c.item_id)
        with self._reading() as connection:
            return [_kept_item(row) for row in connection.execute(query).mappings()]

    def holders_of(self, item_id: str) -> list[tuple[str, bytes]]:
        """Who keeps Plaid's ``item_id`` (a webhook names only that): (person_key, sealed
        token) per person, so the item can be fetched and kept for them without a session."""
        query = (
            sa.select(items.c.person_key, items.c.sealed_token)
            .where(items.c.item_id == item_id)
            .order_by(items.c.person_key)
        )
        with self._reading() as connection:
            return [(row.person_key, bytes(row.sealed_token)) for row in connection.execute(query)]

    def remove_item(self, person: str, item_id: str) -> bytes | None:
        """Forget a connection, its accounts and transactions (its daily snapshots stay, as
        the past). Its sealed token, for ``/item/remove``; None if it was not kept."""
        person = checked_person(person)
        where = (items.c.person_key == person) & (items.c.item_id == item_id)
        with self._writing() as connection:
            token = connection.execute(sa.select(items.c.sealed_token).where(where)).scalar()
            # Children first: the same on a SQLite without foreign keys switched on.
            for child in (transactions, accounts):
                connection.execute(
                    sa.delete(child).where(
                        (child.c.person_key == person) & (child.c.item_id == item_id)
                    )
                )
            connection.execute(sa.delete(items).where(where))
        return None if token is None else bytes(token)

    # --- Transactions, kept in step with /transactions/sync ----------------------------------

    def kept_sync(self, person: str, item_id: str) -> SyncState | None:
        """Where the kept history of an item stands, to sync on from; None before the first
        sync was kept."""
        person = checked_person(person)
        with self._reading() as connection:
            where = (items.c.person_key == person) & (items.c.item_id == item_id)
            item = connection.execute(sa.select(items).where(where)).mappings().first()
            if item is None or item["sync_cursor"] is None:
                return None
            rows = connection.execute(
                _transactions_query(person).where(transactions.c.item_id == item_id)
            ).mappings()
            kept = tuple(_transaction(row) for row in rows)
        return SyncState(item["sync_cursor"], kept, _institution(item))

    def apply_sync(
        self,
        person: str,
        item_id: str,
        before: SyncState | None,
        after: SyncState,
        accounts_now: Sequence[Account] = (),
    ) -> SyncWrite:
        """Write what changed from ``before`` (what ``kept_sync`` gave) to ``after``, in one
        transaction, and move the cursor, but only if it still stands at ``before``'s: when
        another session got there first nothing is written and ``applied`` is False."""
        person = checked_person(person)
        if any(account.item_id != item_id for account in accounts_now):
            raise ValueError("accounts of another item")
        with self._writing() as connection:
            # First statement of the transaction: it takes the item's row (PostgreSQL) or the
            # database (SQLite) for writing, so a second session waits here, then finds the
            # cursor moved.
            return _apply_sync(connection, person, item_id, before, after, accounts_now)

    def keep_fetch(
        self,
        person: str,
        item_id: str,
        sealed_token: bytes,
        institution: Institution | None,
        compared: tuple[SyncState | None, SyncState],
        accounts_now: Sequence[Account] = (),
        days: Sequence[AccountDay] = (),
    ) -> SyncWrite | None:
        """What one fetch of an item brought, in one transaction: the connection (as
        ``save_item``), its sync from ``compared``'s first to its second (as ``apply_sync``)
        and the day's balances (as ``record_day``). None, with nothing written, when the
        person deleted everything and has not asked to be kept again. The check and the
        writes hold the person as ``delete_person`` does, so a deletion either comes first
        (nothing is written) or waits for them and removes all of it."""
        person = checked_person(person)
        before, after = compared
        if any(account.item_id != item_id for account in accounts_now):
            raise ValueError("accounts of another item")
        row = {
            "person_key": person,
            "item_id": item_id,
            "sealed_token": bytes(sealed_token),
            "institution_id": None if institution is None else institution.institution_id,
            "institution_name": None if institution is None else institution.name,
            "updated_at": _now(),
        }
        with self._writing() as connection:
            _hold_person(connection, person)
            if _deleted_since(connection, person) is not None:
                return None
            _save_item(connection, row)
            written = _apply_sync(connection, person, item_id, before, after, accounts_now)
            _record_day(connection, person, days)
        return written

    def change_stamp(self, person: str) -> tuple[object, ...]:
        """What changes whenever anything kept for ``person`` does, cheap to ask next to
        reading it all: each item's last write (every fetch kept moves it, whatever the
        clocks of the replicas), and how many transactions, daily snapshots, reports and
        scores there are (a pull adds, retention and deletion take away)."""
        person = checked_person(person)
        written = sa.select(items.c.item_id, items.c.updated_at).where(items.c.person_key == person)
        with self._reading() as connection:
            stamps = tuple(
                tuple(row) for row in connection.execute(written.order_by(items.c.item_id))
            )
            counts = tuple(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.person_key == person)
                ).scalar_one()
                for table in (transactions, account_days, reports, scores)
            )
        return stamps, counts

    def transactions(self, person: str, since: date | None = None) -> list[Transaction]:
        """Every kept transaction of every item, in day order."""
        person = checked_person(person)
        query = _transactions_query(person)
        if since is not None:
            query = query.where(transactions.c.date >= since)
        with self._reading() as connection:
            return [_transaction(row) for row in connection.execute(query).mappings()]

    # --- Daily snapshots --------------------------------------------------------------------

    def record_day(self, person: str, days: Sequence[AccountDay]) -> int:
        """Keep each account's day; a later fetch of the same day replaces it."""
        person = checked_person(person)
        with self._writing() as connection:
            return _record_day(connection, person, days)

    def account_days(self, person: str, since: date | None = None) -> list[AccountDay]:
        person = checked_person(person)
        query = (
            sa.select(account_days)
            .where(account_days.c.person_key == person)
            .order_by(account_days.c.day, account_days.c.account_id)
        )
        if since is not None:
            query = query.where(account_days.c.day >= since)
        with self._reading() as connection:
            return [_account_day(row) for row in connection.execute(query).mappings()]

    def latest_account_days(self, person: str) -> list[AccountDay]:
        """Each account as it stood on the last day it was kept."""
        person = checked_person(person)
        last = (
            sa.select(account_days.c.account_id, sa.func.max(account_days.c.day).label("day"))
            .where(account_days.c.person_key == person)
            .group_by(account_days.c.account_id)
            .subquery()
        )
        query = (
            sa.select(account_days)
            .join(
                last,
                (account_days.c.account_id == last.c.account_id)
                & (account_days.c.day == last.c.day),
            )
            .where(account_days.c.person_key == person)
            .order_by(account_days.c.account_id)
        )
        with self._reading() as connection:
            return [_account_day(row) for row in connection.execute(query).mappings()]

    def accounts(self, person: str) -> list[Account]:
        """The accounts of the person's kept banks, as the last sync named them; balances are
        kept per day (``latest_account_days``), not here, so they are None."""
        person = checked_person(person)
        query = (
            sa.select(accounts)
            .where(accounts.c.person_key == person)
            .order_by(accounts.c.item_id, accounts.c.account_id)
        )
        with self._reading() as connection:
            return [_account(row) for row in connection.execute(query).mappings()]

    # --- Credit reports and scores ----------------------------------------------------------

    def save_report(
        self,
        person: str,
        pulled_at: datetime,
        sealed_report: bytes,
        readings: Sequence[ScoreReading],
    ) -> int:
        """Keep a pulled report (sealed) and the scores read from it; the report's id. The
        same pull saved again replaces it."""
        person = checked_person(person)
        pulled_at = _aware(pulled_at)
        with self._writing() as connection:
            _ensure_person(connection, person)
            return _save_report(connection, person, pulled_at, sealed_report, readings)

    def keep_report(
        self,
        person: str,
        pulled_at: datetime,
        sealed_report: bytes,
        readings: Sequence[ScoreReading],
    ) -> int | None:
        """A report a session pulled, as ``save_report``, unless the person deleted everything
        and has not asked to be kept again: then None, with nothing written. The check and the
        writes hold the person as ``delete_person`` does (as ``keep_fetch``), so a deletion
        either comes first (nothing is written) or waits for them and removes the report."""
        person = checked_person(person)
        pulled_at = _aware(pulled_at)
        with self._writing() as connection:
            _hold_person(connection, person)
            if _deleted_since(connection, person) is not None:
                return None
            _ensure_person(connection, person)
            return _save_report(connection, person, pulled_at, sealed_report, readings)

    def reports(self, person: str) -> list[KeptReport]:
        """Every kept report, oldest first, sealed: the caller's vault opens them."""
        person = checked_person(person)
        query = (
            sa.select(reports.c.report_id, reports.c.pulled_at, reports.c.sealed_report)
            .where(reports.c.person_key == person)
            .order_by(reports.c.pulled_at)
        )
        with self._reading() as connection:
            return [
                KeptReport(row.report_id, row.pulled_at, bytes(row.sealed_report))
                for row in connection.execute(query)
            ]

    def scores(self, person: str, since: date | None = None) -> list[ScoreReading]:
        person = checked_person(person)
        query = (
            sa.select(scores.c.day, scores.c.model, scores.c.score)
            .where(scores.c.person_key == person)
            .order_by(scores.c.day, scores.c.model, scores.c.report_id)
        )
        if since is not None:
            query = query.where(scores.c.day >= since)
        with self._reading() as connection:
            rows = connection.execute(query)
            return [ScoreReading(row.day, row.model, row.score) for row in rows]

    # --- API tokens: kept as SHA-256 hashes, made and revoked by their person ---------------

    def add_api_token(
        self, person: str, name: str, token_hash: str, domain_key: str | None = None
    ) -> int | None:
        """Keep a new token's hash under ``name``; its id, or None when the person already has
        ``MAX_LIVE_TOKENS`` live ones. The token itself never reaches the store."""
        person = checked_person(person)
        token_hash = _checked_hash(token_hash)
        if domain_key is not None:
            domain_key = checked_person(domain_key)
        row = {
            "person_key": person,
            "name": _token_name(name),
            "token_hash": token_hash,
            "domain_key": domain_key,
            "created_at": _now(),
        }
        with self._writing() as connection:
            _ensure_person(connection, person)
            if _live_tokens(connection, person) >= MAX_LIVE_TOKENS:
                return None
            token_id = connection.execute(
                sa.insert(api_tokens).values(row).returning(api_tokens.c.token_id)
            ).scalar_one()
            _write_audit(connection, person, "api_token", "created", _now())
        return int(token_id)

    def api_tokens(self, person: str) -> list[ApiToken]:
        """The person's live tokens, oldest first."""
        person = checked_person(person)
        query = (
            sa.select(
                api_tokens.c.token_id,
                api_tokens.c.name,
                api_tokens.c.created_at,
                api_tokens.c.last_used_at,
            )
            .where((api_tokens.c.person_key == person) & api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.created_at, api_tokens.c.token_id)
        )
        with self._reading() as connection:
            return [ApiToken(*row) for row in connection.execute(query)]

    def revoke_api_token(self, person: str, token_id: int) -> bool:
        """Revoke one of the person's own live tokens; whether there was one to revoke."""
        person = checked_person(person)
        statement = (
            sa.update(api_tokens)
            .where(api_tokens.c.person_key == person)
            .where(api_tokens.c.token_id == int(token_id))
            .where(api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        with self._writing() as connection:
            revoked = connection.execute(statement).rowcount == 1
            if revoked:
                _write_audit(connection, person, "api_token", "revoked", _now())
        return revoked

    def token_holder(self, token_hash: str) -> TokenHolder | None:
        """Whose live token has this hash; None for a token unknown or revoked. Found by an
        equality on the hash, so no comparison ever runs over the token itself."""
        if not _TOKEN_HASH.fullmatch(token_hash):
            return None
        query = sa.select(
            api_tokens.c.token_id,
            api_tokens.c.person_key,
            api_tokens.c.domain_key,
            api_tokens.c.last_used_at,
        ).where((api_tokens.c.token_hash == token_hash) & api_tokens.c.revoked_at.is_(None))
        with self._reading() as connection:
            row = connection.execute(query).first()
        return None if row is None else TokenHolder(*row)

    def token_used(self, holder: TokenHolder, at: datetime | None = None) -> None:
        """Note that a token was used: written only when what is kept is more than
        ``TOKEN_USE_PRECISION`` old, so a busy script does not write on every request."""
        at = _aware(at or _now())
        if holder.last_used_at is not None and at - holder.last_used_at < TOKEN_USE_PRECISION:
            return
        stale = api_tokens.c.last_used_at.is_(None) | (
            api_tokens.c.last_used_at < at - TOKEN_USE_PRECISION
        )
        statement = (
            sa.update(api_tokens)
            .where((api_tokens.c.token_id == holder.token_id) & stale)
            .values(last_used_at=at)
        )
        with self._writing() as connection:
            connection.execute(statement)

    # --- Audit ------------------------------------------------------------------------------

    def audit(
        self, person: str | None, event: str, outcome: str, at: datetime | None = None
    ) -> None:
        """One audit line: codes (``pulled``, ``refused``) and a person key, nothing else,
        so that no free text can carry a person's data into it."""
        if person is not None:
            person = checked_person(person)
        with self._writing() as connection:
            _write_audit(connection, person, event, outcome, _aware(at or _now()))

    def audit_lines(self, person: str) -> list[AuditLine]:
        person = checked_person(person)
        query = (
            sa.select(audit.c.at, audit.c.event, audit.c.outcome)
            .where(audit.c.person_key == person)
            .order_by(audit.c.at, audit.c.audit_id)
        )
        with self._reading() as connection:
            return [AuditLine(row.at, row.event, row.outcome) for row in connection.execute(query)]

    # --- The person's rights: a copy, and deletion ------------------------------------------

    def export(self, person: str, open_report: ReportOpener | None = None) -> bytes:
        """Everything kept about ``person``, as a zip: one JSON and one CSV file per table,
        each report opened by ``open_report`` (the caller's vault and codec) as JSON of its
        own, and a README.txt saying what each file is. Access tokens are left out, even
        sealed: they are keys to the bank, not data about the person."""
        person = checked_person(person)
        with self._reading() as connection:
            kept = {table.name: _rows_of(connection, table, person) for table in PERSON_TABLES}
        return zip_of(kept, open_report)

    def deleted_since(self, person: str) -> datetime | None:
        """When this person deleted everything, if they have not asked to be kept again since:
        until then nothing of theirs is written (a fetch already under way included)."""
        person = checked_person(person)
        with self._reading() as connection:
            return _deleted_since(connection, person)

    def keep_again(self, person: str) -> None:
        """After a deletion: this person's history may be kept again, from now on."""
        person = checked_person(person)
        with self._writing() as connection:
            _hold_person(connection, person)
            _ensure_person(connection, person)
            _write_audit(connection, person, "keeping_resumed", "ok", _now())

    def delete_person(self, person: str) -> list[bytes]:
        """Every row of ``person`` in every table, gone in one transaction; one audit line
        (the deletion, under the person key only) remains. Their sealed access tokens, so the
        caller can tell Plaid to forget each item (``/item/remove``)."""
        person = checked_person(person)
        tokens = (
            sa.select(items.c.sealed_token)
            .where(items.c.person_key == person)
            .order_by(items.c.item_id)
        )
        with self._writing() as connection:
            _hold_person(connection, person)  # a fetch being kept finishes first, then goes
            sealed = [bytes(token) for token in connection.execute(tokens).scalars()]
            # Children before parents, so it does not lean on SQLite's foreign-key switch.
            for table in reversed(PERSON_TABLES):
                connection.execute(sa.delete(table).where(table.c.person_key == person))
            _write_audit(connection, person, "person_deleted", "ok", _now())
        return sealed

    def drop_older_than(self, cutoff: date) -> int:
        """Drop every person's history from before ``cutoff`` (``HISTORY_RETENTION_MONTHS``):
        daily snapshots and transactions by their day, reports with their scores and audit
        lines by when they happened, API tokens revoked before it. People, their connections
        and their live tokens stay. Rows dropped."""
        moment = datetime.combine(cutoff, time(), tzinfo=UTC)
        old_reports = sa.select(reports.c.report_id).where(reports.c.pulled_at < moment)
        statements = (
            sa.delete(scores).where(scores.c.report_id.in_(old_reports)),
            sa.delete(reports).where(reports.c.pulled_at < moment),
            sa.delete(transactions).where(transactions.c.date < cutoff),
            sa.delete(account_days).where(account_days.c.day < cutoff),
            sa.delete(audit).where(audit.c.at < moment),
            sa.delete(api_tokens).where(api_tokens.c.revoked_at < moment),
        )
        with self._writing() as connection:
            return sum(connection.execute(statement).rowcount for statement in statements)

    # --- Transactions of the store itself ---------------------------------------------------

    def _writing(self) -> AbstractContextManager[sa.Connection]:
        return _writing(self._engine)

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """One snapshot for every statement of the read (an export reads eight tables)."""
        with _translated(), self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection


@contextmanager
def _writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    with _translated(), engine.connect() as connection:
        connection.execution_options(history_write=True)
        with connection.begin():
            yield connection


def history_store(url: Secret, encryption_keys: Sequence[Secret]) -> HistoryStore:
    """The store for ``DATABASE_URL``, migrated to this version's schema: what the runtime
    holds once per process (an ``st.cache_resource`` of its own)."""
    store = HistoryStore.open(url.reveal(), [key.reveal() for key in encryption_keys])
    try:
        store.migrate()
    except errors.StoreError:
        store.close()
        raise
    return store


def migrate_database(url: str) -> str | None:
    """Bring the schema of the database at ``url`` to this version's (``make migrate``); the
    revision it is at. Needs no key: it touches no one's rows."""
    engine = _engine(url)
    try:
        with _writing(engine) as connection:
            migrations.upgrade(connection)
            return migrations.revision_of(connection)
    finally:
        engine.dispose()


def retention_cutoff(today: date, months: int) -> date | None:
    """The first day kept with ``HISTORY_RETENTION_MONTHS`` = ``months``; None keeps all."""
    return add_months(today, -months) if months > 0 else None


# --- Engines -----------------------------------------------------------------------------------


def _engine(url: str) -> sa.Engine:
    try:
        parsed = sa.engine.make_url(database_url(url))
    except (DatabaseUrlError, sa_exc.ArgumentError):  # their text may quote the URL
        raise errors.misconfigured() from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, sqlite_path(url.strip()) or "")
    return sa.create_engine(
        parsed,
        hide_parameters=True,  # a failed statement's text must not carry the values bound
        pool_pre_ping=True,  # a connection the server dropped is replaced, not failed on
        pool_size=5,
        max_overflow=5,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_engine(url: sa.URL, path: str) -> sa.Engine:
    _private_file(Path(path))
    engine = sa.create_engine(
        url, hide_parameters=True, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}
    )
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite creates it with
    the process's umask (its journal files take the same permissions)."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        raise errors.unavailable() from None


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would begin late and never for a read; SQLAlchemy
    # begins each transaction instead (``_sqlite_begin``).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer
    cursor.close()


_SQLITE_BEGIN = {True: "BEGIN IMMEDIATE", False: "BEGIN"}


def _sqlite_begin(connection: sa.Connection) -> None:
    """A write takes the database's write lock when it begins, so two writers take turns
    (the second waits up to ``BUSY_TIMEOUT_SECONDS``) rather than one failing half-way."""
    writing = bool(connection.get_execution_options().get("history_write"))
    connection.exec_driver_sql(_SQLITE_BEGIN[writing])


@contextmanager
def _translated() -> Iterator[None]:
    """The database's exceptions as ``StoreError``s. Theirs quote statements, and on
    connecting the URL: only their type is logged."""
    try:
        yield
    except (sa_exc.IntegrityError, sa_exc.DataError) as problem:
        raise _logged(errors.refused(), problem) from None
    except (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
    ) as problem:
        raise _logged(errors.unavailable(), problem) from None
    except (sa_exc.SQLAlchemyError, CommandError) as problem:
        raise _logged(errors.misconfigured(), problem) from None


def _logged(error: errors.StoreError, problem: BaseException) -> errors.StoreError:
    _log.warning("%s (%s)", error.describe(), type(problem).__name__)
    return error


# --- Rows --------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone")
    return moment


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT, in the connection's dialect."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _upsert(
    connection: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> None:
    """Insert ``rows``, replacing the columns they give of any row with the same ``keys``."""
    if not rows:
        return
    statement = _insert(connection, table)
    given = set(rows[0])
    replaced = {
        column.name: statement.excluded[column.name]
        for column in table.c
        if column.name in given and column.name not in keys
    }
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=replaced), rows)


def _ensure_person(connection: sa.Connection, person: str) -> None:
    statement = _insert(connection, people).on_conflict_do_nothing(index_elements=["person_key"])
    connection.execute(statement, {"person_key": person, "created_at": _now()})


# The advisory-lock space of a person (PostgreSQL), apart from the migrations' lock, which
# takes the single-number space.
_PERSON_LOCK_SPACE = 0x68697374  # "hist"


def _hold_person(connection: sa.Connection, person: str) -> None:
    """Hold ``person`` until this transaction ends, against a deletion or a fetch being kept
    by another session or replica. SQLite needs nothing: a write transaction holds the whole
    database from its BEGIN IMMEDIATE. On PostgreSQL an advisory lock keyed by the person key
    (it holds whether or not their row exists yet; keys sharing their first 32 bits only wait
    for each other)."""
    if connection.dialect.name != "postgresql":
        return
    key = int(person[:8], 16) - 2**31  # a signed 32-bit integer
    connection.execute(
        sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": _PERSON_LOCK_SPACE, "key": key},
    )


def _deleted_since(connection: sa.Connection, person: str) -> datetime | None:
    if connection.execute(
        sa.select(people.c.person_key).where(people.c.person_key == person)
    ).first():
        return None
    return connection.execute(
        sa.select(sa.func.max(audit.c.at)).where(
            (audit.c.person_key == person) & (audit.c.event == "person_deleted")
        )
    ).scalar()


def _save_report(
    connection: sa.Connection,
    person: str,
    pulled_at: datetime,
    sealed_report: bytes,
    readings: Sequence[ScoreReading],
) -> int:
    """The report's row (the same pull replacing it) and its scores, one per model."""
    row = {"person_key": person, "pulled_at": pulled_at, "sealed_report": bytes(sealed_report)}
    _upsert(connection, reports, [row], ("person_key", "pulled_at"))
    report_id = connection.execute(
        sa.select(reports.c.report_id).where(
            (reports.c.person_key == person) & (reports.c.pulled_at == pulled_at)
        )
    ).scalar_one()
    connection.execute(sa.delete(scores).where(scores.c.report_id == report_id))
    by_model = {reading.model: reading for reading in readings}
    if by_model:
        connection.execute(
            sa.insert(scores),
            [_score_row(person, report_id, reading) for reading in by_model.values()],
        )
    return int(report_id)


def _save_item(connection: sa.Connection, row: Mapping[str, Any]) -> None:
    _ensure_person(connection, row["person_key"])
    # The cursor is not in the row, so a kept item keeps where its sync stands.
    _upsert(connection, items, [row], ("person_key", "item_id"))


def _apply_sync(
    connection: sa.Connection,
    person: str,
    item_id: str,
    before: SyncState | None,
    after: SyncState,
    accounts_now: Sequence[Account],
) -> SyncWrite:
    changes = _changes(before, after)
    if not _move_cursor(connection, person, item_id, before, after):
        if not _item_kept(connection, person, item_id):
            raise errors.not_kept()
        return SyncWrite(applied=False)
    _upsert(
        connection,
        accounts,
        [_account_row(person, account) for account in accounts_now],
        ("person_key", "account_id"),
    )
    _delete_transactions(connection, person, item_id, changes.removed)
    _upsert_transactions(connection, person, item_id, changes.added + changes.modified)
    return SyncWrite(
        applied=True,
        added=len(changes.added),
        modified=len(changes.modified),
        removed=len(changes.removed),
        accounts=len(accounts_now),
    )


def _record_day(connection: sa.Connection, person: str, days: Sequence[AccountDay]) -> int:
    rows = {(day.account_id, day.day): _account_day_row(person, day) for day in days}
    if rows:
        _ensure_person(connection, person)
        _upsert(connection, account_days, list(rows.values()), ("person_key", "account_id", "day"))
    return len(rows)


def _write_audit(
    connection: sa.Connection, person: str | None, event: str, outcome: str, at: datetime
) -> None:
    if not (_CODE.fullmatch(event) and _CODE.fullmatch(outcome)):
        raise ValueError("audit events and outcomes are short lower-case codes")
    connection.execute(
        sa.insert(audit), {"at": at, "person_key": person, "event": event, "outcome": outcome}
    )


def _kept_item(row: Mapping[str, Any]) -> KeptItem:
    return KeptItem(
        item_id=row["item_id"],
        institution=_institution(row),
        sealed_token=bytes(row["sealed_token"]),
        cursor=row["sync_cursor"],
        updated_at=row["updated_at"],
    )


def _institution(row: Mapping[str, Any]) -> Institution | None:
    if row["institution_id"] is None or row["institution_name"] is None:
        return None
    return Institution(row["institution_id"], row["institution_name"])


def _item_kept(connection: sa.Connection, person: str, item_id: str) -> bool:
    where = (items.c.person_key == person) & (items.c.item_id == item_id)
    return connection.execute(sa.select(items.c.item_id).where(where)).first() is not None


def _move_cursor(
    connection: sa.Connection,
    person: str,
    item_id: str,
    before: SyncState | None,
    after: SyncState,
) -> bool:
    """Compare and set: the cursor moves to ``after``'s only from ``before``'s."""
    expected = None if before is None else before.cursor
    values: dict[str, Any] = {"sync_cursor": after.cursor, "updated_at": _now()}
    if after.institution is not None:
        values |= {
            "institution_id": after.institution.institution_id,
            "institution_name": after.institution.name,
        }
    statement = (
        sa.update(items)
        .where(items.c.person_key == person)
        .where(items.c.item_id == item_id)
        .where(items.c.sync_cursor.is_not_distinct_from(expected))
        .values(values)
    )
    return connection.execute(statement).rowcount == 1


def _changes(before: SyncState | None, after: SyncState) -> _Changes:
    """Added, modified and removed, by transaction id (a pending transaction that posts is
    one removed and one added, as Plaid reports it)."""
    old = {t.transaction_id: t for t in (before.transactions if before else ())}
    new = {t.transaction_id: t for t in after.transactions}
    return _Changes(
        added=tuple(t for tid, t in new.items() if tid not in old),
        modified=tuple(t for tid, t in new.items() if tid in old and old[tid] != t),
        removed=tuple(tid for tid in old if tid not in new),
    )


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    return (values[start : start + size] for start in range(0, len(values), size))


def _delete_transactions(
    connection: sa.Connection, person: str, item_id: str, removed: Sequence[str]
) -> None:
    for chunk in _chunks(removed):
        connection.execute(
            sa.delete(transactions)
            .where(transactions.c.person_key == person)
            .where(transactions.c.item_id == item_id)
            .where(transactions.c.transaction_id.in_(chunk))
        )


def _upsert_transactions(
    connection: sa.Connection, person: str, item_id: str, written: Sequence[Transaction]
) -> None:
    rows = [_transaction_row(person, item_id, transaction) for transaction in written]
    # An upsert, not an insert: the unique key is the backstop if ``before`` was not what
    # the database held, and a row is never there twice.
    _upsert(connection, transactions, rows, ("person_key", "item_id", "transaction_id"))


def _transactions_query(person: str) -> sa.Select[Any]:
    return (
        sa.select(*(transactions.c[name] for name in _TRANSACTION_FIELDS))
        .where(transactions.c.person_key == person)
        .order_by(transactions.c.date, transactions.c.transaction_id, transactions.c.item_id)
    )


def _transaction_row(person: str, item_id: str, transaction: Transaction) -> dict[str, Any]:
    row = {name: getattr(transaction, name) for name in _TRANSACTION_FIELDS}
    return {"person_key": person, "item_id": item_id, **row}


def _transaction(row: Mapping[str, Any]) -> Transaction:
    return Transaction(**{name: row[name] for name in _TRANSACTION_FIELDS})


def _account(row: Mapping[str, Any]) -> Account:
    return Account(
        account_id=row["account_id"],
        item_id=row["item_id"],
        name=row["name"],
        official_name=row["official_name"],
        mask=row["mask"],
        type=row["type"],
        subtype=row["subtype"],
        current=None,
        available=None,
        limit=None,
        currency=row["currency"],
    )


def _checked_hash(token_hash: str) -> str:
    """A SHA-256 in hex: a guard against passing the token itself where its hash belongs."""
    if not isinstance(token_hash, str) or not _TOKEN_HASH.fullmatch(token_hash):
        raise ValueError("an API token is kept as the SHA-256 of it in hex, never as itself")
    return token_hash


def _token_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > TOKEN_NAME_LENGTH or not name.isprintable():
        raise ValueError(f"a token's name is 1 to {TOKEN_NAME_LENGTH} printable characters")
    return name


def _live_tokens(connection: sa.Connection, person: str) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(api_tokens)
        .where((api_tokens.c.person_key == person) & api_tokens.c.revoked_at.is_(None))
    )
    return int(connection.execute(query).scalar_one())


def _account_row(person: str, account: Account) -> dict[str, Any]:
    return {
        "person_key": person,
        "account_id": account.account_id,
        "item_id": account.item_id,
        "name": account.name,
        "official_name": account.official_name,
        "mask": account.mask,
        "type": account.type,
        "subtype": account.subtype,
        "currency": account.currency,
    }


def _account_day_row(person: str, day: AccountDay) -> dict[str, Any]:
    return {
        "person_key": person,
        "account_id": day.account_id,
        "day": day.day,
        "item_id": day.item_id,
        "bank": day.bank,
        "name": day.name,
        "mask": day.mask,
        "kind": day.kind,
        "currency": day.currency,
        "balance": day.balance,
        "credit_limit": day.limit,
        "statement_balance": day.statement_balance,
        "minimum_payment": day.minimum_payment,
        "next_payment_due": day.next_payment_due,
    }


def _account_day(row: Mapping[str, Any]) -> AccountDay:
    return AccountDay(
        day=row["day"],
        account_id=row["account_id"],
        item_id=row["item_id"],
        bank=row["bank"],
        name=row["name"],
        mask=row["mask"],
        kind=row["kind"],
        currency=row["currency"],
        balance=row["balance"],
        limit=row["credit_limit"],
        statement_balance=row["statement_balance"],
        minimum_payment=row["minimum_payment"],
        next_payment_due=row["next_payment_due"],
    )


def _score_row(person: str, report_id: int, reading: ScoreReading) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "model": reading.model,
        "person_key": person,
        "day": reading.day,
        "score": reading.score,
    }


def _rows_of(connection: sa.Connection, table: sa.Table, person: str) -> list[dict[str, Any]]:
    query = (
        sa.select(table)
        .where(table.c.person_key == person)
        .order_by(*(table.primary_key.columns or table.c))
    )
    return [dict(row) for row in connection.execute(query).mappings()]
