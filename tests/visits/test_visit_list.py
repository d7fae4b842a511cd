"""The council's visits list: with nothing chosen it shows the recent and upcoming visits (its length
does not grow with years of history), and every filter's count is its list's length."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.frameworks.models import FrameworkVersion
from selfassess.visits.models import Visit, VisitStatus, VisitType
from selfassess.visits.service import RECENT_DAYS
from tests.factories import World

pytestmark = pytest.mark.usefixtures("frameworks")


def window_start(today: date) -> str:
    return (today - timedelta(days=RECENT_DAYS)).isoformat()


async def test_the_list_shows_recent_and_upcoming_visits_unless_asked_for_all(
    client, db: AsyncSession, world: World
) -> None:
    today = clock.today()
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    for days, status in (
        (-3 * 365, VisitStatus.PUBLISHED),  # years ago
        (-RECENT_DAYS - 1, VisitStatus.SCHEDULED),  # before the window, still to carry out
        (-RECENT_DAYS, VisitStatus.PUBLISHED),  # the window's first day
        (14, VisitStatus.SCHEDULED),  # upcoming
    ):
        db.add(
            Visit(
                service_id=world.alpha.id,
                council_id=world.alpha.council_id,
                framework_version_id=version,
                visit_type=VisitType.PROACTIVE,
                scheduled_for=today + timedelta(days=days),
                officer_id=world.officer_a.id,
                status=status,
            )
        )
    await db.commit()
    await client.login(world.officer_a.email)

    def total(page: str) -> int:
        found = re.search(r'data-list-total="(\d+)"', page)
        assert found, "the list's total is not on the page"
        return int(found.group(1))

    recent = (await client.get("/visits")).text
    assert total(recent) == 2
    assert 'href="/visits?status="' in recent  # the way to every date
    assert total((await client.get("/visits?status=")).text) == 4
    # "All dates" keeps the rest of the filter: the report's reactive visits carried out in a quarter
    # become the reactive visits carried out at any time.
    quarter = f"scheduled_from={window_start(today)}&scheduled_to={today.isoformat()}"
    typed = (await client.get(f"/visits?visit_type=proactive&carried_out=true&{quarter}")).text
    assert total(typed) == 1
    every_date = re.search(r'<a href="/visits\?([^"]*)">All dates</a>', typed)
    assert (
        every_date and html.unescape(every_date.group(1)) == "status=&carried_out=true&visit_type=proactive"
    )
    assert total((await client.get(f"/visits?{html.unescape(every_date.group(1))}")).text) == 2
    # A filter chosen (the home page's tile links) is never narrowed to the window.
    assert total((await client.get("/visits?to_carry_out=true")).text) == 2
    # The window is kept when another filter is chosen on the page.
    window = (today - timedelta(days=RECENT_DAYS)).isoformat()
    assert total((await client.get(f"/visits?status=&mine=true&scheduled_from={window}")).text) == 2
