"""Demo action plan: from Rose Lane House's published visit, completed by the home, agreed by the
council, and part-way through — one action done and verified, some in progress, one overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.actions.models import Action, ActionEvent, ActionNote, ActionPlan
from selfassess.actions.rules import ActionStatus
from selfassess.actions.service import ActionChanges, ActionPlans
from selfassess.settings import Settings

# How the home finished the proposed actions, by the statement they address.
COMPLETED_PLAN = {
    "S8": ("Make time-critical medicines safe", "manager", 10),
    "S6": ("Staff nights to the assessed level", "manager", 56),
    "W5": ("Follow audit actions through to completion", "manager", 42),
    "S1": ("Restart the weekly incident and falls review", "deputy", 21),
    "S2": ("Get discharge information on file within 24 hours", "deputy", 35),
}


async def add_demo_plan(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    officer, manager, deputy = demo.users["officer"], demo.users["manager"], demo.users["deputy"]
    visit, service = demo.visits["rose_lane"], demo.services["rose_lane"]
    today = clock.today()
    council_side = ActionPlans(db, officer, settings)
    plan = await council_side.generate(visit, service)
    demo.plans["rose_lane"] = plan.id

    provider_side = ActionPlans(db, manager, settings)
    by_statement = {
        row.statement.code: row.action for row in await provider_side.actions(plan) if row.statement
    }
    people = {"manager": manager.id, "deputy": deputy.id}
    for code, (title, person, days) in COMPLETED_PLAN.items():
        action = by_statement.get(code)
        if action is None:
            continue
        await provider_side.update_action(
            plan,
            service,
            action.id,
            expected_version=action.version,
            changes=ActionChanges(
                title=title,
                description=action.description,
                owner_id=people[person],
                due_date=today + timedelta(days=days),
                priority=action.priority,
            ),
        )
    for row in await provider_side.actions(plan):  # anything else the visit raised: the manager owns it
        if row.action.owner_id is None:
            await provider_side.update_action(
                plan,
                service,
                row.action.id,
                expected_version=row.action.version,
                changes=ActionChanges(
                    row.action.title,
                    row.action.description,
                    manager.id,
                    row.action.due_date,
                    row.action.priority,
                ),
            )
    await provider_side.submit(plan, service)
    await council_side.agree(plan, service)

    # Three weeks of work since: one done and verified, two under way, the urgent one now overdue.
    actions = {row.statement.code: row.action for row in await provider_side.actions(plan) if row.statement}
    s1, s6, s8 = actions.get("S1"), actions.get("S6"), actions.get("S8")
    if s1 is not None:
        await provider_side.change_status(
            plan, service, s1.id, expected_version=s1.version, target=ActionStatus.IN_PROGRESS, reason=""
        )
        await provider_side.add_note(
            plan,
            service,
            s1.id,
            text="Weekly review restarted on Mondays; falls analysed by time and place.",
            filename=None,
            data=None,
        )
        s1 = await provider_side.action(plan, s1.id)
        await provider_side.change_status(
            plan, service, s1.id, expected_version=s1.version, target=ActionStatus.COMPLETED, reason=""
        )
        s1 = await council_side.action(plan, s1.id)
        await council_side.change_status(
            plan, service, s1.id, expected_version=s1.version, target=ActionStatus.VERIFIED, reason=""
        )
    if s6 is not None:
        await provider_side.change_status(
            plan, service, s6.id, expected_version=s6.version, target=ActionStatus.IN_PROGRESS, reason=""
        )
        await provider_side.add_note(
            plan,
            service,
            s6.id,
            text="Two night care workers appointed; start dates in January. Agency cover booked meanwhile.",
            filename=None,
            data=None,
        )
    if s8 is not None:
        await provider_side.change_status(
            plan, service, s8.id, expected_version=s8.version, target=ActionStatus.IN_PROGRESS, reason=""
        )
        await db.execute(update(Action).where(Action.id == s8.id).values(due_date=today - timedelta(days=4)))
    await _backdate(db, plan, today)


async def _backdate(db: AsyncSession, plan: ActionPlan, today: date) -> None:
    def at(day: date) -> datetime:
        return datetime.combine(day, time(10, 0), tzinfo=UTC)

    proposed, agreed = today - timedelta(days=6), today - timedelta(days=3)
    plan.created_at, plan.agreed_at, plan.submitted_at = at(proposed), at(agreed), at(agreed)
    plan.provider_due = proposed + timedelta(days=14)
    await db.execute(update(ActionEvent).where(ActionEvent.plan_id == plan.id).values(occurred_at=at(agreed)))
    await db.execute(
        update(ActionEvent)
        .where(ActionEvent.plan_id == plan.id, ActionEvent.event == "plan_proposed")
        .values(occurred_at=at(proposed))
    )
    await db.execute(
        update(ActionNote)
        .where(ActionNote.action_id.in_(select(Action.id).where(Action.plan_id == plan.id)))
        .values(created_at=at(today - timedelta(days=1)))
    )
    await db.commit()
