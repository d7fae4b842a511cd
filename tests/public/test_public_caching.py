"""The public pages answer a browser that already holds them with a 304, until something is
published in that council; signed-in pages are never cached."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")


async def _revalidate(client: Browser, url: str, etag: str, *, htmx: bool = False) -> int:
    return (await client.get(url, htmx=htmx, headers={"If-None-Match": etag})).status_code


async def test_public_pages_are_revalidated_until_their_council_publishes(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    council_page, other_council = f"/public/{world.council_a.slug}", f"/public/{world.council_b.slug}"
    pages = ["/public", council_page, f"{council_page}/services/{world.alpha.id}", other_council]
    await client.get("/public")  # the first answer sets the CSRF cookie that the page's token is for
    etags = {}
    for url in pages:
        first, again = await client.get(url), await client.get(url)
        assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
        assert first.headers["etag"].startswith('W/"') and again.headers["etag"] == first.headers["etag"]
        assert await _revalidate(client, url, first.headers["etag"]) == 304
        assert await _revalidate(client, url, 'W/"something-else"') == 200
        etags[url] = first.headers["etag"]
    fragment = await client.get(council_page, htmx=True)
    assert fragment.headers["etag"] != etags[council_page], "the htmx fragment is another representation"
    assert await _revalidate(client, council_page, fragment.headers["etag"], htmx=True) == 304

    await published_visit(db, world, settings, self_scores={}, officer_scores={})  # Alpha, council A
    for url in pages[:3]:
        changed = await client.get(url, headers={"If-None-Match": etags[url]})
        assert changed.status_code == 200 and changed.headers["etag"] != etags[url]
    assert await _revalidate(client, other_council, etags[other_council]) == 304, "council B: unchanged"


async def test_signed_in_pages_are_never_cached(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    home = await client.get("/")
    assert home.status_code == 200
    assert "etag" not in home.headers and "public" not in home.headers.get("cache-control", "")
