"""Demo visits: Rose Lane House's proactive visit is published (the officer found medicines,
staffing and governance weaker than the home said), a reactive visit to Brightwater Homecare
follows the regulator's intelligence, and Hollybank has last cycle's published report: three key
questions good but two requiring improvement, so requires improvement overall by the regulator's
rating principles (a percentage of key question points would have said good, 65%)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.db import utcnow
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import Concern, ConcernSource, Visit, VisitEvent, VisitType
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
    officer, officer2 = demo.users["officer"], demo.users["officer2"]
    today = clock.today()

    # Rose Lane House: visited three weeks ago, published last week.
    visits = Visits(db, officer, settings)
    rose_lane = demo.services["rose_lane"]
    visit = await visits.schedule(
        rose_lane,
        VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=today - timedelta(days=21),
            announced=True,
            officer_id=officer.id,
        ),
    )
    await _score(visits, visit, default=3, findings=ROSE_LANE_FINDINGS)
    await _publish(visits, visit, rose_lane, ROSE_LANE_SUMMARY)
    await _backdate(db, visit, shared=today - timedelta(days=16), published=today - timedelta(days=7))
    demo.visits["rose_lane"] = visit

    # Brightwater Homecare: a reactive visit next week, following the regulator's intelligence.
    homecare = demo.services["brightwater_home"]
    intelligence = await db.scalar(
        select(Concern.id).where(Concern.service_id == homecare.id, Concern.source == ConcernSource.CQC)
    )
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

    # Hollybank: last cycle's visit, published ten months ago.
    holly_visits = Visits(db, officer2, settings)
    hollybank = demo.services["hollybank"]
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
    await _score(
        holly_visits,
        previous,
        default=3,
        findings=HOLLYBANK_FINDINGS,
    )
    await _publish(holly_visits, previous, hollybank, HOLLYBANK_SUMMARY)
    await _backdate(db, previous, shared=today - timedelta(days=285), published=today - timedelta(days=270))
    demo.visits["hollybank_previous"] = previous


async def _score(visits: Visits, visit: Visit, *, default: int, findings: dict[str, tuple[int, str]]) -> None:
    framework = await visits.framework(visit)
    scores = await visits.scores(visit)
    for statement in framework.statements:
        score = scores[statement.id]
        value, finding = findings.get(
            statement.code, (default, "Met: consistent with what people and staff told us.")
        )
        await visits.save_score(
            visit,
            score.id,
            expected_version=score.version,
            score=value,
            findings=finding,
            evidence_seen="Care records, rotas, audits; conversations with people and staff.",
        )
    await visits.lock_scores(visit)


async def _publish(visits: Visits, visit: Visit, service, summary: str) -> None:  # type: ignore[no-untyped-def]
    await visits.save_summary(visit, expected_version=visit.version, summary=summary)
    await visits.share_draft(visit, service)
    visit.factual_accuracy_due = clock.today() - timedelta(days=1)  # the demo's comment period is over
    await visits.publish(visit, service)


async def _backdate(db: AsyncSession, visit: Visit, *, shared: date, published: date) -> None:
    """Spread the story over past weeks so dates and histories read like a real cycle."""

    def at(day: date) -> datetime:
        return datetime.combine(day, time(15, 30), tzinfo=UTC)

    visit.shared_at, visit.published_at = at(shared), at(published)
    visit.scores_locked_at = at(visit.scheduled_for + timedelta(days=2))
    visit.factual_accuracy_due = shared + timedelta(days=14)
    await db.execute(
        update(VisitEvent).where(VisitEvent.visit_id == visit.id).values(occurred_at=at(visit.scheduled_for))
    )
    await db.execute(
        update(VisitEvent)
        .where(VisitEvent.visit_id == visit.id, VisitEvent.event == "draft_shared")
        .values(
            occurred_at=at(shared),
            detail=f"Factual accuracy comments due by {visit.factual_accuracy_due:%-d %B %Y}",
        )
    )
    await db.execute(
        update(VisitEvent)
        .where(VisitEvent.visit_id == visit.id, VisitEvent.event == "published")
        .values(occurred_at=at(published))
    )
    visit.updated_at = utcnow()
    await db.commit()
