"""Importing a council's services from the regulator (CQC) and keeping them in step.

An import is staged first: the location IDs (a whole local authority's, page by page, or chosen
ones), then each location fetched and mapped, then a plan per location (create, match, update,
unchanged...) for the admin to look at. Confirming applies it one location per transaction, so a
run that stops leaves whole services only and carries on where it stopped when run again.

``sync_regulator`` asks the CQC's changes feed what changed since its last finished run, refreshes
the services we hold, tells each service's officer what matters (``mapping.alerts_for``) and
re-assesses risk in the councils touched.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import Organisation, OrganisationKind, Role, User
from selfassess.accounts.service import create_organisation
from selfassess.db import utcnow
from selfassess.errors import Invalid, NotFound
from selfassess.notifications.service import notify
from selfassess.oversight.models import OVERALL, RatingSource
from selfassess.oversight.ratings import record_aspect_ratings
from selfassess.oversight.register import refresh_council
from selfassess.providers.hooks import service_moved
from selfassess.providers.models import (
    CareService,
    CouncilProvider,
    LinkStatus,
    RegulatorRating,
    ServiceType,
)
from selfassess.regulator.client import LocationNotFound, RegulatorClient, RegulatorError
from selfassess.regulator.mapping import (
    Alert,
    Held,
    LocationRecord,
    MappingProblem,
    Plan,
    alerts_for,
    changed_fields,
    describe_changes,
    map_location,
    match_key,
    plan_for,
)
from selfassess.regulator.models import (
    ImportStatus,
    RegulatorImport,
    RegulatorImportItem,
    RegulatorLocation,
    RegulatorSyncRun,
)
from selfassess.settings import Settings

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
_CHUNK = 500  # ids per IN (...) list
FIRST_SYNC_WINDOW = timedelta(days=1)
FETCH_COMMIT_EVERY = 20


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _stored_record(location: RegulatorLocation | None) -> LocationRecord | None:
    return LocationRecord.from_json(location.record) if location is not None and location.record else None


# --- staging an import ---------------------------------------------------------------------------------


def parse_location_ids(text: str) -> list[str]:
    """Location IDs typed or pasted, whatever separates them."""
    ids = list(dict.fromkeys(re.findall(r"[0-9]-[0-9]+", text)))
    if not ids:
        raise Invalid("Enter one or more CQC location IDs, like 1-123456789.")
    return ids


async def start_import(
    db: AsyncSession,
    client: RegulatorClient,
    *,
    council_id: int,
    requested_by_id: int | None,
    local_authority: str | None = None,
    location_ids: Sequence[str] = (),
) -> RegulatorImport:
    """Stage an import: the area's location IDs (from the CQC's list, every page) or the ones given."""
    if local_authority:
        location_ids = await client.locations_in(local_authority)
        if not location_ids:
            raise Invalid(
                f"The CQC lists no locations in {local_authority!r}. Check the local authority's name as the "
                "CQC writes it (for example 'Wigan')."
            )
    batch = RegulatorImport(
        council_id=council_id, requested_by_id=requested_by_id, local_authority=local_authority or None
    )
    db.add(batch)
    await db.flush()
    assert batch.id is not None
    db.add_all(
        RegulatorImportItem(import_id=batch.id, location_id=location_id) for location_id in location_ids
    )
    await db.commit()
    return batch


async def get_import(db: AsyncSession, import_id: int, council_id: int) -> RegulatorImport:
    """One of the council's imports; another council's is not found."""
    batch = await db.scalar(
        select(RegulatorImport).where(
            RegulatorImport.id == import_id, RegulatorImport.council_id == council_id
        )
    )
    if batch is None:
        raise NotFound("import")
    return batch


async def fetch_pending(
    db: AsyncSession,
    batch: RegulatorImport,
    client: RegulatorClient,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Fetch and map up to ``limit`` locations not fetched yet, each kept as it arrives (so an
    interrupted fetch resumes); plan the import once all are in. Returns how many are left."""
    assert batch.id is not None
    total = await db.scalar(select(func.count()).where(RegulatorImportItem.import_id == batch.id)) or 0
    waiting = select(RegulatorImportItem).where(
        RegulatorImportItem.import_id == batch.id,
        RegulatorImportItem.record.is_(None),
        RegulatorImportItem.plan.is_(None),
    )
    items = list(await db.scalars(waiting.order_by(RegulatorImportItem.id).limit(limit)))
    done = total - (await db.scalar(waiting.with_only_columns(func.count())) or 0)
    provider_names: dict[str, str] = {}
    for item in items:
        try:
            record = map_location(await client.location(item.location_id))
        except RegulatorError as problem:
            if not isinstance(problem, LocationNotFound):
                await db.commit()  # keep what was fetched; the next run carries on from here
                raise
            item.plan, item.detail = Plan.MISSING.value, "The CQC has no location with this ID."
        except MappingProblem as problem:
            item.plan, item.detail = Plan.MISSING.value, str(problem)
        else:
            item.record = record.as_json()
            item.provider_name = await _provider_name(db, client, record.provider_id, provider_names)
        done += 1
        if done % FETCH_COMMIT_EVERY == 0:
            await db.commit()  # what was fetched is kept: an interrupted fetch loses this many at most
        if progress:
            progress(done, total)
    await db.commit()
    left = await db.scalar(waiting.with_only_columns(func.count())) or 0
    if not left:
        await plan_import(db, batch)
    return left


