"""Yearly self-assessment rounds, and answers and evidence carried over from last year's
self-assessment (marked until edited).

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("service_types", sa.JSON(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_assessment_round_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_assessment_round_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_assessment_round_framework_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_round")),
        sa.UniqueConstraint("council_id", "name", name=op.f("uq_assessment_round_council_id_name")),
    )
    with op.batch_alter_table("assessment_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_round_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_round_deadline"), ["deadline"], unique=False)
    with op.batch_alter_table("self_assessment_answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("carried_over", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("carried_over", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_column("carried_over")
    with op.batch_alter_table("self_assessment_answer", schema=None) as batch_op:
        batch_op.drop_column("carried_over")
    with op.batch_alter_table("assessment_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_round_deadline"))
        batch_op.drop_index(batch_op.f("ix_assessment_round_council_id"))
    op.drop_table("assessment_round")
