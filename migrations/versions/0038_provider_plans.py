"""Each action plan carries its service's provider, indexed with the plan's status (and its service
and completion date, to be read from the index alone): a provider's home page (its due dates, plans
to complete and actions due) starts from its own plans by that index instead of looking up each of
a national chain's few hundred services' plans. Filled here from the services; the application sets
it when it makes a plan, and again when a service moves to another provider.

A plan's actions by due date carry their ids, so a provider's first actions due are picked from that
index alone. The provider's services index carries whether each is active, its council and its type,
so that counting a provider's active services and putting them in their councils' rounds read no
table row.

Revision ID: 0038
Revises: 0037
Create Date: 2026-11-30 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROVIDER_SERVICES = "ix_care_service_provider_name"
PLAN_ACTIONS_DUE = "ix_action_plan_due"


def upgrade() -> None:
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE action_plan SET provider_id = "
        "(SELECT provider_id FROM care_service WHERE care_service.id = action_plan.service_id)"
    )
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.alter_column("provider_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_action_plan_provider_id_organisation"), "organisation", ["provider_id"], ["id"]
        )
        batch_op.create_index(
            "ix_action_plan_provider_status",
            ["provider_id", "status", "id", "service_id", "provider_due"],
            unique=False,
        )

    op.drop_index(PLAN_ACTIONS_DUE, table_name="action")
    op.create_index(PLAN_ACTIONS_DUE, "action", ["plan_id", "due_date", "status", "id"], unique=False)
    op.drop_index(PROVIDER_SERVICES, table_name="care_service")
    op.create_index(
        PROVIDER_SERVICES,
        "care_service",
        ["provider_id", "name", "id", "is_active", "council_id", "service_type"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(PROVIDER_SERVICES, table_name="care_service")
    op.create_index(PROVIDER_SERVICES, "care_service", ["provider_id", "name", "id"], unique=False)
    op.drop_index(PLAN_ACTIONS_DUE, table_name="action")
    op.create_index(PLAN_ACTIONS_DUE, "action", ["plan_id", "due_date", "status"], unique=False)
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_action_plan_provider_status")
        batch_op.drop_constraint(batch_op.f("fk_action_plan_provider_id_organisation"), type_="foreignkey")
        batch_op.drop_column("provider_id")
