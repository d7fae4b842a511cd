"""The council's publication counter (`CouncilPublication`): every change to what its public pages
show from the visits goes through `published_changed`, in the transaction that makes the change."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.db import utcnow
from selfassess.visits.models import CouncilPublication


async def published_changed(db: AsyncSession, council_id: int) -> None:
    """Bump the council's version: one upsert, safe when two publications race."""
    insert = (postgresql if db.bind.dialect.name == "postgresql" else sqlite).insert
    now = utcnow()
    statement = insert(CouncilPublication).values(council_id=council_id, version=1, changed_at=now)
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[CouncilPublication.council_id],
            set_={"version": CouncilPublication.version + 1, "changed_at": now},
        )
    )
