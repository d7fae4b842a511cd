"""Demo self-assessments: Rose Lane House has submitted this cycle's (and rates itself a little
generously), Brightwater Homecare is part-way through a draft, Hollybank's last cycle was reviewed."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.assessments.models import SelfAssessment
from selfassess.assessments.service import SelfAssessments
from selfassess.settings import Settings

# Rose Lane House's own view: mostly good, outstanding for caring, by statement code.
ROSE_LANE_SCORES = {
    "S1": 3,
    "S2": 3,
    "S3": 3,
    "S4": 3,
    "S5": 3,
    "S6": 3,
    "S7": 3,
    "S8": 3,
    "E1": 3,
    "E2": 3,
    "E3": 3,
    "E4": 3,
    "E5": 3,
    "E6": 3,
    "C1": 4,
    "C2": 4,
    "C3": 3,
    "C4": 3,
    "C5": 3,
    "R1": 3,
    "R2": 3,
    "R3": 3,
    "R4": 3,
    "R5": 3,
    "R6": 3,
    "R7": 3,
    "W1": 3,
    "W2": 3,
    "W3": 3,
    "W4": 3,
    "W5": 3,
    "W6": 3,
    "W7": 3,
    "W8": 2,
}

NARRATIVES = {
    "S1": "Every incident is logged on our electronic system the same day and reviewed at the weekly "
    "clinical governance huddle. Learning is shared at handovers and in the monthly staff newsletter.",
    "S3": "All staff complete safeguarding training at induction and yearly. We made four safeguarding "
    "referrals this year; each was discussed with the local authority and lessons recorded.",
    "S6": "We use a dependency tool monthly to set staffing levels. Agency use fell from 18% to 6% "
    "this year after we recruited six care workers and two nurses.",
    "S8": "Medicines are managed with an electronic MAR system. Monthly audits by the deputy manager "
    "show good compliance; two missed doses in August were investigated and staff retrained.",
    "C1": "Relatives' survey (June): 96% said staff are kind and treat their family member with dignity. "
    "We observe practice at mealtimes monthly.",
    "C2": "Care plans start with 'About me' pages written with each person and their family; life-story "
    "work is in place for everyone living with dementia.",
    "W5": "The provider's quality team audits the home quarterly. Our action tracker is reviewed at the "
    "monthly governance meeting and shared with the council.",
    "W8": "We have started to measure energy use and food waste but do not yet have a plan.",
}

EVIDENCE = {
    "S8": ["Medicines audit, October: 98% of MAR entries complete, two errors followed up."],
    "C1": ["Relatives' survey June 2026: 41 responses, 96% positive about dignity and respect."],
    "S6": ["Dependency tool results and rotas for September to November."],
}


def _narrative(code: str, title: str) -> str:
    return NARRATIVES.get(
        code,
        f"Our approach to {title.lower()} is described in our policies, checked in "
        "our monthly audits and discussed with residents and families.",
    )


async def add_demo_assessments(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Each step runs through the service at the story's time (``clock.standing_at``), so every
    stored time, history event and notification says when it happened."""
    manager, deputy, hollybank = demo.users["manager"], demo.users["deputy"], demo.users["hollybank"]
    today = clock.today()

    def days_ago(days: int, hour: int = 10) -> AbstractContextManager[None]:
        return clock.standing_on(today - timedelta(days=days), hour)

    # Rose Lane House: started six weeks ago, submitted five weeks ago, reviewed before the visit.
    rose_lane = SelfAssessments(db, manager, settings)
    with days_ago(40):
        demo.assessments["rose_lane"] = await _filled(
            rose_lane, demo.services["rose_lane"], "2026/27", ROSE_LANE_SCORES, evidence=True
        )
    with days_ago(35):
        await rose_lane.submit(demo.assessments["rose_lane"], demo.services["rose_lane"])
    with days_ago(33, 14):
        await SelfAssessments(db, demo.users["officer"], settings).mark_reviewed(
            demo.assessments["rose_lane"], demo.services["rose_lane"], "Clear and well evidenced."
        )

    # Brightwater Homecare: a draft, the first two key questions done by the deputy manager.
    homecare = SelfAssessments(db, deputy, settings)
    with days_ago(9):
        draft = await homecare.start(demo.services["brightwater_home"], "2026/27")
        framework = await homecare.framework(draft)
        answers = await homecare.answers(draft)
        for statement in framework.statements[:12]:
            answer = answers[statement.id]
            await homecare.save_answer(
                draft,
                answer.id,
                expected_version=answer.version,
                score=3 if statement.code != "S6" else 2,
                narrative=_narrative(statement.code, statement.title),
                improvement_plan="",
            )
    demo.assessments["homecare_draft"] = draft

    # Hollybank: last cycle's assessment, reviewed; this cycle's, submitted three days ago for review.
    holly = SelfAssessments(db, hollybank, settings)
    with days_ago(300):
        previous = await _filled(holly, demo.services["hollybank"], "2025/26", {}, evidence=False, default=3)
    with days_ago(294):
        await holly.submit(previous, demo.services["hollybank"])
    with days_ago(292, 14):
        await SelfAssessments(db, demo.users["officer2"], settings).mark_reviewed(
            previous, demo.services["hollybank"]
        )
    demo.assessments["hollybank_previous"] = previous
    with days_ago(12):
        current = await _filled(
            holly, demo.services["hollybank"], "2026/27", {"C1": 4, "R3": 3, "E5": 3}, evidence=False
        )
    with days_ago(3):
        await holly.submit(current, demo.services["hollybank"])
    demo.assessments["hollybank_current"] = current


async def _filled(
    assessments: SelfAssessments,
    service,
    period: str,
    scores: dict[str, int],
    *,
    evidence: bool,  # type: ignore[no-untyped-def]
    default: int = 3,
) -> SelfAssessment:
    assessment = await assessments.start(service, period)
    framework = await assessments.framework(assessment)
    answers = await assessments.answers(assessment)
    for statement in framework.statements:
        answer = answers[statement.id]
        await assessments.save_answer(
            assessment,
            answer.id,
            expected_version=answer.version,
            score=scores.get(statement.code, default),
            narrative=_narrative(statement.code, statement.title),
            improvement_plan="Agree a sustainability plan with the provider's estates team by March."
            if statement.code == "W8"
            else "",
        )
        for text in EVIDENCE.get(statement.code, []) if evidence else []:
            await assessments.add_note(assessment, answer.id, text=text, category=None)
    return assessment
