"""The public pages' version per council (`council_publication`, no rows until something is
published). Each visit comparison summary carries its service's provider, indexed, so that a provider's
accuracy page reads its own summaries instead of scanning every council's. The summaries are
emptied here and built by 0037 (which gives them more of the visit's columns) with the
application's own statements (`visits.comparison_summaries.refresh_statements`): built here, they
would be built with columns this revision does not have yet.

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-30 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "council_publication",
        sa.Column("council_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_council_publication_council_id_organisation")
        ),
        sa.PrimaryKeyConstraint("council_id", name=op.f("pk_council_publication")),
    )
    # Emptied first (rebuilt below), so the new column can be NOT NULL without a default.
    op.execute("DELETE FROM visit_comparison_cell")
    op.execute("DELETE FROM visit_comparison")
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=False))
        batch_op.create_index(batch_op.f("ix_visit_comparison_provider_id"), ["provider_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_comparison_provider_id_organisation"),
            "organisation",
            ["provider_id"],
            ["id"],
        )


def downgrade() -> None:
    op.drop_table("council_publication")
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_visit_comparison_provider_id_organisation"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_visit_comparison_provider_id"))
        batch_op.drop_column("provider_id")
