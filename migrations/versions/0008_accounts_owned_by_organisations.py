"""Organisations own their accounts: provider admins, roles that fit the organisation (checked by
the database), e-mailed single-use links instead of temporary passwords, and register links that
the provider accepts or declines.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_FIT_ORGANISATIONS = (
    "(organisation_kind = 'council' AND role IN ('officer', 'council_admin')) OR "
    "(organisation_kind = 'provider' AND role IN ('provider', 'provider_admin'))"
)
ROLES = ("provider", "provider_admin", "officer", "council_admin")


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_organisation_id_kind"), ["id", "kind"])

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organisation_kind",
                sa.Enum("council", "provider", name="organisationkind", native_enum=False, length=40),
                nullable=True,
            )
        )
        batch_op.alter_column(
            "password_hash", existing_type=sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        )
    op.execute(
        'UPDATE "user" SET organisation_kind = '
        '(SELECT kind FROM organisation WHERE organisation.id = "user".organisation_id)'
    )
    # Temporary passwords are gone: whoever still had one sets a password from a reset link.
    op.execute('UPDATE "user" SET password_hash = NULL WHERE must_change_password')
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("organisation_kind", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column(
            "role",
            existing_type=sa.Enum(
                "provider", "officer", "council_admin", name="role", native_enum=False, length=40
            ),
            type_=sa.Enum(*ROLES, name="role", native_enum=False, length=40),
            existing_nullable=False,
        )
        batch_op.drop_column("must_change_password")
        batch_op.create_foreign_key(
            "fk_user_organisation_id_kind_organisation",
            "organisation",
            ["organisation_id", "organisation_kind"],
            ["id", "kind"],
        )
        batch_op.create_check_constraint(op.f("ck_user_role_fits_organisation"), ROLES_FIT_ORGANISATIONS)

    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("invitation", "reset", name="linkpurpose", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_account_link_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_account_link_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_link_token_hash")),
    )
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_link_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("council_provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("pending", "accepted", "declined", name="linkstatus", native_enum=False, length=40),
                server_default="accepted",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_council_provider_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_council_provider_requested_by_id_user"), "user", ["requested_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_council_provider_decided_by_id_user"), "user", ["decided_by_id"], ["id"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM council_provider WHERE status <> 'accepted'")
    with op.batch_alter_table("council_provider", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_council_provider_decided_by_id_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_council_provider_requested_by_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_council_provider_status"))
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("requested_by_id")
        batch_op.drop_column("status")

    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_link_user_id"))
    op.drop_table("account_link")

    # Provider admins become provider users; people without a password get an unusable one and
    # must be given a temporary password by an admin of the older version.
    op.execute("UPDATE \"user\" SET role = 'provider' WHERE role = 'provider_admin'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE \"user\" SET must_change_password = TRUE, password_hash = '!' WHERE password_hash IS NULL"
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_role_fits_organisation"), type_="check")
        batch_op.drop_constraint("fk_user_organisation_id_kind_organisation", type_="foreignkey")
        batch_op.alter_column(
            "password_hash", existing_type=sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False
        )
        batch_op.drop_column("organisation_kind")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organisation_id_kind"), type_="unique")
