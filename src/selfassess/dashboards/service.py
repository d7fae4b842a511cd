"""Read-only selectors for the home page: what needs each person now, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.actions.models import Action, ActionPlan, PlanStatus, overdue_condition
from selfassess.assessments.models import AssessmentStatus, SelfAssessment
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.visits.models import (
    Concern,
    ConcernStatus,
    FactualAccuracyPoint,
    PointStatus,
    Severity,
    Visit,
    VisitStatus,
)

GOOD_OR_BETTER = ("good", "outstanding")


@dataclass(frozen=True)
class Market:
    """The council's area at a glance."""

    services: int
    rated: int
    good_or_better: int

    @property
    def share_good_or_better(self) -> int | None:
        return round(100 * self.good_or_better / self.rated) if self.rated else None


@dataclass(frozen=True)
class ServiceStatus:
    """A provider's service and where it is in the cycle."""

    service: CareService
    assessment: SelfAssessment | None
    latest_rating: Visit | None
    open_plan: ActionPlan | None
    overdue: int
    shared_report: Visit | None


class Home:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.services = CareServices(db, viewer)

    async def market(self) -> Market:
        latest = (
            select(Visit.service_id, func.max(Visit.published_at).label("published_at"))
            .where(Visit.status == VisitStatus.PUBLISHED)
            .group_by(Visit.service_id)
            .subquery()
        )
        row = (
            await self.db.execute(
                self.services.scope(
                    select(
                        func.count(func.distinct(CareService.id)),
                        func.count(Visit.id),
                        func.count(case((Visit.rating_key.in_(GOOD_OR_BETTER), 1))),
                    )
                    .select_from(CareService)
                    .outerjoin(latest, latest.c.service_id == CareService.id)
                    .outerjoin(
                        Visit,
                        (Visit.service_id == CareService.id)
                        & (Visit.published_at == latest.c.published_at)
                        & (Visit.status == VisitStatus.PUBLISHED),
                    )
                    .where(CareService.is_active.is_(True))
                )
            )
        ).one()
        return Market(services=row[0], rated=row[1], good_or_better=row[2])

    async def counts(self, today: date) -> dict[str, int]:
        """What is waiting for the council, the viewer's own work first in each list's page."""
        mine = CareService.assigned_officer_id == self.viewer.id

        async def count(statement) -> int:  # type: ignore[no-untyped-def]
            return await self.db.scalar(self.services.scope(statement)) or 0

        return {
            "reviews": await count(
                select(func.count(SelfAssessment.id))
                .join(CareService, CareService.id == SelfAssessment.service_id)
                .where(SelfAssessment.status == AssessmentStatus.SUBMITTED)
            ),
            "my_visits": await count(
                select(func.count(Visit.id))
                .join(CareService, CareService.id == Visit.service_id)
                .where(
                    Visit.officer_id == self.viewer.id,
                    Visit.status.in_([VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS]),
                )
            ),
            "points": await count(
                select(func.count(FactualAccuracyPoint.id))
                .join(Visit, Visit.id == FactualAccuracyPoint.visit_id)
                .join(CareService, CareService.id == Visit.service_id)
                .where(Visit.officer_id == self.viewer.id, FactualAccuracyPoint.status == PointStatus.OPEN)
            ),
            "plans_to_agree": await count(
                select(func.count(ActionPlan.id))
                .join(CareService, CareService.id == ActionPlan.service_id)
                .where(ActionPlan.status == PlanStatus.SUBMITTED)
            ),
            "overdue_mine": await count(
                select(func.count(Action.id))
                .join(ActionPlan, ActionPlan.id == Action.plan_id)
                .join(CareService, CareService.id == ActionPlan.service_id)
                .where(mine, ActionPlan.status == PlanStatus.AGREED, overdue_condition(today))
            ),
            "overdue_all": await count(
                select(func.count(Action.id))
                .join(ActionPlan, ActionPlan.id == Action.plan_id)
                .join(CareService, CareService.id == ActionPlan.service_id)
                .where(ActionPlan.status == PlanStatus.AGREED, overdue_condition(today))
            ),
            "serious_concerns": await count(
                select(func.count(Concern.id))
                .join(CareService, CareService.id == Concern.service_id)
                .where(
                    Concern.status == ConcernStatus.OPEN,
                    Concern.severity.in_([Severity.HIGH, Severity.CRITICAL]),
                )
            ),
        }

    async def my_upcoming_visits(self) -> list[tuple[Visit, CareService]]:
        rows = await self.db.execute(
            self.services.scope(
                select(Visit, CareService)
                .join(CareService, CareService.id == Visit.service_id)
                .where(
                    Visit.officer_id == self.viewer.id,
                    Visit.status.in_([VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS]),
                )
                .order_by(Visit.scheduled_for)
                .limit(5)
            )
        )
        return [(visit, service) for visit, service in rows]

    async def provider_services(self, today: date) -> list[ServiceStatus]:
        """For a provider: each of its services, with its current self-assessment, latest published
        rating, open plan and overdue actions, and any draft report waiting for comments."""
        services = list(
            await self.db.scalars(
                self.services.scope(select(CareService).where(CareService.is_active.is_(True))).order_by(
                    CareService.name
                )
            )
        )
        ids = [service.id for service in services]
        if not ids:
            return []
        assessments = {
            a.service_id: a
            for a in await self.db.scalars(
                select(SelfAssessment)
                .where(SelfAssessment.service_id.in_(ids))
                .order_by(SelfAssessment.created_at)
            )
        }
        published = {
            v.service_id: v
            for v in await self.db.scalars(
                select(Visit)
                .where(Visit.service_id.in_(ids), Visit.status == VisitStatus.PUBLISHED)
                .order_by(Visit.published_at)
            )
        }
        shared = {
            v.service_id: v
            for v in await self.db.scalars(
                select(Visit).where(Visit.service_id.in_(ids), Visit.status == VisitStatus.DRAFT_SHARED)
            )
        }
        plans = {
            p.service_id: p
            for p in await self.db.scalars(
                select(ActionPlan)
                .where(ActionPlan.service_id.in_(ids), ActionPlan.status != PlanStatus.CLOSED)
                .order_by(ActionPlan.created_at)
            )
        }
        overdue = dict(
            (
                await self.db.execute(
                    select(ActionPlan.service_id, func.count(Action.id))
                    .join(Action, Action.plan_id == ActionPlan.id)
                    .where(
                        ActionPlan.service_id.in_(ids),
                        ActionPlan.status == PlanStatus.AGREED,
                        overdue_condition(today),
                    )
                    .group_by(ActionPlan.service_id)
                )
            ).all()
        )
        return [
            ServiceStatus(
                service,
                assessments.get(service.id),
                published.get(service.id),
                plans.get(service.id),
                overdue.get(service.id, 0),
                shared.get(service.id),
            )
            for service in services
        ]
