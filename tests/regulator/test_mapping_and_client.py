"""The pure mapping from CQC answers to our fields and alerts, and the client's retries and messages
against the fake API (no database)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import httpx
import pytest
from pydantic import SecretStr

from selfassess.regulator.client import (
    KeyProblem,
    LocationNotFound,
    RegulatorUnavailable,
    open_client,
    retry_delay,
)
from selfassess.regulator.mapping import (
    AlertKind,
    Held,
    MappingProblem,
    Plan,
    alerts_for,
    map_location,
    plan_for,
    service_type_for,
)
from selfassess.settings import Settings
from tests.regulator.fake_cqc import KEY, FakeCQC, RecordedSleep, location_json

CONFIG = Settings(
    _env_file=None,
    cqc_subscription_key=SecretStr(KEY),
    cqc_max_retries=2,
    cqc_backoff_seconds=0.5,
    cqc_max_backoff_seconds=30,
)


def test_a_location_maps_to_our_fields() -> None:
    body = location_json("1-123", "1-456", name="  Rose   Lane House ", postcode="nb1 4rl", nursing=True)
    body["postalAddressLine2"] = "Upper Town"
    body["registeredManagerAbsentDate"] = "2026-01-05"
    record = map_location(body)
    assert (record.location_id, record.provider_id, record.name) == ("1-123", "1-456", "Rose Lane House")
    assert (record.regulator_type, record.care_home, record.service_type) == (
        "Social Care Org",
        True,
        "care_home_nursing",
    )
    assert (record.address_line1, record.address_line2, record.town, record.county, record.postcode) == (
        "123 Mill Road",
        "Upper Town",
        "Northbridge",
        "Northshire",
        "NB1 4RL",
    )
    assert (record.region, record.local_authority, record.registration_status) == (
        "North West",
        "Northbridge",
        "Registered",
    )
    assert (record.rating, record.rating_date, record.last_inspection_on) == (
        "good",
        date(2025, 3, 1),
        date(2025, 2, 10),
    )
    assert record.key_question_ratings == {"S": "good", "E": "good", "C": "good", "R": "good", "W": "good"}
    assert (record.number_of_beds, record.registered_manager) == (30, "Jane Smith")
    assert record.registered_manager_absent_since == date(2026, 1, 5)
    assert type(record).from_json(record.as_json()) == record


def test_unrated_and_incomplete_answers() -> None:
    record = map_location(
        location_json("1-1", "1-2", name="New", postcode="NB1 1AA", rating=None, manager=None)
    )
    assert (record.rating, record.rating_date, record.key_question_ratings) == ("not_rated", None, {})
    assert record.registered_manager is None
    homecare = location_json("1-1", "1-2", name="At Home", postcode="NB1 1AA", care_home=False, beds=0)
    assert (map_location(homecare).service_type, map_location(homecare).number_of_beds) == ("homecare", None)
    body = location_json("1-1", "1-2", name="x", postcode="x")
    body["currentRatings"]["overall"]["rating"] = "Insufficient evidence to rate"
    assert map_location(body).rating == "not_rated"
    with pytest.raises(MappingProblem):
        map_location({"locationId": "1-1", "name": "No provider"})


@pytest.mark.parametrize(
    ("care_home", "types", "expected"),
    [
        (True, ["Nursing homes"], "care_home_nursing"),
        (True, ["Residential homes"], "care_home"),
        (False, ["Homecare agencies", "Domiciliary care service"], "homecare"),
        (False, ["Supported living service"], "supported_living"),
        (False, ["Hospice services"], "other"),
    ],
)
def test_service_types(care_home: bool, types: list[str], expected: str) -> None:
    assert service_type_for(care_home, types) == expected


def test_what_the_officer_is_told() -> None:
    before = map_location(location_json("1-1", "1-2", name="Home", postcode="NB1 1AA", manager="Ann Lee"))
    assert alerts_for(before, before) == []
    assert alerts_for(None, before) == []
    lower = dataclasses.replace(before, rating="inadequate")
    assert [alert.kind for alert in alerts_for(before, lower)] == [AlertKind.RATING_DROPPED]
    assert alerts_for(lower, before) == [], "a rating that rises is no alert"
    gone = dataclasses.replace(before, registered_manager=None)
    (alert,) = alerts_for(before, gone)
    assert alert.kind is AlertKind.MANAGER_LEFT and alert.message.startswith("Ann Lee is no longer")
    absent = dataclasses.replace(before, registered_manager_absent_since=date(2026, 11, 2))
    assert [alert.message for alert in alerts_for(before, absent)] == [
        "The CQC reports no registered manager since 2 November 2026."
    ]
    ended = dataclasses.replace(before, registration_status="Deregistered")
    assert [alert.kind for alert in alerts_for(before, ended)] == [AlertKind.REGISTRATION_ENDED]


def test_the_preview_plan() -> None:
    record = map_location(location_json("1-1", "1-2", name="Home", postcode="NB1 1AA"))
    assert plan_for(record, council_id=1, by_location=None, by_name=None)[0] is Plan.CREATE
    assert plan_for(record, council_id=1, by_location=None, by_name=Held(5, 1, None))[0] is Plan.MATCH
    assert plan_for(record, council_id=1, by_location=Held(5, 2, record), by_name=None)[0] is Plan.ELSEWHERE
    assert plan_for(record, council_id=1, by_location=Held(5, 1, record), by_name=None)[0] is Plan.UNCHANGED
    gone = dataclasses.replace(record, registration_status="Deregistered")
    assert plan_for(gone, council_id=1, by_location=None, by_name=None)[0] is Plan.NOT_REGISTERED
    assert plan_for(gone, council_id=1, by_location=Held(5, 1, record), by_name=None)[0] is Plan.UPDATE
    renamed = dataclasses.replace(record, name="Home (old name)")
    plan, detail = plan_for(record, council_id=1, by_location=Held(5, 1, renamed), by_name=None)
    assert (plan, detail) == (Plan.UPDATE, "Changes: name.")


def test_retry_delays() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert [retry_delay(attempt, None, base=1, cap=10, now=now) for attempt in (1, 2, 3, 4, 5)] == [
        1,
        2,
        4,
        8,
        10,
    ]
    assert retry_delay(1, "7", base=1, cap=60, now=now) == 7
    assert retry_delay(1, "Mon, 30 Nov 2026 09:00:20 GMT", base=1, cap=60, now=now) == 20
    assert retry_delay(1, "3600", base=1, cap=60, now=now) == 60
    assert retry_delay(2, "soon", base=1, cap=60, now=now) == 2


async def test_the_client_retries_429_and_5xx_then_gives_up_with_a_message() -> None:
    fake = FakeCQC()
    fake.add(location_json("1-1", "1-2", name="Home", postcode="NB1 1AA"))
    fake.fail("/locations/1-1", 429, retry_after="3")
    fake.fail("/locations/1-1", 502)
    sleep = RecordedSleep()
    async with open_client(CONFIG, transport=fake.transport(), sleep=sleep) as client:
        assert (await client.location("1-1"))["name"] == "Home"
        assert sleep.waits == [3.0, 1.0]
        for _ in range(3):
            fake.fail("/locations/1-1", 500)
        with pytest.raises(RegulatorUnavailable, match="kept answering 500 after 3 tries"):
            await client.location("1-1")
        with pytest.raises(LocationNotFound, match="no record at /locations/1-404"):
            await client.location("1-404")
    assert all(request.headers["Ocp-Apim-Subscription-Key"] == KEY for request in fake.requests)


async def test_timeouts_are_retried() -> None:
    calls = []

    def slow_then_fine(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("too slow", request=request)
        return httpx.Response(200, json={"providerId": "1-2", "name": "Care Group"})

    async with open_client(
        CONFIG, transport=httpx.MockTransport(slow_then_fine), sleep=RecordedSleep()
    ) as client:
        assert (await client.provider("1-2"))["name"] == "Care Group"
    assert len(calls) == 2


async def test_a_missing_or_wrong_key_is_said_plainly() -> None:
    with pytest.raises(KeyProblem, match="No CQC subscription key is set.*SELFASSESS_CQC_SUBSCRIPTION_KEY"):
        async with open_client(CONFIG.model_copy(update={"cqc_subscription_key": None})):
            pass
    fake = FakeCQC()
    fake.key = "another key"
    async with open_client(CONFIG, transport=fake.transport(), sleep=RecordedSleep()) as client:
        with pytest.raises(KeyProblem, match=r"refused the subscription key \(401\)"):
            await client.location("1-1")
    assert len(fake.requests) == 1, "a refused key is not retried"


async def test_lists_and_the_changes_feed_are_read_page_by_page() -> None:
    fake = FakeCQC(per_page_cap=2)
    for number in range(5):
        fake.add(location_json(f"1-{number}", "1-9", name=f"Home {number}", postcode="NB1 1AA"))
        fake.change(f"1-{number}")
    async with open_client(CONFIG, transport=fake.transport(), sleep=RecordedSleep()) as client:
        assert await client.locations_in("Northbridge") == [f"1-{number}" for number in range(5)]
        start, end = datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
        assert len(await client.changed_locations(start, end)) == 5
    feed = [request for request in fake.requests if request.url.path.endswith("/changes/location")]
    assert len(feed) == 3
    assert feed[0].url.params["startTimestamp"] == "2026-11-29T00:00:00Z"
