"""Core tables: people, their items, accounts and transactions, daily snapshots, reports and
scores.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _person(*, primary: bool = False) -> sa.Column:
    return sa.Column(
        "person_key",
        sa.String(64),
        sa.ForeignKey("people.person_key", ondelete="CASCADE"),
        primary_key=primary,
        nullable=False,
    )


def _item_reference() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["person_key", "item_id"], ["items.person_key", "items.item_id"], ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("person_key", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "items",
        _person(primary=True),
        sa.Column("item_id", sa.String, primary_key=True),
        sa.Column("sealed_token", sa.LargeBinary, nullable=False),
        sa.Column("institution_id", sa.String, nullable=True),
        sa.Column("institution_name", sa.String, nullable=True),
        sa.Column("sync_cursor", sa.String, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "accounts",
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
    )
    op.create_index("ix_accounts_item", "accounts", ["person_key", "item_id"])
    op.create_table(
        "transactions",
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
    )
    op.create_table(
        "account_days",
        _person(primary=True),
        sa.Column("account_id", sa.String, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("item_id", sa.String, nullable=False),
        sa.Column("bank", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("mask", sa.String, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("currency", sa.String, nullable=False),
        sa.Column("balance", sa.Double, nullable=True),
        sa.Column("credit_limit", sa.Double, nullable=True),
        sa.Column("statement_balance", sa.Double, nullable=True),
        sa.Column("minimum_payment", sa.Double, nullable=True),
        sa.Column("next_payment_due", sa.Date, nullable=True),
    )
    op.create_table(
        "reports",
        sa.Column("report_id", sa.Integer, primary_key=True, autoincrement=True),
        _person(),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_report", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("person_key", "pulled_at", name="uq_reports_person_pulled_at"),
    )
    op.create_table(
        "scores",
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
    )


def downgrade() -> None:
    for table in ("scores", "reports", "account_days", "transactions", "accounts", "items"):
        op.drop_table(table)
    op.drop_table("people")
