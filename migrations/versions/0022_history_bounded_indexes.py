"""Indexes that let the council's pages read a quarter's or a few months' rows instead of every year
of history, each holding what its query filters and counts on so that it is read alone (an
index-only scan): visits by date (the quarterly report's visit counts, the visits list's recent and
upcoming window), concerns by the day received, plans by the time submitted and actions by the time
completed (the quarterly report), and a service's self-assessment for a period (a round's
progress).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 11:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "visit": (
        "ix_visit_by_date",
        ["scheduled_for", "service_id", "status", "visit_type", "officer_id", "id"],
    ),
    "concern": ("ix_concern_received", ["received_on", "service_id", "source", "severity"]),
    "action_plan": ("ix_action_plan_submitted", ["submitted_at", "service_id", "provider_due"]),
    "action": ("ix_action_completed", ["completed_at", "plan_id", "due_date"]),
    "self_assessment": ("ix_self_assessment_period", ["service_id", "period_label", "id", "status"]),
}


def upgrade() -> None:
    for table, (name, columns) in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns)


def downgrade() -> None:
    for table, (name, _) in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