async def _provider_name(
    db: AsyncSession, client: RegulatorClient, provider_id: str, known: dict[str, str]
) -> str | None:
    """The provider organisation's name: ours if we have it, else the CQC's (asked once per run)."""
    if provider_id in known:
        return known[provider_id]
    name = await db.scalar(
        select(Organisation.name).where(
            Organisation.kind == OrganisationKind.PROVIDER, Organisation.cqc_provider_id == provider_id
        )
    )
    if name is None:
        try:
            name = (await client.provider(provider_id)).get("name")
        except LocationNotFound:
            name = None
    known[provider_id] = name or f"CQC provider {provider_id}"
    return known[provider_id]


async def _held(
    db: AsyncSession, council_id: int, records: Sequence[LocationRecord]
) -> tuple[dict[str, Held], dict[tuple[str, str], Held]]:
    """What we hold for these locations: services by location ID (any council), and the council's
    services typed in without one, by name and postcode."""
    by_location: dict[str, Held] = {}
    for chunk in _chunks([record.location_id for record in records]):
        rows = await db.execute(
            select(CareService.id, CareService.council_id, CareService.cqc_location_id, RegulatorLocation)
            .outerjoin(RegulatorLocation, RegulatorLocation.service_id == CareService.id)
            .where(CareService.cqc_location_id.in_(chunk))
        )
        for service_id, council, location_id, location in rows:
            by_location[location_id] = Held(service_id, council, _stored_record(location))
    by_name: dict[tuple[str, str], Held] = {}
    rows = await db.execute(
        select(CareService.id, CareService.name, CareService.postcode).where(
            CareService.council_id == council_id, CareService.cqc_location_id.is_(None)
        )
    )
    for service_id, name, postcode in rows:
        by_name.setdefault(match_key(name, postcode), Held(service_id, council_id, None))
    return by_location, by_name


async def plan_import(db: AsyncSession, batch: RegulatorImport) -> None:
    """Decide each fetched location's plan against what the council holds now."""
    items = list(
        await db.scalars(
            select(RegulatorImportItem).where(
                RegulatorImportItem.import_id == batch.id,
                RegulatorImportItem.record.is_not(None),
                RegulatorImportItem.applied_at.is_(None),
            )
        )
    )
    records = {item.id: LocationRecord.from_json(item.record or {}) for item in items}
    by_location, by_name = await _held(db, batch.council_id, list(records.values()))
    claimed: set[int] = set()
    for item in items:
        record = records[item.id]
        by_hand = by_name.get(match_key(record.name, record.postcode))
        if by_hand is not None and by_hand.service_id in claimed:
            by_hand = None  # two locations with one name and postcode: the second is a new service
        plan, detail = plan_for(
            record,
            council_id=batch.council_id,
            by_location=by_location.get(record.location_id),
            by_name=by_hand,
        )
        if plan is Plan.MATCH and by_hand is not None:
            claimed.add(by_hand.service_id)
        held = by_location.get(record.location_id) or (by_hand if plan is Plan.MATCH else None)
        item.plan, item.detail, item.service_id = plan.value, detail, held.service_id if held else None
    batch.status = ImportStatus.READY
    await db.commit()


