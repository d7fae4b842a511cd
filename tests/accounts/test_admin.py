"""Each organisation's admins manage its own accounts, and nobody else's; no password on a page."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import AuditEvent, Role, User
from selfassess.settings import Settings
from tests import factories
from tests.accounts.mail import mailed_link
from tests.factories import PASSWORD
from tests.mail_sink import SmtpSink
from tests.support import Browser, text_of


def _form(user: User, **changes: str) -> dict[str, str]:
    values = {"full_name": user.full_name, "email": user.email, "role": user.role.value, "is_active": "true"}
    return {**values, **changes}


async def test_council_admin_manages_council_staff_only(client: Browser, world: factories.World) -> None:
    await client.login(world.admin_a.email)
    page = text_of((await client.get("/admin/users")).text)
    for name in ("Olive Officer", "Oscar Officer"):
        assert name in page
    for hidden in ("Mona Manager", "Max Manager", "Bea Officer"):
        assert hidden not in page, f"{hidden} is another organisation's account"
    for person in (world.manager_1, world.manager_2, world.officer_b):
        assert (await client.get(f"/admin/users/{person.id}")).status_code == 404
        response = await client.post(f"/admin/users/{person.id}", _form(person, full_name="Hijacked"))
        assert response.status_code == 404
        assert (await client.post(f"/admin/users/{person.id}/reset-password")).status_code == 404


async def test_invited_person_sets_their_own_password_from_the_email(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/users/new",
        {"full_name": "Nia New", "email": "Nia.New@Council-a.example", "role": "officer", "job_title": "QPO"},
    )
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Invited Nia New: we have e-mailed nia.new@council-a.example a link" in page
    assert "password is" not in page.lower()
    await db.commit()
    created = await db.scalar(select(User).where(User.email == "nia.new@council-a.example"))
    assert created is not None and created.password_hash is None and created.role is Role.OFFICER
    assert "Invited" in text_of((await client.get("/admin/users")).text)

    link = await mailed_link(engine, mail_settings, sink, "nia.new@council-a.example")
    message = sink.received[-1]
    assert message["Subject"] == "Set up your selfassess account for Council A"
    assert "72 hours" in message.get_content()
    async with browsers() as newcomer:
        refused = await newcomer.post(
            "/login", {"email": "nia.new@council-a.example", "password": "anything at all"}
        )
        assert refused.status_code == 401, "no password until the link is used"
        form = await newcomer.get(link)
        assert form.status_code == 200 and "Set up your account" in form.text
        token = link.split("token=", 1)[1]
        weak = await newcomer.post(
            "/set-password", {"token": token, "new_password": "short", "confirm_password": "short"}
        )
        assert weak.status_code == 422 and "Use at least 10 characters." in weak.text
        assert "short" not in re.findall(r'value="([^"]*)"', weak.text), "passwords are never echoed"
        done = await newcomer.post(
            "/set-password",
            {"token": token, "new_password": "nia's own secret", "confirm_password": "nia's own secret"},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/login?password_set=true"
        await newcomer.login("nia.new@council-a.example", "nia's own secret")
        assert "Alpha House" in (await newcomer.get("/services")).text
        again = await newcomer.get(link)
        assert again.status_code == 410 and "This link has already been used." in text_of(again.text)
    await db.commit()  # see what the app committed since
    events = list(await db.scalars(select(AuditEvent.event).order_by(AuditEvent.id)))
    assert {"user.created", "invitation.sent", "invitation.accepted"} <= set(events)


async def test_a_role_that_does_not_fit_the_organisation_is_refused_on_the_field(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    for role in ("provider", "provider_admin"):
        response = await client.post(
            "/admin/users/new", {"full_name": "Pat", "email": "pat@a.example", "role": role}
        )
        assert response.status_code == 422
        assert 'id="error-role"' in response.text
        assert "People at a council can be: Quality officer or Council admin." in response.text
        response = await client.post(f"/admin/users/{world.officer_a.id}", _form(world.officer_a, role=role))
        assert response.status_code == 422 and 'id="error-role"' in response.text
    await db.refresh(world.officer_a)
    assert world.officer_a.role is Role.OFFICER
    assert await db.scalar(select(User).where(User.email == "pat@a.example")) is None


async def test_provider_admin_runs_their_own_organisations_accounts(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    boss = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN, name="Pip Provider-Admin")
    await client.login(boss.email)
    assert 'href="/admin"' in (await client.get("/services")).text
    page = text_of((await client.get("/admin/users")).text)
    assert "Mona Manager" in page and "Pip Provider-Admin" in page
    for hidden in ("Olive Officer", "Ada Admin", "Max Manager"):
        assert hidden not in page
    for person in (world.officer_a, world.admin_a, world.manager_2):
        assert (await client.get(f"/admin/users/{person.id}")).status_code == 404
        assert (
            await client.post(f"/admin/users/{person.id}", _form(person, is_active=""))
        ).status_code == 404

    promoted = await client.post(
        f"/admin/users/{world.manager_1.id}", _form(world.manager_1, role="provider_admin")
    )
    assert promoted.status_code == 200, promoted.text
    officer = await client.post(f"/admin/users/{world.manager_1.id}", _form(world.manager_1, role="officer"))
    assert officer.status_code == 422
    assert "People at a provider organisation can be: Provider user or Provider admin." in officer.text
    invited = await client.post(
        "/admin/users/new", {"full_name": "Sam Staff", "email": "sam@one.example", "role": "provider"}
    )
    assert "Invited Sam Staff" in text_of(invited.text)
    unticked = _form(world.manager_1, role="provider_admin")
    del unticked["is_active"]  # an unticked checkbox is not sent
    gone = await client.post(f"/admin/users/{world.manager_1.id}", unticked)
    assert gone.status_code == 200
    await db.refresh(world.manager_1)
    assert world.manager_1.role is Role.PROVIDER_ADMIN and not world.manager_1.is_active
    sam = await db.scalar(select(User).where(User.email == "sam@one.example"))
    assert sam is not None and sam.organisation_id == world.provider_1.id and sam.role is Role.PROVIDER
    assert (await client.get("/admin/settings")).status_code == 403, "council settings stay the council's"


async def test_duplicate_email_and_missing_fields_are_explained(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/users/new", {"full_name": "Copy", "email": world.manager_1.email.upper(), "role": "officer"}
    )
    assert response.status_code == 422
    assert f"There is already an account for {world.manager_1.email}." in response.text
    response = await client.post("/admin/users/new", {"full_name": "", "email": "not-an-email", "role": ""})
    assert "Full name is required." in response.text
    assert "Enter an e-mail address like name@example.org." in response.text
    assert "Choose role from the list." in response.text


async def test_role_change_is_audited_and_self_demotion_refused(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        f"/admin/users/{world.officer_a.id}", _form(world.officer_a, role="council_admin")
    )
    assert response.status_code == 200
    event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "user.role_changed"))
    assert event is not None and event.detail == "Quality officer -> Council admin"
    assert event.actor_id == world.admin_a.id

    response = await client.post(f"/admin/users/{world.admin_a.id}", _form(world.admin_a, role="officer"))
    assert response.status_code == 422
    assert "You cannot change your own role or deactivate yourself" in response.text
    await db.refresh(world.admin_a)
    assert world.admin_a.role is Role.COUNCIL_ADMIN


async def test_an_admins_reset_sends_a_link_and_shows_no_password(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        await client.login(world.admin_a.email)
        response = await client.post(f"/admin/users/{world.officer_a.id}/reset-password")
        page = text_of(response.text)
        assert "We have e-mailed Olive Officer a link to reset their password." in page
        assert "temporary" not in page.lower()
        assert (await officer.get("/services", follow_redirects=False)).status_code == 200, (
            "a reset sent by mistake locks nobody out"
        )
        link = await mailed_link(engine, mail_settings, sink, world.officer_a.email)
        token = link.split("token=", 1)[1]
        await officer.post(
            "/set-password",
            {"token": token, "new_password": "olive's new secret", "confirm_password": "olive's new secret"},
        )
        assert (await officer.get("/services", follow_redirects=False)).status_code == 303, (
            "signed out everywhere"
        )
        old = await officer.post("/login", {"email": world.officer_a.email, "password": PASSWORD})
        assert old.status_code == 401
        await officer.login(world.officer_a.email, "olive's new secret")


async def test_account_pages_are_for_admins_only(client: Browser, world: factories.World) -> None:
    for person in (world.officer_a, world.manager_1):
        await client.login(person.email)
        assert (await client.get("/admin/users")).status_code == 403
        response = await client.post(
            "/admin/users/new", {"full_name": "X", "email": "x@y.example", "role": "council_admin"}
        )
        assert response.status_code == 403
        await client.logout()


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
