"""The quality picture over time, checked exactly against a known history of ratings."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.oversight.models import QualityQuarter, QualityQuarterSummarised, RatingPeriod, RatingSource
from selfassess.oversight.quality import Filters, Movement, QualityPicture
from selfassess.oversight.ratings import record_rating, record_regulator_rating
from selfassess.oversight.summary import counts_on, past_quarter_ends
from selfassess.oversight.trend import Quarter, as_at, quarters_to
from selfassess.providers.models import RegulatorRating, ServiceType
from selfassess.providers.schemas import ServiceForm
from selfassess.providers.service import CareServices
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.factories import World
from tests.support import text_of


def _mid(quarter: Quarter) -> date:
    return quarter.end - timedelta(days=30)


async def _history(db: AsyncSession, world: World) -> list:
    """20 services of council A (alpha and beta are two of them), with these council ratings:
    - 10 services: requires improvement from the middle of quarter 2, good from the middle of quarter 10;
    - 5 services (homecare, provider two): good from the middle of quarter 0;
    - 3 services: outstanding from the middle of quarter 5, inadequate from the middle of quarter 15;
    - 1 service: good from the very last day of quarter 7;
    - 1 service: never rated."""
    quarters = quarters_to(date.today())
    services = [world.alpha, world.beta]
    for number in range(18):
        services.append(
            await factories.service(
                db,
                world.council_a,
                world.provider_2 if 10 <= len(services) < 15 else world.provider_1,
                name=f"Home {number:02}",
                service_type=ServiceType.HOMECARE if 10 <= len(services) < 15 else ServiceType.CARE_HOME,
            )
        )

    async def rate(index: int, key: str, on: date) -> None:
        await record_rating(
            db, service_id=services[index].id, source=RatingSource.COUNCIL, rating_key=key, valid_from=on
        )

    for index in range(10):
        await rate(index, "requires_improvement", _mid(quarters[2]))
        await rate(index, "good", _mid(quarters[10]))
    for index in range(10, 15):
        await rate(index, "good", _mid(quarters[0]))
    for index in range(15, 18):
        await rate(index, "outstanding", _mid(quarters[5]))
        await rate(index, "inadequate", _mid(quarters[15]))
    await rate(18, "good", quarters[7].end)
    await db.commit()
    return services


# (rated, good) at the end of each of the 20 quarters, oldest first, from the history above.
EXPECTED = [(5, 5)] * 2 + [(15, 5)] * 3 + [(18, 8)] * 2 + [(19, 9)] * 3 + [(19, 19)] * 5 + [(19, 16)] * 5
EXPECTED_PERCENT = [100] * 2 + [33] * 3 + [44] * 2 + [47] * 3 + [100] * 5 + [84] * 5


async def test_every_quarter_share_is_exact(db: AsyncSession, world: World) -> None:
    await _history(db, world)
    picture = await QualityPicture(db, world.officer_a, date.today()).picture(Filters())
    assert picture.services == 20
    assert [(point.rated, point.good) for point in picture.council.points] == EXPECTED
    assert [point.percent for point in picture.council.points] == EXPECTED_PERCENT
    assert [point.unrated for point in picture.council.points] == [20 - rated for rated, _ in EXPECTED]
    assert [point.quarter for point in picture.council.points] == quarters_to(date.today())


async def test_filters_narrow_the_picture(db: AsyncSession, world: World) -> None:
    await _history(db, world)
    quality = QualityPicture(db, world.officer_a, date.today())
    homecare = await quality.picture(Filters(service_type=ServiceType.HOMECARE))
    # beta (one of the first ten, homecare) and the five homecare services rated good from the start
    assert homecare.services == 6
    assert [(p.rated, p.good) for p in homecare.council.points][0] == (5, 5)
    assert [(p.rated, p.good) for p in homecare.council.points][-1] == (6, 6)
    by_provider = await quality.picture(Filters(provider_id=world.provider_2.id))
    assert by_provider.services == 6  # beta and the five homecare services


async def test_headline_movements_and_lists_agree(client, db: AsyncSession, world: World) -> None:
    await _history(db, world)
    quarters = quarters_to(date.today())
    await client.login(world.officer_a.email)
    response = await client.get(f"/oversight/quality?start={quarters[7].key}&end={quarters[15].key}")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "47% → 84%" in page
    assert f"9 of 19 rated services at {as_at(quarters[7], date.today()):%-d %B %Y}" in page
    assert f"16 of 19 at {as_at(quarters[15], date.today()):%-d %B %Y}" in page
    assert "10 services improved and 3 services declined" in page

    # Every figure links to its services, and the list holds exactly that many.
    links = dict(re.findall(r'href="(/oversight/quality/services\?[^"]+)">(\d+)', response.text))
    assert links
    for link, figure in list(links.items())[:12]:
        listed = await client.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert f": {figure} service" in text_of(listed.text), link

    improved = await client.get(
        f"/oversight/quality/services?what=improved&since={as_at(quarters[7], date.today())}"
        f"&on={as_at(quarters[15], date.today())}"
    )
    assert text_of(improved.text).count("Requires improvement") == 10


async def test_regulator_line_follows_recorded_ratings(db: AsyncSession, world: World) -> None:
    quarters = quarters_to(date.today())
    world.alpha.regulator_rating, world.alpha.regulator_rating_date = RegulatorRating.GOOD, _mid(quarters[4])
    await record_regulator_rating(db, world.alpha, date.today())
    world.alpha.regulator_rating, world.alpha.regulator_rating_date = (
        RegulatorRating.REQUIRES_IMPROVEMENT,
        _mid(quarters[12]),
    )
    await record_regulator_rating(db, world.alpha, date.today())
    await record_regulator_rating(db, world.alpha, date.today())  # unchanged: nothing new
    await db.commit()
    periods = list(
        await db.scalars(select(RatingPeriod).where(RatingPeriod.source == RatingSource.REGULATOR))
    )
    assert len(periods) == 2
    picture = await QualityPicture(db, world.officer_a, date.today()).picture(Filters())
    assert picture.regulator is not None
    assert [p.good for p in picture.regulator.points] == [0] * 4 + [1] * 8 + [0] * 8
    assert [p.rated for p in picture.regulator.points] == [0] * 4 + [1] * 16


async def test_only_council_staff_of_that_council(client, db: AsyncSession, world: World) -> None:
    await _history(db, world)
    await client.login(world.officer_b.email)
    page = text_of((await client.get("/oversight/quality")).text)
    assert "0 of 0 at" in page
    listed = await client.get(f"/oversight/quality/services?what=rated&on={date.today()}")
    assert "0 services" in text_of(listed.text)
    await client.logout()
    await client.login(world.manager_1.email)
    assert (await client.get("/oversight/quality")).status_code == 403


async def test_bad_filters_are_explained_not_errors(client, db: AsyncSession, world: World) -> None:
    await client.login(world.officer_a.email)
    response = await client.get(
        "/oversight/quality?service_type=castle&provider_id=99999&town=Nowhere&key_question=zz&start=1999Q9"
    )
    assert response.status_code == 200
    page = text_of(response.text)
    for message in (
        "Choose a service type",
        "Choose a provider",
        "Choose a town",
        "Choose a key question",
        "Choose the first quarter",
    ):
        assert message in page
    listed = await client.get("/oversight/quality/services?what=nonsense&on=yesterday&source=moon")
    assert listed.status_code == 200
    assert "must be a date" in text_of(listed.text)


async def test_the_two_figures_of_one_day_equal_their_lists(db: AsyncSession, world: World) -> None:
    """The home page's one-query figures count exactly the services covered and those the RATED and
    GOOD lists hold."""
    await _history(db, world)
    quality = QualityPicture(db, world.officer_a, date.today())
    for quarter in quarters_to(date.today())[::4]:
        on = as_at(quarter, date.today())
        arguments = {"filters": Filters(), "source": RatingSource.COUNCIL, "on": on}
        expected = (
            await quality.services_covered(Filters()),
            await quality.count("rated", **arguments),
            await quality.count("good", **arguments),
        )
        counted = (await db.execute(quality.figures_counted(Filters(), RatingSource.COUNCIL, on))).one()
        assert tuple(counted) == expected, quarter


async def test_the_summary_equals_the_counts_from_scratch(db: AsyncSession, world: World) -> None:
    """Past quarters come from the per-quarter summary: after ratings recorded with earlier starts,
    a rating ended, and a service moved to another town and type, the stored summary is exactly
    what the ratings give, and the picture is the same read from it or from the ratings."""
    quarters = quarters_to(date.today())
    services = await _history(db, world)
    await record_rating(
        db,
        service_id=services[3].id,
        source=RatingSource.REGULATOR,
        rating_key="good",
        valid_from=_mid(quarters[4]),
    )
    await record_rating(
        db,
        service_id=services[12].id,
        source=RatingSource.COUNCIL,
        rating_key=None,
        valid_from=_mid(quarters[12]),
    )
    moved = services[16]
    form = ServiceForm(
        name=moved.name,
        service_type=ServiceType.SUPPORTED_LIVING,
        provider_id=moved.provider_id,
        address_line1=moved.address_line1,
        town="Elsewhere",
        postcode=moved.postcode,
    )
    await CareServices(db, world.officer_a).update(moved, form)
    ends = past_quarter_ends(date.today())
    summary = QualityQuarter
    stored = await db.execute(
        select(
            summary.council_id,
            summary.aspect,
            summary.quarter_end,
            summary.source,
            summary.service_type,
            summary.town,
            summary.rated,
            summary.good,
        ).where(summary.council_id == world.council_a.id)
    )
    scratch = await db.execute(counts_on(ends, world.council_a.id))
    stored_rows = sorted(tuple(row) for row in stored)
    assert stored_rows == sorted(tuple(row) for row in scratch)
    assert {row[4] for row in stored_rows} >= {"supported_living", "care_home", "homecare"}

    quality = QualityPicture(db, world.officer_a, date.today())
    choices = (Filters(), Filters(town="Elsewhere"), Filters(service_type=ServiceType.HOMECARE))
    from_summary = [await quality.picture(filters) for filters in choices]
    await db.execute(delete(QualityQuarterSummarised))  # every quarter counted from the ratings
    assert [await quality.picture(filters) for filters in choices] == from_summary
    await db.rollback()


@pytest.mark.usefixtures("frameworks")
async def test_statements_scored_below_good_count_the_services_their_lists_hold(
    client, db: AsyncSession, world: World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    """The table of statements most often scored below good: counted by statement and score, each
    figure is the length of the list it links to, and a statement scored good is not in it."""
    await published_visit(db, world, settings, self_scores={}, officer_scores={"S1": 1, "S2": 2, "S3": 1})
    await client.login(world.officer_a.email)
    response = await client.get("/oversight/quality")
    cell = r'<span class="muted small">(\w+)</span></td>\s*<td class="num"><a href="([^"]+)">(\d+)'
    rows = re.findall(cell, response.text)
    assert sorted(code for code, _, _ in rows) == ["S1", "S2", "S3"]
    for code, link, figure in rows:
        assert figure == "1"
        listed = text_of((await client.get(link.replace("&amp;", "&"))).text)
        assert ": 1 service" in listed and "Alpha House" in listed, code


async def test_movement_equals_the_ratings_compared_from_scratch(db: AsyncSession, world: World) -> None:
    """Improved and declined read only the ratings replaced between the two days: for every pair of
    days (changes falling on either day, two changes in between, a rating ended, a first rating, a
    regulator change beside), the figures and their lists equal the ratings in force compared one
    service at a time."""
    start = date(2024, 1, 1)
    day = [start + timedelta(days=10 * number) for number in range(13)]
    histories = [
        [("requires_improvement", day[0]), ("good", day[10])],
        [("good", day[0]), ("requires_improvement", day[5]), ("good", day[8])],
        [("good", day[0]), (None, day[6])],
        [("outstanding", day[4])],
        [("inadequate", day[0]), ("requires_improvement", day[3]), ("good", day[7])],
        [("outstanding", day[2]), ("inadequate", day[3])],
    ]
    for number, history in enumerate(histories):
        service = await factories.service(db, world.council_a, world.provider_1, name=f"Moving {number}")
        for key, valid_from in history:
            await record_rating(
                db, service_id=service.id, source=RatingSource.COUNCIL, rating_key=key, valid_from=valid_from
            )
        await record_rating(
            db, service_id=service.id, source=RatingSource.REGULATOR, rating_key="good", valid_from=day[1]
        )
        await record_rating(
            db,
            service_id=service.id,
            source=RatingSource.REGULATOR,
            rating_key="inadequate",
            valid_from=day[9],
        )
    await db.commit()
    periods = (
        await db.execute(
            select(
                RatingPeriod.service_id, RatingPeriod.rank, RatingPeriod.valid_from, RatingPeriod.valid_to
            ).where(
                RatingPeriod.council_id == world.council_a.id,
                RatingPeriod.source == RatingSource.COUNCIL,
                RatingPeriod.aspect == "",
            )
        )
    ).all()

    def ranks_on(on: date) -> dict[int, int]:
        return {service: rank for service, rank, begins, ends in periods if begins <= on < ends}

    quality = QualityPicture(db, world.officer_a, date.today())
    days = [start - timedelta(days=1), *day, day[-1] + timedelta(days=5)]
    for since in days:
        for on in (later for later in days if later > since):
            then, now = ranks_on(since), ranks_on(on)
            both = now.keys() & then.keys()
            improved = sum(now[service] > then[service] for service in both)
            declined = sum(now[service] < then[service] for service in both)
            movement = await quality.movement(Filters(), RatingSource.COUNCIL, since, on)
            assert (movement.improved, movement.declined) == (improved, declined), (since, on)
            arguments = {"filters": Filters(), "source": RatingSource.COUNCIL, "on": on, "since": since}
            listed = (
                await quality.count("improved", **arguments),
                await quality.count("declined", **arguments),
            )
            assert listed == (improved, declined), (since, on)
    assert await quality.movement(Filters(), RatingSource.COUNCIL, day[2], day[5]) == Movement(1, 2)