@dataclass(frozen=True)
class ImportOverview:
    total: int
    fetched: int
    counts: dict[str, int]  # plan value -> locations
    applied: int

    @property
    def writes(self) -> int:
        return sum(self.counts.get(plan.value, 0) for plan in Plan if plan.writes)


async def import_overview(db: AsyncSession, batch: RegulatorImport) -> ImportOverview:
    rows = await db.execute(
        select(
            RegulatorImportItem.plan,
            func.count(),
            func.count(RegulatorImportItem.record),
            func.count(RegulatorImportItem.applied_at),
        )
        .where(RegulatorImportItem.import_id == batch.id)
        .group_by(RegulatorImportItem.plan)
    )
    counts: dict[str, int] = {}
    total = fetched = applied = 0
    for plan, count, with_record, done in rows:
        total += count
        fetched += with_record if plan is None else count
        applied += done
        if plan is not None:
            counts[plan] = count
    return ImportOverview(total=total, fetched=fetched, counts=counts, applied=applied)


async def import_items(
    db: AsyncSession, batch: RegulatorImport, *, plan: str | None = None, limit: int = 500
) -> list[RegulatorImportItem]:
    statement = select(RegulatorImportItem).where(RegulatorImportItem.import_id == batch.id)
    if plan:
        statement = statement.where(RegulatorImportItem.plan == plan)
    return list(await db.scalars(statement.order_by(RegulatorImportItem.id).limit(limit)))


async def recent_imports(db: AsyncSession, council_id: int, limit: int = 5) -> list[RegulatorImport]:
    return list(
        await db.scalars(
            select(RegulatorImport)
            .where(RegulatorImport.council_id == council_id)
            .order_by(RegulatorImport.created_at.desc(), RegulatorImport.id.desc())
            .limit(limit)
        )
    )


# --- applying ------------------------------------------------------------------------------------------


@dataclass
class ApplyReport:
    created: int = 0
    matched: int = 0
    updated: int = 0
    alerts: int = 0
    failed: list[str] = field(default_factory=list)


async def apply_import(
    db: AsyncSession,
    batch: RegulatorImport,
    *,
    actor: User | None,
    settings: Settings,
    progress: Progress | None = None,
) -> ApplyReport:
    """Apply every planned location not applied yet, each in its own transaction; then re-assess
    the council's risk. Running it again after an interruption does the rest, and nothing twice."""
    if batch.status is ImportStatus.FETCHING:
        raise Invalid("The import is still fetching from the CQC: wait until its preview is complete.")
    await plan_import(db, batch)  # against what is held now, not when the preview was made
    batch_id, council_id = batch.id, batch.council_id
    # Plain values: a rolled-back location must not leave the others to lazy loads.
    work = [
        (item.id, Plan(item.plan), item.location_id)
        for item in await import_items(db, batch, limit=1_000_000)
        if item.applied_at is None and item.plan and Plan(item.plan).writes
    ]
    report = ApplyReport()
    today = clock.today()
    providers: dict[str, int] = {}  # CQC provider ID -> our organisation, on the register
    for number, (item_id, plan, location_id) in enumerate(work, start=1):
        try:
            item = await db.get_one(RegulatorImportItem, item_id)
            record = LocationRecord.from_json(item.record or {})
            if plan is Plan.CREATE and record.provider_id not in providers:
                provider = await provider_for(
                    db, council_id, record.provider_id, item.provider_name, actor=actor, settings=settings
                )
                providers[record.provider_id] = provider.id  # type: ignore[assignment]
            service, alerts = await _apply_one(
                db,
                council_id,
                providers.get(record.provider_id),
                plan,
                item,
                record,
                actor=actor,
                settings=settings,
                today=today,
            )
            item.applied_at, item.service_id = utcnow(), service.id
            await db.commit()
        except IntegrityError:
            await db.rollback()
            providers.clear()  # a provider made in the rolled-back transaction is gone
            report.failed.append(location_id)
            logger.warning(
                "CQC import %s: location %s clashed with a change made meanwhile", batch_id, location_id
            )
            continue
        report.alerts += alerts
        if plan is Plan.CREATE:
            report.created += 1
        elif plan is Plan.MATCH:
            report.matched += 1
        else:
            report.updated += 1
        if progress:
            progress(number, len(work))
    batch = await db.get_one(RegulatorImport, batch_id)
    if not report.failed:
        batch.status, batch.applied_at = ImportStatus.APPLIED, utcnow()
    record_audit(
        db,
        "regulator.import_applied",
        actor=actor,
        organisation_id=council_id,
        subject=f"regulator_import:{batch_id}",
        detail=f"{report.created} created, {report.matched} matched, {report.updated} updated",
    )
    await refresh_council(db, council_id, today, settings)
    await db.commit()
    return report


