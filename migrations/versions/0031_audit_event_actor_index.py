"""Drop the audit log's index on actor_id alone: the (actor_id, organisation_id, occurred_at) index
serves every read by actor, and while the narrower one existed the planner took it for the admin's
"events by our people recorded against another organisation", reading every event of the
organisation's people (18,700 at a county, 1,200 pages) to keep none, instead of both columns'
range in the wider index (3 pages).

Revision ID: 0031
Revises: 0027
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_audit_event_actor_id", table_name="audit_event")


def downgrade() -> None:
    op.create_index("ix_audit_event_actor_id", "audit_event", ["actor_id"], unique=False)
