"""Every number on the home page is the length of the list it links to, for every person in the demo:
the council's tiles and each person's "Waiting for you". (The tile "2 open high or critical concerns"
once linked to a list of one.)"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.demo import _PEOPLE, DEMO_PASSWORD, load_demo
from selfassess.settings import Settings
from tests.support import Browser

TILE = re.compile(r'<a class="card stat-card[^"]*" href="([^"]+)"><span class="stat">(\d+)</span>')
LIST_TOTAL = re.compile(r'data-list-total="(\d+)"')


async def test_every_tiles_number_is_its_lists_total_for_each_demo_role(
    browsers, db: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    await load_demo(db, settings)
    await db.commit()
    failures: list[str] = []
    nonzero = 0
    for _key, _organisation, role, *_, email in _PEOPLE:
        async with browsers() as browser:
            # Council staff: six kinds waiting and three across the area; providers: four kinds waiting.
            await _check(browser, email, 9 if role.is_council_staff else 4, failures)
            nonzero += sum(int(count) for _, count in TILE.findall((await browser.get("/home")).text))
    assert not failures, "\n".join(failures)
    assert nonzero, "the demo gives the tiles something to count"


async def _check(browser: Browser, email: str, expected: int, failures: list[str]) -> None:
    await browser.login(email, DEMO_PASSWORD)
    home = await browser.get("/home")
    tiles = TILE.findall(home.text)
    assert len(tiles) == expected, (email, tiles)
    for href, count in tiles:
        listed = await browser.get(href.replace("&amp;", "&"))
        assert listed.status_code == 200, href
        totals = LIST_TOTAL.findall(listed.text)
        total = int(totals[0]) if totals else 0
        if total != int(count):
            failures.append(f"{email}: the tile says {count}, {href} lists {total}")
