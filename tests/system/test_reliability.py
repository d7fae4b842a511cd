"""A failure part-way through a change leaves nothing half-done, and what was saved stays saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments import service as assessment_service
from selfassess.assessments.models import AssessmentEvent, AssessmentStatus
from selfassess.notifications.models import Notification
from tests import factories
from tests.assessments.helpers import answers, save, score_all, start
from tests.support import Browser, reload

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_a_crash_while_submitting_rolls_the_whole_step_back(
    client: Browser, db: AsyncSession, world: factories.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    assert (
        await save(client, assessment, first, score=4, narrative="Acknowledged before the crash.")
    ).status_code == 200
    await score_all(db, assessment)

    async def broken_notify(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(assessment_service, "notify", broken_notify)
    crashed = await client.post(f"/assessments/{assessment.id}/submit")
    assert crashed.status_code == 500

    await reload(db, assessment)
    assert assessment.status is AssessmentStatus.DRAFT and assessment.submitted_at is None
    assert (
        await db.scalar(
            select(func.count()).where(
                AssessmentEvent.assessment_id == assessment.id,
                AssessmentEvent.to_status == AssessmentStatus.SUBMITTED,
            )
        )
        == 0
    )
    assert await db.scalar(select(func.count()).select_from(Notification)) == 0
    kept = (await answers(db, assessment))[0]
    assert (kept.score, kept.narrative) == (4, "Acknowledged before the crash.")

    monkeypatch.undo()
    assert (await client.post(f"/assessments/{assessment.id}/submit")).status_code == 200, (
        "it can simply be retried"
    )
    await reload(db, assessment)
    assert assessment.status is AssessmentStatus.SUBMITTED
