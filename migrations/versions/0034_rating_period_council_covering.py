"""The council index of rating periods carries the columns the quality picture reads (source, start,
service, rank, good or better, report): its counts, its improved/declined movement and the home
page's market figures are read from the index alone instead of a heap page per rating, and the
movement's earlier ratings become one range of the index instead of a probe per service.
PostgreSQL only: SQLite has no included columns, and keeps the plain index.

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-30 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["council_id", "aspect", "valid_to"]
COVERED = ["source", "valid_from", "service_id", "rank", "good_or_better", "visit_id"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_rating_period_council", table_name="rating_period")
    op.create_index("ix_rating_period_council", "rating_period", KEYS, postgresql_include=COVERED)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_rating_period_council", table_name="rating_period")
    op.create_index("ix_rating_period_council", "rating_period", KEYS)
