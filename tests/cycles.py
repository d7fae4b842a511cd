"""Whole quality cycles made through the real service functions: a submitted self-assessment, a
visit scored, locked and published, and the action plan proposed from it. Used where a test needs
history (several cycles, several services) rather than one particular state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.actions.models import ActionPlan
from selfassess.actions.service import ActionPlans
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import Visit, VisitScore, VisitType
from selfassess.visits.service import Visits


@dataclass(frozen=True)
class Cycle:
    assessment: SelfAssessment
    visit: Visit
    plan: ActionPlan | None


async def submitted(
    db: AsyncSession, settings: Settings, provider_user: User, service: CareService, period: str, score: int
) -> SelfAssessment:
    """A self-assessment with every statement scored `score` (the first one a point higher), submitted."""
    assessments = SelfAssessments(db, provider_user, settings)
    assessment = await assessments.start(service, period)
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .values(score=score, narrative="What we do.")
    )
    first = min(answer.id for answer in (await assessments.answers(assessment)).values() if answer.id)
    await db.execute(
        update(SelfAssessmentAnswer).where(SelfAssessmentAnswer.id == first).values(score=min(score + 1, 4))
    )
    await db.commit()
    await assessments.submit(assessment, service)
    return assessment


async def locked_visit(
    db: AsyncSession, settings: Settings, officer: User, service: CareService, on: date, score: int
) -> Visit:
    """A visit to `service` on `on`, every statement scored `score`, its scores locked."""
    visits = Visits(db, officer, settings)
    visit = await visits.schedule(
        service,
        VisitForm(visit_type=VisitType.PROACTIVE, scheduled_for=on, announced=True, officer_id=officer.id),
    )
    await db.execute(
        update(VisitScore)
        .where(VisitScore.visit_id == visit.id)
        .values(score=score, findings="Seen on the day.")
    )
    await db.commit()
    await visits.lock_scores(visit)
    return visit


async def shared_visit(
    db: AsyncSession, settings: Settings, officer: User, service: CareService, on: date, score: int
) -> Visit:
    """The same, with its draft report shared for factual accuracy."""
    visit = await locked_visit(db, settings, officer, service, on, score)
    visits = Visits(db, officer, settings)
    await visits.save_summary(visit, expected_version=visit.version, summary="What we found.")
    await visits.share_draft(visit, service)
    return visit


async def published_visit(
    db: AsyncSession, settings: Settings, officer: User, service: CareService, on: date, score: int
) -> Visit:
    """The same, published once the comment period is over."""
    visit = await shared_visit(db, settings, officer, service, on, score)
    visit.factual_accuracy_due = on - timedelta(days=1)
    await Visits(db, officer, settings).publish(visit, service)
    return visit


async def full_cycle(
    db: AsyncSession,
    settings: Settings,
    *,
    service: CareService,
    provider_user: User,
    officer: User,
    period: str,
    on: date,
    self_score: int = 3,
    officer_score: int = 2,
    with_plan: bool = True,
) -> Cycle:
    assessment = await submitted(db, settings, provider_user, service, period, self_score)
    visit = await published_visit(db, settings, officer, service, on, officer_score)
    plan = await ActionPlans(db, officer, settings).generate(visit, service) if with_plan else None
    return Cycle(assessment, visit, plan)
