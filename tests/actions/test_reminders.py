"""Reminders about due and overdue actions, delivered through a real SMTP server, never twice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.reminders import queue_reminders
from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.cli import main
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.mail_sink import SmtpSink

pytestmark = pytest.mark.usefixtures("frameworks")


async def _agreed_plan(db: AsyncSession, world: factories.World, settings: Settings) -> ActionPlan:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    plan = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=visit.id,
        status=PlanStatus.AGREED,
        provider_due=date.today(),
    )
    db.add(plan)
    await db.execute(delete(OutboxEmail))  # the visit's own e-mails went out long ago
    await db.commit()
    return plan


async def _action(
    db: AsyncSession,
    plan: ActionPlan,
    title: str,
    due_in_days: int,
    owner_id: int,
    status: ActionStatus = ActionStatus.IN_PROGRESS,
) -> None:
    db.add(
        Action(
            plan_id=plan.id,
            reason=Reason.ADDED,
            title=title,
            priority=Priority.MEDIUM,
            owner_id=owner_id,
            due_date=date.today() + timedelta(days=due_in_days),
            status=status,
        )
    )
    await db.commit()


async def test_reminders_go_to_owners_once_through_smtp(
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
    sink: SmtpSink,
    cli_environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = await _agreed_plan(db, world, settings)
    leaver = await factories.user(db, world.provider_1, Role.PROVIDER, email="leaver@example.org")
    await _action(db, plan, "Review PRN protocols", 3, world.manager_1.id)  # due within 7 days
    await _action(db, plan, "Recruit night staff", -2, world.manager_1.id)  # overdue
    await _action(db, plan, "Refresh the garden", 30, world.manager_1.id)  # not yet
    await _action(db, plan, "Audit care plans", -5, world.manager_1.id, ActionStatus.COMPLETED)  # done
    await _action(db, plan, "Left with the leaver", -1, leaver.id)
    leaver.is_active = False
    await db.commit()

    assert await asyncio.to_thread(main, ["send-reminders"]) == 0
    output = capsys.readouterr().out
    assert "Queued 1 reminder(s) of actions due soon, 1 of overdue ones, 0 follow-up" in output
    assert "Sent 2" in output
    subjects = sorted(message["Subject"] for message in sink.received)
    assert subjects == [
        f"Due on {(date.today() + timedelta(days=3)):%-d %B %Y}: Review PRN protocols",
        "Overdue: Recruit night staff",
    ]
    assert all(message["To"] == world.manager_1.email for message in sink.received)
    overdue = next(m for m in sink.received if m["Subject"].startswith("Overdue"))
    assert "2 days overdue" in overdue.get_content() and f"/plans/{plan.id}#action-" in overdue.get_content()
    assert (
        await db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == world.manager_1.id, Notification.link.like("/plans/%"))
        )
        >= 2
    )

    assert await asyncio.to_thread(main, ["send-reminders"]) == 0
    assert "Queued 0 reminder(s)" in capsys.readouterr().out
    assert len(sink.received) == 2, "running the job again sends nothing twice"


async def test_an_overdue_action_is_reminded_again_the_next_week_only(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    plan = await _agreed_plan(db, world, settings)
    await _action(db, plan, "Recruit night staff", -2, world.manager_1.id)
    await _action(db, plan, "Review PRN protocols", 3, world.manager_1.id)
    first = await queue_reminders(db, settings)
    assert (first.due_soon, first.overdue) == (1, 1)
    same_week = await queue_reminders(db, settings, today=date.today())
    assert (same_week.due_soon, same_week.overdue) == (0, 0)
    next_week = await queue_reminders(db, settings, today=date.today() + timedelta(days=7))
    assert (next_week.due_soon, next_week.overdue) == (0, 2), "the due-soon one is now overdue too"
    assert await db.scalar(select(func.count()).select_from(OutboxEmail)) == 4


async def test_the_councils_reminder_window_is_used(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    from selfassess.frameworks.service import council_settings

    plan = await _agreed_plan(db, world, settings)
    await _action(db, plan, "Due in ten days", 10, world.manager_1.id)
    assert (await queue_reminders(db, settings)).due_soon == 0
    council = await council_settings(db, world.council_a.id)
    council.reminder_days = 14
    await db.commit()
    assert (await queue_reminders(db, settings)).due_soon == 1
    await db.execute(update(ActionPlan).where(ActionPlan.id == plan.id).values(status=PlanStatus.CLOSED))
    await db.commit()
    await db.execute(update(Action).values(due_date=date.today() + timedelta(days=1)))
    await db.commit()
    assert (await queue_reminders(db, settings)).due_soon == 0, "closed plans are not reminded"


async def test_a_due_follow_up_visit_is_proposed_once_until_one_is_arranged(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    plan = await _agreed_plan(db, world, settings)
    plan.follow_up_due = date.today() + timedelta(days=1)
    await db.commit()
    assert (await queue_reminders(db, settings)).follow_ups == 0, "not due yet"
    plan.follow_up_due = date.today()
    await db.commit()
    assert (await queue_reminders(db, settings)).follow_ups == 1, "Alpha House's assigned officer"
    subjects = list(
        await db.scalars(select(OutboxEmail.subject).where(OutboxEmail.to_address == world.officer_a.email))
    )
    assert subjects == ["Follow-up visit due: Alpha House"]
    assert (await queue_reminders(db, settings)).follow_ups == 0, "never twice"
