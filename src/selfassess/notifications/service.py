"""Telling people what needs them: in-app notifications and e-mails queued in the outbox.

Workflow steps call :func:`notify` inside their own transaction and commit once, so the change
and the news of it are stored together or not at all (a transactional outbox). The ``send-mail``
job delivers the e-mails later, retrying while the mail server is away.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.hooks import AccountEmail, account_email_written
from selfassess.accounts.models import User
from selfassess.db import Page, utcnow
from selfassess.errors import NotFound
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.notifications.sealed import seal
from selfassess.settings import Settings

_MESSAGE_MAX = 500
_SUBJECT_MAX = 300


def _clip(text: str, limit: int) -> str:
    """Names inside messages come from users; a long one must not make the workflow step fail."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def queue_email(db: AsyncSession, *, to: str, subject: str, body: str, dedupe_key: str) -> bool:
    """Put an e-mail in the outbox unless one with this key is there already (False then).

    The existence check keeps the common case cheap; the savepoint covers two transactions
    queueing the same key at once, rolling back only this insert, not the caller's work (the
    check's autoflush has already written the caller's pending changes outside the savepoint)."""
    if await db.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        async with db.begin_nested():
            db.add(
                OutboxEmail(
                    dedupe_key=dedupe_key,
                    to_address=to,
                    subject=_clip(" ".join(subject.split()), _SUBJECT_MAX),  # a header is one line
                    body=body,
                )
            )
    except IntegrityError:
        return False
    return True


@account_email_written.subscribe
async def queue_account_email(db: AsyncSession, email: AccountEmail) -> None:
    """An account e-mail carries a set-password link: it waits in the outbox sealed, so a copy of
    the database hands out no working links (the sender opens it)."""
    await queue_email(
        db,
        to=email.to,
        subject=email.subject,
        body=seal(email.body, email.sealing_key),
        dedupe_key=email.dedupe_key,
    )


def _email_text(body: str, link: str | None, settings: Settings) -> str:
    """E-mails end with the full address of the page, so the reader can go straight to it."""
    if link is None:
        return body
    return f"{body.rstrip()}\n\nOpen it in selfassess:\n{settings.base_url.rstrip('/')}{link}"


async def notify(
    db: AsyncSession,
    *,
    recipients: Sequence[User],
    message: str,
    link: str | None,
    dedupe_key: str,
    email_subject: str | None = None,
    email_body: str | None = None,
    settings: Settings,
) -> None:
    """Tell each active recipient in the app and, with ``email_subject``, by e-mail.

    ``link`` is a path of ours (``/services/12``). ``dedupe_key`` names the workflow step
    (``"assessment:41:submitted"``); each person gets one e-mail per key however often the step
    is notified. Nothing is committed here: the caller commits the change and this together."""
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"A notification links to a page of ours, a path starting with '/': {link!r}")
    people = {user.id: user for user in recipients if user.is_active}
    for user in people.values():
        db.add(Notification(user_id=user.id, message=_clip(message, _MESSAGE_MAX), link=link))
        if email_subject is not None:
            await queue_email(
                db,
                to=user.email,
                subject=email_subject,
                body=_email_text(email_body or message, link, settings),
                dedupe_key=f"{dedupe_key}:{user.id}",
            )


class Notifications:
    """One signed-in person's notifications; another person's are simply not found."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    def _mine(self) -> ColumnElement[bool]:
        return Notification.user_id == self.viewer.id

    async def unread_count(self) -> int:
        unread = select(func.count()).where(self._mine(), Notification.read_at.is_(None))
        return await self.db.scalar(unread) or 0

    async def page(self, number: int = 1, size: int = 25) -> Page[Notification]:
        """Newest first."""
        total = await self.db.scalar(select(func.count()).where(self._mine())) or 0
        number = max(1, min(number, -(-total // size) or 1))
        items = await self.db.scalars(
            select(Notification)
            .where(self._mine())
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(size)
            .offset((number - 1) * size)
        )
        return Page(items=list(items), total=total, number=number, size=size)

    async def get(self, notification_id: int) -> Notification:
        notification = await self.db.scalar(
            select(Notification).where(Notification.id == notification_id, self._mine())
        )
        if notification is None:
            raise NotFound("notification")
        return notification

    async def mark_read(self, notification: Notification) -> None:
        """Keeps the time it was first read."""
        if notification.read_at is None:
            notification.read_at = utcnow()
            await self.db.commit()

    async def mark_all_read(self) -> int:
        """Returns how many were unread."""
        result = await self.db.execute(
            update(Notification)
            .where(self._mine(), Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.db.commit()
        return result.rowcount  # type: ignore[attr-defined, no-any-return]
