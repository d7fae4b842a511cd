"""Indexes for the provider's pages, which start from the provider's services (a national chain
runs a few hundred): the services by name and their ids; and, service by service, their plans,
visits and self-assessments of one status, each read from the index alone instead of every row
each service ever had (or every row of that status in the country). And the comparison cells
with their counts, so that the accuracy pages add up a provider's cells from the index alone.

Revision ID: 0033
Revises: 0031
Create Date: 2026-11-30 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_care_service_provider_name": ("care_service", ["provider_id", "name", "id"]),
    "ix_action_plan_service_status": ("action_plan", ["service_id", "status", "id", "provider_due"]),
    "ix_visit_service_status": ("visit", ["service_id", "status", "factual_accuracy_due", "id"]),
    "ix_self_assessment_service_status": ("self_assessment", ["service_id", "status", "id"]),
    "ix_visit_comparison_cell_counts": (
        "visit_comparison_cell",
        ["visit_id", "self_score", "officer_score", "statements"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
