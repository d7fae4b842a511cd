"""Read-only selectors for the public pages: councils that publish ratings, and each service's
latest published visit rating. Nothing unpublished, nothing about people, ever leaves here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.models import CouncilSettings, Organisation, OrganisationKind
from selfassess.db import Page, contains_any, fetch_page
from selfassess.errors import NotFound
from selfassess.oversight.models import OversightSettings
from selfassess.providers.levels import SupportLevel, shown_publicly
from selfassess.providers.models import CareService, ServiceType
from selfassess.providers.support_levels import ProviderSupport, current_level
from selfassess.visits.models import CouncilPublication, Visit, VisitStatus

RATING_KEYS = ("outstanding", "good", "requires_improvement", "inadequate")


@dataclass(frozen=True)
class PublicCouncil:
    name: str
    slug: str
    rated_services: int


@dataclass(frozen=True)
class PublishingCouncil:
    """A council that publishes, with the version of what its public pages show."""

    council: Organisation
    version: tuple[object, ...]


@dataclass(frozen=True)
class PublicService:
    service: CareService
    provider_name: str
    visit: Visit | None


@dataclass(frozen=True)
class PublicEntry:
    """A service for its own public page: its provider's name, and whether the public are told of a
    suspension of new placements with that provider (decided in oversight, not published)."""

    service: CareService
    provider_name: str
    placements_suspended: bool


def _publishing(statement: Select) -> Select:  # type: ignore[type-arg]
    """Councils that publish (the default) — a council may switch its public page off."""
    return statement.outerjoin(CouncilSettings, CouncilSettings.council_id == Organisation.id).where(
        Organisation.kind == OrganisationKind.COUNCIL,
        func.coalesce(CouncilSettings.publish_ratings, true()).is_(True),
    )


def _latest_published():  # type: ignore[no-untyped-def]
    """The id of each listed service's most recently published visit: looked up per service by its
    index, so a council's page reads its own services' visits, not the whole country's."""
    report = aliased(Visit)
    return (
        select(report.id)
        .where(report.service_id == CareService.id, report.status == VisitStatus.PUBLISHED)
        .order_by(report.published_at.desc(), report.id.desc())
        .limit(1)
        .correlate(CareService)
        .scalar_subquery()
    )


class PublicRatings:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def councils(self) -> list[PublicCouncil]:
        """Publishing councils with how many of their services have a published rating, as counted
        when each last published (`CouncilPublication`): one row per council."""
        rated = func.coalesce(CouncilPublication.rated_services, 0)
        rows = await self.db.execute(
            _publishing(select(Organisation.name, Organisation.slug, rated))
            .outerjoin(CouncilPublication, CouncilPublication.council_id == Organisation.id)
            .order_by(Organisation.name)
        )
        return [PublicCouncil(*row) for row in rows]

    async def publication_version(self) -> tuple[object, ...]:
        """What the list of councils shows changes only when this changes, so it names the list's
        version (its ETag): every council's publication counter and which councils publish. One
        statement, and no rendering."""
        publishing = _publishing(
            select(func.count(Organisation.id).label("councils"), func.sum(Organisation.id).label("ids"))
        ).subquery()
        counters = select(func.sum(CouncilPublication.version)).scalar_subquery()
        return tuple((await self.db.execute(select(counters, publishing.c.councils, publishing.c.ids))).one())

    async def council(self, slug: str) -> PublishingCouncil:
        """The council of ``slug`` when it publishes, with its pages' version, in one statement. The
        version is its publication counter and when it last changed (`CouncilPublication`, bumped when
        a report is published or a corrected rating republished), read by primary key, and when one of
        its services last changed and how many it has (a service moved away or removed changes no
        time left in the council), by the care_service.council_id index: none of it grows with the
        years of visits or the country."""
        own = CouncilPublication.council_id == Organisation.id
        in_area = CareService.council_id == Organisation.id
        version = (
            select(CouncilPublication.version).where(own).scalar_subquery(),
            select(CouncilPublication.changed_at).where(own).scalar_subquery(),
            select(func.max(CareService.updated_at)).where(in_area).scalar_subquery(),
            select(func.count(CareService.id)).where(in_area).scalar_subquery(),
        )
        statement = _publishing(select(Organisation, *version)).where(Organisation.slug == slug)
        row = (await self.db.execute(statement)).first()
        if row is None:
            raise NotFound("council")
        return PublishingCouncil(row[0], tuple(row[1:]))

    async def services(
        self,
        council: Organisation,
        *,
        query: str = "",
        service_type: ServiceType | None = None,
        rating: str | None = None,
        number: int = 1,
        size: int = 25,
    ) -> Page[PublicService]:
        statement = (
            select(CareService, Organisation.name, Visit)
            .join(Organisation, Organisation.id == CareService.provider_id)
            .outerjoin(Visit, Visit.id == _latest_published())
            .where(CareService.council_id == council.id, CareService.is_active.is_(True))
        )
        if query:
            statement = statement.where(
                contains_any(query, CareService.name, CareService.town, CareService.postcode)
            )
        if service_type is not None:
            statement = statement.where(CareService.service_type == service_type)
        if rating in RATING_KEYS:
            statement = statement.where(Visit.rating_key == rating)
        rows, total, number = await fetch_page(
            self.db, statement, CareService.name, CareService.id, number=number, size=size
        )
        return Page([PublicService(*row) for row in rows], total=total, number=number, size=size)

    async def service(self, council: Organisation, service_id: int) -> PublicEntry:
        """An active service in a publishing council's area, in one statement with what decides
        whether a suspension of new placements shows (the decision in force for its provider, and
        whether the council publishes suspensions)."""
        level = (
            select(ProviderSupport.level)
            .where(current_level(CareService.council_id, CareService.provider_id))
            .limit(1)
            .scalar_subquery()
        )
        publishes = (
            select(OversightSettings.publish_suspensions)
            .where(OversightSettings.council_id == CareService.council_id)
            .scalar_subquery()
        )
        row = (
            await self.db.execute(
                select(CareService, Organisation.name, level, publishes)
                .join(Organisation, Organisation.id == CareService.provider_id)
                .where(
                    CareService.id == service_id,
                    CareService.council_id == council.id,
                    CareService.is_active.is_(True),
                )
            )
        ).first()
        if row is None:
            raise NotFound("service")
        service, provider_name, level_in_force, council_publishes = row
        suspended = shown_publicly(
            SupportLevel(level_in_force) if level_in_force else None, bool(council_publishes)
        )
        return PublicEntry(service, provider_name, suspended)

    async def reports(self, service: CareService) -> list[Visit]:
        """Every published visit of the service, the latest first (the first is the one the
        council's list shows, ``_latest_published``)."""
        return list(
            await self.db.scalars(
                select(Visit)
                .where(Visit.service_id == service.id, Visit.status == VisitStatus.PUBLISHED)
                .order_by(Visit.published_at.desc(), Visit.id.desc())
            )
        )
