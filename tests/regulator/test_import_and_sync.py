"""The done-when test of the regulator import: a council's whole area (300 locations) in one go
against the fake CQC API, then a changes feed with a rating drop and a manager leaving; services,
alerts, the risk register, and that running everything again changes nothing. Both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, OrganisationKind, Role
from selfassess.db import utcnow
from selfassess.notifications.models import Notification
from selfassess.oversight.models import OPEN_END, RatingPeriod, RatingSource, ServiceRisk
from selfassess.providers.models import CareService, CouncilProvider, RegulatorRating, ServiceType
from selfassess.regulator.client import RegulatorUnavailable, open_client
from selfassess.regulator.mapping import LocationRecord, Plan
from selfassess.regulator.models import RegulatorLocation, RegulatorSyncRun
from selfassess.regulator.service import (
    apply_import,
    fetch_pending,
    import_overview,
    start_import,
    sync_regulator,
)
from selfassess.settings import Settings
from tests import factories
from tests.regulator.fake_cqc import KEY, FakeCQC, RecordedSleep, location_json

AREA_SIZE = 300
KNOWN_PROVIDER = "1-200000000"


def regulator_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"cqc_subscription_key": SecretStr(KEY), "cqc_page_size": 100, "cqc_max_retries": 3}
    )


def location_id(number: int) -> str:
    return f"1-1{number:08d}"


def fake_area() -> FakeCQC:
    """300 locations in Northbridge from 25 providers (the first one already ours), and one elsewhere."""
    fake = FakeCQC(per_page_cap=100)
    for number in range(AREA_SIZE):
        provider = KNOWN_PROVIDER if number % 25 == 0 else f"1-2{number % 25:08d}"
        name, postcode = (
            ("Rose Lane House", "NB1 4RL")
            if number == 0
            else (f"Home {number}", f"NB{number % 9 + 1} {number % 10}AB")
        )
        fake.add(
            location_json(
                location_id(number),
                provider,
                name=name,
                postcode=postcode,
                care_home=number % 4 != 3,
                nursing=number % 2 == 0,
                manager=f"Manager {number}",
            ),
            provider_name=f"Care Group {number % 25}",
        )
    fake.add(
        location_json(
            "1-999999999", "1-299999999", name="Far Away", postcode="ZZ1 1ZZ", local_authority="Elsewhere"
        )
    )
    return fake


async def count(db: AsyncSession, statement) -> int:  # type: ignore[no-untyped-def]
    return await db.scalar(select(func.count()).select_from(statement.subquery())) or 0


async def test_a_whole_area_imports_then_the_changes_feed_alerts_once(
    db: AsyncSession, settings: Settings
) -> None:
    config = regulator_settings(settings)
    council = await factories.council(db, "Northbridge Council")
    admin = await factories.user(db, council, Role.COUNCIL_ADMIN)
    officer = await factories.user(db, council, Role.OFFICER, email="officer@northbridge.test")
    known = await factories.provider(db, council, name="Brightwater Care Ltd")
    known.cqc_provider_id = KNOWN_PROVIDER
    typed_in = await factories.service(db, council, known, name="Rose Lane House", officer=officer)
    typed_in.cqc_location_id, typed_in.postcode = None, "NB1 4RL"
    await db.commit()

    fake = fake_area()
    fake.fail("/locations", 429, retry_after="7")  # the first page of the area's list: slow down
    fake.fail(f"/locations/{location_id(5)}", 500)
    sleep = RecordedSleep()

    async with open_client(config, transport=fake.transport(), sleep=sleep) as client:
        batch = await start_import(
            db, client, council_id=council.id, requested_by_id=admin.id, local_authority="Northbridge"
        )
        assert await fetch_pending(db, batch, client, limit=120) == AREA_SIZE - 120
        assert await fetch_pending(db, batch, client) == 0

    assert sleep.waits == [7.0, 1.0]  # Retry-After honoured; then the first back-off step
    assert fake.calls_to("/locations") == 4  # three pages, one of them asked twice
    overview = await import_overview(db, batch)
    assert overview.total == AREA_SIZE
    assert overview.counts == {Plan.CREATE.value: AREA_SIZE - 1, Plan.MATCH.value: 1}
    assert await count(db, select(CareService.id)) == 1, "nothing is written before it is confirmed"

    report = await apply_import(db, batch, actor=admin, settings=config)
    assert (report.created, report.matched, report.updated, report.failed) == (AREA_SIZE - 1, 1, 0, [])

    services = select(CareService).where(CareService.council_id == council.id)
    assert await count(db, services) == AREA_SIZE
    await db.refresh(typed_in)
    assert typed_in.cqc_location_id == location_id(0)
    assert typed_in.provider_id == known.id and typed_in.assigned_officer_id == officer.id
    providers = select(Organisation).where(Organisation.kind == OrganisationKind.PROVIDER)
    assert await count(db, providers) == 25
    registered = select(CouncilProvider).where(CouncilProvider.council_id == council.id)
    assert await count(db, registered) == 25
    sample = await db.scalar(select(CareService).where(CareService.cqc_location_id == location_id(2)))
    assert sample is not None
    assert (sample.name, sample.service_type, sample.capacity, sample.postcode) == (
        "Home 2",
        ServiceType.CARE_HOME_NURSING,
        30,
        "NB3 2AB",
    )
    assert (sample.regulator_rating, sample.regulator_rating_date) == (RegulatorRating.GOOD, date(2025, 3, 1))
    stored = LocationRecord.from_json((await db.get_one(RegulatorLocation, sample.id)).record)
    assert stored.registered_manager == "Manager 2"
    assert stored.key_question_ratings == {code: "good" for code in "SECRW"}
    assert await count(db, select(ServiceRisk).where(ServiceRisk.council_id == council.id)) == AREA_SIZE

    # The CQC changes two services: a rating drop at one, the registered manager leaving another.
    dropping, leaving = location_id(0), location_id(7)
    ratings = location_json(dropping, KNOWN_PROVIDER, name="x", postcode="x", rating="Requires improvement")
    ratings["currentRatings"]["overall"]["reportDate"] = "2026-11-20"
    fake.change(dropping, currentRatings=ratings["currentRatings"])
    fake.change(
        leaving,
        regulatedActivities=[{"name": "Personal care", "code": "RA1", "contacts": []}],
        registeredManagerAbsentDate="2026-11-02",
    )
    leaving_service = await db.scalar(select(CareService).where(CareService.cqc_location_id == leaving))
    assert leaving_service is not None
    leaving_service.assigned_officer_id = officer.id
    await db.commit()

    started = utcnow()
    async with open_client(config, transport=fake.transport(), sleep=sleep) as client:
        first = await sync_regulator(db, client, config, now=started)
    assert (first.changed_at_cqc, first.refreshed, first.alerts) == (2, 2, 2)

    await db.refresh(typed_in)
    assert typed_in.regulator_rating is RegulatorRating.REQUIRES_IMPROVEMENT
    assert typed_in.regulator_rating_date == date(2026, 11, 20)
    periods = select(RatingPeriod).where(
        RatingPeriod.service_id == typed_in.id, RatingPeriod.source == RatingSource.REGULATOR
    )
    in_force = {
        period.aspect: period.rating_key
        for period in await db.scalars(periods.where(RatingPeriod.valid_to == OPEN_END))
    }
    assert in_force == {"": "requires_improvement", **{code: "requires_improvement" for code in "SECRW"}}
    messages = sorted(
        await db.scalars(select(Notification.message).where(Notification.user_id == officer.id))
    )
    assert messages == [
        "Home 7: Manager 7 is no longer the registered manager; none named now.",
        "Rose Lane House moved into the very high risk band.",  # risk re-assessed at once
        "Rose Lane House: CQC rating fell from Good to Requires improvement.",
    ]
    risk = await db.get_one(ServiceRisk, typed_in.id)
    assert {
        "name": "Regulator rating fell",
        "detail": "Lower than the rating before",
        "points": 10,
    } in risk.factors

    # Run again, later: the feed still lists both, but nothing differs: nothing written, nobody told.
    notified = await count(db, select(Notification))
    updated_at = {service.id: service.updated_at for service in await db.scalars(services)}
    async with open_client(config, transport=fake.transport(), sleep=sleep) as client:
        again = await sync_regulator(db, client, config, now=started + timedelta(hours=1))
        assert again.window_start == started
        assert (again.refreshed, again.alerts) == (0, 0)
        batch_again = await start_import(
            db, client, council_id=council.id, requested_by_id=admin.id, local_authority="Northbridge"
        )
        await fetch_pending(db, batch_again, client)
    assert (await import_overview(db, batch_again)).counts == {Plan.UNCHANGED.value: AREA_SIZE}
    repeat = await apply_import(db, batch_again, actor=admin, settings=config)
    assert (repeat.created, repeat.matched, repeat.updated) == (0, 0, 0)
    assert await count(db, select(Notification)) == notified
    db.expire_all()
    assert {service.id: service.updated_at for service in await db.scalars(services)} == updated_at
    assert await count(db, services) == AREA_SIZE
    runs = list(await db.scalars(select(RegulatorSyncRun).order_by(RegulatorSyncRun.id)))
    assert [run.finished_at is not None for run in runs] == [True, True]


async def test_an_interrupted_import_carries_on_and_writes_nothing_twice(
    db: AsyncSession, settings: Settings
) -> None:
    config = regulator_settings(settings)
    council = await factories.council(db, "Northbridge Council")
    admin = await factories.user(db, council, Role.COUNCIL_ADMIN)
    fake = FakeCQC()
    for number in range(40):
        fake.add(
            location_json(
                location_id(number), f"1-2{number % 3:08d}", name=f"Home {number}", postcode="NB1 1AA"
            )
        )
    for _ in range(4):  # more 500s than retries: the fetch gives up part-way
        fake.fail(f"/locations/{location_id(30)}", 500)

    async with open_client(config, transport=fake.transport(), sleep=RecordedSleep()) as client:
        batch = await start_import(
            db,
            client,
            council_id=council.id,
            requested_by_id=admin.id,
            location_ids=[location_id(n) for n in range(40)],
        )
        with pytest.raises(RegulatorUnavailable, match="kept answering 500"):
            await fetch_pending(db, batch, client)
        assert (await import_overview(db, batch)).fetched == 30
        asked = fake.calls_to("/locations/" + location_id(0))
        assert await fetch_pending(db, batch, client) == 0
        assert fake.calls_to("/locations/" + location_id(0)) == asked, "what was fetched is not asked again"

    class Stop(Exception):
        pass

    def stop_after_25(done: int, total: int) -> None:
        if done == 25:
            raise Stop

    with pytest.raises(Stop):
        await apply_import(db, batch, actor=admin, settings=config, progress=stop_after_25)
    assert await count(db, select(CareService.id)) == 25
    assert await count(db, select(RegulatorLocation.service_id)) == 25, "each service is whole"
    report = await apply_import(db, batch, actor=admin, settings=config)
    assert report.created == 15
    assert await count(db, select(CareService.id)) == 40
    assert await count(db, select(RegulatorLocation.service_id)) == 40


async def test_a_failed_sync_is_repeated_from_the_same_moment(db: AsyncSession, settings: Settings) -> None:
    config = regulator_settings(settings)
    fake = FakeCQC()
    for _ in range(4):
        fake.fail("/changes/location", 503)
    now = datetime(2026, 11, 30, 6, 0, tzinfo=utcnow().tzinfo)
    async with open_client(config, transport=fake.transport(), sleep=RecordedSleep()) as client:
        with pytest.raises(RegulatorUnavailable):
            await sync_regulator(db, client, config, now=now)
        report = await sync_regulator(db, client, config, now=now + timedelta(hours=1))
    assert report.window_start == now - timedelta(days=1), "the failed run did not move the start on"
    failed, finished = list(await db.scalars(select(RegulatorSyncRun).order_by(RegulatorSyncRun.id)))
    assert failed.finished_at is None and "503" in (failed.problem or "")
    assert finished.finished_at is not None
