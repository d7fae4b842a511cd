"""E-mail reminders to the owners of actions that are due soon or overdue.

Run by cron or a timer (`selfassess send-reminders`). Each reminder has a key in the outbox, so
running the job again the same day (or on many hosts) never sends one twice: an action due soon
is reminded once per due date, an overdue one once a week until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import CouncilSettings, User
from selfassess.actions.models import DONE, Action, ActionPlan, PlanStatus
from selfassess.notifications.models import Notification
from selfassess.notifications.recipients import council_contacts
from selfassess.notifications.service import queue_email
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Visit

DEFAULT_REMINDER_DAYS = CouncilSettings.model_fields["reminder_days"].default
LONGEST_REMINDER_DAYS = 60  # the settings page's limit


@dataclass(frozen=True)
class ReminderReport:
    due_soon: int = 0
    overdue: int = 0
    follow_ups: int = 0


async def queue_reminders(db: AsyncSession, settings: Settings, today: date | None = None) -> ReminderReport:
    today = today or clock.today()
    rows = await db.execute(
        select(
            Action,
            CareService.name,
            User,
            func.coalesce(CouncilSettings.reminder_days, DEFAULT_REMINDER_DAYS),
        )
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .join(CareService, CareService.id == ActionPlan.service_id)
        .join(User, User.id == Action.owner_id)
        .outerjoin(CouncilSettings, CouncilSettings.council_id == CareService.council_id)
        .where(
            ActionPlan.status == PlanStatus.AGREED,
            Action.status.not_in(DONE),
            User.is_active.is_(True),
            Action.due_date <= today + timedelta(days=LONGEST_REMINDER_DAYS),
        )
        .order_by(Action.due_date, Action.id)
    )
    due_soon = overdue = 0
    for action, service_name, owner, reminder_days in rows:
        if action.due_date < today:
            year, week, _ = today.isocalendar()
            key = f"reminder:action:{action.id}:overdue:{year}-W{week:02d}"
            days = (today - action.due_date).days
            subject = f"Overdue: {action.title}"
            message = (
                f"“{action.title}” for {service_name} was due on {action.due_date:%-d %B %Y} and is "
                f"{days} day{'s' if days != 1 else ''} overdue. Update its progress or ask for more time."
            )
        elif action.due_date <= today + timedelta(days=reminder_days):
            key = f"reminder:action:{action.id}:due:{action.due_date.isoformat()}"
            subject = f"Due on {action.due_date:%-d %B %Y}: {action.title}"
            message = f"“{action.title}” for {service_name} is due on {action.due_date:%-d %B %Y}."
        else:
            continue
        link = f"/plans/{action.plan_id}#action-{action.id}"
        body = f"{message}\n\nOpen it in selfassess:\n{settings.base_url.rstrip('/')}{link}"
        if await queue_email(db, to=owner.email, subject=subject, body=body, dedupe_key=key):
            db.add(Notification(user_id=owner.id, message=message[:500], link=link))
            if action.due_date < today:
                overdue += 1
            else:
                due_soon += 1
    follow_ups = await _propose_follow_up_visits(db, settings, today)
    await db.commit()
    return ReminderReport(due_soon=due_soon, overdue=overdue, follow_ups=follow_ups)


async def _propose_follow_up_visits(db: AsyncSession, settings: Settings, today: date) -> int:
    """Once a plan's follow-up date comes (all actions verified, or the interval passed), tell the
    council people looking after the service, unless a visit has been arranged since the plan."""
    later_visit = (
        select(Visit.id)
        .where(Visit.service_id == ActionPlan.service_id, Visit.created_at > ActionPlan.created_at)
        .exists()
    )
    rows = await db.execute(
        select(ActionPlan, CareService)
        .join(CareService, CareService.id == ActionPlan.service_id)
        .where(
            ActionPlan.status.in_([PlanStatus.AGREED, PlanStatus.CLOSED]),
            ActionPlan.follow_up_due <= today,
            ~later_visit,
        )
    )
    proposed = 0
    for plan, service in rows:
        recipients = await council_contacts(db, service)
        link = f"/services/{service.id}/visits/new?visit_type=follow_up"
        message = (
            f"A follow-up visit to {service.name} is due: the improvement plan's follow-up date has come."
        )
        for person in recipients:
            if await queue_email(
                db,
                to=person.email,
                subject=f"Follow-up visit due: {service.name}",
                body=f"{message}\n\nSchedule it in selfassess:\n{settings.base_url.rstrip('/')}{link}",
                dedupe_key=f"follow-up:plan:{plan.id}:{person.id}",
            ):
                db.add(Notification(user_id=person.id, message=message, link=link))
                proposed += 1
    return proposed
