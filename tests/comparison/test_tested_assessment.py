"""One selector decides which self-assessment a visit tests (selfassess.visits.tested): the latest
submitted or reviewed one, submitted before the officer's scores were locked, in whatever order
the visit was scheduled. The visit page, the lock, the comparison page and the plan proposal agree.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action
from selfassess.actions.rules import Reason
from selfassess.assessments.models import SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.frameworks.models import QualityStatement
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import VisitScore, VisitType
from selfassess.visits.service import Visits
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_a_self_assessment_submitted_after_the_visit_was_scheduled_is_the_one_it_tests(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    assessments = SelfAssessments(db, world.manager_1, settings)
    assessment = await assessments.start(world.alpha, "2026/27")
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .values(score=4)
    )
    await db.commit()
    visits = Visits(db, world.officer_a, settings)
    visit = await visits.schedule(
        world.alpha,
        VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=date(2026, 12, 1),
            announced=True,
            officer_id=world.officer_a.id,
        ),
    )
    await assessments.submit(assessment, world.alpha)  # after the visit was scheduled
    await db.execute(
        update(VisitScore).where(VisitScore.visit_id == visit.id).values(score=3, findings="Seen.")
    )
    await db.commit()

    await client.login(world.officer_a.email)
    before_lock = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert "There is no submitted self-assessment" not in before_lock
    assert "Tests the provider's self-assessment 2026/27" in before_lock

    locked = await client.post(f"/visits/{visit.id}/lock")
    assert "The provider's own scores are now shown beside yours" in text_of(locked.text)
    comparison = text_of((await client.get(f"/services/{world.alpha.id}/comparison")).text)
    assert "There is nothing to compare yet" not in comparison
    assert "Over-rated by 1" in comparison, "the provider's 4s beside the officer's 3s"


async def test_a_self_assessment_sent_back_and_edited_is_not_turned_into_actions(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    assessment, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    await SelfAssessments(db, world.officer_a, settings).return_for_information(
        assessment, world.alpha, "Say more about staffing."
    )
    statement_ids = select(QualityStatement.id).where(QualityStatement.code == "S6")
    await db.execute(  # the provider's draft, not a submitted view: 4 where the officer found 3
        update(SelfAssessmentAnswer)
        .where(
            SelfAssessmentAnswer.assessment_id == assessment.id,
            SelfAssessmentAnswer.statement_id.in_(statement_ids),
        )
        .values(score=4)
    )
    await db.commit()

    await client.login(world.officer_a.email)
    comparison = text_of((await client.get(f"/services/{world.alpha.id}/comparison")).text)
    assert "There is nothing to compare yet" in comparison
    proposed = await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)
    assert proposed.status_code == 303
    reasons = set(await db.scalars(select(Action.reason)))
    assert Reason.OVERRATED not in reasons and Reason.BOTH not in reasons, reasons
