"""The demo's open round: Northbridge's 2026/27 self-assessment round for every service, opened
three weeks ago with a deadline in two months. Rose Lane House and Hollybank have submitted,
Brightwater Homecare has started, Willow Court and Meadowview Day Centre have not; Meadowview's
2025/26 self-assessment (reviewed last year) is there to start from."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.assessments.models import AssessmentEvent, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.db import utcnow
from selfassess.frameworks.service import council_settings
from selfassess.rounds.models import AssessmentRound
from selfassess.settings import Settings


async def add_demo_round(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    now, today = utcnow(), clock.today()
    person, service = demo.users["meadowview"], demo.services["meadow"]
    meadowview = SelfAssessments(db, person, settings)
    last_year = await meadowview.start(service, "2025/26")
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == last_year.id)
        .values(
            score=3,
            narrative="Our day centre's approach is set out in our policies and checked at monthly audits.",
            version=1,
            updated_by_id=person.id,
            updated_at=now - timedelta(days=405),
        )
    )
    await meadowview.submit(last_year, service)
    await SelfAssessments(db, demo.users["officer2"], settings).mark_reviewed(last_year, service)
    # Older than a year: the risk register still counts Meadowview as without a recent self-assessment.
    last_year.created_at, last_year.submitted_at = now - timedelta(days=420), now - timedelta(days=400)
    last_year.reviewed_at = now - timedelta(days=390)
    await db.execute(
        update(AssessmentEvent)
        .where(AssessmentEvent.assessment_id == last_year.id)
        .values(occurred_at=now - timedelta(days=400))
    )

    northbridge = demo.councils["northbridge"]
    db.add(
        AssessmentRound(
            council_id=northbridge.id,
            name="2026/27",
            framework_version_id=(await council_settings(db, northbridge.id)).framework_version_id,
            service_types=[],
            opens_on=today - timedelta(days=21),
            deadline=today + timedelta(days=60),
            created_by_id=demo.users["admin"].id,
            created_at=now - timedelta(days=22),
        )
    )
    await db.commit()
