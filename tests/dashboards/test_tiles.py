"""Every number on the council's home page is the length of the list it links to, for every council
person in the demo. (The tile "2 open high or critical concerns" once linked to a list of one.)"""

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
    for *_, email in _PEOPLE:
        async with browsers() as browser:
            await _check(browser, email, failures)  # a provider's home has no tiles: nothing to check
            nonzero += sum(int(count) for _, count in TILE.findall((await browser.get("/home")).text))
    assert not failures, "\n".join(failures)
    assert nonzero, "the demo gives the tiles something to count"


async def _check(browser: Browser, email: str, failures: list[str]) -> None:
    await browser.login(email, DEMO_PASSWORD)
    home = await browser.get("/home")
    tiles = TILE.findall(home.text)
    if not tiles:
        return  # not a council home page (a provider's)
    assert len(tiles) >= 6, home.text[:500]
    for href, count in tiles:
        listed = await browser.get(href.replace("&amp;", "&"))
        assert listed.status_code == 200, href
        totals = LIST_TOTAL.findall(listed.text)
        total = int(totals[0]) if totals else 0
        if total != int(count):
            failures.append(f"{email}: the tile says {count}, {href} lists {total}")
