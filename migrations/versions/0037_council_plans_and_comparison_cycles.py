"""Each action plan and each visit carries its service's council (a service never changes
council), indexed with the plan's status and the visit's date: the quarterly report's actions
completed and overdue join the council's plans, and its visits carried out (and the visits list)
read the council's visits, from those indexes instead of the country's. Filled here from the
services; the application sets it when it makes a plan or schedules a visit.

Each visit comparison summary carries its visit's status, framework version and day and the period
of the self-assessment it tests, so that a provider's accuracy page reads the summaries alone.
The summaries are rebuilt here with the application's own statements (0021 left that to this
revision), as the application rebuilds a service's summaries from then on.

Revision ID: 0037
Revises: 0035
Create Date: 2026-11-30 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0037"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("council_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE action_plan SET council_id = "
        "(SELECT council_id FROM care_service WHERE care_service.id = action_plan.service_id)"
    )
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.alter_column("council_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_action_plan_council_id_organisation"), "organisation", ["council_id"], ["id"]
        )
        batch_op.create_index("ix_action_plan_council_status", ["council_id", "status", "id"], unique=False)

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("council_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE visit SET council_id = "
        "(SELECT council_id FROM care_service WHERE care_service.id = visit.service_id)"
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column("council_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_council_id_organisation"), "organisation", ["council_id"], ["id"]
        )
        batch_op.create_index(
            "ix_visit_council_date",
            ["council_id", "scheduled_for", "status", "visit_type", "officer_id", "service_id", "id"],
            unique=False,
        )

    visit_status = sa.Enum(
        "scheduled",
        "in_progress",
        "scores_locked",
        "draft_shared",
        "published",
        "cancelled",
        name="visitstatus",
        native_enum=False,
        length=40,
    )
    # Emptied first and rebuilt below (as 0021 left them to this revision), so the new columns can
    # be NOT NULL without a default.
    op.execute("DELETE FROM visit_comparison_cell")
    op.execute("DELETE FROM visit_comparison")
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_status", visit_status, nullable=False))
        batch_op.add_column(sa.Column("framework_version_id", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("scheduled_for", sa.Date(), nullable=False))
        batch_op.add_column(
            sa.Column("period_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_comparison_framework_version_id_framework_version"),
            "framework_version",
            ["framework_version_id"],
            ["id"],
        )

    from selfassess.visits.comparison_summaries import refresh_statements

    for statement in refresh_statements():
        op.get_bind().execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_council_date")
        batch_op.drop_constraint(batch_op.f("fk_visit_council_id_organisation"), type_="foreignkey")
        batch_op.drop_column("council_id")
    with op.batch_alter_table("visit_comparison", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_visit_comparison_framework_version_id_framework_version"), type_="foreignkey"
        )
        for column in ("period_label", "scheduled_for", "framework_version_id", "visit_status"):
            batch_op.drop_column(column)
    with op.batch_alter_table("action_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_action_plan_council_status")
        batch_op.drop_constraint(batch_op.f("fk_action_plan_council_id_organisation"), type_="foreignkey")
        batch_op.drop_column("council_id")
