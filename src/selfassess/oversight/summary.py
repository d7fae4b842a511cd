"""The quality picture's per-quarter summary (``quality_quarter``): each council's rated and
good-or-better counts at the end of each past quarter of the picture's window, by source, aspect,
service type and town.

A past quarter's counts change only when a rating is recorded with a start before that quarter
ended (a regulator rating entered with an earlier date) or when a service's type, town or council
changes. ``record_rating`` and the service form call ``summarise`` for exactly those quarters in the
same transaction, the daily job summarises a quarter once it is over, and a quarter not summarised
yet is counted from the ratings themselves, so the picture is never wrong, only slower.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, case, delete, func, insert, literal, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Organisation, OrganisationKind
from selfassess.oversight.models import QualityQuarter, QualityQuarterSummarised, RatingPeriod
from selfassess.oversight.trend import quarters_to
from selfassess.providers.hooks import service_regrouped
from selfassess.providers.models import CareService


def past_quarter_ends(today: date) -> list[date]:
    """The last days of the picture's quarters that are over (the one under way is counted live)."""
    return [quarter.end for quarter in quarters_to(today) if quarter.end < today]


def counts_on(days: list[date], council_id: int | None = None):  # type: ignore[no-untyped-def]
    """The summary rows of these days, straight from the ratings in force on each: the from-scratch
    computation that the stored summary must always equal. One statement for all the days."""
    day = union_all(*(select(literal(on, Date).label("on")) for on in days)).subquery("day")
    statement = (
        select(
            RatingPeriod.council_id,
            RatingPeriod.aspect,
            day.c.on,
            RatingPeriod.source,
            CareService.service_type,
            CareService.town,
            func.count(RatingPeriod.id),
            func.count(case((RatingPeriod.good_or_better.is_(True), 1))),
        )
        .select_from(RatingPeriod)
        .join(CareService, CareService.id == RatingPeriod.service_id)
        .join(day, and_(RatingPeriod.valid_from <= day.c.on, RatingPeriod.valid_to > day.c.on))
        .where(CareService.council_id == RatingPeriod.council_id, CareService.is_active.is_(True))
        .group_by(
            RatingPeriod.council_id,
            RatingPeriod.aspect,
            day.c.on,
            RatingPeriod.source,
            CareService.service_type,
            CareService.town,
        )
    )
    if council_id is not None:
        statement = statement.where(RatingPeriod.council_id == council_id)
    return statement


async def summarise(db: AsyncSession, council_id: int | None, quarter_ends: list[date]) -> None:
    """Write the summary of these quarters again for one council (None: every council): four
    statements, whatever the number of quarters."""
    if not quarter_ends:
        return
    council = [] if council_id is None else [QualityQuarter.council_id == council_id]
    marked = [] if council_id is None else [QualityQuarterSummarised.council_id == council_id]
    await db.execute(delete(QualityQuarter).where(QualityQuarter.quarter_end.in_(quarter_ends), *council))
    await db.execute(
        delete(QualityQuarterSummarised).where(
            QualityQuarterSummarised.quarter_end.in_(quarter_ends), *marked
        )
    )
    columns = ["council_id", "aspect", "quarter_end", "source", "service_type", "town", "rated", "good"]
    await db.execute(insert(QualityQuarter).from_select(columns, counts_on(quarter_ends, council_id)))
    day = union_all(*(select(literal(end, Date).label("on")) for end in quarter_ends)).subquery("day")
    councils = (
        select(Organisation.id, day.c.on)
        .join(day, true())
        .where(Organisation.kind == OrganisationKind.COUNCIL)
    )
    if council_id is not None:
        councils = councils.where(Organisation.id == council_id)
    await db.execute(insert(QualityQuarterSummarised).from_select(["council_id", "quarter_end"], councils))


async def summarise_since(db: AsyncSession, council_id: int, since: date, today: date) -> None:
    """A rating that starts (or ends another) on ``since``: the past quarters ending on or after it."""
    await summarise(db, council_id, [end for end in past_quarter_ends(today) if end >= since])


async def summarise_missing(db: AsyncSession, today: date) -> int:
    """The daily job: every council's past quarters of the window that are not summarised yet (the
    quarter just over). Returns how many quarters were written."""
    done = set(
        await db.scalars(
            select(QualityQuarterSummarised.quarter_end).where(
                QualityQuarterSummarised.quarter_end.in_(past_quarter_ends(today))
            )
        )
    )
    missing = [end for end in past_quarter_ends(today) if end not in done]
    await summarise(db, None, missing)
    return len(missing)


@service_regrouped.subscribe
async def _count_the_moved_service_again(db: AsyncSession, service: CareService) -> None:
    """Past quarters are counted by type and town: a service that moved counts under its new ones."""
    await summarise(db, service.council_id, past_quarter_ends(clock.today()))
