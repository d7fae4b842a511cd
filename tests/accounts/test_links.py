"""E-mailed single-use links: invitations, resets and 'Forgot your password?', through real SMTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import AccountLink, AuditEvent
from selfassess.accounts.service import _token_hash
from selfassess.db import utcnow
from selfassess.notifications.models import OutboxEmail
from selfassess.settings import Settings
from tests import factories
from tests.accounts.mail import deliver, mailed_link
from tests.factories import PASSWORD
from tests.mail_sink import SmtpSink
from tests.support import Browser, text_of


def _token(link: str) -> str:
    return link.split("token=", 1)[1]


async def test_forgot_password_answers_an_unknown_address_exactly_like_a_known_one(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    login = await client.get("/login")
    assert 'href="/forgot-password"' in login.text
    assert (await client.get("/forgot-password")).status_code == 200
    answers = {}
    for email in (world.manager_1.email, "nobody@example.org"):
        async with browsers() as browser:
            response = await browser.post("/forgot-password", {"email": email.upper()})
            answers[email] = (response.status_code, text_of(response.text).replace(email, "ADDRESS"))
    assert answers[world.manager_1.email] == answers["nobody@example.org"]
    status, page = answers["nobody@example.org"]
    assert status == 200 and "If there is an account for ADDRESS, we have e-mailed it a link" in page

    link = await mailed_link(engine, mail_settings, sink, world.manager_1.email)
    assert [message["To"] for message in sink.received] == [world.manager_1.email], "no mail to strangers"
    assert sink.received[0]["Subject"] == "Reset your selfassess password"
    assert "1 hour" in sink.received[0].get_content()
    page = await client.get(link)
    assert "Choose a new password" in page.text and world.manager_1.email in page.text
    done = await client.post(
        "/set-password",
        {"token": _token(link), "new_password": "mona's new secret", "confirm_password": "mona's new secret"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    await client.login(world.manager_1.email, "mona's new secret")
    await client.logout()
    used = await client.post(
        "/set-password",
        {"token": _token(link), "new_password": "another secret!", "confirm_password": "another secret!"},
    )
    assert used.status_code == 410 and "This link has already been used." in text_of(used.text)


async def test_links_are_stored_only_as_hashes_and_sealed_in_the_outbox(
    client: Browser,
    db: AsyncSession,
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    await client.post("/forgot-password", {"email": world.officer_a.email})
    await db.commit()
    queued = await db.scalar(select(OutboxEmail))
    assert queued is not None and queued.body.startswith("sealed:v1:") and "token=" not in queued.body
    link = await mailed_link(engine, mail_settings, sink, world.officer_a.email)
    stored = await db.scalar(select(AccountLink))
    assert stored is not None and stored.token_hash == _token_hash(_token(link))
    assert _token(link) not in stored.token_hash


async def test_an_expired_or_made_up_link_is_refused_clearly(
    client: Browser,
    db: AsyncSession,
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    await client.post("/forgot-password", {"email": world.officer_a.email})
    link = await mailed_link(engine, mail_settings, sink, world.officer_a.email)
    await db.execute(update(AccountLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    expired = await client.get(link)
    assert expired.status_code == 410
    page = text_of(expired.text)
    assert "This link has expired" in page and "Forgot your password" in page.replace(
        "forgot your", "Forgot your"
    )
    posted = await client.post(
        "/set-password",
        {"token": _token(link), "new_password": "too late now!", "confirm_password": "too late now!"},
    )
    assert posted.status_code == 410
    made_up = await client.get("/set-password?token=not-a-real-token")
    assert made_up.status_code == 410 and "This link is not valid." in text_of(made_up.text)
    await client.login(world.officer_a.email, PASSWORD)  # nothing changed


async def test_a_newer_link_replaces_the_older_one(
    client: Browser, engine: AsyncEngine, mail_settings: Settings, sink: SmtpSink, world: factories.World
) -> None:
    await client.post("/forgot-password", {"email": world.officer_a.email})
    first = await mailed_link(engine, mail_settings, sink, world.officer_a.email)
    await client.post("/forgot-password", {"email": world.officer_a.email})
    second = await mailed_link(engine, mail_settings, sink, world.officer_a.email)
    assert first != second
    assert (await client.get(first)).status_code == 410
    assert (await client.get(second)).status_code == 200


async def test_forgot_password_is_rate_limited_per_address_and_per_account(
    client: Browser,
    db: AsyncSession,
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    for _ in range(5):
        response = await client.post("/forgot-password", {"email": world.officer_a.email})
        assert response.status_code == 200
    await deliver(engine, mail_settings)
    assert len(sink.received) == 3, "an inbox gets a few links an hour, however often someone asks"
    for number in range(5, 10):
        assert (await client.post("/forgot-password", {"email": f"x{number}@example.org"})).status_code == 200
    refused = await client.post("/forgot-password", {"email": "nobody@example.org"})
    assert refused.status_code == 429 and "Too many requests from your network" in refused.text
    await db.commit()
    asked = list(
        await db.scalars(select(AuditEvent.subject).where(AuditEvent.event == "password.reset_requested"))
    )
    assert len(asked) == 10


async def test_invitation_lifetime_comes_from_settings(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await client.login(world.admin_a.email)
    await client.post(
        "/admin/users/new", {"full_name": "Ivy Invite", "email": "ivy@a.example", "role": "officer"}
    )
    await db.commit()
    link = await db.scalar(select(AccountLink))
    assert link is not None and link.purpose.value == "invitation"
    lifetime = link.expires_at - link.created_at
    assert lifetime == timedelta(hours=settings.invitation_link_hours) == timedelta(hours=72)
