"""Keeping the rating history: when a council rating is published or a service's regulator rating
is saved, in the same transaction (through the visits' and providers' hooks), so the quality
picture over time never has to be rebuilt."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.oversight.models import OPEN_END, OVERALL, RatingPeriod, RatingSource
from selfassess.oversight.summary import summarise_since
from selfassess.oversight.trend import is_good_or_better, is_rating, rank_of
from selfassess.providers.hooks import service_saved
from selfassess.providers.models import CareService
from selfassess.visits.hooks import visit_published
from selfassess.visits.models import Visit


async def record_rating(
    db: AsyncSession,
    *,
    service_id: int,
    source: RatingSource,
    rating_key: str | None,
    valid_from: date,
    aspect: str = OVERALL,
    visit_id: int | None = None,
) -> None:
    """The new rating replaces the one in force from ``valid_from``; a rating of None (or 'not yet
    rated') only ends the one in force. A start before today changes past quarters' counts: their
    summary is written again here, in the same transaction."""
    await db.execute(
        update(RatingPeriod)
        .where(
            RatingPeriod.service_id == service_id,
            RatingPeriod.source == source,
            RatingPeriod.aspect == aspect,
            RatingPeriod.valid_to == OPEN_END,
        )
        .values(valid_to=valid_from)
        .execution_options(synchronize_session=False)
    )
    council_id = await db.scalar(select(CareService.council_id).where(CareService.id == service_id))
    assert council_id is not None
    if rating_key is not None and is_rating(rating_key):
        db.add(
            RatingPeriod(
                service_id=service_id,
                council_id=council_id,
                source=source,
                aspect=aspect,
                rating_key=rating_key,
                rank=rank_of(rating_key),
                good_or_better=is_good_or_better(rating_key),
                valid_from=valid_from,
                visit_id=visit_id,
            )
        )
    await db.flush()
    await summarise_since(db, council_id, valid_from, clock.today())


async def record_aspect_ratings(
    db: AsyncSession,
    *,
    service_id: int,
    council_id: int,
    source: RatingSource,
    ratings: dict[str, str | None],
    valid_from: date,
) -> None:
    """Several aspects' new ratings at once (the regulator's overall and key question ratings), as
    ``record_rating`` records one, in three statements at most: an aspect whose rating in force is
    the same stays as it is; none starts earlier than the period it ends."""
    in_force = (
        RatingPeriod.service_id == service_id,
        RatingPeriod.source == source,
        RatingPeriod.valid_to == OPEN_END,
    )
    current = {
        aspect: (key, since)
        for aspect, key, since in await db.execute(
            select(RatingPeriod.aspect, RatingPeriod.rating_key, RatingPeriod.valid_from).where(
                *in_force, RatingPeriod.aspect.in_(list(ratings))
            )
        )
    }
    wanted = {aspect: key if key is not None and is_rating(key) else None for aspect, key in ratings.items()}
    changed = {aspect: key for aspect, key in wanted.items() if current.get(aspect, (None,))[0] != key}
    if not changed:
        return
    ending = [aspect for aspect in changed if aspect in current]
    valid_from = max([valid_from, *(current[aspect][1] for aspect in ending)])
    if ending:
        await db.execute(
            update(RatingPeriod)
            .where(*in_force, RatingPeriod.aspect.in_(ending))
            .values(valid_to=valid_from)
            .execution_options(synchronize_session=False)
        )
    rows = [
        {
            "service_id": service_id,
            "council_id": council_id,
            "source": source,
            "aspect": aspect,
            "rating_key": key,
            "rank": rank_of(key),
            "good_or_better": is_good_or_better(key),
            "valid_from": valid_from,
            "valid_to": OPEN_END,
        }
        for aspect, key in sorted(changed.items())
        if key is not None
    ]
    if rows:
        await db.execute(insert(RatingPeriod), rows)


async def record_council_rating(db: AsyncSession, visit: Visit) -> None:
    """A published visit's overall and key question ratings, in force from the day of publication."""
    assert visit.published_at is not None
    on = visit.published_at.date()
    await record_rating(
        db,
        service_id=visit.service_id,
        source=RatingSource.COUNCIL,
        rating_key=visit.rating_key,
        valid_from=on,
        visit_id=visit.id,
    )
    for question in visit.key_question_ratings or []:
        await record_rating(
            db,
            service_id=visit.service_id,
            source=RatingSource.COUNCIL,
            aspect=str(question["code"]),
            rating_key=question["key"] if isinstance(question.get("key"), str) else None,
            valid_from=on,
            visit_id=visit.id,
        )


async def record_regulator_rating(db: AsyncSession, service: CareService, today: date) -> None:
    """Open a new regulator period when the service's stored regulator rating (or its date) differs
    from the one in force; nothing when it is unchanged."""
    current = await db.scalar(
        select(RatingPeriod).where(
            RatingPeriod.service_id == service.id,
            RatingPeriod.source == RatingSource.REGULATOR,
            RatingPeriod.aspect == OVERALL,
            RatingPeriod.valid_to == OPEN_END,
        )
    )
    key = service.regulator_rating.value if is_rating(service.regulator_rating.value) else None
    valid_from = service.regulator_rating_date or today
    if current is not None and current.rating_key == key and current.valid_from == valid_from:
        return
    if current is None and key is None:
        return
    if current is not None:
        valid_from = max(valid_from, current.valid_from)  # a history only moves forward
    assert service.id is not None
    await record_rating(
        db, service_id=service.id, source=RatingSource.REGULATOR, rating_key=key, valid_from=valid_from
    )


visit_published.subscribe(record_council_rating)


@service_saved.subscribe
async def _record_regulator_rating_today(db: AsyncSession, service: CareService) -> None:
    await record_regulator_rating(db, service, clock.today())
