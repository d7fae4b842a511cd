"""Foundation: organisations, users, log-in sessions and attempts, audit trail, care services.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:08:42.665419
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("attempted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempt_attempted_at"), ["attempted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_ip"), ["ip"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("council", "provider", name="organisationkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("cqc_provider_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_organisation_kind_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisation_slug")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_kind"), ["kind"], unique=False)

    op.create_table(
        "council_provider",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_council_provider_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisation.id"], name=op.f("fk_council_provider_provider_id_organisation")
        ),
        sa.PrimaryKeyConstraint("council_id", "provider_id", name=op.f("pk_council_provider")),
    )
    with op.batch_alter_table("council_provider", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_provider_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "user",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("job_title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("provider", "officer", "council_admin", name="role", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_user_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_audit_event_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_audit_event_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_event"), ["event"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "care_service",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "service_type",
            sa.Enum(
                "care_home_nursing",
                "care_home",
                "homecare",
                "supported_living",
                "day_service",
                "other",
                name="servicetype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("address_line1", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address_line2", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("postcode", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("cqc_location_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column(
            "regulator_rating",
            sa.Enum(
                "outstanding",
                "good",
                "requires_improvement",
                "inadequate",
                "not_rated",
                name="regulatorrating",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("regulator_rating_date", sa.Date(), nullable=True),
        sa.Column("assigned_officer_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_officer_id"], ["user.id"], name=op.f("fk_care_service_assigned_officer_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_care_service_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisation.id"], name=op.f("fk_care_service_provider_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_service")),
        sa.UniqueConstraint("cqc_location_id", name=op.f("uq_care_service_cqc_location_id")),
    )
    with op.batch_alter_table("care_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_care_service_assigned_officer_id"), ["assigned_officer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_care_service_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_service_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_service_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_login_session_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))

    op.drop_table("login_session")
    with op.batch_alter_table("care_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_service_provider_id"))
        batch_op.drop_index(batch_op.f("ix_care_service_name"))
        batch_op.drop_index(batch_op.f("ix_care_service_council_id"))
        batch_op.drop_index(batch_op.f("ix_care_service_assigned_officer_id"))

    op.drop_table("care_service")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_event"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))

    op.drop_table("audit_event")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_organisation_id"))

    op.drop_table("user")
    with op.batch_alter_table("council_provider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_provider_provider_id"))

    op.drop_table("council_provider")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_kind"))

    op.drop_table("organisation")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_ip"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_email"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_attempted_at"))

    op.drop_table("login_attempt")
