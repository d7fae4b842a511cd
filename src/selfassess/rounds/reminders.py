"""E-mail reminders about open self-assessment rounds, to the provider staff of services that have
not submitted: when the round opens (not started), before the deadline (not started or not
submitted) and once after it. Run daily by `selfassess send-round-reminders`; each reminder has a
key in the outbox, so running the job again (or on several hosts) never sends one twice."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.notifications.models import Notification
from selfassess.notifications.service import queue_email
from selfassess.providers.models import CareService
from selfassess.rounds.models import AssessmentRound
from selfassess.rounds.rules import Progress, reminder_due
from selfassess.rounds.service import progress_column, services_in_scope
from selfassess.settings import Settings

OVERDUE_REMINDER_WITHIN_DAYS = 7  # the one "deadline has passed" reminder goes out in the week after


async def queue_round_reminders(db: AsyncSession, settings: Settings, today: date | None = None) -> int:
    """Returns how many e-mails were queued."""
    today = today or clock.today()
    rounds = await db.scalars(
        select(AssessmentRound).where(
            AssessmentRound.opens_on <= today,
            AssessmentRound.deadline >= today - timedelta(days=OVERDUE_REMINDER_WITHIN_DAYS),
        )
    )
    queued = 0
    for round_ in list(rounds):
        progress = progress_column(round_)
        rows = await db.execute(
            select(CareService.id, CareService.name, progress, User)
            .join(User, User.organisation_id == CareService.provider_id)
            .where(*services_in_scope(round_), User.is_active.is_(True), progress != Progress.SUBMITTED.value)
            .order_by(CareService.id, User.id)
        )
        for service_id, service_name, value, person in rows:
            reminder = reminder_due(
                today,
                round_name=round_.name,
                opens_on=round_.opens_on,
                deadline=round_.deadline,
                progress=Progress(value),
            )
            if reminder is None:
                continue
            link = "/home"
            message = f"{service_name}: {reminder.message}"
            if await queue_email(
                db,
                to=person.email,
                subject=f"{reminder.subject}: {service_name}",
                body=f"{message}\n\nOpen it in selfassess:\n{settings.base_url.rstrip('/')}{link}",
                dedupe_key=f"round:{round_.id}:service:{service_id}:{reminder.key}:user:{person.id}",
            ):
                db.add(Notification(user_id=person.id, message=message[:500], link=link))
                queued += 1
    await db.commit()
    return queued
