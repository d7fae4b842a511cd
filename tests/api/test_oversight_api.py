"""The council's quality-over-time figures and risk register through the API: the same selection
and the same scope as the oversight pages, for council staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.oversight.models import RatingSource
from selfassess.oversight.ratings import record_rating
from selfassess.oversight.register import refresh_council
from selfassess.oversight.trend import quarters_to
from selfassess.settings import Settings
from tests import factories
from tests.api.helpers import call, token_for
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_quality_over_time_counts_the_ratings_in_force(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    today = clock.today()
    quarters = quarters_to(today)
    # Alpha: requires improvement from a year ago, good from the middle of the last full quarter.
    await record_rating(
        db,
        service_id=world.alpha.id,
        source=RatingSource.COUNCIL,
        rating_key="requires_improvement",
        valid_from=today - timedelta(days=365),
    )
    await record_rating(
        db,
        service_id=world.alpha.id,
        source=RatingSource.COUNCIL,
        rating_key="good",
        valid_from=quarters[-2].end - timedelta(days=30),
    )
    await db.commit()
    token = await token_for(db, world.officer_a)
    response = await call(client, "GET", "/api/v1/quality", token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["services"] == 2, "Alpha and Beta: council A's services, not council B's Gamma"
    assert [quarter["quarter"] for quarter in body["quarters"]] == [quarter.key for quarter in quarters]
    latest, earlier = body["quarters"][-1]["council"], body["quarters"][-5]["council"]
    assert latest == {"rated": 1, "good_or_better": 1, "unrated": 1, "percent": 100}
    assert earlier == {"rated": 1, "good_or_better": 0, "unrated": 1, "percent": 0}
    assert body["quarters"][0]["council"]["percent"] is None, "nothing rated five years ago"

    homecare = (await call(client, "GET", "/api/v1/quality?service_type=homecare", token)).json()
    assert homecare["services"] == 1 and homecare["quarters"][-1]["council"]["rated"] == 0

    refused = await call(client, "GET", "/api/v1/quality?provider_id=999999", token)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Choose a provider from the list." in refused.json()["detail"]


async def test_the_risk_register_explains_each_score(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await refresh_council(db, world.council_a.id, clock.today(), settings)
    await refresh_council(db, world.council_b.id, clock.today(), settings)
    token = await token_for(db, world.officer_a)
    response = await call(client, "GET", "/api/v1/risk-register?limit=1", token)
    assert response.status_code == 200, response.text
    first = response.json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = (await call(client, "GET", f"/api/v1/risk-register?cursor={first['next_cursor']}", token)).json()
    items = first["items"] + rest["items"]
    assert sorted(item["service_name"] for item in items) == ["Alpha House", "Beta Homecare"]
    for item in items:
        assert item["score"] == sum(factor["points"] for factor in item["factors"])
        assert all(factor["name"] and factor["detail"] for factor in item["factors"])

    banded = await call(client, "GET", "/api/v1/risk-register?band=purple", token)
    assert banded.status_code == 400 and "Choose a risk band" in banded.json()["detail"]


async def test_providers_may_not_read_council_oversight(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    token = await token_for(db, world.manager_1)
    for url in ("/api/v1/quality", "/api/v1/risk-register"):
        response = await call(client, "GET", url, token)
        assert response.status_code == 403, url
        assert response.headers["content-type"].startswith("application/problem+json")
