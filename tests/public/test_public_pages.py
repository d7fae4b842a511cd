"""The public ratings pages: no sign-in, only published ratings, only councils that publish."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.frameworks.service import council_settings
from selfassess.settings import Settings
from selfassess.visits.models import CouncilPublication
from selfassess.visits.publication import recount_all
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_published_ratings_are_public_and_nothing_else_is(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    safe_inadequate = {f"S{number}": 1 for number in range(1, 9)}  # 8 of 32 = 25%
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores=safe_inadequate)
    assert visit.rating_key is not None and visit.key_question_ratings
    listing = text_of((await client.get("/public")).text)
    assert "Council A" in listing and "1 service rated" in listing
    page = text_of((await client.get(f"/public/{world.council_a.slug}")).text)
    assert "Alpha House" in page and "Beta Homecare" in page
    assert "Not yet rated by the council" in page, "Beta has no published visit"
    detail = text_of((await client.get(f"/public/{world.council_a.slug}/services/{world.alpha.id}")).text)
    assert "Summary of the visit." in detail
    safe = next(item for item in visit.key_question_ratings if item["code"] == "S")
    assert safe["key"] == "inadequate" and "Safe Inadequate" in detail
    assert world.manager_1.email not in detail and world.officer_a.full_name not in detail

    assert visit.rating_key == "requires_improvement", "the rating principles: one key question inadequate"
    assert "Requires improvement One key question inadequate." in detail, "the reason beside the rating"
    filtered = await client.get(f"/public/{world.council_a.slug}?rating=requires_improvement", htmx=True)
    assert filtered.text.lstrip().startswith('<div id="results">')
    assert "Alpha House" in filtered.text and "Beta Homecare" not in filtered.text
    assert "One key question inadequate" in filtered.text
    none = await client.get(f"/public/{world.council_a.slug}?rating=good", htmx=True)
    assert "Alpha House" not in none.text


async def test_a_council_can_switch_its_public_page_off(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    council = await council_settings(db, world.council_a.id)
    council.publish_ratings = False
    await db.commit()
    assert "Council A" not in (await client.get("/public")).text
    assert (await client.get(f"/public/{world.council_a.slug}")).status_code == 404
    assert (await client.get(f"/public/{world.council_a.slug}/services/{world.alpha.id}")).status_code == 404


async def test_a_service_is_only_found_under_its_own_council(client: Browser, world: factories.World) -> None:
    assert (await client.get(f"/public/{world.council_a.slug}/services/{world.gamma.id}")).status_code == 404
    assert (await client.get("/public/no-such-council")).status_code == 404


async def test_the_count_of_rated_services_kept_on_publication_is_the_count_from_the_visits(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    """The list of councils reads each council's count from its publication row; counting again
    from the visits (what the migration and the benchmark's generator do) gives the same number,
    and makes the row for a council whose reports were published before the count existed."""
    await published_visit(db, world, settings, self_scores={}, officer_scores={})
    kept = await db.scalar(
        select(CouncilPublication.rated_services).where(CouncilPublication.council_id == world.council_a.id)
    )
    assert kept == 1
    await db.execute(delete(CouncilPublication))
    await db.commit()
    assert "Council A" in (listing := text_of((await client.get("/public")).text))
    assert "0 services rated" in listing, "no row: nothing counted yet"
    await db.execute(recount_all(db.bind.dialect.name))
    await db.commit()
    recounted = await db.scalar(
        select(CouncilPublication.rated_services).where(CouncilPublication.council_id == world.council_a.id)
    )
    assert recounted == kept
    assert "1 service rated" in text_of((await client.get("/public")).text)
