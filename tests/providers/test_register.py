"""The council's register of provider organisations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, OrganisationKind
from selfassess.providers.models import CouncilProvider
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


async def test_adding_a_provider_with_a_known_cqc_id_links_it_instead_of_copying(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    world.provider_1.cqc_provider_id = "1-101234567"
    await db.commit()
    await client.login(world.officer_b.email)
    response = await client.post(
        "/providers", {"name": "Provider 1 (typed differently)", "cqc_provider_id": "1-101234567"}
    )
    assert "Linked the existing organisation Provider One" in text_of(response.text)
    count = await db.scalar(select(func.count()).where(Organisation.kind == OrganisationKind.PROVIDER))
    assert count == 2
    assert await db.get(CouncilProvider, (world.council_b.id, world.provider_1.id)) is not None


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
