"""The public pages answer a browser that already holds them with a 304, until something is
published in that council; signed-in pages are never cached."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.oversight.risk import DEFAULT_WEIGHTS
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

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


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs, by any engine (the app's included)."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_the_council_pages_results_are_rendered_once_until_the_council_publishes(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    """Visitors rarely hold a page to revalidate, so the server keeps each version of the parts it
    rendered (a council's results, a service's reports): asked again, it reads the council and its
    version (and the service) and not what the part shows, until a report is published or a
    service changes."""
    search, page = f"/public/{world.council_a.slug}?q=alpha", f"/public/{world.council_a.slug}"
    service_page = f"{page}/services/{world.alpha.id}"
    # What each renders and, asked again, reads no more: the council's services, the service's reports.
    for url, htmx, rendered_from in (
        (search, True, "care_service.name"),
        (page, False, "care_service.name"),
        (service_page, False, "FROM visit"),
    ):
        with statements_sent() as first_time:
            first = await client.get(url, htmx=htmx)
        with statements_sent() as again_time:
            again = await client.get(url, htmx=htmx)
        assert "Alpha House" in first.text and text_of(again.text) == text_of(first.text)
        assert any(rendered_from in sql for sql in first_time), url
        assert not any(rendered_from in sql for sql in again_time), f"{url}: not read again"
    whole_page = text_of((await client.get(page)).text)
    assert "Not yet rated by the council" in text_of(first.text)

    await published_visit(db, world, settings, self_scores={}, officer_scores={})  # Alpha, council A
    found = text_of((await client.get(search, htmx=True)).text)
    assert "Alpha House" in found and "Not yet rated by the council" not in found
    unrated = whole_page.count("Not yet rated by the council")
    assert text_of((await client.get(page)).text).count("Not yet rated by the council") == unrated - 1
    detail = text_of((await client.get(service_page)).text)
    assert "Summary of the visit." in detail and "Not yet rated by the council" not in detail

    moving = update(CareService).where(CareService.id == world.beta.id)
    await db.execute(moving.values(council_id=world.council_b.id))
    await db.commit()
    assert "Beta Homecare" in whole_page
    assert "Beta Homecare" not in (await client.get(page)).text, "a service moved away is gone at once"


async def test_signed_in_pages_are_never_cached(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    home = await client.get("/")
    assert home.status_code == 200
    assert "etag" not in home.headers and "public" not in home.headers.get("cache-control", "")


async def test_a_suspension_shown_or_hidden_by_the_councils_setting_is_a_new_page(
    client: Browser, browsers, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    """Whether a suspension of new placements shows is the council's oversight setting: a browser
    holding the page from before the setting changed must not be told it is still current."""
    service_page = f"/public/{world.council_a.slug}/services/{world.alpha.id}"
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        decided = await officer.post(
            f"/oversight/support/providers/{world.provider_1.id}",
            {
                "level": "suspension",
                "reason": "Two safeguarding concerns in a month",
                "review_on": (date.today() + timedelta(days=30)).isoformat(),
            },
        )
        assert decided.status_code == 200
    await client.get("/public")
    before = await client.get(service_page)
    assert "suspended new placements" not in text_of(before.text), "not published yet"

    async with browsers() as admin:
        await admin.login(world.admin_a.email)
        months = ("outstanding", "good", "requires_improvement", "inadequate", "unrated", "high_risk")
        form = {
            **{f"months_{rating}": "12" for rating in months},
            **{f"weight_{key}": str(value) for key, value in DEFAULT_WEIGHTS.items()},
        }
        saved = await admin.post("/admin/oversight", {**form, "publish_suspensions": "true"})
        assert "Oversight settings saved" in text_of(saved.text)

    after = await client.get(service_page, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert "Council A has suspended new placements with Provider One" in text_of(after.text)
