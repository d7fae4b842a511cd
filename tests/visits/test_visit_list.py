"""The council's visits list: with nothing chosen it shows the recent and upcoming visits (its length
does not grow with years of history), and every filter's count is its list's length."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.frameworks.models import FrameworkVersion
from selfassess.visits.models import Visit, VisitStatus, VisitType
from selfassess.visits.service import RECENT_DAYS
from tests.factories import World

pytestmark = pytest.mark.usefixtures("frameworks")


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
    assert 'href="/visits?scheduled_from="' in recent  # the way to every date
    assert total((await client.get("/visits?scheduled_from=")).text) == 4
    # A filter chosen (the home page's tile links) is never narrowed to the window.
    assert total((await client.get("/visits?to_carry_out=true")).text) == 2
    # The window is kept when another filter is chosen on the page.
    window = (today - timedelta(days=RECENT_DAYS)).isoformat()
    assert total((await client.get(f"/visits?status=&mine=true&scheduled_from={window}")).text) == 2
