"""The council's publication counter (`CouncilPublication`): every change to what its public pages
show from the visits goes through `published_changed`, in the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.db import utcnow
from selfassess.providers.models import CareService
from selfassess.visits.models import CouncilPublication, Visit, VisitStatus


def rated_services(council_id: Any) -> Any:
    """How many of the council's services have a published report (``council_id`` may be a column)."""
    return (
        select(func.count(func.distinct(Visit.service_id)))
        .join(CareService, CareService.id == Visit.service_id)
        .where(CareService.council_id == council_id, Visit.status == VisitStatus.PUBLISHED)
        .scalar_subquery()
    )


async def published_changed(db: AsyncSession, council_id: int) -> None:
    """Bump the council's version and count its rated services again: one upsert, safe when two
    publications race."""
    insert = (postgresql if db.bind.dialect.name == "postgresql" else sqlite).insert
    now = utcnow()
    statement = insert(CouncilPublication).values(
        council_id=council_id, version=1, changed_at=now, rated_services=rated_services(council_id)
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[CouncilPublication.council_id],
            set_={
                "version": CouncilPublication.version + 1,
                "changed_at": now,
                "rated_services": statement.excluded.rated_services,
            },
        )
    )


def recount_all(dialect_name: str) -> Any:
    """Every council's rated services counted again, a row made for a council with published reports
    and none yet: for the migration that added the count and for data loaded in bulk."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert
    changed_at = CouncilPublication.__table__.c.changed_at  # type: ignore[attr-defined]
    counts = (
        select(
            CareService.council_id,
            literal(1),
            literal(utcnow(), type_=changed_at.type),
            func.count(func.distinct(Visit.service_id)),
        )
        .join(Visit, Visit.service_id == CareService.id)
        .where(Visit.status == VisitStatus.PUBLISHED)
        .group_by(CareService.council_id)
    )
    statement = insert(CouncilPublication).from_select(
        ["council_id", "version", "changed_at", "rated_services"], counts
    )
    return statement.on_conflict_do_update(
        index_elements=[CouncilPublication.council_id],
        set_={"rated_services": statement.excluded.rated_services},
    )
