"""Improvement action plans, actions, notes and history; notifications and the e-mail outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:27:25.924447
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sent", "failed", name="mailstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_email")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_email_dedupe_key")),
    )
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_email_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_email_status"), ["status"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_user_id"), ["user_id"], unique=False)

    op.create_table(
        "action_plan",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "changes_requested",
                "agreed",
                "closed",
                name="planstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("provider_due", sa.Date(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("agreed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("follow_up_due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["agreed_by_id"], ["user.id"], name=op.f("fk_action_plan_agreed_by_id_user")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_action_plan_service_id_care_service")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_action_plan_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_action_plan_visit_id")),
    )
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_plan_status"), ["status"], unique=False)

    op.create_table(
        "action",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum("low_score", "overrated", "both", "added", name="reason", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("high", "medium", "low", name="priority", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "completed",
                "verified",
                "reopened",
                name="actionstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("proposed_due_date", sa.Date(), nullable=True),
        sa.Column("proposed_due_reason", sa.Text(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_action_owner_id_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["action_plan.id"], name=op.f("fk_action_plan_id_action_plan")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["quality_statement.id"], name=op.f("fk_action_statement_id_quality_statement")
        ),
        sa.ForeignKeyConstraint(["verified_by_id"], ["user.id"], name=op.f("fk_action_verified_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_status"), ["status"], unique=False)

    op.create_table(
        "action_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_action_event_action_id_action")),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_action_event_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["action_plan.id"], name=op.f("fk_action_event_plan_id_action_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_event")),
    )
    with op.batch_alter_table("action_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_event_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_event_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "action_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_action_note_action_id_action")),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_action_note_author_id_user")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_action_note_file_id_stored_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_note")),
    )
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_note_action_id"), ["action_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_note_action_id"))

    op.drop_table("action_note")
    with op.batch_alter_table("action_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_event_plan_id"))
        batch_op.drop_index(batch_op.f("ix_action_event_action_id"))

    op.drop_table("action_event")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_status"))
        batch_op.drop_index(batch_op.f("ix_action_plan_id"))
        batch_op.drop_index(batch_op.f("ix_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_action_due_date"))

    op.drop_table("action")
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plan_status"))
        batch_op.drop_index(batch_op.f("ix_action_plan_service_id"))

    op.drop_table("action_plan")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_user_id"))
        batch_op.drop_index(batch_op.f("ix_notification_created_at"))

    op.drop_table("notification")
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_email_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_email_next_attempt_at"))

    op.drop_table("outbox_email")
