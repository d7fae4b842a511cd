"""The council admin's import pages and the service page's CQC panel, through HTTP, against the fake
API; other councils' imports are not found; a missing or refused key and unknown IDs are explained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.providers.models import CareService
from selfassess.regulator.client import open_client
from selfassess.settings import Settings
from tests import factories
from tests.regulator.fake_cqc import KEY, FakeCQC, RecordedSleep, location_json
from tests.support import Browser, text_of


@pytest.fixture
def fake(app: Litestar) -> Iterator[FakeCQC]:
    """The app talks to the fake API, with the subscription key set."""
    fake = FakeCQC()

    def open_fake(settings: Settings):  # type: ignore[no-untyped-def]
        keyed = settings.model_copy(update={"cqc_subscription_key": SecretStr(KEY)})
        return open_client(keyed, transport=fake.transport(), sleep=RecordedSleep())

    app.state["open_regulator"] = open_fake
    yield fake
    del app.state["open_regulator"]


async def test_an_admin_previews_and_confirms_the_whole_area(
    client: Browser, db: AsyncSession, world: factories.World, fake: FakeCQC
) -> None:
    world.alpha.cqc_location_id, world.alpha.postcode = None, "NB1 4RL"
    await db.commit()
    for number in range(30):
        name, postcode = ("Alpha House", "NB1 4RL") if number == 0 else (f"Home {number}", "NB2 2AB")
        fake.add(
            location_json(
                f"1-50{number:02d}", "1-800", name=name, postcode=postcode, local_authority="Council A"
            )
        )
    await client.login(world.admin_a.email)

    page = text_of((await client.get("/admin/regulator")).text)
    assert "Subscription key Not set" in page and "Last sync Not run yet." in page
    response = await client.post(
        "/admin/regulator/imports", {"scope": "area", "local_authority": "Council A"}, follow_redirects=False
    )
    assert response.status_code == 303
    preview = response.headers["location"]
    assert "Fetching each location from the CQC: 0 of 30 so far." in text_of((await client.get(preview)).text)

    step = await client.post(f"{preview}/fetch", htmx=True)
    assert "25 of 30 so far" in text_of(step.text) and 'hx-trigger="load, submit"' in step.text
    done = await client.post(f"{preview}/fetch", htmx=True)
    assert done.headers["HX-Redirect"] == preview
    page = text_of((await client.get(preview)).text)
    assert "New service: 29" in page and "Matched to a service you had: 1" in page
    assert "Confirm: create or update 30 services" in page
    assert await db.scalar(select(func.count(CareService.id))) == 3, "nothing changes before confirming"

    applied = await client.post(f"{preview}/apply", follow_redirects=True)
    assert "Imported from the CQC: 29 new service(s), 1 matched, 0 updated." in text_of(applied.text)
    await db.commit()
    assert await db.scalar(select(func.count(CareService.id))) == 3 + 29
    panel = text_of((await client.get(f"/services/{world.alpha.id}/regulator/panel")).text)
    assert "Registered manager Jane Smith" in panel and "Key questions Safe: Good" in panel
    again = await client.post(f"{preview}/apply", follow_redirects=True)
    assert "This import was applied already." in text_of(again.text)


async def test_other_councils_and_officers_cannot_reach_an_import(
    client: Browser, browsers, db: AsyncSession, world: factories.World, fake: FakeCQC
) -> None:  # type: ignore[no-untyped-def]
    fake.add(location_json("1-5000", "1-800", name="Home", postcode="NB2 2AB"))
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/regulator/imports", {"scope": "locations", "location_ids": "1-5000"}, follow_redirects=False
    )
    preview = response.headers["location"]
    admin_b = await factories.user(
        db, world.council_b, factories.Role.COUNCIL_ADMIN, email="admin.b@example.org"
    )
    async with browsers() as other:
        await other.login(admin_b.email)
        assert (await other.get(preview)).status_code == 404
        assert (await other.post(f"{preview}/fetch")).status_code == 404
        assert (await other.post(f"{preview}/apply")).status_code == 404
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        assert (await officer.get("/admin/regulator")).status_code == 403
        assert (await officer.post(f"{preview}/apply")).status_code == 403
        assert (await officer.get(f"/services/{world.gamma.id}/regulator/panel")).status_code == 404
        assert "No CQC" not in (await officer.get(f"/services/{world.alpha.id}/regulator/panel")).text


async def test_keys_and_unknown_locations_are_explained(
    app: Litestar, client: Browser, world: factories.World, fake: FakeCQC
) -> None:
    await client.login(world.admin_a.email)
    bad = await client.post("/admin/regulator/imports", {"scope": "locations", "location_ids": "no ids here"})
    assert bad.status_code == 422
    assert "Enter one or more CQC location IDs, like 1-123456789." in text_of(bad.text)
    assert "no ids here" in bad.text, "what was typed stays"

    response = await client.post(
        "/admin/regulator/imports", {"scope": "locations", "location_ids": "1-404404"}, follow_redirects=False
    )
    preview = response.headers["location"]
    await client.post(f"{preview}/fetch")
    page = text_of((await client.get(preview)).text)
    assert "Not found at the CQC: 1" in page and "The CQC has no location with this ID." in page
    assert "Nothing to change" in page

    fake.key = "a rotated key"
    refused = await client.post("/admin/regulator/imports", {"scope": "area", "local_authority": "Council A"})
    assert refused.status_code == 422
    assert "The CQC API refused the subscription key (401)" in text_of(refused.text)

    del app.state["open_regulator"]  # the real client, with no key configured: refused before any request
    try:
        missing = await client.post(
            "/admin/regulator/imports", {"scope": "area", "local_authority": "Council A"}
        )
    finally:
        app.state["open_regulator"] = lambda settings: open_client(settings)
    assert "No CQC subscription key is set" in text_of(missing.text)
