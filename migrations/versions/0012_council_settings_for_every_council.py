"""Every council has its settings row: councils are now made with one, and reading settings no
longer inserts it, so councils made before (whose settings were never read) get theirs here, with
the defaults of the time and the shipped CQC framework's latest published version.

Revision ID: 0012
Revises: 0007
Create Date: 2026-11-30 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organisation = sa.table("organisation", sa.column("id", sa.Integer), sa.column("kind", sa.String))
framework = sa.table("framework", sa.column("id", sa.Integer), sa.column("slug", sa.String))
framework_version = sa.table(
    "framework_version",
    sa.column("id", sa.Integer),
    sa.column("framework_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("published_at", sa.DateTime),
)
council_settings = sa.table(
    "council_settings",
    sa.column("council_id", sa.Integer),
    sa.column("framework_version_id", sa.Integer),
    sa.column("blind_scoring", sa.Boolean),
    sa.column("factual_accuracy_days", sa.Integer),
    sa.column("plan_completion_days", sa.Integer),
    sa.column("follow_up_months", sa.Integer),
    sa.column("overrating_margin", sa.Integer),
    sa.column("reminder_days", sa.Integer),
    sa.column("priority_rules", sa.JSON),
    sa.column("publish_ratings", sa.Boolean),
    sa.column("updated_at", sa.DateTime),
)


def upgrade() -> None:
    default_framework = (
        sa.select(framework_version.c.id)
        .join(framework, framework.c.id == framework_version.c.framework_id)
        .where(framework.c.slug == "cqc-saf", framework_version.c.status == "published")
        .order_by(framework_version.c.published_at.desc(), framework_version.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    without_settings = ~sa.exists().where(council_settings.c.council_id == organisation.c.id)
    op.execute(
        council_settings.insert().from_select(
            [
                "council_id",
                "framework_version_id",
                "blind_scoring",
                "factual_accuracy_days",
                "plan_completion_days",
                "follow_up_months",
                "overrating_margin",
                "reminder_days",
                "publish_ratings",
                "updated_at",
            ],
            sa.select(
                organisation.c.id,
                default_framework,
                sa.true(),
                sa.literal(14),
                sa.literal(14),
                sa.literal(6),
                sa.literal(1),
                sa.literal(7),
                sa.true(),
                sa.func.current_timestamp(),
            ).where(organisation.c.kind == "council", without_settings),
        )
    )


def downgrade() -> None:
    """The rows are valid settings whichever revision reads them: nothing to undo."""
