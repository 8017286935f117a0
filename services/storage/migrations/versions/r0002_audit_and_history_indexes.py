"""The audit log, and the indexes the history pages and the retention sweep read by.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (index, table, columns): by person and day for the history pages, by day alone for the
# sweep that drops what is older than HISTORY_RETENTION_MONTHS.
INDEXES = (
    ("ix_transactions_person_date", "transactions", ["person_key", "date"]),
    ("ix_transactions_date", "transactions", ["date"]),
    ("ix_account_days_person_day", "account_days", ["person_key", "day"]),
    ("ix_account_days_day", "account_days", ["day"]),
    ("ix_reports_pulled_at", "reports", ["pulled_at"]),
    ("ix_scores_person_day", "scores", ["person_key", "day"]),
)


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_audit_person", "audit", ["person_key"])
    op.create_index("ix_audit_at", "audit", ["at"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_index("ix_audit_person", table_name="audit")
    op.drop_table("audit")