async def _apply_one(
    db: AsyncSession,
    council_id: int,
    provider_id: int | None,
    plan: Plan,
    item: RegulatorImportItem,
    record: LocationRecord,
    *,
    actor: User | None,
    settings: Settings,
    today: date,
) -> tuple[CareService, int]:
    if plan is Plan.CREATE:
        assert provider_id is not None
        service = CareService(
            council_id=council_id,
            provider_id=provider_id,
            name=record.name,
            service_type=ServiceType(record.service_type),
            address_line1=record.address_line1,
            town=record.town,
            postcode=record.postcode,
            cqc_location_id=record.location_id,
        )
        db.add(service)
        await db.flush()
        await refresh_service(db, service, None, record, settings=settings, today=today, actor=actor)
        return service, 0
    assert item.service_id is not None
    service = await db.get_one(CareService, item.service_id)
    service.cqc_location_id = record.location_id
    stored = await db.get(RegulatorLocation, service.id)
    alerts = await refresh_service(db, service, stored, record, settings=settings, today=today, actor=actor)
    return service, len(alerts)


async def provider_for(
    db: AsyncSession,
    council_id: int,
    cqc_provider_id: str,
    name: str | None,
    *,
    actor: User | None,
    settings: Settings,
) -> Organisation:
    """The provider organisation with this CQC provider ID, on the council's register. A new one is
    made and registered at once; one that exists and is not on the register is asked, as when a
    council adds it by hand (its admins accept or decline)."""
    provider = await db.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.PROVIDER, Organisation.cqc_provider_id == cqc_provider_id
        )
    )
    if provider is None:
        name = name or f"CQC provider {cqc_provider_id}"
        clash = await db.scalar(
            select(Organisation.id).where(
                Organisation.kind == OrganisationKind.PROVIDER, Organisation.name == name
            )
        )
        provider = await create_organisation(
            db,
            kind=OrganisationKind.PROVIDER,
            name=f"{name} ({cqc_provider_id})" if clash else name,
            cqc_provider_id=cqc_provider_id,
        )
        db.add(
            CouncilProvider(
                council_id=council_id,
                provider_id=provider.id,
                requested_by_id=actor.id if actor else None,
                decided_at=utcnow(),
            )
        )
        record_audit(
            db,
            "provider.linked",
            actor=actor,
            organisation_id=council_id,
            subject=f"organisation:{provider.id}",
        )
        return provider
    link = await db.get(CouncilProvider, (council_id, provider.id))
    if link is None:
        db.add(
            CouncilProvider(
                council_id=council_id,
                provider_id=provider.id,
                status=LinkStatus.PENDING,
                requested_by_id=actor.id if actor else None,
            )
        )
        record_audit(
            db,
            "provider_link.requested",
            actor=actor,
            organisation_id=council_id,
            subject=f"organisation:{provider.id}",
        )
        council = await db.get_one(Organisation, council_id)
        admins = await db.scalars(
            select(User).where(User.organisation_id == provider.id, User.role == Role.PROVIDER_ADMIN)
        )
        await notify(
            db,
            recipients=list(admins),
            message=f"{council.name} asks to add {provider.name} to its register. Accept or decline it.",
            link="/admin/councils",
            dedupe_key=f"provider-link:{council_id}:{provider.id}:regulator-import",
            email_subject=f"{council.name} asks to add {provider.name} to its register",
            settings=settings,
        )
        await db.flush()
    return provider


# --- one service refreshed from the regulator's record -------------------------------------------------

