"""Demo action plan: from Rose Lane House's published visit, completed by the home, agreed by the
council, and part-way through — one action done and verified, some in progress, one overdue.
(Days in ``COMPLETED_PLAN``: how long the home gave itself for each action.)"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.actions.models import Action, ActionPlan
from selfassess.actions.rules import ActionStatus
from selfassess.actions.service import ActionChanges, ActionPlans
from selfassess.providers.models import CareService
from selfassess.settings import Settings

# How the home finished the proposed actions, by the statement they address.
COMPLETED_PLAN = {
    "S8": ("Make time-critical medicines safe", "manager", 2),
    "S6": ("Staff nights to the assessed level", "manager", 56),
    "W5": ("Follow audit actions through to completion", "manager", 42),
    "S1": ("Restart the weekly incident and falls review", "deputy", 21),
    "S2": ("Get discharge information on file within 24 hours", "deputy", 35),
}


async def add_demo_plan(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Each step runs through the service at the story's time (``clock.standing_on``), so due dates,
    notes, history and notifications agree."""
    officer, manager, deputy = demo.users["officer"], demo.users["manager"], demo.users["deputy"]
    visit, service = demo.visits["rose_lane"], demo.services["rose_lane"]
    today = clock.today()

    def days_ago(days: int, hour: int = 10) -> AbstractContextManager[None]:
        return clock.standing_on(today - timedelta(days=days), hour)

    council_side = ActionPlans(db, officer, settings)
    provider_side = ActionPlans(db, manager, settings)
    with days_ago(7, 16):  # proposed from the report published that afternoon
        plan = await council_side.generate(visit, service)
    demo.plans["rose_lane"] = plan.id

    with days_ago(6):  # the home completes the plan the next day
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
                    due_date=clock.today() + timedelta(days=days),
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
    with days_ago(5, 14):
        await council_side.agree(plan, service)

    # Since then: one done and verified, one under way, the urgent one started but now overdue.
    actions = {row.statement.code: row.action for row in await provider_side.actions(plan) if row.statement}
    s1, s6, s8 = actions.get("S1"), actions.get("S6"), actions.get("S8")
    if s8 is not None:
        with days_ago(5, 15):
            await _move(provider_side, plan, service, s8, ActionStatus.IN_PROGRESS)
    if s6 is not None:
        with days_ago(4):
            await _move(provider_side, plan, service, s6, ActionStatus.IN_PROGRESS)
        with days_ago(1):
            await provider_side.add_note(
                plan,
                service,
                s6.id,
                text="Two night care workers appointed; start dates in January. "
                "Agency cover booked meanwhile.",
                filename=None,
                data=None,
            )
    if s1 is not None:
        with days_ago(4, 11):
            await _move(provider_side, plan, service, s1, ActionStatus.IN_PROGRESS)
        with days_ago(3):
            await provider_side.add_note(
                plan,
                service,
                s1.id,
                text="Weekly review restarted on Mondays; falls analysed by time and place.",
                filename=None,
                data=None,
            )
        with days_ago(2):
            await _move(provider_side, plan, service, s1, ActionStatus.COMPLETED)
        with days_ago(1, 14):
            await _move(council_side, plan, service, s1, ActionStatus.VERIFIED)


async def _move(
    plans: ActionPlans, plan: ActionPlan, service: CareService, action: Action, target: ActionStatus
) -> None:
    current = await plans.action(plan, action.id)
    await plans.change_status(
        plan, service, action.id, expected_version=current.version, target=target, reason=""
    )
