"""Demo work waiting for each side. On Rose Lane House's plan the deputy has marked an action
complete and the manager asks for more time on another (the officer's "Waiting for you"); at
Eastmoor Lodge the officer has shared a draft report on which the manager raised a factual accuracy
point (Eastmoor's officer answers it; the manager's comments are due by its date)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.actions.models import ActionPlan
from selfassess.actions.rules import ActionStatus
from selfassess.actions.service import ActionPlans
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import VisitType
from selfassess.visits.service import Visits

EASTMOOR_SHORTFALLS = {
    "S5": "A bedroom window restrictor on the first floor was broken and not reported.",
    "E1": "Two care plans had not been reviewed since people's needs changed.",
}
EASTMOOR_POINT = (
    "The window restrictor was reported to maintenance on the morning of the visit (job 4471) and "
    "fixed the same day; the log was shown to the officer."
)


async def add_demo_queues(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Each step runs through the services at the story's time (``clock.standing_on``), so the
    history, the notifications and the e-mails agree with what the pages show."""
    await _rose_lane_plan(db, demo, settings)
    await _eastmoor_draft_report(db, demo, settings)


def _days_ago(days: int, hour: int = 10, minute: int = 0) -> AbstractContextManager[None]:
    return clock.standing_on(clock.today() - timedelta(days=days), hour, minute)


async def _rose_lane_plan(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    service = demo.services["rose_lane"]
    deputy, manager = demo.users["deputy"], demo.users["manager"]
    plan = await db.get_one(ActionPlan, demo.plans["rose_lane"])
    by_statement = {
        row.statement.code: row.action
        for row in await ActionPlans(db, deputy, settings).actions(plan)
        if row.statement
    }
    deputy_side = ActionPlans(db, deputy, settings)
    discharge = by_statement["S2"]
    with _days_ago(1, 15):  # yesterday afternoon, after the officer verified the falls review
        await deputy_side.add_note(
            plan,
            service,
            discharge.id,
            text="Discharge checklist in use since Monday; the last ten discharges audited.",
            filename=None,
            data=None,
        )
    with _days_ago(1, 15, 5):
        await deputy_side.change_status(
            plan,
            service,
            discharge.id,
            expected_version=(await deputy_side.action(plan, discharge.id)).version,
            target=ActionStatus.COMPLETED,
            reason="",
        )
    audits = by_statement["W5"]
    with _days_ago(1, 16, 30):
        await ActionPlans(db, manager, settings).propose_due_date(
            plan,
            service,
            audits.id,
            proposed=audits.due_date + timedelta(days=28),
            reason="The new governance lead starts in January and will own the audit actions.",
        )


async def _eastmoor_draft_report(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    service = demo.services["eastmoor_lodge"]
    visits = Visits(db, demo.users["eastmoor_officer"], settings)
    visit_day = clock.today() - timedelta(days=9)
    with _days_ago(16):  # announced a week ahead
        visit = await visits.schedule(
            service,
            VisitForm(
                visit_type=VisitType.PROACTIVE,
                scheduled_for=visit_day,
                announced=True,
                officer_id=demo.users["eastmoor_officer"].id,
            ),
        )
    with clock.standing_on(visit_day, 15, 30):  # scored on the day
        framework = await visits.framework(visit)
        scores = await visits.scores(visit)
        for statement in framework.statements:
            score = scores[statement.id]
            finding = EASTMOOR_SHORTFALLS.get(statement.code)
            await visits.save_score(
                visit,
                score.id,
                expected_version=score.version,
                score=2 if finding else 3,
                findings=finding or "Met: consistent with what people and staff told us.",
                evidence_seen="Care records, maintenance log; conversations with people and staff.",
            )
    with _days_ago(7):
        await visits.lock_scores(visit)
    with _days_ago(5, 15, 30):
        await visits.save_summary(
            visit,
            expected_version=visit.version,
            summary="Eastmoor Lodge has improved since the regulator's inspection; two shortfalls remain.",
        )
        await visits.share_draft(visit, service)
    windows = next(statement for statement in framework.statements if statement.code == "S5")
    with _days_ago(2, 11):
        await Visits(db, demo.users["manager"], settings).raise_point(
            visit, statement_id=windows.id, text=EASTMOOR_POINT
        )
