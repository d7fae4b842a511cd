"""The council's register of provider organisations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from selfassess.providers.models import CouncilProvider, LinkStatus
from tests import factories
from tests.support import Browser, text_of


async def test_register_lists_providers_with_counts_for_this_council_only(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_b.email)
    page = text_of((await client.get("/providers")).text)
    assert "Provider Two" in page and "Provider One" not in page
    # Provider Two has one service in council B's area (Gamma), one in A's (Beta): B sees 1.
    assert "Provider Two 1" in page.replace("—", "").replace("  ", " ")


async def test_adding_a_provider_with_a_known_cqc_id_asks_the_provider(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    world.provider_1.cqc_provider_id = "1-101234567"
    await db.commit()
    boss = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN, name="Pip Provider-Admin")
    await client.login(world.officer_b.email)
    response = await client.post(
        "/providers", {"name": "Provider 1 (typed differently)", "cqc_provider_id": "1-101234567"}
    )
    page = text_of(response.text)
    assert "Provider One is already in selfassess. We have asked its admins" in page
    assert "Provider One: waiting for the provider" in page, "the council sees its pending request"
    assert "Provider One 0" not in page, "not on the register yet"
    count = await db.scalar(select(func.count()).where(Organisation.kind == OrganisationKind.PROVIDER))
    assert count == 2
    await db.commit()
    link = await db.get(CouncilProvider, (world.council_b.id, world.provider_1.id))
    assert link is not None and link.status is LinkStatus.PENDING
    again = await client.post("/providers", {"name": "Provider One", "cqc_provider_id": "1-101234567"})
    assert "You have already asked Provider One" in text_of(again.text)

    async with browsers() as provider:
        await provider.login(boss.email)
        told = text_of((await provider.get("/notifications")).text)
        assert "Council B asks to add Provider One to its register." in told
        councils = text_of((await provider.get("/admin/councils")).text)
        assert "Council B Asked" in councils and "Council A On its register" in councils
        accepted = await provider.post(f"/admin/councils/{world.council_b.id}/accept")
        assert "Provider One is now on Council B's register." in text_of(accepted.text)
        assert (await provider.post(f"/admin/councils/{world.council_b.id}/accept")).status_code == 404
    listed = text_of((await client.get("/providers")).text)
    assert "Provider One" in listed and "waiting for the provider" not in listed
    await db.commit()
    decided = await db.scalar(select(AuditEvent).where(AuditEvent.event == "provider_link.accepted"))
    assert decided is not None and decided.actor_id == boss.id and decided.detail == "Council B"


async def test_a_declined_request_shows_nothing_and_is_audited(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    world.provider_1.cqc_provider_id = "1-101234567"
    await db.commit()
    boss = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN)
    await client.login(world.officer_b.email)
    await client.post("/providers", {"name": "Provider One", "cqc_provider_id": "1-101234567"})
    async with browsers() as provider:
        await provider.login(boss.email)
        declined = await provider.post(f"/admin/councils/{world.council_b.id}/decline")
        assert "Declined Council B's request." in text_of(declined.text)
    page = text_of((await client.get("/providers")).text)
    assert "Provider One: declined" in page
    assert "Provider One" not in page.split("Requests to providers")[0]
    await db.commit()
    event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "provider_link.declined"))
    assert event is not None and event.subject == f"organisation:{world.council_b.id}"


async def test_council_admin_invites_the_first_admin_of_a_new_provider_only(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/providers",
        {"name": "Sunrise Care", "admin_full_name": "Sol Sunrise", "admin_email": "sol@sunrise.example"},
    )
    assert "We have e-mailed sol@sunrise.example an invitation" in text_of(response.text)
    await db.commit()
    sol = await db.scalar(select(User).where(User.email == "sol@sunrise.example"))
    assert sol is not None and sol.role is Role.PROVIDER_ADMIN and sol.password_hash is None
    assert "Sol Sunrise" not in text_of((await client.get("/admin/users")).text), "the provider's own"
    assert (await client.get(f"/admin/users/{sol.id}")).status_code == 404

    world.provider_2.cqc_provider_id = "1-109999999"
    await db.commit()
    existing = await client.post(
        "/providers",
        {
            "name": "Provider Two",
            "cqc_provider_id": "1-109999999",
            "admin_full_name": "Eve Intruder",
            "admin_email": "eve@intruder.example",
        },
    )
    assert existing.status_code == 422 and 'id="error-admin_email"' in existing.text
    assert "its own admins manage its accounts" in existing.text
    assert await db.scalar(select(User).where(User.email == "eve@intruder.example")) is None

    await client.logout()
    await client.login(world.officer_a.email)
    officer = await client.post(
        "/providers", {"name": "Dawn Care", "admin_full_name": "Dee Dawn", "admin_email": "dee@dawn.example"}
    )
    assert officer.status_code == 422
    assert "Only that organisation&#39;s own admins manage its accounts." in officer.text
    assert await db.scalar(select(User).where(User.email == "dee@dawn.example")) is None


async def test_adding_a_new_provider_and_refusing_a_duplicate_name(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        "/providers", {"name": "Sunrise Care", "contact_email": "Office@Sunrise.example"}
    )
    assert "Added Sunrise Care" in text_of(response.text)
    again = await client.post("/providers", {"name": "Sunrise Care"})
    assert again.status_code == 422
    assert "already exists" in again.text
    bad = await client.post("/providers", {"name": "X", "cqc_provider_id": "abc", "contact_email": "nope"})
    assert "A CQC provider ID looks like 1-101234567." in bad.text
    assert "Enter an e-mail address like name@example.org." in bad.text


async def test_providers_page_is_for_council_staff(client: Browser, world: factories.World) -> None:
    await client.login(world.manager_1.email)
    assert (await client.get("/providers")).status_code == 403
    assert (await client.post("/providers", {"name": "Sneaky Ltd"})).status_code == 403


async def test_a_long_register_is_searched_and_paged(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    for number in range(55):
        await factories.provider(db, world.council_b, name=f"Zephyr Care {number:02d}")
    await client.login(world.officer_b.email)
    first = text_of((await client.get("/providers")).text)
    # 56 on council B's register (Provider Two and the 55), fifty to a page, by name.
    assert "56 organisations." in first and "Page 1 of 2" in first
    assert "Provider Two" in first and "Zephyr Care 48" in first and "Zephyr Care 49" not in first
    second = text_of((await client.get("/providers?page=2")).text)
    assert "Zephyr Care 49" in second and "Zephyr Care 54" in second and "Provider Two" not in second

    found = await client.get("/providers?q=care+07", htmx=True)
    assert found.text.lstrip().startswith('<div id="results">')
    assert "1 organisation found." in text_of(found.text) and "Zephyr Care 07" in found.text
    missing = text_of((await client.get("/providers?q=Provider+One")).text)
    assert "No organisation on the register matches “Provider One”." in missing  # council A's only
