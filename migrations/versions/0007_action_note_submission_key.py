"""A key per progress-note form, so a note the browser sends again (its answer was lost when the
database or the network went away) is added once.

Revision ID: 0007
Revises: 0011
Create Date: 2026-11-30 06:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0007"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("submission_key", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_action_note_action_id_submission_key"), ["action_id", "submission_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_action_note_action_id_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")
