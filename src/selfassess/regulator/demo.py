"""The regulator's part of the demo, without calling the CQC: each service with a CQC location ID
carries the regulator's record as an import would have stored it (matching what the service shows),
and last night's sync found that Eastmoor Lodge's registered manager had left, which its officer
was told about. No key is needed to look at it; importing for real needs one."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.db import utcnow
from selfassess.oversight.models import RatingSource
from selfassess.oversight.ratings import record_aspect_ratings
from selfassess.regulator.mapping import KEY_QUESTION_CODES, LocationRecord
from selfassess.regulator.models import RegulatorLocation, RegulatorSyncRun
from selfassess.regulator.service import refresh_service
from selfassess.settings import Settings

REGISTERED_MANAGERS = {
    "rose_lane": "Rose Adeyemi",
    "brightwater_home": "Grace Mensah",
    "hollybank": "Helen Okafor",
    "meadow": "Marcus Hale",
    "eastmoor_lodge": "Daniel Price",
}
# One key question differs from the overall rating, as is common.
KEY_QUESTION_EXCEPTIONS = {"rose_lane": {"W": "requires_improvement"}, "meadow": {"S": "good"}}


def _record(key: str, service, provider_cqc_id: str, local_authority: str) -> LocationRecord:  # type: ignore[no-untyped-def]
    rating = service.regulator_rating.value
    rated = rating != "not_rated"
    questions = {code: rating for code in KEY_QUESTION_CODES.values()} if rated else {}
    questions.update(KEY_QUESTION_EXCEPTIONS.get(key, {}))
    care_home = service.service_type.value.startswith("care_home")
    return LocationRecord(
        location_id=service.cqc_location_id,
        provider_id=provider_cqc_id,
        name=service.name,
        regulator_type="Social Care Org",
        care_home=care_home,
        service_type=service.service_type.value,
        number_of_beds=service.capacity if care_home else None,
        address_line1=service.address_line1,
        address_line2=service.address_line2,
        town=service.town,
        county="Northshire",
        postcode=service.postcode,
        region="North West",
        local_authority=local_authority,
        registration_status="Registered",
        rating=rating,
        rating_date=service.regulator_rating_date,
        key_question_ratings=questions,
        last_inspection_on=service.regulator_rating_date - timedelta(days=45) if rated else None,
        registered_manager=REGISTERED_MANAGERS.get(key),
    )


async def add_demo_regulator(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Eastmoor Lodge's change goes through the sync's own step (``refresh_service``) with the clock
    at last night's run, so the record, the audit trail and the officer's alert bear its time."""
    today = clock.today()
    last_night = datetime.combine(today, time(2, 0), tzinfo=utcnow().tzinfo)
    if last_night > utcnow():  # before 02:00: last night's run was yesterday's
        last_night -= timedelta(days=1)
    councils = {council.id: council.name.removesuffix(" Council") for council in demo.councils.values()}
    providers = {provider.id: provider.cqc_provider_id for provider in demo.providers.values()}
    for key, service in demo.services.items():
        if not service.cqc_location_id:
            continue
        record = _record(key, service, providers[service.provider_id], councils[service.council_id])
        stored = RegulatorLocation(service_id=service.id, record=record.as_json(), fetched_at=last_night)
        db.add(stored)
        if record.key_question_ratings and service.regulator_rating_date:
            await record_aspect_ratings(
                db,
                service_id=service.id,
                council_id=service.council_id,
                source=RatingSource.REGULATOR,
                ratings=dict(record.key_question_ratings),
                valid_from=service.regulator_rating_date,
            )
        if key == "eastmoor_lodge":  # found by last night's sync: the manager has gone
            stored.fetched_at = last_night - timedelta(days=1)
            await db.flush()
            gone = dataclasses.replace(
                record, registered_manager=None, registered_manager_absent_since=today - timedelta(days=9)
            )
            with clock.standing_at(last_night):
                await refresh_service(db, service, stored, gone, settings=settings, today=clock.today())
    for day in (2, 1):  # the two latest nightly runs
        end = last_night - timedelta(days=day - 1)
        db.add(
            RegulatorSyncRun(
                window_start=end - timedelta(days=1),
                window_end=end,
                started_at=end,
                finished_at=end + timedelta(seconds=40),
                changed_at_cqc=212 if day == 1 else 187,
                refreshed=1 if day == 1 else 0,
                alerts=1 if day == 1 else 0,
            )
        )
    await db.commit()
