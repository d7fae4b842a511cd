"""Read-only selectors for the risk register and the visit programme, over the stored assessments
(``service_risk``), scoped to the viewer's council and counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.models import Organisation, User
from selfassess.db import Page, built_once
from selfassess.oversight.models import ServiceRisk
from selfassess.providers.levels import SupportLevel, is_escalated
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
    within_interval_on: date | None = None  # only services visited within their interval on this day


@dataclass(frozen=True)
class RegisterRow:
    """One service's line in the register, the programme and the API: only the columns they show,
    read as plain values (loading whole services and assessments for 50 lines cost more than the
    query)."""

    service_id: int
    service_name: str
    provider_name: str
    officer_name: str | None
    score: int
    band: str
    factors: list[dict[str, Any]]
    next_visit_due: date | None
    last_visit_on: date | None
    assessed_at: datetime
    next_visit_on: date | None
    support_level: SupportLevel | None

    @property
    def escalated_level(self) -> SupportLevel | None:
        """The provider's level when it is above routine (the levels' rule), else none to show."""
        return self.support_level if is_escalated(self.support_level) else None


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


@dataclass(frozen=True)
class RegisterPage:
    """One page of the register or the programme, and when the council's services were last
    assessed (read with the page's count: one statement less)."""

    rows: Page[RegisterRow]
    assessed_at: datetime | None
    coverage: Coverage | None = None  # the programme's: read with its count too


class Oversight:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.services = CareServices(db, viewer)
        self.officer = aliased(User, name="officer")

    def _matching(self, statement: Select, filters: RegisterFilters) -> Select:  # type: ignore[type-arg]
        """``statement`` (over ServiceRisk) kept to the viewer's active services that the filters keep.
        The risk row's own council is named too, so its council's rows are read by index, not the
        whole country's by score or due date."""
        statement = self.services.scope(
            statement.select_from(ServiceRisk)
            .join(CareService, CareService.id == ServiceRisk.service_id)
            .where(ServiceRisk.council_id == self.viewer.organisation_id, CareService.is_active.is_(True))
        )
        if filters.band:
            statement = statement.where(ServiceRisk.band == filters.band)
        if filters.officer_id is not None:
            statement = statement.where(CareService.assigned_officer_id == filters.officer_id)
        if filters.service_type is not None:
            statement = statement.where(CareService.service_type == filters.service_type)
        if filters.provider_id is not None:
            statement = statement.where(CareService.provider_id == filters.provider_id)
        if filters.within_interval_on is not None:
            statement = statement.where(_within_interval(filters.within_interval_on))
        return statement

    def listing(self, filters: RegisterFilters) -> Select:  # type: ignore[type-arg]
        """The register's rows (``RegisterRow``'s columns), scoped and filtered as on its page,
        unordered (for the API's cursor)."""
        officer = self.officer
        next_visit = (
            select(func.min(Visit.scheduled_for))
            .where(Visit.service_id == CareService.id, Visit.status.in_(UPCOMING))
            .scalar_subquery()
        )
        return (
            self._matching(
                select(
                    ServiceRisk.service_id,
                    CareService.name,
                    Organisation.name,
                    officer.full_name,
                    ServiceRisk.score,
                    ServiceRisk.band,
                    ServiceRisk.factors,
                    ServiceRisk.next_visit_due,
                    ServiceRisk.last_visit_on,
                    ServiceRisk.assessed_at,
                    next_visit,
                    ProviderSupport.level,
                ),
                filters,
            )
            .join(Organisation, Organisation.id == CareService.provider_id)
            .outerjoin(ProviderSupport, current_level(CareService.council_id, CareService.provider_id))
            .outerjoin(officer, officer.id == CareService.assigned_officer_id)
        )

    async def _page(
        self,
        what: str,
        filters: RegisterFilters,
        due_by: date | None,
        order: tuple[Any, ...],
        number: int,
        size: int,
        coverage_on: date | None = None,
    ) -> RegisterPage:
        """One page of the register (or, with ``due_by``, of the programme), counted from the same
        selection without the joins that only name things. The page's services are picked first
        from that selection; names, booked visits and levels are then read for those 50 only. The
        count's statement also reads when the council was last assessed, and with ``coverage_on``
        the programme's coverage (each its own one-row aggregate beside the count). The statements
        are built once for each council, filters, dates and page (``built_once``)."""
        key = (what, self.viewer.organisation_id, self.viewer.is_provider, filters, due_by, coverage_on)
        matching, rows, summary = built_once(key, lambda: self._statements(filters, due_by, coverage_on))
        total, assessed_at, *coverage = (await self.db.execute(summary)).one()
        number = max(1, min(number, -(-total // size) or 1))

        def page_of_rows() -> Select:  # type: ignore[type-arg]
            shown = matching.order_by(*order).limit(size).offset((number - 1) * size).correlate(None)
            return rows.where(ServiceRisk.service_id.in_(shown)).order_by(*order)

        page = await self.db.execute(built_once((*key, number, size), page_of_rows))
        return RegisterPage(
            Page(items=[RegisterRow(*row) for row in page], total=total, number=number, size=size),
            assessed_at,
            Coverage(*coverage) if coverage else None,
        )

    def _statements(
        self, filters: RegisterFilters, due_by: date | None, coverage_on: date | None
    ) -> tuple[Select, Select, Select]:  # type: ignore[type-arg]
        """``_page``'s selection (service ids), its rows, and the summary that counts it."""
        matching = self._matching(select(ServiceRisk.service_id), filters)
        rows = self.listing(filters)
        if due_by is not None:
            matching, rows = _due_by(matching, due_by), _due_by(rows, due_by)
        counted = select(func.count().label("total")).select_from(matching.subquery()).subquery()
        summary = select(counted.c.total, self._assessed_at())
        if coverage_on is not None:
            covered = self._coverage(coverage_on).subquery()
            summary = summary.add_columns(*covered.c).join_from(counted, covered, true())
        return matching, rows, summary

    async def register(self, filters: RegisterFilters, *, number: int = 1, size: int = 50) -> RegisterPage:
        order = (ServiceRisk.score.desc(), CareService.name, CareService.id)
        return await self._page("register", filters, None, order, number, size)

    def _assessed_at(self):  # type: ignore[no-untyped-def]
        """When the council's services were last assessed (a scalar subquery)."""
        return (
            select(func.max(ServiceRisk.assessed_at))
            .where(ServiceRisk.council_id == self.viewer.organisation_id)
            .scalar_subquery()
        )

    # --- the visit programme -------------------------------------------------------------------

    async def programme(
        self, filters: RegisterFilters, until: date, today: date, *, number: int = 1, size: int = 50
    ) -> RegisterPage:
        """Services due a visit by ``until`` (overdue first), with any visit already booked, and
        the coverage on ``today``."""
        order = (ServiceRisk.next_visit_due, CareService.name, CareService.id)
        return await self._page("programme", filters, until, order, number, size, coverage_on=today)

    async def by_month(self, filters: RegisterFilters, today: date, until: date) -> list[MonthLoad]:
        """How many services fall due each month and for which officer; overdue ones count in the
        current month."""
        key = (
            "programme by month",
            self.viewer.organisation_id,
            self.viewer.is_provider,
            filters,
            today,
            until,
        )
        return [
            MonthLoad(int(y), int(m), officer_id, name, count)
            for y, m, officer_id, name, count in await self.db.execute(
                built_once(key, lambda: self._by_month(filters, today, until))
            )
        ]

    def _by_month(self, filters: RegisterFilters, today: date, until: date) -> Select:  # type: ignore[type-arg]
        officer = self.officer
        due = func.coalesce(
            case((ServiceRisk.next_visit_due < today, today), else_=ServiceRisk.next_visit_due), today
        )
        year, month = extract("year", due), extract("month", due)
        return (
            _due_by(
                self._matching(
                    select(year, month, CareService.assigned_officer_id, officer.full_name, func.count()),
                    filters,
                ),
                until,
            )
            .outerjoin(officer, officer.id == CareService.assigned_officer_id)
            .group_by(year, month, CareService.assigned_officer_id, officer.full_name)
            .order_by(year, month, officer.full_name)
        )

    def _coverage(self, today: date, *more: ColumnElement[int]) -> Select:  # type: ignore[type-arg]
        """Services visited within their interval: visited, and their next visit not yet due
        (columns ``services`` and ``within_interval``), with ``more`` counts over the same services."""
        counts = select(
            func.count().label("services"),
            func.count(case((_within_interval(today), 1))).label("within_interval"),
            *more,
        )
        return self._matching(counts, RegisterFilters())

    def coverage_and_due(self, today: date, until: date) -> Select:  # type: ignore[type-arg]
        """The statement that counts ``_coverage(today)`` and the programme's list up to ``until``,
        unfiltered (``due``): the quarterly report shows them, with its other figures."""
        return self._coverage(today, func.count(case((_due(until), 1))).label("due"))


def _due_by(statement: Select, until: date) -> Select:  # type: ignore[type-arg]
    return statement.where(_due(until))


def _due(until: date) -> ColumnElement[bool]:
    """The programme's rule: services whose next visit is due by ``until``, overdue ones included."""
    return ServiceRisk.next_visit_due <= until


def _within_interval(today: date) -> ColumnElement[bool]:
    """Coverage's rule: visited, and the next visit not yet due (the register lists them with
    ``RegisterFilters.within_interval_on``)."""
    return and_(ServiceRisk.last_visit_on.is_not(None), ServiceRisk.next_visit_due >= today)
