"""Keeping `visit_comparison` (and its cells) in step with the scores it summarises.

A service's summaries are rebuilt, in SQL and in the caller's transaction, whenever something
changes which self-assessment one of its visits tests, what the two sides scored once the visit's
scores are locked, or the visit's status they carry: scores locked, a factual accuracy point
changing a score, a visit shared, published or cancelled, a self-assessment submitted, returned or
reviewed; and when the regulator's records move the service to another provider (the summaries
carry its provider). Rebuilding one service costs a few statements over its own few visits,
whatever the size of the rest of the database. The migration that gave them the visit's columns
(0037) and the benchmark's generator fill them with the same statements (`refresh_statements()`
without a service).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, and_, case, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.hooks import submissions_changed
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.providers.hooks import service_moved
from selfassess.providers.models import CareService
from selfassess.visits.comparison_models import VisitComparison, VisitComparisonCell
from selfassess.visits.models import Visit, VisitScore
from selfassess.visits.tested import SCORES_LOCKED_OR_LATER, tested_assessment_id


def refresh_statements(service_ids: Sequence[int] | None = None) -> list[Executable]:
    """The statements that rebuild the summaries of these services' visits (all when None)."""

    def of_services(column: Any) -> Any:
        return column.in_(service_ids) if service_ids is not None else true()

    summarised = select(VisitComparison.visit_id).where(of_services(VisitComparison.service_id))
    cell = VisitComparisonCell
    self_score, officer_score = SelfAssessmentAnswer.score, VisitScore.score
    cells = (
        select(VisitComparison.visit_id, self_score, officer_score, func.count())
        .select_from(VisitComparison)
        .join(VisitScore, VisitScore.visit_id == VisitComparison.visit_id)
        .join(
            SelfAssessmentAnswer,
            and_(
                SelfAssessmentAnswer.assessment_id == VisitComparison.assessment_id,
                SelfAssessmentAnswer.statement_id == VisitScore.statement_id,
            ),
        )
        .where(of_services(VisitComparison.service_id), self_score.is_not(None), officer_score.is_not(None))
        .group_by(VisitComparison.visit_id, self_score, officer_score)
    )

    def total(value: Any) -> Any:
        return (
            select(func.coalesce(func.sum(value), 0))
            .where(cell.visit_id == VisitComparison.visit_id)
            .scalar_subquery()
        )

    return [
        delete(cell).where(cell.visit_id.in_(summarised)),
        delete(VisitComparison).where(of_services(VisitComparison.service_id)),
        insert(VisitComparison).from_select(
            [
                "visit_id",
                "service_id",
                "provider_id",
                "assessment_id",
                "visit_status",
                "framework_version_id",
                "scheduled_for",
            ],
            select(
                Visit.id,
                Visit.service_id,
                CareService.provider_id,
                tested_assessment_id(),
                Visit.status,
                Visit.framework_version_id,
                Visit.scheduled_for,
            )
            .join(CareService, CareService.id == Visit.service_id)
            .where(of_services(Visit.service_id), Visit.status.in_(SCORES_LOCKED_OR_LATER)),
        ),
        insert(cell).from_select(["visit_id", "self_score", "officer_score", "statements"], cells),
        update(VisitComparison)
        .where(of_services(VisitComparison.service_id))
        .values(
            pairs=total(cell.statements),
            difference_total=total((cell.self_score - cell.officer_score) * cell.statements),
            overrated=total(case((cell.self_score > cell.officer_score, cell.statements), else_=0)),
            period_label=select(SelfAssessment.period_label)
            .where(SelfAssessment.id == VisitComparison.assessment_id)
            .scalar_subquery(),
        ),
    ]


async def refresh_visit_comparisons(db: AsyncSession, service_id: int | None) -> None:
    """Rebuild one service's summaries (None: every service's) in the current transaction, with
    pending changes flushed first."""
    await db.flush()
    for statement in refresh_statements(None if service_id is None else [service_id]):
        await db.execute(statement, execution_options={"synchronize_session": False})


@submissions_changed.subscribe
async def _refresh_after_submission(db: AsyncSession, service: CareService) -> None:
    await refresh_visit_comparisons(db, service.id)


@service_moved.subscribe
async def _refresh_after_move(db: AsyncSession, service: CareService) -> None:
    """The summaries carry the service's provider."""
    await refresh_visit_comparisons(db, service.id)
