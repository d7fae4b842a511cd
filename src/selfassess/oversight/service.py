"""Read-only selectors for the risk register and the visit programme, over the stored assessments
(``service_risk``), scoped to the viewer's council and counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.models import Organisation, User
from selfassess.db import Page, fetch_page
from selfassess.oversight.models import ServiceRisk
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import CareService, ServiceType
from selfassess.providers.service import CareServices
from selfassess.providers.support_levels import ProviderSupport, current_level
from selfassess.visits.models import Visit, VisitStatus

UPCOMING = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)


@dataclass(frozen=True)
class RegisterFilters:
    band: str = ""
    officer_id: int | None = None
    service_type: ServiceType | None = None
    provider_id: int | None = None


@dataclass(frozen=True)
class RegisterRow:
    risk: ServiceRisk
    service: CareService
    provider_name: str
    officer_name: str | None
    next_visit_on: date | None
    support_level: SupportLevel | None


@dataclass(frozen=True)
class MonthLoad:
    year: int
    month: int
    officer_id: int | None
    officer_name: str | None
    services: int

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")


@dataclass(frozen=True)
class Coverage:
    services: int
    within_interval: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.within_interval / self.services) if self.services else None


class Oversight:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.services = CareServices(db, viewer)
        self.officer = aliased(User, name="officer")

    def _rows(self, filters: RegisterFilters) -> Select:  # type: ignore[type-arg]
        officer = self.officer
        next_visit = (
            select(func.min(Visit.scheduled_for))
            .where(Visit.service_id == CareService.id, Visit.status.in_(UPCOMING))
            .scalar_subquery()
        )
        statement = self.services.scope(
            select(
                ServiceRisk,
                CareService,
                Organisation.name,
                officer.full_name,
                next_visit,
                ProviderSupport.level,
            )
            .join(CareService, CareService.id == ServiceRisk.service_id)
            .join(Organisation, Organisation.id == CareService.provider_id)
            .outerjoin(ProviderSupport, current_level(CareService.council_id, CareService.provider_id))
            .outerjoin(officer, officer.id == CareService.assigned_officer_id)
            .where(CareService.is_active.is_(True))
        )
        if filters.band:
            statement = statement.where(ServiceRisk.band == filters.band)
        if filters.officer_id is not None:
            statement = statement.where(CareService.assigned_officer_id == filters.officer_id)
        if filters.service_type is not None:
            statement = statement.where(CareService.service_type == filters.service_type)
        if filters.provider_id is not None:
            statement = statement.where(CareService.provider_id == filters.provider_id)
        return statement

    def listing(self, filters: RegisterFilters) -> Select:  # type: ignore[type-arg]
        """The register's rows, scoped and filtered as on its page, unordered (for the API's cursor)."""
        return self._rows(filters)

    async def register(
        self, filters: RegisterFilters, *, number: int = 1, size: int = 50
    ) -> Page[RegisterRow]:
        rows, total, number = await fetch_page(
            self.db,
            self._rows(filters),
            ServiceRisk.score.desc(),
            CareService.name,
            CareService.id,
            number=number,
            size=size,
        )
        return Page(items=[RegisterRow(*row) for row in rows], total=total, number=number, size=size)

    async def assessed_at(self):  # type: ignore[no-untyped-def]
        return await self.db.scalar(
            select(func.max(ServiceRisk.assessed_at)).where(
                ServiceRisk.council_id == self.viewer.organisation_id
            )
        )

    # --- the visit programme -------------------------------------------------------------------

    async def programme(
        self, filters: RegisterFilters, until: date, *, number: int = 1, size: int = 50
    ) -> Page[RegisterRow]:
        """Services due a visit by ``until`` (overdue first), with any visit already booked."""
        rows, total, number = await fetch_page(
            self.db,
            self._due(filters, until),
            ServiceRisk.next_visit_due,
            CareService.name,
            CareService.id,
            number=number,
            size=size,
        )
        return Page(items=[RegisterRow(*row) for row in rows], total=total, number=number, size=size)

    async def by_month(self, filters: RegisterFilters, today: date, until: date) -> list[MonthLoad]:
        """How many services fall due each month and for which officer; overdue ones count in the
        current month."""
        officer = self.officer
        due = func.coalesce(
            case((ServiceRisk.next_visit_due < today, today), else_=ServiceRisk.next_visit_due), today
        )
        year, month = extract("year", due), extract("month", due)
        statement = (
            self._rows(filters)
            .with_only_columns(year, month, CareService.assigned_officer_id, officer.full_name, func.count())
            .where(ServiceRisk.next_visit_due <= until)
            .group_by(year, month, CareService.assigned_officer_id, officer.full_name)
            .order_by(year, month, officer.full_name)
        )
        return [
            MonthLoad(int(y), int(m), officer_id, name, count)
            for y, m, officer_id, name, count in await self.db.execute(statement)
        ]

    async def coverage(self, today: date) -> Coverage:
        """Services visited within their interval: visited, and their next visit not yet due."""
        row = (
            await self.db.execute(
                self.services.scope(
                    select(
                        func.count(),
                        func.count(
                            case(
                                (
                                    and_(
                                        ServiceRisk.last_visit_on.is_not(None),
                                        ServiceRisk.next_visit_due >= today,
                                    ),
                                    1,
                                )
                            )
                        ),
                    )
                    .select_from(ServiceRisk)
                    .join(CareService, CareService.id == ServiceRisk.service_id)
                    .where(CareService.is_active.is_(True))
                )
            )
        ).one()
        return Coverage(row[0], row[1])

    def _due(self, filters: RegisterFilters, until: date) -> Select:  # type: ignore[type-arg]
        """The programme's rows: services whose next visit is due by ``until`` (overdue included)."""
        return self._rows(filters).where(ServiceRisk.next_visit_due <= until)

    async def due_count(self, until: date) -> int:
        """The length of the programme's list up to ``until``, unfiltered (the quarterly report)."""
        return await self.db.scalar(self._due(RegisterFilters(), until).with_only_columns(func.count())) or 0
