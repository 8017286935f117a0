"""The history store's tables (SQLAlchemy Core), as the latest migration leaves them.

Every table carries ``person_key`` (the keyed hash of ``keys.PersonKeys``), and every foreign
key between a person's rows includes it, so a row can never point at another person's item
and "every row of this person" is one predicate on every table. Unique keys are what make a
sync idempotent: a transaction is (person, item, transaction_id), a daily snapshot (person,
account, day). ``tests/storage/test_migrations.py`` checks that the migrations build exactly
this.

In clear: what the history pages query (amounts, dates, merchant and account names, masks,
balances, scores). Sealed by the caller's vault: access tokens and whole credit reports.
Hashed only: a person's API tokens (SHA-256 of 256 random bits). Never here: SSNs, dates of
birth, full account numbers, who a person is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

PERSON_KEY_LENGTH = 64
CODE_LENGTH = 32
TOKEN_HASH_LENGTH = 64  # SHA-256 in hex
TOKEN_NAME_LENGTH = 40


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment, written in UTC and read back with its time zone, on SQLite (which keeps
    text without one) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a moment without a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _person(*, primary: bool = False) -> sa.Column[str]:
    return sa.Column(
        "person_key",
        sa.String(PERSON_KEY_LENGTH),
        sa.ForeignKey("people.person_key", ondelete="CASCADE"),
        primary_key=primary,
        nullable=False,
    )


def _item_reference() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["person_key", "item_id"], ["items.person_key", "items.item_id"], ondelete="CASCADE"
    )


people = sa.Table(
    "people",
    metadata,
    sa.Column("person_key", sa.String(PERSON_KEY_LENGTH), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# One connection to a bank. The token is sealed by the caller's vault before it gets here.
items = sa.Table(
    "items",
    metadata,
    _person(primary=True),
    sa.Column("item_id", sa.String, primary_key=True),
    sa.Column("sealed_token", sa.LargeBinary, nullable=False),
    sa.Column("institution_id", sa.String, nullable=True),
    sa.Column("institution_name", sa.String, nullable=True),
    sa.Column("sync_cursor", sa.String, nullable=True),  # None until the first sync is kept
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # A webhook names only Plaid's item_id: who keeps it is found without a full scan.
    sa.Index("ix_items_item", "item_id"),
)

accounts = sa.Table(
    "accounts",
    metadata,
    _person(primary=True),
    sa.Column("account_id", sa.String, primary_key=True),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("official_name", sa.String, nullable=True),
    sa.Column("mask", sa.String, nullable=True),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("subtype", sa.String, nullable=True),
    sa.Column("currency", sa.String, nullable=False),
    _item_reference(),
    sa.Index("ix_accounts_item", "person_key", "item_id"),
)

# Kept in step with /transactions/sync; the columns are the fields of models.Transaction.
transactions = sa.Table(
    "transactions",
    metadata,
    _person(primary=True),
    sa.Column("item_id", sa.String, primary_key=True),
    sa.Column("transaction_id", sa.String, primary_key=True),
    sa.Column("account_id", sa.String, nullable=False),
    sa.Column("amount", sa.Double, nullable=False),
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("authorized_date", sa.Date, nullable=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("merchant_name", sa.String, nullable=True),
    sa.Column("pending", sa.Boolean, nullable=False),
    sa.Column("pending_transaction_id", sa.String, nullable=True),
    sa.Column("category", sa.String, nullable=True),
    sa.Column("category_detailed", sa.String, nullable=True),
    sa.Column("payment_channel", sa.String, nullable=True),
    _item_reference(),
    sa.Index("ix_transactions_person_date", "person_key", "date"),
    sa.Index("ix_transactions_date", "date"),
)

# One account as it stood on one day (trends.AccountDay). Not tied to the item: a bank
# disconnected leaves its past in the history until the person deletes it or it ages out.
account_days = sa.Table(
    "account_days",
    metadata,
    _person(primary=True),
    sa.Column("account_id", sa.String, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("bank", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("mask", sa.String, nullable=True),
    sa.Column("kind", sa.String(CODE_LENGTH), nullable=False),
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("balance", sa.Double, nullable=True),
    sa.Column("credit_limit", sa.Double, nullable=True),
    sa.Column("statement_balance", sa.Double, nullable=True),
    sa.Column("minimum_payment", sa.Double, nullable=True),
    sa.Column("next_payment_due", sa.Date, nullable=True),
    sa.Index("ix_account_days_person_day", "person_key", "day"),
    sa.Index("ix_account_days_day", "day"),
)

# A pulled credit report, sealed whole by the caller's vault.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("report_id", sa.Integer, primary_key=True, autoincrement=True),
    _person(),
    sa.Column("pulled_at", UtcDateTime(), nullable=False),
    sa.Column("sealed_report", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("person_key", "pulled_at", name="uq_reports_person_pulled_at"),
    sa.Index("ix_reports_pulled_at", "pulled_at"),
)

# The scores read from a report (trends.ScoreReading), in clear for the trend.
scores = sa.Table(
    "scores",
    metadata,
    sa.Column(
        "report_id",
        sa.Integer,
        sa.ForeignKey("reports.report_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("model", sa.String, primary_key=True),
    _person(),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Index("ix_scores_person_day", "person_key", "day"),
)

# Who did what, when, with what outcome: codes and keyed hashes only. Not tied to people, so
# the line that records a deletion outlives the person's rows.
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("person_key", sa.String(PERSON_KEY_LENGTH), nullable=True),
    sa.Column("event", sa.String(CODE_LENGTH), nullable=False),
    sa.Column("outcome", sa.String(CODE_LENGTH), nullable=False),
    sa.Index("ix_audit_person", "person_key"),
    sa.Index("ix_audit_at", "at"),
)

# A person's API tokens: only the SHA-256 of each (the token is shown once, when it is made).
# ``domain_key`` is a keyed hash of the domain of the address the person signed in with (None
# in local mode): with the person key, what tells whether ALLOWED_USERS still admits them.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.Integer, primary_key=True, autoincrement=True),
    _person(),
    sa.Column("name", sa.String(TOKEN_NAME_LENGTH), nullable=False),
    sa.Column("token_hash", sa.String(TOKEN_HASH_LENGTH), nullable=False),
    sa.Column("domain_key", sa.String(PERSON_KEY_LENGTH), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    sa.Index("ix_api_tokens_person", "person_key"),
)

# Every table that holds rows of a person, parents before children.
PERSON_TABLES: tuple[sa.Table, ...] = tuple(
    table for table in metadata.sorted_tables if "person_key" in table.c
)
