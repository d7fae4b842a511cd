"""Concerns a provider can act on: what the officer shares of a concern, what the provider is asked
to do and by when, and the provider's responses.

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_summary", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("provider_request", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("respond_by", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        "concern_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_concern_response_author_id_user")),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["concern.id"], name=op.f("fk_concern_response_concern_id_concern")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_response")),
    )
    with op.batch_alter_table("concern_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_response_concern_id"), ["concern_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("concern_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_response_concern_id"))
    op.drop_table("concern_response")
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_column("shared_at")
        batch_op.drop_column("respond_by")
        batch_op.drop_column("provider_request")
        batch_op.drop_column("shared_summary")
