"""The outbox delivered through a real SMTP server (aiosmtpd on a local port): once, with retries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.cli import main
from selfassess.db import session_factory, utcnow
from selfassess.notifications.mail import RETRY_DELAYS_MINUTES, SendReport, message_id, send_pending
from selfassess.notifications.models import MailStatus, OutboxEmail
from selfassess.notifications.service import notify, queue_email
from selfassess.settings import Settings, get_settings
from tests import factories
from tests.mail_sink import SmtpSink


async def _queue(db: AsyncSession, count: int) -> None:
    for number in range(count):
        await queue_email(
            db,
            to=f"person{number}@example.org",
            subject=f"Hello {number}",
            body="Hi",
            dedupe_key=f"k:{number}",
        )
    await db.commit()


async def _outbox(db: AsyncSession) -> list[OutboxEmail]:
    """The rows as the senders left them: a new transaction (on SQLite one keeps seeing the
    snapshot it began with), and loaded rows overwritten with what is stored."""
    await db.commit()
    stored = select(OutboxEmail).order_by(OutboxEmail.id).execution_options(populate_existing=True)
    return list(await db.scalars(stored))


async def test_outbox_is_delivered_through_smtp_and_only_once(
    db: AsyncSession, engine: AsyncEngine, world: factories.World, mail_settings: Settings, sink: SmtpSink
) -> None:
    await notify(
        db,
        recipients=[world.officer_a, world.manager_1],
        message="Alpha House submitted its self-assessment",
        link=f"/services/{world.alpha.id}",
        dedupe_key="assessment:7:submitted",
        email_subject="Self-assessment submitted: Alpha House",
        settings=mail_settings,
    )
    await db.commit()
    report = await send_pending(session_factory(engine), mail_settings)
    assert report == SendReport(sent=2)
    by_recipient = {message["To"]: message for message in sink.received}
    assert set(by_recipient) == {world.officer_a.email, world.manager_1.email}
    message = by_recipient[world.officer_a.email]
    assert message["Subject"] == "Self-assessment submitted: Alpha House"
    assert message["From"] == mail_settings.mail_from
    assert message["Message-ID"] == message_id(f"assessment:7:submitted:{world.officer_a.id}", mail_settings)
    body = message.get_content().rstrip()
    assert body.startswith("Alpha House submitted its self-assessment")
    assert body.endswith(f"http://testserver.local/services/{world.alpha.id}")
    for email in await _outbox(db):
        assert (email.status, email.attempts, email.last_error) == (MailStatus.SENT, 1, None)
        assert email.sent_at is not None
    assert await send_pending(session_factory(engine), mail_settings) == SendReport()
    assert len(sink.received) == 2, "a second run sends nothing more"


async def test_without_a_mail_server_e_mails_wait(
    db: AsyncSession, engine: AsyncEngine, settings: Settings
) -> None:
    await _queue(db, 1)
    assert await send_pending(session_factory(engine), settings) == SendReport(smtp_configured=False)
    [email] = await _outbox(db)
    assert (email.status, email.attempts) == (MailStatus.PENDING, 0)


async def test_a_refused_e_mail_is_retried_later_and_given_up_after_the_last_attempt(
    db: AsyncSession, engine: AsyncEngine, mail_settings: Settings, sink: SmtpSink
) -> None:
    await _queue(db, 1)
    sink.refusal = "451 4.3.0 Try again later"
    sessions = session_factory(engine)
    now = utcnow()
    assert await send_pending(sessions, mail_settings, now=now) == SendReport(retried=1)
    [email] = await _outbox(db)
    assert (email.status, email.attempts) == (MailStatus.PENDING, 1)
    assert (
        email.last_error is not None and "451" in email.last_error and "Try again later" in email.last_error
    )
    assert email.next_attempt_at == now + timedelta(minutes=1)
    assert await send_pending(sessions, mail_settings, now=now + timedelta(seconds=59)) == SendReport()
    assert sink.attempts == 1, "not due yet"

    waits = [RETRY_DELAYS_MINUTES[0]]
    while email.status is MailStatus.PENDING:
        previous, now = now, email.next_attempt_at
        waits.append(round((now - previous).total_seconds() / 60))
        report = await send_pending(sessions, mail_settings, now=now)
        [email] = await _outbox(db)
    assert waits[1:] == list(RETRY_DELAYS_MINUTES), "each wait longer than the last"
    assert report == SendReport(failed=1)
    assert (email.status, email.attempts) == (MailStatus.FAILED, 8)

    sink.refusal = None
    assert await send_pending(sessions, mail_settings, now=now + timedelta(days=30)) == SendReport()
    assert sink.received == [], "a given-up e-mail stays given up"


async def test_an_unreachable_mail_server_is_recorded_and_retried(
    db: AsyncSession, engine: AsyncEngine, mail_settings: Settings
) -> None:
    await _queue(db, 1)  # no sink fixture: nothing listens on the port
    now = utcnow()
    assert await send_pending(session_factory(engine), mail_settings, now=now) == SendReport(retried=1)
    [email] = await _outbox(db)
    assert email.status is MailStatus.PENDING
    assert email.last_error is not None and email.last_error.startswith("ConnectionRefusedError")
    assert email.next_attempt_at == now + timedelta(minutes=1)


async def test_two_senders_at_once_never_send_the_same_e_mail_twice(
    db: AsyncSession, engine: AsyncEngine, mail_settings: Settings, sink: SmtpSink
) -> None:
    await _queue(db, 12)
    reports = await asyncio.gather(
        send_pending(session_factory(engine), mail_settings),
        send_pending(session_factory(engine), mail_settings),
    )
    assert sum(report.sent for report in reports) == 12
    assert all(report.sent for report in reports), "both senders took part"
    assert sorted(message["To"] for message in sink.received) == sorted(
        f"person{number}@example.org" for number in range(12)
    )
    assert {email.status for email in await _outbox(db)} == {MailStatus.SENT}


async def test_send_mail_command_reports_and_fails_when_an_e_mail_is_given_up(
    db: AsyncSession, sink: SmtpSink, cli_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    await _queue(db, 2)
    assert await asyncio.to_thread(main, ["send-mail"]) == 0
    assert "Sent 2, will retry 0 later, gave up on 0" in capsys.readouterr().out
    assert len(sink.received) == 2

    await queue_email(db, to="last@example.org", subject="Last try", body="Hi", dedupe_key="last")
    await db.commit()
    [*_, last] = await _outbox(db)
    last.attempts = 7
    await db.commit()
    sink.refusal = "451 4.3.0 Try again later"
    assert await asyncio.to_thread(main, ["send-mail"]) == 1
    assert "Sent 0, will retry 0 later, gave up on 1" in capsys.readouterr().out


async def test_send_mail_command_without_a_mail_server_says_so(
    db: AsyncSession,
    cli_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SELFASSESS_SMTP_HOST")
    get_settings.cache_clear()
    await _queue(db, 1)
    assert await asyncio.to_thread(main, ["send-mail"]) == 0
    assert "No mail server is set" in capsys.readouterr().out
    [email] = await _outbox(db)
    assert email.status is MailStatus.PENDING
