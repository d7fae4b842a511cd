"""Council admins manage accounts; passwords are changed by their owners."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, Role, User
from tests import factories
from tests.factories import PASSWORD
from tests.support import Browser, text_of


def _temporary_password(page: str) -> str:
    match = re.search(r"temporary password is ([0-9a-f]{6}(?:-[0-9a-f]{6}){3})", page)
    assert match, page
    return match.group(1)


async def test_admin_creates_a_provider_user_who_must_choose_a_password(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/users/new",
        {
            "full_name": "Nia New",
            "email": "Nia.New@Provider.example",
            "role": "provider",
            "provider_id": world.provider_1.id,
            "is_active": "true",
        },
    )
    assert response.status_code == 200
    password = _temporary_password(text_of(response.text))
    created = await db.scalar(select(User).where(User.email == "nia.new@provider.example"))
    assert (
        created is not None
        and created.organisation_id == world.provider_1.id
        and created.must_change_password
    )

    async with browsers() as newcomer:
        await newcomer.login("nia.new@provider.example", password)
        response = await newcomer.get("/services", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account/password"
        weak = await newcomer.post(
            "/account/password",
            {"current_password": password, "new_password": "short", "confirm_password": "short"},
        )
        assert weak.status_code == 422 and "Use at least 10 characters." in weak.text
        mismatch = await newcomer.post(
            "/account/password",
            {
                "current_password": password,
                "new_password": "a long new secret",
                "confirm_password": "another long one",
            },
        )
        assert "The new passwords do not match." in mismatch.text
        done = await newcomer.post(
            "/account/password",
            {
                "current_password": password,
                "new_password": "a long new secret",
                "confirm_password": "a long new secret",
            },
        )
        assert "Your password has been changed." in text_of(done.text)
        assert "Alpha House" in (await newcomer.get("/services")).text


async def test_admin_sees_accounts_of_their_council_and_its_providers_only(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    page = text_of((await client.get("/admin/users")).text)
    for name in ("Olive Officer", "Oscar Officer", "Mona Manager", "Max Manager"):
        assert name in page
    assert "Bea Officer" not in page
    response = await client.get(f"/admin/users/{world.officer_b.id}")
    assert response.status_code == 404
    response = await client.post(
        f"/admin/users/{world.officer_b.id}",
        {"full_name": "Hijacked", "email": world.officer_b.email, "role": "council_admin"},
    )
    assert response.status_code == 404


async def test_cannot_create_a_user_for_a_provider_off_the_register(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    outsider = await factories.provider(db, world.council_b, name="Council B only")
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/users/new",
        {
            "full_name": "Out Sider",
            "email": "out@sider.example",
            "role": "provider",
            "provider_id": outsider.id,
        },
    )
    assert response.status_code == 422
    assert "Choose a provider organisation from your council&#39;s register." in response.text
    assert await db.scalar(select(User).where(User.email == "out@sider.example")) is None


async def test_duplicate_email_and_missing_fields_are_explained(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/users/new", {"full_name": "Copy", "email": world.officer_a.email.upper(), "role": "officer"}
    )
    assert response.status_code == 422
    assert f"There is already an account for {world.officer_a.email}." in response.text
    response = await client.post(
        "/admin/users/new", {"full_name": "", "email": "not-an-email", "role": "provider"}
    )
    assert "Full name is required." in response.text
    assert "Enter an e-mail address like name@example.org." in response.text
    assert "Choose the provider organisation this person works for." in response.text


async def test_role_change_is_audited_and_self_demotion_refused(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        f"/admin/users/{world.officer_a.id}",
        {
            "full_name": world.officer_a.full_name,
            "email": world.officer_a.email,
            "role": "council_admin",
            "is_active": "true",
        },
    )
    assert response.status_code == 200
    event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "user.role_changed"))
    assert event is not None and event.detail == "Quality officer -> Council admin"
    assert event.actor_id == world.admin_a.id

    response = await client.post(
        f"/admin/users/{world.admin_a.id}",
        {
            "full_name": world.admin_a.full_name,
            "email": world.admin_a.email,
            "role": "officer",
            "is_active": "true",
        },
    )
    assert response.status_code == 422
    assert "You cannot change your own role or deactivate yourself" in response.text
    await db.refresh(world.admin_a)
    assert world.admin_a.role is Role.COUNCIL_ADMIN


async def test_provider_user_cannot_become_an_officer(client: Browser, world: factories.World) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        f"/admin/users/{world.manager_1.id}",
        {
            "full_name": world.manager_1.full_name,
            "email": world.manager_1.email,
            "role": "officer",
            "is_active": "true",
        },
    )
    assert response.status_code == 422
    assert "cannot move to another organisation" in response.text


async def test_reset_password_signs_the_user_out(
    client: Browser,
    browsers,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    async with browsers() as manager:
        await manager.login(world.manager_1.email)
        await client.login(world.admin_a.email)
        response = await client.post(f"/admin/users/{world.manager_1.id}/reset-password")
        password = _temporary_password(text_of(response.text))
        assert (await manager.get("/services", follow_redirects=False)).status_code == 303
        old = await manager.post("/login", {"email": world.manager_1.email, "password": PASSWORD})
        assert old.status_code == 401
        await manager.login(world.manager_1.email, password)


async def test_account_pages_are_for_admins_only(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/users")).status_code == 403
    assert (
        await client.post(
            "/admin/users/new", {"full_name": "X", "email": "x@y.example", "role": "council_admin"}
        )
    ).status_code == 403


async def test_changing_password_needs_the_current_one(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        "/account/password",
        {
            "current_password": "wrong password",
            "new_password": "brand new secret",
            "confirm_password": "brand new secret",
        },
    )
    assert response.status_code == 422
    assert "Your current password is not right." in response.text
