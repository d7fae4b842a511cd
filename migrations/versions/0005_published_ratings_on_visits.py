"""Published ratings kept on each visit (overall and by key question), for lists and the public page.

No release published a visit before this revision, so there is nothing to backfill.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:31:05.729599
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rating_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rating_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
        batch_op.add_column(sa.Column("rating_percent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_question_ratings", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_visit_rating_key"), ["rating_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_rating_key"))
        batch_op.drop_column("key_question_ratings")
        batch_op.drop_column("rating_percent")
        batch_op.drop_column("rating_label")
        batch_op.drop_column("rating_key")
