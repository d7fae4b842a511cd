"""One clock: due and overdue flip at the council's midnight (settings.timezone), not the host's.

In British Summer Time London is an hour ahead of UTC: from 23:00 UTC on 30 June it is already
1 July for the council, and an action due on 30 June is overdue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.rules import Priority, Reason
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

BEFORE_LONDON_MIDNIGHT = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 23:30 on 30 June in London
AFTER_LONDON_MIDNIGHT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London


@pytest.fixture
def stand_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Stop the clock at a moment of the test's choosing (the app reads the same clock)."""

    def stand(moment: datetime) -> None:
        monkeypatch.setattr(clock, "utc_now", lambda: moment)

    yield stand
    clock.configure_clock("Europe/London")


def test_today_is_the_councils_date_not_the_hosts(stand_at) -> None:  # type: ignore[no-untyped-def]
    stand_at(AFTER_LONDON_MIDNIGHT)
    clock.configure_clock("Europe/London")
    assert clock.today() == date(2026, 7, 1)
    assert clock.now().hour == 0
    clock.configure_clock("UTC")
    assert clock.today() == date(2026, 6, 30)
    stand_at(BEFORE_LONDON_MIDNIGHT)
    clock.configure_clock("Europe/London")
    assert clock.today() == date(2026, 6, 30)


@pytest.mark.usefixtures("frameworks")
async def test_an_action_is_overdue_from_the_councils_midnight_in_summer_time(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings, stand_at
) -> None:  # type: ignore[no-untyped-def]
    assert settings.timezone == "Europe/London"
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    plan = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=visit.id,
        status=PlanStatus.AGREED,
        provider_due=date(2026, 6, 1),
    )
    db.add(plan)
    await db.flush()
    db.add(
        Action(
            plan_id=plan.id,
            reason=Reason.ADDED,
            title="Fix the rota",
            priority=Priority.HIGH,
            owner_id=world.manager_1.id,
            due_date=date(2026, 6, 30),
        )
    )
    await db.commit()
    await client.login(world.officer_a.email)

    stand_at(BEFORE_LONDON_MIDNIGHT)
    assert "0 plans with overdue actions on your services" in text_of((await client.get("/home")).text)
    stand_at(AFTER_LONDON_MIDNIGHT)
    assert "1 plan with overdue actions on your services" in text_of((await client.get("/home")).text)
