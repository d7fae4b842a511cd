"""In-app notifications and the outbox rows `notify` writes: who is told, once, and who may read them."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import User
from selfassess.db import session_factory
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.notifications.service import notify, queue_email
from selfassess.settings import Settings
from tests import factories
from tests.support import Browser, text_of


async def _tell(
    db: AsyncSession, settings: Settings, people: list[User], message: str, *, email: bool = False
) -> None:
    await notify(
        db,
        recipients=people,
        message=message,
        link="/services/1",
        dedupe_key=f"test:{message}",
        email_subject=f"selfassess: {message}" if email else None,
        settings=settings,
    )
    await db.commit()


async def _reloaded(db: AsyncSession, notification: Notification) -> Notification:
    """As stored now: a new transaction first, since on SQLite one keeps the snapshot it began with."""
    await db.commit()
    await db.refresh(notification)
    return notification


async def _count(db: AsyncSession, model: type[Notification] | type[OutboxEmail]) -> int:
    return await db.scalar(select(func.count()).select_from(model)) or 0


async def test_notify_tells_each_active_person_and_emails_each_once(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    people = [world.officer_a, world.manager_1, world.officer_a]  # the officer twice: told once
    for _ in range(2):  # the same step notified twice
        await notify(
            db,
            recipients=people,
            message="Alpha House submitted its self-assessment",
            link=f"/services/{world.alpha.id}",
            dedupe_key="assessment:7:submitted",
            email_subject="Alpha House submitted its self-assessment",
            email_body="Alpha House has sent its self-assessment for review.",
            settings=settings,
        )
        await db.commit()
    emails = list(await db.scalars(select(OutboxEmail).order_by(OutboxEmail.to_address)))
    assert [email.to_address for email in emails] == [world.manager_1.email, world.officer_a.email]
    assert {email.dedupe_key for email in emails} == {
        f"assessment:7:submitted:{world.officer_a.id}",
        f"assessment:7:submitted:{world.manager_1.id}",
    }
    assert emails[0].subject == "Alpha House submitted its self-assessment"
    assert emails[0].body.startswith("Alpha House has sent its self-assessment for review.")
    assert emails[0].body.endswith(f"\nhttp://testserver.local/services/{world.alpha.id}")
    told = set(await db.scalars(select(Notification.user_id)))
    assert told == {world.officer_a.id, world.manager_1.id}


async def test_inactive_people_are_not_told(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    world.manager_1.is_active = False
    await db.commit()
    await _tell(db, settings, [world.manager_1, world.officer_a], "Visit booked", email=True)
    assert set(await db.scalars(select(Notification.user_id))) == {world.officer_a.id}
    assert set(await db.scalars(select(OutboxEmail.to_address))) == {world.officer_a.email}


async def test_notifications_are_stored_only_with_the_change_they_report(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await notify(
        db,
        recipients=[world.officer_a],
        message="Visit report published",
        link="/services/1",
        dedupe_key="visit:3:published",
        email_subject="Visit report published",
        settings=settings,
    )
    await db.rollback()  # the workflow step failed, so nobody hears about it
    assert await _count(db, Notification) == 0
    assert await _count(db, OutboxEmail) == 0


@pytest.mark.parametrize("link", ["https://elsewhere.example/phish", "//elsewhere.example", "services/1"])
async def test_a_notification_links_only_to_our_own_pages(
    db: AsyncSession, world: factories.World, settings: Settings, link: str
) -> None:
    with pytest.raises(ValueError, match="path starting with '/'"):
        await notify(
            db, recipients=[world.officer_a], message="x", link=link, dedupe_key="x", settings=settings
        )


async def test_the_same_key_queued_at_the_same_moment_is_kept_once(
    engine: AsyncEngine, db: AsyncSession
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: there a second insert waits for the first and meets the unique key")
    new_session = session_factory(engine)
    email = {"to": "someone@example.org", "subject": "Hello", "body": "Hi", "dedupe_key": "race"}
    async with new_session() as first, new_session() as second:
        assert await queue_email(first, **email) is True
        racing = asyncio.create_task(queue_email(second, **email))
        await asyncio.sleep(0.3)
        assert not racing.done(), "the second insert waits for the first transaction"
        await first.commit()
        assert await racing is False
        await second.commit()  # the loser's own transaction carries on
    assert await _count(db, OutboxEmail) == 1


async def test_page_lists_newest_first_and_says_which_are_new(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await _tell(db, settings, [world.officer_a], "Older news")
    await _tell(db, settings, [world.officer_a], "Newer news")
    await _tell(db, settings, [world.officer_a2], "Someone else's news")
    older = await db.scalar(select(Notification).where(Notification.message == "Older news"))
    assert older is not None
    await client.login(world.officer_a.email)
    await client.post(f"/notifications/{older.id}/read")
    page = text_of((await client.get("/notifications")).text)
    assert "You have 1 unread notification." in page
    assert page.index("Newer news") < page.index("Older news")
    assert "New Newer news" in page and "New Older news" not in page, "unread ones are labelled in words"
    assert "Someone else's news" not in page


async def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await notify(
        db,
        recipients=[world.officer_a],
        message="Beta Homecare agreed its plan",
        link=f"/services/{world.beta.id}",
        dedupe_key="plan:2:agreed",
        settings=settings,
    )
    await db.commit()
    notification = await db.scalar(select(Notification))
    assert notification is not None
    await client.login(world.officer_a.email)
    listing = (await client.get("/notifications")).text
    assert f'action="/notifications/{notification.id}/read"' in listing
    response = await client.post(f"/notifications/{notification.id}/read", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/services/{world.beta.id}"
    assert (await _reloaded(db, notification)).read_at is not None
    assert f'href="/services/{world.beta.id}"' in (await client.get("/notifications")).text, (
        "a plain link now"
    )


async def test_nobody_can_read_or_mark_another_persons_notification(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await _tell(db, settings, [world.officer_a], "Only for Olive")
    notification = await db.scalar(select(Notification))
    assert notification is not None
    await client.login(world.manager_1.email)
    response = await client.post(f"/notifications/{notification.id}/read", follow_redirects=False)
    assert response.status_code == 404
    assert "We could not find that notification." in text_of(response.text)
    assert (await client.post("/notifications/read-all", follow_redirects=False)).status_code == 303
    assert "Only for Olive" not in (await client.get("/notifications")).text
    assert (await _reloaded(db, notification)).read_at is None


async def test_badge_counts_unread_and_mark_all_read_clears_it(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await _tell(db, settings, [world.officer_a], "First")
    await _tell(db, settings, [world.officer_a], "Second")
    await client.login(world.officer_a.email)
    header = (await client.get("/services")).text
    assert 'hx-get="/notifications/badge"' in header
    badge = await client.get("/notifications/badge", htmx=True)
    assert badge.text.lstrip().startswith('<a href="/notifications">'), "the badge alone, not a page"
    assert text_of(badge.text) == "Notifications 2 unread"
    response = await client.post("/notifications/read-all")
    assert "Marked 2 notifications as read." in text_of(response.text)
    assert "You have read all your notifications." in text_of(response.text)
    assert text_of((await client.get("/notifications/badge", htmx=True)).text) == "Notifications"


async def test_long_lists_are_paged(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    for number in range(1, 28):
        await _tell(db, settings, [world.officer_a], f"News number {number:02d}")
    await client.login(world.officer_a.email)
    first = text_of((await client.get("/notifications")).text)
    assert "News number 27" in first and "News number 02" not in first
    assert "Page 1 of 2" in first
    second = text_of((await client.get("/notifications?page=2")).text)
    assert "News number 02" in second and "News number 01" in second and "News number 03" not in second