# Record field -> service column, written when the regulator changes the field.
_SERVICE_FIELDS = {
    "name": "name",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "town": "town",
    "postcode": "postcode",
}


async def refresh_service(
    db: AsyncSession,
    service: CareService,
    stored: RegulatorLocation | None,
    record: LocationRecord,
    *,
    settings: Settings,
    today: date,
    actor: User | None = None,
) -> list[Alert]:
    """Write what the regulator changed since the record we stored (everything, the first time),
    keep the rating history, and tell the officer what matters. Nothing at all when nothing changed.
    The caller commits."""
    before = _stored_record(stored)
    changes = changed_fields(before, record)
    if not changes:
        return []
    if before is None:  # first linked: alert only on what the service showed (its rating)
        shown = dataclasses.replace(
            record,
            rating=service.regulator_rating.value,
            registered_manager=None,
            registered_manager_absent_since=None,
            registration_status="",
        )
        alerts = alerts_for(shown, record)
    else:
        alerts = alerts_for(before, record)
    for name, column in _SERVICE_FIELDS.items():
        if name in changes and (getattr(record, name) or column == "address_line2"):
            setattr(service, column, getattr(record, name))
    if "number_of_beds" in changes and record.number_of_beds is not None:
        service.capacity = record.number_of_beds
    if "provider_id" in changes and before is not None:  # the location moved to another provider
        provider = await provider_for(
            db, service.council_id, record.provider_id, None, actor=actor, settings=settings
        )
        service.provider_id = provider.id  # type: ignore[assignment]
        db.add(service)
        await service_moved.announce(db, service)  # the plans and comparison summaries carry it
    rating_changed = bool({"rating", "rating_date"} & set(changes))
    if rating_changed:
        service.regulator_rating = RegulatorRating(record.rating)
        service.regulator_rating_date = record.rating_date
    service.updated_at = utcnow()
    db.add(service)
    if stored is None:
        stored = RegulatorLocation(service_id=service.id)  # type: ignore[arg-type]
    stored.record, stored.fetched_at = record.as_json(), utcnow()
    db.add(stored)
    await _record_ratings(db, service, before, record, today, overall=rating_changed)
    record_audit(
        db,
        "service.regulator_updated",
        actor=actor,
        organisation_id=service.council_id,
        subject=f"service:{service.id}",
        detail=f"{service.name}: {describe_changes(changes)}"[:500],
    )
    if alerts:
        await _alert(db, service, alerts, settings, today)
    return alerts


async def _record_ratings(
    db: AsyncSession,
    service: CareService,
    before: LocationRecord | None,
    record: LocationRecord,
    today: date,
    *,
    overall: bool,
) -> None:
    """The regulator's overall and key question ratings in the rating history (aspect '' and the
    key question codes, as council ratings are kept), from the report's date."""
    old, new = (before.key_question_ratings if before else {}), record.key_question_ratings
    ratings: dict[str, str | None] = {
        code: new.get(code) for code in set(old) | set(new) if new.get(code) != old.get(code)
    }
    if overall:
        ratings[OVERALL] = record.rating
    if not ratings:
        return
    await db.flush()  # the service's id, for a new one
    assert service.id is not None
    await record_aspect_ratings(
        db,
        service_id=service.id,
        council_id=service.council_id,
        source=RatingSource.REGULATOR,
        ratings=ratings,
        valid_from=record.rating_date or today,
    )


async def _alert(
    db: AsyncSession, service: CareService, alerts: Sequence[Alert], settings: Settings, today: date
) -> None:
    """To the service's officer; to the council's admins when no officer is assigned."""
    officer = await db.get(User, service.assigned_officer_id) if service.assigned_officer_id else None
    if officer is not None and officer.is_active:
        recipients = [officer]
    else:
        recipients = list(
            await db.scalars(
                select(User).where(
                    User.organisation_id == service.council_id,
                    User.role == Role.COUNCIL_ADMIN,
                    User.is_active.is_(True),
                )
            )
        )
    for alert in alerts:
        await notify(
            db,
            recipients=recipients,
            message=f"{service.name}: {alert.message}",
            link=f"/services/{service.id}",
            dedupe_key=f"regulator:{service.id}:{alert.kind.value}:{today.isoformat()}:{alert.message[:80]}",
            email_subject=f"CQC change at {service.name}",
            settings=settings,
        )


