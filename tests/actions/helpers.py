"""Arranging a published visit (through the real service functions) for action plan tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.frameworks.models import QualityStatement
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import Visit, VisitScore, VisitType
from selfassess.visits.service import Visits
from tests import factories


async def _statement_ids(db: AsyncSession, version_id: int) -> dict[str, int]:
    return dict(
        (
            await db.execute(
                select(QualityStatement.code, QualityStatement.id).where(
                    QualityStatement.version_id == version_id
                )
            )
        ).all()
    )


async def published_visit(
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
    *,
    self_scores: dict[str, int],
    officer_scores: dict[str, int],
    findings: dict[str, str] | None = None,
    default: int = 3,
) -> tuple[SelfAssessment, Visit]:
    """Alpha House: a submitted self-assessment (default 3s) and a published visit testing it."""
    assessments = SelfAssessments(db, world.manager_1, settings)
    assessment = await assessments.start(world.alpha, "2026/27")
    ids = await _statement_ids(db, assessment.framework_version_id)
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .values(score=default)
    )
    for code, score in self_scores.items():
        await db.execute(
            update(SelfAssessmentAnswer)
            .where(
                SelfAssessmentAnswer.assessment_id == assessment.id,
                SelfAssessmentAnswer.statement_id == ids[code],
            )
            .values(score=score)
        )
    await db.commit()
    await assessments.submit(assessment, world.alpha)

    visits = Visits(db, world.officer_a, settings)
    visit = await visits.schedule(
        world.alpha,
        VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=date.today(),
            announced=True,
            officer_id=world.officer_a.id,
        ),
    )
    await db.execute(
        update(VisitScore)
        .where(VisitScore.visit_id == visit.id)
        .values(score=default, findings="Met on the day.")
    )
    for code, score in officer_scores.items():
        await db.execute(
            update(VisitScore)
            .where(VisitScore.visit_id == visit.id, VisitScore.statement_id == ids[code])
            .values(score=score, findings=(findings or {}).get(code, ""))
        )
    await db.commit()
    await visits.lock_scores(visit)
    await visits.save_summary(visit, expected_version=visit.version, summary="Summary of the visit.")
    await visits.share_draft(visit, world.alpha)
    visit.factual_accuracy_due = date.today().replace(year=date.today().year - 1)  # comment period over
    await visits.publish(visit, world.alpha)
    return assessment, visit
