"""Delivering the outbox: one pass of the ``send-mail`` job, safe to run from several hosts at once.

Each e-mail is claimed on its own by an UPDATE that only succeeds while the row is still pending
and due, and that moves ``next_attempt_at`` a lease into the future: a second sender's UPDATE
then matches nothing (on PostgreSQL it waits for the first to commit and re-checks), so it moves
on. The claim is committed before the SMTP conversation, so no transaction or lock is held while
the mail server thinks, and the row is marked sent the moment the server accepts it. Only a crash
between the server's acceptance and that commit could send a message twice; its Message-ID comes
from the dedupe key, so mail clients show such a repeat once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from selfassess.db import utcnow
from selfassess.notifications.models import MailStatus, OutboxEmail
from selfassess.notifications.sealed import unseal
from selfassess.settings import Settings

logger = logging.getLogger("selfassess.mail")

# Minutes to wait after the 1st, 2nd, ... failed attempt: quick retries for a blip, then spaced
# out over about a day and a half for an outage. After the last attempt the e-mail is given up.
RETRY_DELAYS_MINUTES = (1, 5, 30, 120, 360, 720, 1440)
MAX_ATTEMPTS = len(RETRY_DELAYS_MINUTES) + 1


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    smtp_configured: bool = True


@dataclass(frozen=True)
class _Claimed:
    id: int
    dedupe_key: str
    to_address: str
    subject: str
    body: str
    attempts: int


def _lease(settings: Settings) -> timedelta:
    """Longer than one SMTP conversation can take (each of its steps may wait the full timeout),
    so a claim never runs out while its sender is still talking to the server."""
    return timedelta(seconds=max(300.0, 30 * settings.smtp_timeout_seconds))


def message_id(dedupe_key: str, settings: Settings) -> str:
    """The same e-mail always has the same Message-ID, so a repeat delivery is recognisable."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "selfassess.invalid"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def _compose(email: _Claimed, settings: Settings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(email.dedupe_key, settings)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(unseal(email.body, settings.secret))
    return message


def _deliver(message: EmailMessage, settings: Settings) -> None:
    """Blocking smtplib, run in a worker thread."""
    assert settings.smtp_host is not None
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message)


async def _due_ids(db: AsyncSession, now: datetime, batch: int) -> list[int]:
    ids = await db.scalars(
        select(OutboxEmail.id)
        .where(OutboxEmail.status == MailStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(batch)
    )
    due = list(ids)
    await db.commit()  # end the read, so each claim below starts its own writing transaction
    return due  # type: ignore[return-value]  # stored rows always have ids


async def _claim(db: AsyncSession, email_id: int, now: datetime, lease: timedelta) -> _Claimed | None:
    """None when another sender claimed it first (or it is no longer due)."""
    row = (
        await db.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.status == MailStatus.PENDING,
                OutboxEmail.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
            .returning(
                OutboxEmail.id,
                OutboxEmail.dedupe_key,
                OutboxEmail.to_address,
                OutboxEmail.subject,
                OutboxEmail.body,
                OutboxEmail.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).first()
    await db.commit()
    return _Claimed(*row) if row is not None else None


async def _record(db: AsyncSession, email_id: int, **values: object) -> None:
    await db.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await db.commit()


async def _record_failure(db: AsyncSession, email: _Claimed, error: Exception, now: datetime) -> bool:
    """Wait longer before the next attempt, or give up after the last one (True then)."""
    attempts = email.attempts + 1
    gave_up = attempts >= MAX_ATTEMPTS
    logger.warning(
        "e-mail %s not sent (attempt %s): %s",
        email.dedupe_key,
        attempts,
        error,
        exc_info=not isinstance(error, smtplib.SMTPException | OSError),  # a bug: show where
    )
    await _record(
        db,
        email.id,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}",
        status=MailStatus.FAILED if gave_up else MailStatus.PENDING,
        next_attempt_at=now if gave_up else now + timedelta(minutes=RETRY_DELAYS_MINUTES[attempts - 1]),
    )
    return gave_up


async def send_pending(
    session_maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    batch: int = 50,
) -> SendReport:
    """Send up to ``batch`` e-mails that are due; failures wait longer each time, then give up."""
    if settings.smtp_host is None:
        logger.warning("no mail server configured (SELFASSESS_SMTP_HOST); e-mails wait in the outbox")
        return SendReport(smtp_configured=False)
    now = now or utcnow()
    lease = _lease(settings)
    sent = retried = failed = 0
    async with session_maker() as db:
        for email_id in await _due_ids(db, now, batch):
            email = await _claim(db, email_id, now, lease)
            if email is None:
                continue
            try:
                await asyncio.to_thread(_deliver, _compose(email, settings, now), settings)
            except Exception as error:  # whatever went wrong, it is this e-mail's to record and retry
                if await _record_failure(db, email, error, now):
                    failed += 1
                else:
                    retried += 1
            else:
                await _record(db, email.id, attempts=email.attempts + 1, status=MailStatus.SENT, sent_at=now)
                sent += 1
    return SendReport(sent=sent, retried=retried, failed=failed)
