"""Overall ratings by the framework's method: the method on each framework version, breaches found at
visits, the reason kept with a published rating, and corrections of published ratings for review.

Every framework version installed before this revision rated the overall rating by the percentage of
key question points. The shipped CQC framework now says it follows the regulator's rating principles
(its file says `overall_method: rating_principles`), so its installed versions are updated here; every
other version keeps the method it was scored with. Published ratings are not changed here: `selfassess
recompute-ratings` lists those the corrected method rates differently for the council's admins to
review and republish.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:28:03.106122
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "overall_method",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="key_question_points",
            )
        )
    framework = sa.table("framework", sa.column("id"), sa.column("slug"), sa.column("owner_council_id"))
    version = sa.table("framework_version", sa.column("framework_id"), sa.column("overall_method"))
    shipped_cqc = sa.select(framework.c.id).where(
        framework.c.slug == "cqc-saf", framework.c.owner_council_id.is_(None)
    )
    op.execute(
        version.update()
        .where(version.c.framework_id.in_(shipped_cqc))
        .values(overall_method="rating_principles")
    )

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rating_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )

    op.create_table(
        "visit_breach",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("regulations", "contract", name="breachkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("standard", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_visit_breach_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_breach_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_breach")),
    )
    with op.batch_alter_table("visit_breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_breach_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "rating_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("published_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("published_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("corrected_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("corrected_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("corrected_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("found_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("republished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("republished_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["republished_by_id"], ["user.id"], name=op.f("fk_rating_correction_republished_by_id_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_rating_correction_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_correction")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_rating_correction_visit_id")),
    )
    with op.batch_alter_table("rating_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_correction_republished_at"), ["republished_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rating_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_correction_republished_at"))
    op.drop_table("rating_correction")
    with op.batch_alter_table("visit_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_breach_visit_id"))
    op.drop_table("visit_breach")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("rating_reason")
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.drop_column("overall_method")
