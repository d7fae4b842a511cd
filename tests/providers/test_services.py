"""Care service pages and API: who sees what, and editing with clear messages for bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent
from selfassess.providers.models import CareService
from tests import factories
from tests.support import Browser, text_of


def _valid_service(world: factories.World, **changes: object) -> dict[str, object]:
    form = {
        "name": "Delta View",
        "service_type": "care_home_nursing",
        "provider_id": world.provider_1.id,
        "address_line1": "1 Delta Road",
        "town": "Northbridge",
        "postcode": "nb1 2dv",
        "capacity": "40",
        "cqc_location_id": "1-555555555",
        "regulator_rating": "good",
        "regulator_rating_date": "2025-01-31",
        "assigned_officer_id": world.officer_a.id,
    }
    form.update(changes)
    return form


async def test_provider_user_sees_only_their_own_services(client: Browser, world: factories.World) -> None:
    await client.login(world.manager_2.email)
    page = text_of((await client.get("/services")).text)
    # Provider Two runs Beta (council A) and Gamma (council B): both are theirs.
    assert "Beta Homecare" in page and "Gamma Lodge" in page
    assert "Alpha House" not in page


async def test_officer_sees_their_council_with_their_own_services_first(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a2.email)
    page = text_of((await client.get("/services")).text)
    assert page.index("Beta Homecare") < page.index("Alpha House"), "assigned services come first"
    assert "Gamma Lodge" not in page, "another council's service"
    mine = text_of((await client.get("/services?mine=true")).text)
    assert "Beta Homecare" in mine and "Alpha House" not in mine


async def test_search_and_filter_return_just_the_results_for_htmx(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    response = await client.get("/services?q=alpha", htmx=True)
    assert response.text.lstrip().startswith('<div id="results">'), "htmx gets the results block only"
    assert "Alpha House" in response.text and "Beta Homecare" not in response.text
    by_type = text_of((await client.get("/services?type=homecare")).text)
    assert "Beta Homecare" in by_type and "Alpha House" not in by_type
    # A type that does not exist is ignored rather than an error.
    assert (await client.get("/services?type=spaceship")).status_code == 200


async def test_search_finds_services_by_their_providers_name_in_the_council_only(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    found = text_of((await client.get("/services?q=provider+two", htmx=True)).text)
    assert "Beta Homecare" in found, "Provider Two runs it"
    assert "Alpha House" not in found, "Provider One's"
    assert "Gamma Lodge" not in found, "Provider Two's, but in another council's area"


@pytest.mark.parametrize("who", ["manager_1", "officer_b"])
async def test_another_organisations_service_is_not_found_by_guessing_its_id(
    client: Browser, world: factories.World, who: str
) -> None:
    await client.login(getattr(world, who).email)
    other = world.beta if who == "manager_1" else world.alpha
    for url in (f"/services/{other.id}", f"/api/v1/services/{other.id}", f"/services/{other.id}/edit"):
        response = await client.get(url)
        assert response.status_code in (403, 404), url
        assert other.name not in response.text, url
    api = (await client.get("/api/v1/services")).json()
    assert other.id not in {item["id"] for item in api["items"]}


async def test_provider_cannot_edit_even_their_own_service(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    response = await client.post(f"/services/{world.alpha.id}/edit", _valid_service(world, name="Renamed"))
    assert response.status_code == 403
    await db.refresh(world.alpha)
    assert world.alpha.name == "Alpha House"
    assert "Add a service" not in (await client.get("/services")).text


async def test_officer_adds_a_service_and_it_is_audited(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    response = await client.post("/services/new", _valid_service(world), follow_redirects=False)
    assert response.status_code == 303
    created = await db.scalar(select(CareService).where(CareService.name == "Delta View"))
    assert created is not None
    assert created.council_id == world.council_a.id
    assert created.postcode == "NB1 2DV"
    assert response.headers["location"] == f"/services/{created.id}"
    page = text_of((await client.get(response.headers["location"])).text)
    assert "Added Delta View." in page
    assert "1 Delta Road, Northbridge, NB1 2DV" in page
    assert await db.scalar(select(AuditEvent.subject).where(AuditEvent.event == "service.created")) == (
        f"service:{created.id}"
    )


async def test_bad_values_are_explained_and_what_was_typed_is_kept(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        "/services/new",
        _valid_service(
            world,
            name="",
            postcode="NOT A POSTCODE",
            capacity="lots",
            cqc_location_id="12345",
            regulator_rating_date="2999-01-01",
            address_line1="<script>alert(1)</script>",
        ),
    )
    assert response.status_code == 422
    page = response.text
    for message in (
        "Service name is required.",
        "Enter a real UK postcode, like M1 1AE.",
        "Capacity must be a whole number.",
        "A CQC location ID looks like 1-123456789.",
        "The date of the CQC rating cannot be in the future.",
    ):
        assert message in page
    assert 'value="NOT A POSTCODE"' in page and 'value="lots"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_cannot_attach_another_councils_provider_or_officer(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    outsider = await factories.provider(db, world.council_b, name="Council B only")
    await client.login(world.officer_a.email)
    response = await client.post("/services/new", _valid_service(world, provider_id=outsider.id))
    assert response.status_code == 422
    assert "Choose a provider organisation from your council&#39;s list." in response.text
    response = await client.post(
        "/services/new", _valid_service(world, assigned_officer_id=world.officer_b.id)
    )
    assert response.status_code == 422
    assert "Choose an officer from your council." in response.text


async def test_duplicate_cqc_location_id_is_a_message_not_a_crash(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        "/services/new", _valid_service(world, cqc_location_id=world.alpha.cqc_location_id)
    )
    assert response.status_code == 422
    assert "Another service already has that CQC location ID." in response.text
    response = await client.post(
        f"/services/{world.beta.id}/edit",
        _valid_service(world, name="Beta renamed", cqc_location_id=world.alpha.cqc_location_id),
    )
    assert response.status_code == 422
    assert "Another service already has that CQC location ID." in response.text
    assert 'value="Beta renamed"' in response.text, "what the officer typed is kept"


async def test_officer_edits_a_service(client: Browser, db: AsyncSession, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    form = await client.get(f"/services/{world.alpha.id}/edit")
    assert 'value="Alpha House"' in form.text
    response = await client.post(
        f"/services/{world.alpha.id}/edit",
        _valid_service(world, name="Alpha House (renamed)", cqc_location_id=world.alpha.cqc_location_id),
    )
    assert response.status_code == 200
    assert "Saved the changes to Alpha House (renamed)." in text_of(response.text)
    await db.refresh(world.alpha)
    assert world.alpha.name == "Alpha House (renamed)"


async def test_api_lists_services_as_json(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    body = (await client.get("/api/v1/services")).json()
    assert body["next_cursor"] is None
    assert {item["name"] for item in body["items"]} == {"Alpha House", "Beta Homecare"}
    detail = (await client.get(f"/api/v1/services/{world.alpha.id}")).json()
    assert detail["provider_name"] == "Provider One"
    assert detail["regulator_rating"] == "good"


async def test_api_without_sign_in_is_a_json_401(client: Browser) -> None:
    response = await client.get("/api/v1/services")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
