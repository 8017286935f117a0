"""Items found by Plaid's item_id alone (a webhook names only that): an index of their own.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_item", "items", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_items_item", table_name="items")
