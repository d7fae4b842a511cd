"""Which self-assessment a visit tests: the one selector the visit page, the lock message, the
comparison page, the plan proposal and the provider's accuracy figures ask. The comparison
summaries record its answer, which is what the blind-scoring rule reads
(``assessments.service.tested_by_a_locked_visit``).

A visit tests the latest self-assessment of the visited service, on the visit's framework version,
that is submitted or reviewed (never a draft, nor one sent back for more information) and was
submitted before the officer's scores were locked (while scoring goes on: the latest so far),
whatever order the visit and the submission came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.assessments.models import AssessmentStatus, SelfAssessment
from selfassess.visits.comparison_models import VisitComparison
from selfassess.visits.models import Visit, VisitStatus

TESTABLE_STATUSES = tuple(status for status in AssessmentStatus if status.is_submitted)
SCORES_LOCKED_OR_LATER = (VisitStatus.SCORES_LOCKED, VisitStatus.DRAFT_SHARED, VisitStatus.PUBLISHED)


# Aliased once: an alias copies every column of the table each time one is made, and the scoring
# page asks for this subquery on every request.
_CANDIDATE = aliased(SelfAssessment)


def tested_assessment_id() -> Any:
    """The id of the self-assessment ``Visit`` tests (NULL for none), as a subquery correlated to
    ``Visit``, so one query can answer it for one visit or for many."""
    candidate = _CANDIDATE
    return (
        select(candidate.id)
        .where(
            candidate.service_id == Visit.service_id,
            candidate.framework_version_id == Visit.framework_version_id,
            candidate.status.in_(TESTABLE_STATUSES),
            or_(Visit.scores_locked_at.is_(None), candidate.submitted_at <= Visit.scores_locked_at),
        )
        .order_by(candidate.submitted_at.desc(), candidate.id.desc())
        .limit(1)
        .correlate(Visit)
        .scalar_subquery()
    )


async def tested_assessment_ids(db: AsyncSession, visit_ids: Sequence[int]) -> dict[int, int | None]:
    """Visit id -> the id of the self-assessment it tests, in one query."""
    if not visit_ids:
        return {}
    rows = await db.execute(select(Visit.id, tested_assessment_id()).where(Visit.id.in_(visit_ids)))
    return {visit_id: tested_id for visit_id, tested_id in rows}


async def tested_assessment(db: AsyncSession, visit: Visit) -> SelfAssessment | None:
    assert visit.id is not None
    tested_id = (await tested_assessment_ids(db, [visit.id]))[visit.id]
    return await db.get(SelfAssessment, tested_id) if tested_id is not None else None


async def tested_by_locked_visits(db: AsyncSession, visit_ids: Sequence[int]) -> dict[int, int | None]:
    """Visit id -> the self-assessment it tests, for visits whose scores are locked (or later),
    from their comparison summaries; a visit without one is not in the answer."""
    if not visit_ids:
        return {}
    rows = await db.execute(
        select(VisitComparison.visit_id, VisitComparison.assessment_id).where(
            VisitComparison.visit_id.in_(visit_ids)
        )
    )
    return {visit_id: tested_id for visit_id, tested_id in rows}
