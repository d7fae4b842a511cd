"""The /plans list orders a council's open plans by their overdue actions and the home page counts
the plans with any: an index on (plan_id, due_date, status) answers each plan's question from the
index alone, instead of reading every action of every open plan from the table.

Revision ID: 0026
Revises: 0024
Create Date: 2026-11-30 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_action_plan_due", "action", ["plan_id", "due_date", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_plan_due", table_name="action")
