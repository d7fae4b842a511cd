"""Concerns a provider can act on: the officer chooses what the provider reads, what it is asked to
do and by when; the provider responds on the concern's page and the officer is told. Confidential
concerns stay invisible, and nobody reaches another organisation's concerns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import AuditEvent
from selfassess.demo import DEMO_PASSWORD, load_demo
from selfassess.notifications.models import Notification
from selfassess.settings import Settings
from selfassess.visits.models import Concern, ConcernResponse
from tests import factories
from tests.support import Browser, text_of
from tests.visits.test_concerns import SECRET, _log, _reload, _shared_and_secret

ASK = "Send the MAR charts for room 12 and your last medication audit."


def _share_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "shared_summary": "A relative told us evening medication was missed twice last week.",
        "provider_request": ASK,
        "respond_by": (clock.today() + timedelta(days=7)).isoformat(),
    }
    form.update(changes)
    return form


async def _share(client: Browser, concern: Concern) -> None:
    response = await client.post(f"/concerns/{concern.id}/share", _share_form(), follow_redirects=False)
    assert response.status_code == 303, response.text


async def test_officer_shares_a_concern_with_a_request_and_the_provider_is_told(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    concern = await _log(db, world, world.alpha)
    await client.login(world.officer_a.email)
    page = await client.get(f"/concerns/{concern.id}")
    assert f'action="/concerns/{concern.id}/share"' in page.text
    # The form starts from a sensible text: what was raised and when, not who raised it.
    received = f"{concern.received_on.day} {concern.received_on:%B %Y}"
    assert f"We received a complaint about Alpha House on {received}: Missed evening medication." in page.text

    await _share(client, concern)
    await _reload(db, concern)
    assert concern.provider_request == ASK and concern.respond_by == clock.today() + timedelta(days=7)
    assert concern.shared_summary.startswith("A relative told us") and concern.shared_at is not None
    told = await db.scalars(select(Notification).where(Notification.user_id == world.manager_1.id))
    assert [note.link for note in told] == [f"/concerns/{concern.id}"]
    assert await db.scalar(select(AuditEvent).where(AuditEvent.event == "concern.shared")) is not None

    officer_view = text_of((await client.get(f"/concerns/{concern.id}")).text)
    assert "What the provider is told and asked" in officer_view and ASK in officer_view


async def test_provider_sees_the_request_and_responds_and_the_officer_is_told(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    concern = await _log(db, world, world.alpha)
    await client.login(world.officer_a.email)
    await _share(client, concern)

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        page = text_of((await provider.get(f"/concerns/{concern.id}")).text)
        assert "What the council tells you A relative told us evening medication was missed" in page
        assert f"What you are asked to do {ASK}" in page
        due = clock.today() + timedelta(days=7)
        assert f"Respond by {due.day} {due:%B %Y}" in page
        assert "Daughter rang" not in page, "the internal notes are never shared"

        answer = "MAR charts attached to our reply by e-mail; two agency nurses retrained on 3 December."
        response = await provider.post(
            f"/concerns/{concern.id}/responses", {"text": answer}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/concerns/{concern.id}#responses"
        page = text_of((await provider.get(f"/concerns/{concern.id}")).text)
        assert "Sent your response to the council." in page
        assert answer in page and world.manager_1.full_name in page

    stored = await db.scalar(select(ConcernResponse).where(ConcernResponse.concern_id == concern.id))
    assert stored is not None and (stored.author_id, stored.text) == (world.manager_1.id, answer)
    told = list(await db.scalars(select(Notification).where(Notification.user_id == world.officer_a.id)))
    assert [note.link for note in told] == [f"/concerns/{concern.id}#responses"]
    officer_view = text_of((await client.get(f"/concerns/{concern.id}")).text)
    assert "Responses from the provider" in officer_view and answer in officer_view


async def test_empty_or_bad_forms_are_explained_in_the_page_and_keep_what_was_typed(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    concern = await _log(db, world, world.alpha)
    await client.login(world.officer_a.email)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = await client.post(
        f"/concerns/{concern.id}/share", _share_form(shared_summary="", respond_by=yesterday)
    )
    assert response.status_code == 422
    page = text_of(response.text)
    assert "What the provider reads is required." in page
    assert "The date to respond by cannot be in the past." in page
    assert ASK in page, "what the officer typed is still there"
    await _reload(db, concern)
    assert concern.shared_at is None

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        response = await provider.post(f"/concerns/{concern.id}/responses", {"text": "   "})
        assert response.status_code == 422
        assert "Your response is required." in text_of(response.text)
    assert await db.scalar(select(ConcernResponse)) is None


async def test_confidential_concerns_are_never_shared_or_answered(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    _, secret = await _shared_and_secret(db, world)
    await client.login(world.officer_a.email)
    page = await client.get(f"/concerns/{secret.id}")
    assert f'action="/concerns/{secret.id}/share"' not in page.text
    response = await client.post(f"/concerns/{secret.id}/share", _share_form())
    assert response.status_code == 400
    assert "A confidential concern is never shared with the provider." in text_of(response.text)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        response = await provider.post(f"/concerns/{secret.id}/responses", {"text": "We heard about this"})
        assert response.status_code == 404
        assert SECRET not in response.text
    await _reload(db, secret)
    assert secret.shared_at is None and secret.provider_request == ""
    assert await db.scalar(select(ConcernResponse)) is None


async def test_nobody_reaches_another_organisations_concern(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    concern = await _log(db, world, world.alpha)  # Council A, Provider One
    await client.login(world.officer_b.email)  # Council B
    assert (await client.post(f"/concerns/{concern.id}/share", _share_form())).status_code == 404
    async with browsers() as other_provider:
        await other_provider.login(world.manager_2.email)  # Provider Two
        assert (await other_provider.get(f"/concerns/{concern.id}")).status_code == 404
        response = await other_provider.post(f"/concerns/{concern.id}/responses", {"text": "Not ours"})
        assert response.status_code == 404
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        response = await provider.post(f"/concerns/{concern.id}/share", _share_form())
        assert response.status_code == 403, "providers never decide what is shared"
    await _reload(db, concern)
    assert concern.shared_at is None
    assert await db.scalar(select(ConcernResponse)) is None


async def test_the_demo_shows_a_shared_concern_with_a_request_and_the_providers_response(
    browsers, db: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    await load_demo(db, settings)
    await db.commit()
    complaint = await db.scalar(select(Concern).where(Concern.provider_request != ""))
    assert complaint is not None and not complaint.is_confidential
    async with browsers() as manager:
        await manager.login("manager@brightwater.example", DEMO_PASSWORD)
        page = text_of((await manager.get(f"/concerns/{complaint.id}")).text)
        assert "What you are asked to do Send us the MAR charts" in page
        assert "Your responses to the council Rose Adeyemi" in page
        form = f'action="/concerns/{complaint.id}/responses"'
        assert form in (await manager.get(f"/concerns/{complaint.id}")).text
    async with browsers() as officer:
        await officer.login("officer@northbridge.example", DEMO_PASSWORD)
        page = text_of((await officer.get(f"/concerns/{complaint.id}")).text)
        assert "Responses from the provider Rose Adeyemi" in page
