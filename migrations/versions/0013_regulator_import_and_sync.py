"""Regulator (CQC) import and sync: the regulator's record of each service, imports staged before
they are applied, and the runs of sync-regulator.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regulator_sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("window_end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("changed_at_cqc", sa.Integer(), nullable=False),
        sa.Column("refreshed", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulator_sync_run")),
    )
    with op.batch_alter_table("regulator_sync_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regulator_sync_run_window_end"), ["window_end"], unique=False)

    op.create_table(
        "regulator_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("local_authority", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum("fetching", "ready", "applied", name="importstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_regulator_import_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user.id"], name=op.f("fk_regulator_import_requested_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulator_import")),
    )
    with op.batch_alter_table("regulator_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regulator_import_council_id"), ["council_id"], unique=False)

    op.create_table(
        "regulator_import_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("provider_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["regulator_import.id"],
            name=op.f("fk_regulator_import_item_import_id_regulator_import"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_regulator_import_item_service_id_care_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulator_import_item")),
        sa.UniqueConstraint(
            "import_id", "location_id", name=op.f("uq_regulator_import_item_import_id_location_id")
        ),
    )
    with op.batch_alter_table("regulator_import_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regulator_import_item_import_id"), ["import_id"], unique=False)

    op.create_table(
        "regulator_location",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_regulator_location_service_id_care_service")
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_regulator_location")),
    )


def downgrade() -> None:
    op.drop_table("regulator_location")
    with op.batch_alter_table("regulator_import_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulator_import_item_import_id"))

    op.drop_table("regulator_import_item")
    with op.batch_alter_table("regulator_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulator_import_council_id"))

    op.drop_table("regulator_import")
    with op.batch_alter_table("regulator_sync_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulator_sync_run_window_end"))

    op.drop_table("regulator_sync_run")
