"""Frameworks as versioned data, council settings, evidence files, self-assessments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:27:14.900220
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "framework",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_council_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_council_id"], ["organisation.id"], name=op.f("fk_framework_owner_council_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework")),
        sa.UniqueConstraint("slug", name=op.f("uq_framework_slug")),
    )
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_owner_council_id"), ["owner_council_id"], unique=False)

    op.create_table(
        "framework_version",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="versionstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("good_value", sa.Integer(), nullable=False),
        sa.Column("source_yaml", sa.Text(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["framework.id"], name=op.f("fk_framework_version_framework_id_framework")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["user.id"], name=op.f("fk_framework_version_imported_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_version")),
        sa.UniqueConstraint(
            "framework_id", "version", name=op.f("uq_framework_version_framework_id_version")
        ),
    )
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_version_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_stored_file_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"], name=op.f("fk_stored_file_uploaded_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_file_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "council_settings",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=True),
        sa.Column("blind_scoring", sa.Boolean(), nullable=False),
        sa.Column("factual_accuracy_days", sa.Integer(), nullable=False),
        sa.Column("plan_completion_days", sa.Integer(), nullable=False),
        sa.Column("follow_up_months", sa.Integer(), nullable=False),
        sa.Column("overrating_margin", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.Column("priority_rules", sa.JSON(), nullable=True),
        sa.Column("publish_ratings", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_council_settings_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_council_settings_framework_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("council_id", name=op.f("pk_council_settings")),
    )
    op.create_table(
        "evidence_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_evidence_category_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_category")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_evidence_category_version_id_code")),
    )
    op.create_table(
        "framework_rating_band",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("min_percent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_framework_rating_band_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_rating_band")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_framework_rating_band_version_id_key")),
    )
    op.create_table(
        "framework_scale_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_framework_scale_level_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_scale_level")),
        sa.UniqueConstraint("version_id", "value", name=op.f("uq_framework_scale_level_version_id_value")),
    )
    op.create_table(
        "key_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_key_question_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_question")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_key_question_version_id_code")),
    )
    op.create_table(
        "self_assessment",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "reviewed",
                name="assessmentstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("period_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_self_assessment_framework_version_id_framework_version"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["user.id"], name=op.f("fk_self_assessment_reviewed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_self_assessment_service_id_care_service")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["user.id"], name=op.f("fk_self_assessment_started_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user.id"], name=op.f("fk_self_assessment_submitted_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment")),
    )
    with op.batch_alter_table("self_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_assessment_framework_version_id"), ["framework_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_self_assessment_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_self_assessment_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_self_assessment_submitted_at"), ["submitted_at"], unique=False)

    op.create_table(
        "stored_file_content",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
            name=op.f("fk_stored_file_content_file_id_stored_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_stored_file_content")),
    )
    op.create_table(
        "assessment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "reviewed",
                name="assessmentstatus",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "reviewed",
                name="assessmentstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_assessment_event_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["self_assessment.id"],
            name=op.f("fk_assessment_event_assessment_id_self_assessment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_event")),
    )
    with op.batch_alter_table("assessment_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_event_assessment_id"), ["assessment_id"], unique=False
        )

    op.create_table(
        "quality_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key_question_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("evidence_categories", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_question_id"],
            ["key_question.id"],
            name=op.f("fk_quality_statement_key_question_id_key_question"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_quality_statement_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_statement")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_quality_statement_version_id_code")),
    )
    with op.batch_alter_table("quality_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_statement_key_question_id"), ["key_question_id"], unique=False
        )

    op.create_table(
        "self_assessment_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("improvement_plan", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["self_assessment.id"],
            name=op.f("fk_self_assessment_answer_assessment_id_self_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["quality_statement.id"],
            name=op.f("fk_self_assessment_answer_statement_id_quality_statement"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_self_assessment_answer_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_answer")),
        sa.UniqueConstraint(
            "assessment_id", "statement_id", name=op.f("uq_self_assessment_answer_assessment_id_statement_id")
        ),
    )
    with op.batch_alter_table("self_assessment_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_assessment_answer_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "evidence_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("text", "file", name="evidencekind", native_enum=False, length=40), nullable=False
        ),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by_id"], ["user.id"], name=op.f("fk_evidence_item_added_by_id_user")),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["self_assessment_answer.id"],
            name=op.f("fk_evidence_item_answer_id_self_assessment_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_evidence_item_file_id_stored_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_item")),
    )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_item_answer_id"), ["answer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_item_answer_id"))

    op.drop_table("evidence_item")
    with op.batch_alter_table("self_assessment_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_assessment_answer_statement_id"))

    op.drop_table("self_assessment_answer")
    with op.batch_alter_table("quality_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_statement_key_question_id"))

    op.drop_table("quality_statement")
    with op.batch_alter_table("assessment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_event_assessment_id"))

    op.drop_table("assessment_event")
    op.drop_table("stored_file_content")
    with op.batch_alter_table("self_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_assessment_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_self_assessment_status"))
        batch_op.drop_index(batch_op.f("ix_self_assessment_service_id"))
        batch_op.drop_index(batch_op.f("ix_self_assessment_framework_version_id"))

    op.drop_table("self_assessment")
    op.drop_table("key_question")
    op.drop_table("framework_scale_level")
    op.drop_table("framework_rating_band")
    op.drop_table("evidence_category")
    op.drop_table("council_settings")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_file_organisation_id"))

    op.drop_table("stored_file")
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_version_framework_id"))

    op.drop_table("framework_version")
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_owner_council_id"))

    op.drop_table("framework")
