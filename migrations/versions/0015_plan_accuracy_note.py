"""An action plan's note about the self-assessment's accuracy: statements the officer found met
but the provider rated higher, kept as a note instead of an improvement action.

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-30 08:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accuracy_note", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.drop_column("accuracy_note")
