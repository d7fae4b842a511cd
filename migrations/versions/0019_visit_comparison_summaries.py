"""Summaries of each locked visit against the self-assessment it tests (`visit_comparison` and its
cells), kept up to date by the service functions from now on; 0021 fills them for the visits there
are, with the same statements the application uses (`comparison.summaries.refresh_statements`).

Revision ID: 0019
Revises: 0012
Create Date: 2026-11-30 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_comparison",
        sa.Column("visit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("difference_total", sa.Integer(), nullable=False),
        sa.Column("overrated", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["self_assessment.id"],
            name=op.f("fk_visit_comparison_assessment_id_self_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_visit_comparison_service_id_care_service")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_comparison_visit_id_visit")),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_comparison")),
    )
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_comparison_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visit_comparison_service_id"), ["service_id"], unique=False)

    op.create_table(
        "visit_comparison_cell",
        sa.Column("visit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("self_score", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("officer_score", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit_comparison.visit_id"],
            name=op.f("fk_visit_comparison_cell_visit_id_visit_comparison"),
        ),
        sa.PrimaryKeyConstraint(
            "visit_id", "self_score", "officer_score", name=op.f("pk_visit_comparison_cell")
        ),
    )

    # Filled by 0021, which adds the summaries' provider_id: the application's statements that fill
    # them (`refresh_statements`) write that column.


def downgrade() -> None:
    op.drop_table("visit_comparison_cell")
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_comparison_service_id"))
        batch_op.drop_index(batch_op.f("ix_visit_comparison_assessment_id"))
    op.drop_table("visit_comparison")
