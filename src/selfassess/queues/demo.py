"""Demo work waiting for each side. On Rose Lane House's plan the deputy has marked an action
complete and the manager asks for more time on another (the officer's "Waiting for you"); at
Eastmoor Lodge the officer has shared a draft report on which the manager raised a factual accuracy
point (Eastmoor's officer answers it; the manager's comments are due by its date)."""

from __future__ import annotations

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
    await _rose_lane_plan(db, demo, settings)
    await _eastmoor_draft_report(db, demo, settings)


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
    await deputy_side.add_note(
        plan,
        service,
        discharge.id,
        text="Discharge checklist in use since Monday; the last ten discharges audited.",
        filename=None,
        data=None,
    )
    await deputy_side.change_status(
        plan,
        service,
        discharge.id,
        expected_version=discharge.version,
        target=ActionStatus.COMPLETED,
        reason="",
    )
    audits = by_statement["W5"]
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
    visit = await visits.schedule(
        service,
        VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=clock.today() - timedelta(days=9),
            announced=True,
            officer_id=demo.users["eastmoor_officer"].id,
        ),
    )
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
    await visits.lock_scores(visit)
    await visits.save_summary(
        visit,
        expected_version=visit.version,
        summary="Eastmoor Lodge has improved since the regulator's inspection; two shortfalls remain.",
    )
    await visits.share_draft(visit, service)
    windows = next(statement for statement in framework.statements if statement.code == "S5")
    await Visits(db, demo.users["manager"], settings).raise_point(
        visit, statement_id=windows.id, text=EASTMOOR_POINT
    )
