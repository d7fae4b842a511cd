"""Concerns (intelligence), visits, visit scores, factual-accuracy points and visit history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:27:22.675840
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "concern",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "professional",
                "cqc",
                "person",
                "relative",
                "public",
                "whistleblower",
                "safeguarding",
                "other",
                name="concernsource",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("low", "medium", "high", "critical", name="severity", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("is_complaint", sa.Boolean(), nullable=False),
        sa.Column("is_confidential", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="concernstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("logged_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["logged_by_id"], ["user.id"], name=op.f("fk_concern_logged_by_id_user")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_concern_service_id_care_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
    )
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_service_id"), ["service_id"], unique=False)

    op.create_table(
        "visit",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("self_assessment_id", sa.Integer(), nullable=True),
        sa.Column(
            "visit_type",
            sa.Enum("proactive", "reactive", "follow_up", name="visittype", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "scores_locked",
                "draft_shared",
                "published",
                "cancelled",
                name="visitstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("scores_locked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("factual_accuracy_due", sa.Date(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_visit_framework_version_id_framework_version"),
        ),
        sa.ForeignKeyConstraint(["officer_id"], ["user.id"], name=op.f("fk_visit_officer_id_user")),
        sa.ForeignKeyConstraint(["published_by_id"], ["user.id"], name=op.f("fk_visit_published_by_id_user")),
        sa.ForeignKeyConstraint(
            ["self_assessment_id"],
            ["self_assessment.id"],
            name=op.f("fk_visit_self_assessment_id_self_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_visit_service_id_care_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_status"), ["status"], unique=False)

    op.create_table(
        "factual_accuracy_point",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "accepted", "rejected", name="pointstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("score_before", sa.Integer(), nullable=True),
        sa.Column("score_after", sa.Integer(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["user.id"], name=op.f("fk_factual_accuracy_point_raised_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user.id"], name=op.f("fk_factual_accuracy_point_resolved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["quality_statement.id"],
            name=op.f("fk_factual_accuracy_point_statement_id_quality_statement"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_factual_accuracy_point_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factual_accuracy_point")),
    )
    with op.batch_alter_table("factual_accuracy_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_factual_accuracy_point_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_concern",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["concern.id"], name=op.f("fk_visit_concern_concern_id_concern")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_concern_visit_id_visit")),
        sa.PrimaryKeyConstraint("visit_id", "concern_id", name=op.f("pk_visit_concern")),
    )
    with op.batch_alter_table("visit_concern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_concern_concern_id"), ["concern_id"], unique=False)

    op.create_table(
        "visit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_visit_event_actor_id_user")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_event_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_event")),
    )
    with op.batch_alter_table("visit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_event_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("evidence_seen", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["quality_statement.id"],
            name=op.f("fk_visit_score_statement_id_quality_statement"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_visit_score_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_visit_score_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_score")),
        sa.UniqueConstraint("visit_id", "statement_id", name=op.f("uq_visit_score_visit_id_statement_id")),
    )
    with op.batch_alter_table("visit_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_score_statement_id"), ["statement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_score_statement_id"))

    op.drop_table("visit_score")
    with op.batch_alter_table("visit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_event_visit_id"))

    op.drop_table("visit_event")
    with op.batch_alter_table("visit_concern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_concern_concern_id"))

    op.drop_table("visit_concern")
    with op.batch_alter_table("factual_accuracy_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_factual_accuracy_point_visit_id"))

    op.drop_table("factual_accuracy_point")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_status"))
        batch_op.drop_index(batch_op.f("ix_visit_service_id"))
        batch_op.drop_index(batch_op.f("ix_visit_published_at"))
        batch_op.drop_index(batch_op.f("ix_visit_officer_id"))

    op.drop_table("visit")
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_service_id"))

    op.drop_table("concern")
