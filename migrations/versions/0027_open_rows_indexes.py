"""Partial indexes of what is still open: overdue actions (the quarterly report's figure and the
list behind it) read from the open actions by due date, instead of every action ever due before
the day; the concerns list's default (open concerns) and its count from the few open concerns.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ACTION = "status NOT IN ('completed', 'verified')"
OPEN_CONCERN = "status = 'open'"


def upgrade() -> None:
    op.create_index(
        "ix_action_open_due",
        "action",
        ["due_date", "plan_id"],
        unique=False,
        postgresql_where=sa.text(OPEN_ACTION),
        sqlite_where=sa.text(OPEN_ACTION),
    )
    op.create_index(
        "ix_concern_open_service_id",
        "concern",
        ["service_id"],
        unique=False,
        postgresql_where=sa.text(OPEN_CONCERN),
        sqlite_where=sa.text(OPEN_CONCERN),
    )


def downgrade() -> None:
    op.drop_index("ix_concern_open_service_id", table_name="concern")
    op.drop_index("ix_action_open_due", table_name="action")
