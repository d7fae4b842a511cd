"""Council admins set their programme's timescales and action priorities."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.frameworks.service import council_settings
from tests import factories
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

VALID = {
    "blind_scoring": "true",
    "factual_accuracy_days": "21",
    "plan_completion_days": "10",
    "follow_up_months": "4",
    "overrating_margin": "2",
    "reminder_days": "5",
    "publish_ratings": "true",
    "priority_1": "high",
    "days_1": "14",
    "priority_2": "medium",
    "days_2": "60",
    "priority_overrated": "low",
    "days_overrated": "120",
}


async def test_admin_saves_settings_and_priority_rules(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    page = text_of((await client.get("/admin/settings")).text)
    assert "Scored 1: Significant shortfalls" in page and "Over-rated by the margin or more" in page
    unticked = {name: value for name, value in VALID.items() if name != "blind_scoring"}
    response = await client.post("/admin/settings", unticked)
    assert "Settings saved." in text_of(response.text)
    settings = await council_settings(db, world.council_a.id)
    await reload(db, settings)
    assert settings.blind_scoring is False, "an unticked box switches blind scoring off"
    assert (settings.factual_accuracy_days, settings.overrating_margin, settings.reminder_days) == (21, 2, 5)
    assert settings.priority_rules == {
        "1": {"priority": "high", "due_in_days": 14},
        "2": {"priority": "medium", "due_in_days": 60},
        "overrated": {"priority": "low", "due_in_days": 120},
    }
    assert 'name="days_overrated" value="120"' in (await client.get("/admin/settings")).text


async def test_bad_values_are_explained_and_kept(client: Browser, world: factories.World) -> None:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/admin/settings", {**VALID, "factual_accuracy_days": "0", "days_1": "soon", "priority_2": "urgent"}
    )
    assert response.status_code == 422
    page = text_of(response.text)
    assert "Days for factual accuracy comments must be 1 or more." in page
    assert "Days for “Scored 1: Significant shortfalls” must be a whole number from 1 to 730." in page
    assert "Choose a priority for “Scored 2: Some shortfalls”." in page
    assert 'value="soon"' in response.text


async def test_settings_are_for_council_admins_only(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/settings")).status_code == 403
    assert (await client.post("/admin/settings", VALID)).status_code == 403
