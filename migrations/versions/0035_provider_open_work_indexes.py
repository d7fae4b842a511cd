"""Partial indexes over the open work that waits for providers: plans being completed, draft reports
shared for comments, self-assessments returned. Each holds the country's few hundred or thousand such
rows, however many years of history are kept, so a provider's home page finds its own by hashing its
services against the index (a few pages) instead of looking each of its services up in the indexes of
every row (three pages a service: ~900 for a 300-service chain, for each kind, twice a request).

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-30 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_action_plan_to_complete": (
        "action_plan",
        ["service_id", "id", "provider_due"],
        "status IN ('draft', 'changes_requested')",
    ),
    "ix_visit_draft_shared": (
        "visit",
        ["service_id", "id", "factual_accuracy_due"],
        "status = 'draft_shared'",
    ),
    "ix_self_assessment_returned": ("self_assessment", ["service_id", "id"], "status = 'returned'"),
}


def upgrade() -> None:
    for name, (table, columns, where) in INDEXES.items():
        op.create_index(
            name, table, columns, unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )


def downgrade() -> None:
    for name, (table, _, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
