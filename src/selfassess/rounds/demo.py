"""The demo's open round: Northbridge's 2026/27 self-assessment round for every service, opened
three weeks ago with a deadline in two months. Rose Lane House and Hollybank have submitted,
Brightwater Homecare has started, Willow Court and Meadowview Day Centre have not; Meadowview's
2025/26 self-assessment (reviewed last year) is there to start from."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.assessments.service import SelfAssessments
from selfassess.frameworks.service import council_settings
from selfassess.rounds.schemas import RoundForm
from selfassess.rounds.service import Rounds
from selfassess.settings import Settings

LAST_YEARS_NARRATIVE = "Our day centre's approach is set out in our policies and checked at monthly audits."


async def add_demo_round(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Each step runs through the services at the story's time (``clock.standing_on``)."""
    today = clock.today()

    def days_ago(days: int, hour: int = 10) -> AbstractContextManager[None]:
        return clock.standing_on(today - timedelta(days=days), hour)

    service = demo.services["meadow"]
    meadowview = SelfAssessments(db, demo.users["meadowview"], settings)
    # Submitted more than a year ago: the risk register still counts Meadowview as without a recent
    # self-assessment.
    with days_ago(395):
        last_year = await meadowview.start(service, "2025/26")
    with days_ago(390, 14):
        answers = await meadowview.answers(last_year)
        for answer in answers.values():
            await meadowview.save_answer(
                last_year,
                answer.id,
                expected_version=answer.version,
                score=3,
                narrative=LAST_YEARS_NARRATIVE,
                improvement_plan="",
            )
    with days_ago(385):
        await meadowview.submit(last_year, service)
    with days_ago(375, 11):
        await SelfAssessments(db, demo.users["officer2"], settings).mark_reviewed(last_year, service)

    northbridge = demo.councils["northbridge"]
    with days_ago(22):
        await Rounds(db, demo.users["admin"]).open_round(
            RoundForm(
                name="2026/27",
                framework_version_id=(await council_settings(db, northbridge.id)).framework_version_id,
                opens_on=today - timedelta(days=21),
                deadline=today + timedelta(days=60),
            ),
            clock.today(),
        )
    await db.commit()
