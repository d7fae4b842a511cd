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
