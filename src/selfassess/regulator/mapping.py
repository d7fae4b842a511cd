"""What the regulator's (CQC) API says about a location, in our terms, and what a change means.

No web or database imports: the import preview, the apply step, the sync job and the tests all ask
these functions. Values are our stored strings (service types and rating keys as stored on
``care_service``), so the service layer only copies them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from enum import Enum
from typing import Any

# The CQC's rating words, as our rating keys; anything else ("Insufficient evidence to rate",
# "No published rating", missing) is not a rating.
_RATINGS = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires_improvement",
    "inadequate": "inadequate",
}
NOT_RATED = "not_rated"
_RANKS = ("inadequate", "requires_improvement", "good", "outstanding")
RATING_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
    NOT_RATED: "Not yet rated",
}
# The CQC names key questions in words; our frameworks (and the rating history) use their codes.
KEY_QUESTION_CODES = {"safe": "S", "effective": "E", "caring": "C", "responsive": "R", "well-led": "W"}
REGISTERED = "Registered"
REGISTERED_MANAGER = "Registered Manager"

# Lengths of the columns the values land in (care_service and regulator_location).
_LIMITS = {"name": 200, "address_line1": 200, "address_line2": 200, "town": 100, "postcode": 10}


class MappingProblem(ValueError):
    """The API answered with something that is not a location we can store."""


@dataclass(frozen=True)
class LocationRecord:
    """One location as we keep it. Equal records mean nothing changed."""

    location_id: str
    provider_id: str
    name: str
    regulator_type: str
    care_home: bool
    service_type: str
    number_of_beds: int | None
    address_line1: str
    address_line2: str | None
    town: str
    county: str | None
    postcode: str
    region: str | None
    local_authority: str | None
    registration_status: str
    rating: str
    rating_date: date | None
    key_question_ratings: dict[str, str] = field(default_factory=dict)
    last_inspection_on: date | None = None
    registered_manager: str | None = None
    registered_manager_absent_since: date | None = None

    @property
    def is_registered(self) -> bool:
        return self.registration_status == REGISTERED

    def as_json(self) -> dict[str, Any]:
        """For staging in a JSON column."""
        values = asdict(self)
        for name in ("rating_date", "last_inspection_on", "registered_manager_absent_since"):
            values[name] = values[name].isoformat() if values[name] else None
        return values

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> LocationRecord:
        known = {item.name for item in fields(cls)}
        data = {name: value for name, value in values.items() if name in known}
        for name in ("rating_date", "last_inspection_on", "registered_manager_absent_since"):
            data[name] = _date(data.get(name))
        return cls(**data)


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _clip(name: str, value: str | None) -> str | None:
    return value[: _LIMITS[name]] if value is not None else None


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def rating_key(word: object) -> str:
    return _RATINGS.get(str(word).strip().lower(), NOT_RATED) if word else NOT_RATED


def service_type_for(care_home: bool, service_types: Sequence[str]) -> str:
    """Our type of service from the CQC's care home flag and its service types' names and
    descriptions (gacServiceTypes)."""
    names = {name.strip().lower() for name in service_types}
    if care_home:
        return "care_home_nursing" if any("nursing" in name for name in names) else "care_home"
    if any("domiciliary" in name or "homecare" in name for name in names):
        return "homecare"
    if any("supported living" in name for name in names):
        return "supported_living"
    return "other"


def registered_manager(activities: object) -> str | None:
    """The first contact named a Registered Manager in the regulated activities, as 'Given Family'."""
    for activity in activities if isinstance(activities, list) else []:
        for contact in activity.get("contacts") or [] if isinstance(activity, dict) else []:
            if not isinstance(contact, dict) or REGISTERED_MANAGER not in (contact.get("personRoles") or []):
                continue
            parts = [_text(contact.get(part)) for part in ("personGivenName", "personFamilyName")]
            name = " ".join(part for part in parts if part)
            if name:
                return name
    return None


def map_location(data: Mapping[str, Any]) -> LocationRecord:
    """The fields we keep from ``/locations/{locationId}``."""
    location_id = _text(data.get("locationId"))
    provider_id = _text(data.get("providerId"))
    name = _text(data.get("name"))
    if not (location_id and provider_id and name):
        raise MappingProblem("The answer has no location ID, provider ID or name.")
    care_home = str(data.get("careHome", "")).strip().upper() == "Y"
    gac_types = [  # each has a name ("Homecare agencies") and a description ("Domiciliary care service")
        text
        for item in data.get("gacServiceTypes") or []
        if isinstance(item, dict)
        for text in (item.get("name"), item.get("description"))
        if isinstance(text, str)
    ]
    overall = ((data.get("currentRatings") or {}).get("overall")) or {}
    questions: dict[str, str] = {}
    for question in overall.get("keyQuestionRatings") or []:
        code = KEY_QUESTION_CODES.get(str(question.get("name", "")).strip().lower())
        key = rating_key(question.get("rating"))
        if code and key != NOT_RATED:
            questions[code] = key
    rating = rating_key(overall.get("rating"))
    beds = data.get("numberOfBeds")
    county = _text(data.get("postalAddressCounty"))
    return LocationRecord(
        location_id=location_id,
        provider_id=provider_id,
        name=_clip("name", name) or name,
        regulator_type=_text(data.get("type")) or "",
        care_home=care_home,
        service_type=service_type_for(care_home, gac_types),
        # The CQC gives 0 beds for services that have none (homecare): that is no capacity.
        number_of_beds=beds if isinstance(beds, int) and beds > 0 else None,
        address_line1=_clip("address_line1", _text(data.get("postalAddressLine1"))) or "",
        address_line2=_clip("address_line2", _text(data.get("postalAddressLine2"))),
        town=_clip("town", _text(data.get("postalAddressTownCity")) or county) or "",
        county=county,
        postcode=_clip("postcode", (_text(data.get("postalCode")) or "").upper()) or "",
        region=_text(data.get("region")),
        local_authority=_text(data.get("localAuthority")),
        registration_status=_text(data.get("registrationStatus")) or "",
        rating=rating,
        rating_date=_date(overall.get("reportDate")) if rating != NOT_RATED else None,
        key_question_ratings=questions,
        last_inspection_on=_date((data.get("lastInspection") or {}).get("date")),
        registered_manager=registered_manager(data.get("regulatedActivities")),
        registered_manager_absent_since=_date(data.get("registeredManagerAbsentDate")),
    )


def default_local_authority(council_name: str) -> str:
    """The CQC names local authorities without 'Council' ('Wigan Council' -> 'Wigan')."""
    for suffix in (
        " Metropolitan Borough Council",
        " Borough Council",
        " City Council",
        " County Council",
        " Council",
    ):
        if council_name.endswith(suffix):
            return council_name[: -len(suffix)]
    return council_name


FIELD_LABELS = {
    "address_line1": "address",
    "address_line2": "address",
    "rating": "CQC rating",
    "rating_date": "date of the CQC rating",
    "number_of_beds": "number of beds",
    "last_inspection_on": "last inspection",
    "registered_manager_absent_since": "registered manager's absence",
    "provider_id": "provider",
    "regulator_type": "CQC type",
}


def describe_changes(names: Sequence[str]) -> str:
    """'name, address, CQC rating': the changed fields in words, each once."""
    words = [FIELD_LABELS.get(name, name.replace("_", " ")) for name in names]
    return ", ".join(dict.fromkeys(words))


def changed_fields(before: LocationRecord | None, after: LocationRecord) -> list[str]:
    """The names of the fields that differ (every field for a location we did not hold)."""
    names = [item.name for item in fields(LocationRecord)]
    if before is None:
        return names
    return [name for name in names if getattr(before, name) != getattr(after, name)]


# --- what a change means for the council -----------------------------------------------------------


class AlertKind(Enum):
    RATING_DROPPED = "rating_dropped"
    MANAGER_LEFT = "manager_left"
    REGISTRATION_ENDED = "registration_ended"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    message: str  # completes "<service name>: ..."


def _rank(rating: str) -> int | None:
    return _RANKS.index(rating) if rating in _RANKS else None


def alerts_for(before: LocationRecord | None, after: LocationRecord) -> list[Alert]:
    """What the service's officer must hear about: a lower rating, a registered manager who left (or
    an absence newly reported), a registration that ended. Nothing for a location first seen."""
    if before is None:
        return []
    alerts: list[Alert] = []
    was, now = _rank(before.rating), _rank(after.rating)
    if was is not None and now is not None and now < was:
        alerts.append(
            Alert(
                AlertKind.RATING_DROPPED,
                f"CQC rating fell from {RATING_LABELS[before.rating]} to {RATING_LABELS[after.rating]}.",
            )
        )
    if before.registered_manager and before.registered_manager != after.registered_manager:
        successor = f"; now {after.registered_manager}" if after.registered_manager else "; none named now"
        alerts.append(
            Alert(
                AlertKind.MANAGER_LEFT,
                f"{before.registered_manager} is no longer the registered manager{successor}.",
            )
        )
    elif after.registered_manager_absent_since and not before.registered_manager_absent_since:
        alerts.append(
            Alert(
                AlertKind.MANAGER_LEFT,
                "The CQC reports no registered manager since "
                f"{after.registered_manager_absent_since.strftime('%d %B %Y').lstrip('0')}.",
            )
        )
    if before.is_registered and not after.is_registered:
        alerts.append(
            Alert(
                AlertKind.REGISTRATION_ENDED,
                f"Registration with the CQC ended ({after.registration_status or 'no status'}).",
            )
        )
    return alerts


# --- the import preview ---------------------------------------------------------------------------


class Plan(Enum):
    """What confirming an import does with one location."""

    CREATE = "create", "New service"
    MATCH = "match", "Matched to a service you had"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    ELSEWHERE = "elsewhere", "In another council's area"
    NOT_REGISTERED = "not_registered", "No longer registered"
    MISSING = "missing", "Not found at the CQC"

    def __new__(cls, value: str, label: str) -> Plan:
        member = object.__new__(cls)
        member._value_ = value
        member.label = label  # type: ignore[attr-defined]
        return member

    @property
    def writes(self) -> bool:
        return self in (Plan.CREATE, Plan.MATCH, Plan.UPDATE)


@dataclass(frozen=True)
class Held:
    """What the council already holds that a location might be: a service by its location ID (with
    the regulator record we stored, if any), or one typed in by hand with the same name and postcode."""

    service_id: int
    council_id: int
    record: LocationRecord | None


def match_key(name: str, postcode: str) -> tuple[str, str]:
    return (" ".join(name.lower().split()), postcode.replace(" ", "").upper())


def plan_for(
    record: LocationRecord, *, council_id: int, by_location: Held | None, by_name: Held | None
) -> tuple[Plan, str]:
    """The plan for one fetched location, with its reason in words."""
    if by_location is not None:
        if by_location.council_id != council_id:
            return Plan.ELSEWHERE, "Another council's area holds this location; it is left alone."
        changes = changed_fields(by_location.record, record)
        if not changes:
            return Plan.UNCHANGED, "Already up to date."
        return Plan.UPDATE, f"Changes: {describe_changes(changes)}."
    if not record.is_registered:
        return (
            Plan.NOT_REGISTERED,
            f"The CQC lists it as {record.registration_status or 'not registered'}: left out.",
        )
    if by_name is not None:
        return Plan.MATCH, "Same name and postcode as a service typed in by hand: linked and updated."
    return Plan.CREATE, "A new service in your area."
