"""Demo visits: Rose Lane House's proactive visit is published (the officer found medicines,
staffing and governance weaker than the home said), a reactive visit to Brightwater Homecare
follows the regulator's intelligence, and Hollybank has last cycle's published report: three key
questions good but two requiring improvement, so requires improvement overall by the regulator's
rating principles (a percentage of key question points would have said good, 65%)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import Concern, ConcernSource, Visit, VisitType
from selfassess.visits.service import Visits

ROSE_LANE_FINDINGS = {
    "S1": (
        2,
        "Incidents are logged, but the weekly review had lapsed since August and falls were not "
        "analysed for patterns.",
    ),
    "S5": (2, "Two fire doors were wedged open and the sluice room was unlocked with chemicals inside."),
    "S2": (2, "Hospital discharge information was not always in the care record within 24 hours."),
    "S8": (
        2,
        "Two residents' time-critical Parkinson's medicines were given over an hour late on the day "
        "of the visit. PRN protocols were missing for three people. The monthly audit had not picked "
        "this up.",
    ),
    "S6": (
        2,
        "Rotas show nights regularly run one care worker below the home's own dependency assessment; "
        "agency staff had no induction record.",
    ),
    "W5": (
        2,
        "Audits happen, but actions from the last two quarterly audits were still open with no owner "
        "or date. The governance meeting minutes did not follow them up.",
    ),
    "C1": (
        4,
        "People were treated with real warmth; staff knew life stories and used them in conversation. "
        "Relatives praised the home without exception.",
    ),
    "S3": (3, "Staff knew how to raise a safeguarding concern and referrals were timely."),
}

# Effective and Responsive each fall to requires improvement (14/24 = 58%, 17/28 = 61%).
HOLLYBANK_FINDINGS = {
    "E1": (2, "Care plans were not reviewed after two people's needs changed."),
    "E2": (2, "Pressure care did not follow the home's own guidance for two people at risk."),
    "E4": (2, "People were not supported to stay active; the activity plan was not followed."),
    "E5": (2, "The home did not track outcomes such as falls or weight over time."),
    "R3": (2, "Information about the home was not available in easy-read or large print."),
    "R4": (2, "Residents' meetings had stopped and feedback from relatives was not acted on."),
    "R5": (2, "One person's communication needs were not recorded or met."),
    "R6": (2, "Outcomes for people with dementia were not reviewed."),
}

HOLLYBANK_SUMMARY = (
    "Hollybank has a stable, caring staff team and is safe and well led. But care plans and outcomes "
    "were not reviewed, information was not accessible, and people's feedback was not acted on: two key "
    "questions require improvement, so the home requires improvement overall."
)

ROSE_LANE_SUMMARY = (
    "Rose Lane House is a warm and caring home where people are treated with dignity. Leaders know "
    "people well. However, medicines were not always given safely, night staffing fell below the home's "
    "own assessed levels, and actions from audits were not followed through. The home needs to improve "
    "in these areas; the council will agree an action plan with the provider."
)


async def add_demo_visits(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Each step runs through the service at the story's time (``clock.standing_on``)."""
    officer, officer2 = demo.users["officer"], demo.users["officer2"]
    today = clock.today()

    def days_ago(days: int, hour: int = 10) -> AbstractContextManager[None]:
        return clock.standing_on(today - timedelta(days=days), hour)

    # Rose Lane House: visited three weeks ago; the home had no factual accuracy points; published
    # last week.
    visits = Visits(db, officer, settings)
    rose_lane = demo.services["rose_lane"]
    with days_ago(30):
        visit = await visits.schedule(
            rose_lane,
            VisitForm(
                visit_type=VisitType.PROACTIVE,
                scheduled_for=today - timedelta(days=21),
                announced=True,
                officer_id=officer.id,
            ),
        )
    await _report(visits, visit, rose_lane, ROSE_LANE_FINDINGS, ROSE_LANE_SUMMARY, today, shared=16)
    with days_ago(10, 11):
        await Visits(db, demo.users["manager"], settings).finish_points(visit)
    with days_ago(7, 15):
        await visits.publish(visit, rose_lane)
    demo.visits["rose_lane"] = visit

    # Brightwater Homecare: a reactive visit next week, following the regulator's intelligence.
    homecare = demo.services["brightwater_home"]
    intelligence = await db.scalar(
        select(Concern.id).where(Concern.service_id == homecare.id, Concern.source == ConcernSource.CQC)
    )
    with days_ago(2):
        demo.visits["homecare_reactive"] = await visits.schedule(
            homecare,
            VisitForm(
                visit_type=VisitType.REACTIVE,
                scheduled_for=today + timedelta(days=6),
                announced=False,
                officer_id=officer.id,
                concern_ids=[intelligence] if intelligence else [],
            ),
        )

    # Hollybank: last cycle's visit, published nine months ago after the comment period.
    holly_visits = Visits(db, officer2, settings)
    hollybank = demo.services["hollybank"]
    with days_ago(293):
        previous = await holly_visits.schedule(
            hollybank,
            VisitForm(
                visit_type=VisitType.PROACTIVE,
                scheduled_for=today - timedelta(days=290),
                announced=True,
                officer_id=officer2.id,
            ),
        )
        previous.self_assessment_id = demo.assessments["hollybank_previous"].id  # that cycle's, not today's
        await db.commit()
    await _report(holly_visits, previous, hollybank, HOLLYBANK_FINDINGS, HOLLYBANK_SUMMARY, today, shared=285)
    with days_ago(270, 15):
        await holly_visits.publish(previous, hollybank)
    demo.visits["hollybank_previous"] = previous


async def _report(
    visits: Visits,
    visit: Visit,
    service,  # type: ignore[no-untyped-def]
    findings: dict[str, tuple[int, str]],
    summary: str,
    today: date,
    *,
    shared: int,
) -> None:
    """Scored on the day of the visit, locked two days later, the draft shared ``shared`` days ago."""
    with clock.standing_on(visit.scheduled_for, 15, 30):
        framework = await visits.framework(visit)
        scores = await visits.scores(visit)
        for statement in framework.statements:
            score = scores[statement.id]
            value, finding = findings.get(
                statement.code, (3, "Met: consistent with what people and staff told us.")
            )
            await visits.save_score(
                visit,
                score.id,
                expected_version=score.version,
                score=value,
                findings=finding,
                evidence_seen="Care records, rotas, audits; conversations with people and staff.",
            )
    with clock.standing_on(visit.scheduled_for + timedelta(days=2)):
        await visits.lock_scores(visit)
    with clock.standing_on(today - timedelta(days=shared), 15, 30):
        await visits.save_summary(visit, expected_version=visit.version, summary=summary)
        await visits.share_draft(visit, service)
