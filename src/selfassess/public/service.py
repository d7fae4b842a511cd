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
from selfassess.providers.models import CareService, ServiceType
from selfassess.visits.models import CouncilPublication, Visit, VisitStatus

RATING_KEYS = ("outstanding", "good", "requires_improvement", "inadequate")


@dataclass(frozen=True)
class PublicService:
    service: CareService
    provider_name: str
    visit: Visit | None


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

    async def councils(self) -> list[tuple[Organisation, int]]:
        """Publishing councils with how many of their services have a published rating."""
        rated = (
            select(func.count(func.distinct(Visit.service_id)))
            .join(CareService, CareService.id == Visit.service_id)
            .where(CareService.council_id == Organisation.id, Visit.status == VisitStatus.PUBLISHED)
            .scalar_subquery()
        )
        rows = await self.db.execute(_publishing(select(Organisation, rated)).order_by(Organisation.name))
        return [(council, count) for council, count in rows]

    async def publication_version(self, council_id: int | None = None) -> tuple[object, ...]:
        """What a public page shows changes only when this changes, so it names the page's version
        (its ETag). For one council: its publication counter (`CouncilPublication`, bumped when a
        report is published or a corrected rating republished), read by primary key, and when one
        of its services last changed (the care_service.council_id index): neither grows with the
        years of visits or the country. For the list of councils (None): every council's counter and
        which councils publish. One statement either way, and no rendering."""
        if council_id is None:
            publishing = _publishing(
                select(func.count(Organisation.id).label("councils"), func.sum(Organisation.id).label("ids"))
            ).subquery()
            counters = select(func.sum(CouncilPublication.version)).scalar_subquery()
            statement = select(counters, publishing.c.councils, publishing.c.ids)
        else:
            counter = select(CouncilPublication.version).where(CouncilPublication.council_id == council_id)
            services = select(func.max(CareService.updated_at)).where(CareService.council_id == council_id)
            statement = select(counter.scalar_subquery(), services.scalar_subquery())
        return tuple((await self.db.execute(statement)).one())

    async def council(self, slug: str) -> Organisation:
        council = await self.db.scalar(_publishing(select(Organisation)).where(Organisation.slug == slug))
        if council is None:
            raise NotFound("council")
        return council

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

    async def service(self, council: Organisation, service_id: int) -> PublicService:
        """An active service in a publishing council's area, with its latest published visit."""
        row = (
            await self.db.execute(
                select(CareService, Organisation.name, Visit)
                .join(Organisation, Organisation.id == CareService.provider_id)
                .outerjoin(Visit, Visit.id == _latest_published())
                .where(
                    CareService.id == service_id,
                    CareService.council_id == council.id,
                    CareService.is_active.is_(True),
                )
            )
        ).first()
        if row is None:
            raise NotFound("service")
        return PublicService(*row)

    async def reports(self, service: CareService) -> list[Visit]:
        """Every published visit of the service, the latest first."""
        return list(
            await self.db.scalars(
                select(Visit)
                .where(Visit.service_id == service.id, Visit.status == VisitStatus.PUBLISHED)
                .order_by(Visit.published_at.desc(), Visit.id.desc())
            )
        )
