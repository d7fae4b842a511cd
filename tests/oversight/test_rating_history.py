"""The rating history is kept where ratings arrive: publishing a report, recording a regulator rating."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.oversight.models import OPEN_END, RatingPeriod, RatingSource
from selfassess.visits.models import VisitStatus
from tests.comparison.helpers import visit
from tests.factories import World
from tests.support import reload


async def _periods(db: AsyncSession, source: RatingSource) -> list[RatingPeriod]:
    await reload(db)
    return list(
        await db.scalars(
            select(RatingPeriod)
            .where(RatingPeriod.source == source)
            .order_by(RatingPeriod.id)
            .execution_options(populate_existing=True)
        )
    )


async def test_publishing_a_report_records_its_ratings(
    client, db: AsyncSession, world: World, frameworks
) -> None:
    await client.login(world.officer_a.email)
    first = await visit(
        db,
        world.alpha,
        world.officer_a,
        None,
        framework_slug="cqc-saf",
        status=VisitStatus.DRAFT_SHARED,
        score=2,
    )
    response = await client.post(f"/visits/{first.id}/publish", follow_redirects=False)
    assert response.status_code == 303, response.text
    periods = await _periods(db, RatingSource.COUNCIL)
    assert {(p.aspect, p.rating_key, p.valid_from, p.valid_to, p.visit_id) for p in periods} == {
        (aspect, "requires_improvement", date.today(), OPEN_END, first.id)
        for aspect in ("", "S", "E", "C", "R", "W")
    }
    second = await visit(
        db,
        world.alpha,
        world.officer_a,
        None,
        framework_slug="cqc-saf",
        status=VisitStatus.DRAFT_SHARED,
        score=3,
    )
    await client.post(f"/visits/{second.id}/publish")
    periods = await _periods(db, RatingSource.COUNCIL)
    overall = [p for p in periods if p.aspect == ""]
    assert [(p.rating_key, p.valid_to, p.visit_id) for p in overall] == [
        ("requires_improvement", date.today(), first.id),
        ("good", OPEN_END, second.id),
    ]


async def test_changing_the_regulator_rating_opens_a_new_period(
    client, db: AsyncSession, world: World
) -> None:
    await client.login(world.officer_a.email)
    form = {
        "name": "Alpha House",
        "service_type": "care_home",
        "provider_id": world.provider_1.id,
        "address_line1": "1 High Street",
        "town": "Northbridge",
        "postcode": "NB1 1AA",
        "capacity": "30",
        "cqc_location_id": world.alpha.cqc_location_id,
        "regulator_rating": "requires_improvement",
        "regulator_rating_date": "2025-01-31",
        "assigned_officer_id": world.officer_a.id,
    }
    assert (
        await client.post(f"/services/{world.alpha.id}/edit", form, follow_redirects=False)
    ).status_code == 303
    await client.post(
        f"/services/{world.alpha.id}/edit", {**form, "name": "Alpha House renamed"}
    )  # rating unchanged
    await client.post(
        f"/services/{world.alpha.id}/edit",
        {**form, "regulator_rating": "good", "regulator_rating_date": "2026-02-01"},
    )
    periods = await _periods(db, RatingSource.REGULATOR)
    assert [(p.rating_key, p.valid_from, p.valid_to) for p in periods] == [
        ("requires_improvement", date(2025, 1, 31), date(2026, 2, 1)),
        ("good", date(2026, 2, 1), OPEN_END),
    ]
