"""How many of each council's services have a published report, kept with the council's publication
counter (`council_publication.rated_services`) and counted again whenever it is bumped, so the public
list of councils reads one row per council instead of every published visit in the country.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("council_publication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rated_services", sa.Integer(), server_default="0", nullable=False))

    from selfassess.visits.publication import recount_all

    bind = op.get_bind()
    bind.execute(recount_all(bind.dialect.name))


def downgrade() -> None:
    with op.batch_alter_table("council_publication", schema=None) as batch_op:
        batch_op.drop_column("rated_services")
