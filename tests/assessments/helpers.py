"""Driving a self-assessment through HTTP, as the pages do."""

from __future__ import annotations

import re

from httpx import Response
from sqlalchemy import String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.providers.models import CareService
from tests.support import Browser


async def start(client: Browser, service: CareService, db: AsyncSession) -> SelfAssessment:
    response = await client.post(
        f"/services/{service.id}/assessments", {"period_label": "2026/27"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assessment_id = int(re.fullmatch(r"/assessments/(\d+)", response.headers["location"]).group(1))
    assessment = await db.get_one(SelfAssessment, assessment_id)
    await db.commit()  # end the read, so later reads see what the app writes (SQLite snapshots)
    return assessment


async def answers(db: AsyncSession, assessment: SelfAssessment) -> list[SelfAssessmentAnswer]:
    """In framework order (the order answer rows are created in), as stored now."""
    await db.commit()
    result = await db.scalars(
        select(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .order_by(SelfAssessmentAnswer.id)
        .execution_options(populate_existing=True)
    )
    rows = list(result)
    await db.commit()
    return rows


async def save(
    client: Browser,
    assessment: SelfAssessment,
    answer: SelfAssessmentAnswer,
    *,
    version: int | None = None,
    score: int | str | None = None,
    narrative: str = "",
    improvement_plan: str = "",
) -> Response:
    return await client.post(
        f"/assessments/{assessment.id}/answers/{answer.id}",
        {
            "version": answer.version if version is None else version,
            "score": "" if score is None else score,
            "narrative": narrative,
            "improvement_plan": improvement_plan,
        },
        htmx=True,
    )


async def score_all(db: AsyncSession, assessment: SelfAssessment, score: int = 3) -> None:
    """Arrange: every unscored statement answered at once (autosave itself is tested on its own)."""
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id, SelfAssessmentAnswer.score.is_(None))
        .values(
            score=score,
            narrative="We meet this statement: " + func.cast(SelfAssessmentAnswer.id, String),
            version=SelfAssessmentAnswer.version + 1,
        )
    )
    await db.commit()
