"""The path that once led from one council into another, walked step by step.

Council B's admin adds Provider One (on Council A's register) to B's register, tries every way of
managing its people's accounts, asks for password resets, and tries to sign in as its manager.
Then Provider One's admin accepts B's request, and B's admin tries all of it again: working with
a provider never means holding its keys. Every step must fail; the test says which one did not.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import AccountLink, Role, User
from selfassess.settings import Settings
from tests import factories
from tests.accounts.mail import deliver
from tests.mail_sink import SmtpSink
from tests.support import Browser, text_of


async def _account_management_is_refused(
    attacker: Browser, db: AsyncSession, world: factories.World, target: User
) -> list[str]:
    succeeded = []
    for query in ("", target.full_name, target.email):
        listing = (await attacker.get(f"/admin/users?q={query}", htmx=True)).text
        if f'href="/admin/users/{target.id}"' in listing or target.email in listing.replace(f"“{query}”", ""):
            succeeded.append(f"B's account list shows Provider One's manager (searched for {query!r})")
    page = await attacker.get(f"/admin/users/{target.id}")
    if page.status_code != 404:
        succeeded.append(f"GET /admin/users/{target.id}: {page.status_code}")
    hijack = {
        "full_name": "Hijacked",
        "email": "attacker@b.example",
        "role": "provider_admin",
        "is_active": "true",
    }
    edited = await attacker.post(f"/admin/users/{target.id}", hijack)
    if edited.status_code != 404:
        succeeded.append(f"POST /admin/users/{target.id}: {edited.status_code}")
    for role in ("officer", "council_admin"):
        demoted = await attacker.post(f"/admin/users/{target.id}", {**hijack, "role": role})
        if demoted.status_code != 404:
            succeeded.append(f"changing the role to {role}: {demoted.status_code}")
    reset = await attacker.post(f"/admin/users/{target.id}/reset-password")
    if reset.status_code != 404:
        succeeded.append(f"reset: {reset.status_code}")
    planted = await attacker.post(
        "/admin/users/new", {"full_name": "Plant", "email": "plant@b.example", "role": "provider_admin"}
    )
    await db.commit()
    if await db.scalar(
        select(User).where(User.email == "plant@b.example", User.organisation_id == world.provider_1.id)
    ):
        succeeded.append("B's admin made an account at Provider One")
    if planted.status_code != 422:
        succeeded.append(f"inviting a provider admin from B: {planted.status_code}")
    await db.refresh(target)
    if (target.full_name, target.email, target.role, target.is_active) != (
        "Mona Manager",
        "manager.1@example.org",
        Role.PROVIDER,
        True,
    ):
        succeeded.append("Provider One's manager's account changed")
    return succeeded


async def test_a_second_council_never_reaches_a_providers_accounts(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    engine: AsyncEngine,
    mail_settings: Settings,
    sink: SmtpSink,
    world: factories.World,
) -> None:
    world.provider_1.cqc_provider_id = "1-101234567"
    await db.commit()
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, name="Bob B-Admin")
    boss = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN, name="Pip Provider-Admin")
    target = world.manager_1
    succeeded: list[str] = []

    await client.login(admin_b.email)
    # 1. Link the existing provider from the second council: only a request.
    added = text_of(
        (await client.post("/providers", {"name": "Provider One", "cqc_provider_id": "1-101234567"})).text
    )
    if "asked its admins" not in added:
        succeeded.append("adding an existing provider did not become a request")
    register = text_of((await client.get("/providers", htmx=True)).text)
    if "Provider One" in register:
        succeeded.append("Provider One is on B's register before it accepted")
    accuracy = await client.get(f"/providers/{world.provider_1.id}/accuracy")
    if accuracy.status_code != 404:
        succeeded.append(f"B opens Provider One's accuracy page before it accepted: {accuracy.status_code}")
    new_service = await client.get("/services/new")
    if ">Provider One</option>" in new_service.text:
        succeeded.append("B can put a service under Provider One before it accepted")

    # 2. Every account-management route, before and after the provider accepts.
    succeeded += [
        f"(pending) {step}" for step in await _account_management_is_refused(client, db, world, target)
    ]
    async with browsers() as provider:
        await provider.login(boss.email)
        await provider.post(f"/admin/councils/{world.council_b.id}/accept")
    if "Provider One" not in text_of((await client.get("/providers", htmx=True)).text):
        succeeded.append("(the test) Provider One's acceptance did not put it on B's register")
    succeeded += [
        f"(accepted) {step}" for step in await _account_management_is_refused(client, db, world, target)
    ]

    # 3. "Forgot your password?" for the manager, asked from B's browser: the link goes to her.
    await client.post("/forgot-password", {"email": target.email})
    await deliver(engine, mail_settings)
    with_links = [m["To"] for m in sink.received if "/set-password?token=" in m.get_content()]
    if with_links != [target.email]:
        succeeded.append(f"set-password links went to {with_links}")
    if "token=" in text_of((await client.get("/admin/audit")).text):
        succeeded.append("a link shows in B's audit log")
    links = await db.scalar(
        select(func.count()).select_from(AccountLink).where(AccountLink.created_by_id == admin_b.id)
    )
    if links:
        succeeded.append("B's admin made a set-password link for someone")

    # 4. Signing in as the provider user with anything B's admin could know.
    async with browsers() as impostor:
        for guess in ("demo-password", "a temporary one", admin_b.email):
            response = await impostor.post(
                "/login", {"email": target.email, "password": guess}, follow_redirects=False
            )
            if response.status_code == 303:
                succeeded.append(f"signed in as Provider One's manager with {guess!r}")

    assert not succeeded, "Steps that should have failed succeeded:\n" + "\n".join(succeeded)
