"""Arranging comparisons: submitted self-assessments made through the pages, and visits written
straight into the database (the visit workflow's own pages are tested with the visits slice). What
is written straight in gets its comparison summaries rebuilt, as the service functions would."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.frameworks.service import latest_published_version_id, load_framework
from selfassess.providers.models import CareService
from selfassess.visits.comparison_summaries import refresh_visit_comparisons
from selfassess.visits.models import Visit, VisitScore, VisitStatus, VisitType
from tests.assessments.helpers import score_all
from tests.support import Browser, reload


async def submitted_assessment(
    provider: Browser,
    db: AsyncSession,
    service: CareService,
    *,
    period: str = "2026/27",
    score: int = 3,
    scores: Mapping[str, int] | None = None,
    submitted_on: date = date(2026, 5, 1),
) -> SelfAssessment:
    """Started and submitted by the signed-in provider user: every statement `score`, except those
    named in `scores` (by statement code)."""
    started = await provider.post(
        f"/services/{service.id}/assessments", {"period_label": period}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    assessment_id = int(re.fullmatch(r"/assessments/(\d+)", started.headers["location"]).group(1))
    assessment = await db.get_one(SelfAssessment, assessment_id)
    await db.commit()
    await _score_statements(db, assessment, scores or {})
    await score_all(db, assessment, score)
    submitted = await provider.post(f"/assessments/{assessment.id}/submit", follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    await reload(db, assessment)
    assessment.submitted_at = _midnight(submitted_on)
    await refresh_visit_comparisons(db, service.id)
    await db.commit()
    return assessment


async def visit(
    db: AsyncSession,
    service: CareService,
    officer: User,
    assessment: SelfAssessment | None,
    *,
    status: VisitStatus = VisitStatus.PUBLISHED,
    score: int = 3,
    scores: Mapping[str, int] | None = None,
    on: date = date(2026, 6, 1),
    framework_slug: str | None = None,
) -> Visit:
    """A visit testing `assessment`, with a score for every statement: `score`, except those named
    in `scores`. Scored against the assessment's framework version unless `framework_slug` says
    otherwise."""
    if framework_slug is not None:
        version_id = await latest_published_version_id(db, framework_slug)
    else:
        assert assessment is not None
        version_id = assessment.framework_version_id
    assert version_id is not None
    locked = status in (VisitStatus.SCORES_LOCKED, VisitStatus.DRAFT_SHARED, VisitStatus.PUBLISHED)
    record = Visit(
        service_id=service.id,
        council_id=service.council_id,
        framework_version_id=version_id,
        self_assessment_id=assessment.id if assessment else None,
        visit_type=VisitType.PROACTIVE,
        status=status,
        scheduled_for=on,
        officer_id=officer.id,
        scores_locked_at=_midnight(on) if locked else None,
        published_at=(_midnight(on) if status is VisitStatus.PUBLISHED else None),
    )
    db.add(record)
    await db.flush()
    framework = await load_framework(db, version_id)
    db.add_all(
        VisitScore(
            visit_id=record.id,
            statement_id=statement.id,
            score=(scores or {}).get(statement.code, score),
            findings=f"Officer's finding on {statement.code}",
        )
        for statement in framework.statements
    )
    await refresh_visit_comparisons(db, service.id)
    await db.commit()
    return record


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


async def _score_statements(db: AsyncSession, assessment: SelfAssessment, scores: Mapping[str, int]) -> None:
    framework = await load_framework(db, assessment.framework_version_id)
    by_code = {statement.code: statement.id for statement in framework.statements}
    for code, value in scores.items():
        await db.execute(
            update(SelfAssessmentAnswer)
            .where(
                SelfAssessmentAnswer.assessment_id == assessment.id,
                SelfAssessmentAnswer.statement_id == by_code[code],
            )
            .values(score=value)
        )
    await db.commit()
