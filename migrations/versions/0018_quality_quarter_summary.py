"""The quality picture's per-quarter summary (quality_quarter), filled for every council's past
quarters of the five-year window; indexes for the audit log's pages (newest first, per organisation,
actor and subject) and one covering visit scores for the statements most often scored below good.

Revision ID: 0018
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

from selfassess import clock

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUARTERS_SHOWN = 20  # as oversight/trend.py, at the time of writing


def _past_quarter_ends(today: date) -> list[date]:
    """The last days of the window's quarters that are over (a copy: migrations do not import the app)."""
    year, number = today.year, (today.month - 1) // 3 + 1
    ends = []
    for _ in range(QUARTERS_SHOWN):
        end = date(year, 12, 31) if number == 4 else date(year, 3 * number + 1, 1) - timedelta(days=1)
        if end < today:
            ends.append(end)
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return sorted(ends)


BACKFILL = """
INSERT INTO quality_quarter (council_id, aspect, quarter_end, source, service_type, town, rated, good)
SELECT rp.council_id, rp.aspect, :end, rp.source, cs.service_type, cs.town, count(rp.id),
       count(CASE WHEN rp.good_or_better THEN 1 END)
FROM rating_period rp JOIN care_service cs ON cs.id = rp.service_id
WHERE cs.council_id = rp.council_id AND cs.is_active AND rp.valid_from <= :end AND rp.valid_to > :end
GROUP BY rp.council_id, rp.aspect, rp.source, cs.service_type, cs.town
"""
MARK = """
INSERT INTO quality_quarter_summarised (council_id, quarter_end)
SELECT id, :end FROM organisation WHERE kind = 'council'
"""


def upgrade() -> None:
    op.create_table(
        "quality_quarter",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("aspect", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("quarter_end", sa.Date(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("service_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_quality_quarter_council_id_organisation")
        ),
        sa.PrimaryKeyConstraint(
            "council_id",
            "aspect",
            "quarter_end",
            "source",
            "service_type",
            "town",
            name=op.f("pk_quality_quarter"),
        ),
    )
    op.create_table(
        "quality_quarter_summarised",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("quarter_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["organisation.id"],
            name=op.f("fk_quality_quarter_summarised_council_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("council_id", "quarter_end", name=op.f("pk_quality_quarter_summarised")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_organisation_time", ["organisation_id", "occurred_at", "id"])
        batch_op.create_index("ix_audit_event_actor_time", ["actor_id", "organisation_id", "occurred_at"])
        batch_op.create_index("ix_audit_event_subject_time", ["subject", "actor_id", "occurred_at"])
    with op.batch_alter_table("visit_score", schema=None) as batch_op:
        batch_op.create_index("ix_visit_score_visit_score", ["visit_id", "score", "statement_id"])
    connection = op.get_bind()
    for end in _past_quarter_ends(clock.today()):
        connection.execute(sa.text(BACKFILL).bindparams(sa.bindparam("end", end, type_=sa.Date())))
        connection.execute(sa.text(MARK).bindparams(sa.bindparam("end", end, type_=sa.Date())))


def downgrade() -> None:
    with op.batch_alter_table("visit_score", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_score_visit_score")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_subject_time")
        batch_op.drop_index("ix_audit_event_actor_time")
        batch_op.drop_index("ix_audit_event_organisation_time")
    op.drop_table("quality_quarter_summarised")
    op.drop_table("quality_quarter")