# --- the scheduled sync ----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    window_start: datetime
    window_end: datetime
    changed_at_cqc: int = 0
    held: int = 0
    refreshed: int = 0
    alerts: int = 0
    missing: list[str] = field(default_factory=list)
    councils: set[int] = field(default_factory=set)


async def last_sync(db: AsyncSession) -> RegulatorSyncRun | None:
    """The latest run that finished (the next run starts where its window ended)."""
    return await db.scalar(
        select(RegulatorSyncRun)
        .where(RegulatorSyncRun.finished_at.is_not(None))
        .order_by(RegulatorSyncRun.window_end.desc(), RegulatorSyncRun.id.desc())
        .limit(1)
    )


async def last_attempt(db: AsyncSession) -> RegulatorSyncRun | None:
    return await db.scalar(
        select(RegulatorSyncRun)
        .order_by(RegulatorSyncRun.started_at.desc(), RegulatorSyncRun.id.desc())
        .limit(1)
    )


async def _sync_start(db: AsyncSession, now: datetime) -> datetime:
    """Where the last finished run's window ended; before any has finished, where the first
    attempt's began (so a failed first run loses nothing); the very first time, a day back."""
    previous = await last_sync(db)
    if previous is not None:
        return previous.window_end
    first = await db.scalar(select(RegulatorSyncRun.window_start).order_by(RegulatorSyncRun.id).limit(1))
    return first if first is not None else now - FIRST_SYNC_WINDOW


async def sync_regulator(
    db: AsyncSession,
    client: RegulatorClient,
    settings: Settings,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Refresh every service we hold that the CQC changed since the last finished run (a day back,
    the first time). Each service is its own transaction; the run is recorded as finished only when
    all are done, so a run that fails is simply repeated next time (and repeats nothing)."""
    now = now or utcnow()
    start = await _sync_start(db, now)
    run = RegulatorSyncRun(window_start=start, window_end=now)
    db.add(run)
    await db.commit()
    run_id = run.id
    report = SyncReport(window_start=start, window_end=now)
    today = clock.today()
    try:
        changed = await client.changed_locations(start, now)
        report.changed_at_cqc = len(changed)
        held: list[tuple[int, str]] = []
        for chunk in _chunks(changed):
            held += list(
                await db.execute(
                    select(CareService.id, CareService.cqc_location_id)
                    .where(CareService.cqc_location_id.in_(chunk))
                    .order_by(CareService.id)
                )
            )
        report.held = len(held)
        for number, (service_id, location_id) in enumerate(held, start=1):
            try:
                record = map_location(await client.location(location_id))
            except (LocationNotFound, MappingProblem):
                report.missing.append(location_id)
                continue
            service = await db.get_one(CareService, service_id)
            stored = await db.get(RegulatorLocation, service_id)
            before = _stored_record(stored)
            if changed_fields(before, record):
                alerts = await refresh_service(db, service, stored, record, settings=settings, today=today)
                report.refreshed += 1
                report.alerts += len(alerts)
                report.councils.add(service.council_id)
                await db.commit()
            if progress:
                progress(number, len(held))
        for council_id in sorted(report.councils):
            await refresh_council(db, council_id, today, settings)  # rating changes are risk factors
            await db.commit()
    except RegulatorError as problem:
        await db.rollback()
        run = await db.get_one(RegulatorSyncRun, run_id)
        run.problem = str(problem)
        await db.commit()
        raise
    run = await db.get_one(RegulatorSyncRun, run_id)
    run.finished_at = utcnow()
    run.changed_at_cqc, run.refreshed, run.alerts = report.changed_at_cqc, report.refreshed, report.alerts
    if report.missing:
        run.problem = f"Not found at the CQC: {', '.join(report.missing[:20])}"
    await db.commit()
    return report


# --- reading the regulator's record for a service page --------------------------------------------------


async def regulator_record(
    db: AsyncSession, service: CareService
) -> tuple[LocationRecord | None, datetime | None]:
    stored = await db.get(RegulatorLocation, service.id)
    return _stored_record(stored), stored.fetched_at if stored else None
