"""The risk register: factors explained, bands, officers told of a rise, confidential concerns kept
from providers; and the visit programme built on it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.notifications.models import Notification
from selfassess.oversight.models import ServiceRisk
from selfassess.oversight.programme import add_months, next_visit_due
from selfassess.oversight.risk import DEFAULT_WEIGHTS, RiskInputs, assess, band_for
from selfassess.visits.models import Concern, ConcernSource, Severity
from tests import factories
from tests.factories import World
from tests.support import reload, text_of

TODAY = date(2026, 6, 15)


def test_each_factor_adds_its_weighted_points() -> None:
    inputs = RiskInputs(
        concerns={("high", True, True): 1, ("low", False, False): 2},
        council_rating="requires_improvement",
        council_previous="good",
        regulator_rating="inadequate",
        overdue_actions=3,
        last_visit_on=date(2024, 6, 15),
        overrated_statements=4,
        self_assessment_recent=False,
    )
    result = assess(inputs, DEFAULT_WEIGHTS, TODAY)
    points = {factor.name: factor.points for factor in result.factors}
    assert points == {
        "Open concerns": 10 * 2 + 2 * 2 // 2,  # safeguarding high double, two old low ones at half
        "Council rating": 15,
        "Council rating fell": 10,
        "Regulator rating": 20,
        "Overdue actions": 12,
        "Time since the last visit": 24,  # 24 months: 12 beyond a year at 2 points
        "Self-assessment over-rating": 8,
        "Self-assessment": 10,
    }
    assert result.score == sum(points.values()) == 121
    assert result.band == "very_high"
    quiet = assess(RiskInputs(council_rating="good", last_visit_on=TODAY), DEFAULT_WEIGHTS, TODAY)
    assert (quiet.score, quiet.band, quiet.factors) == (0, "low", ())
    assert [band_for(score) for score in (0, 14, 15, 29, 30, 49, 50)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "very_high",
    ]


def test_visit_intervals_follow_rating_and_risk() -> None:
    intervals = {
        "outstanding": 24,
        "good": 12,
        "requires_improvement": 6,
        "inadequate": 6,
        "not_rated": 6,
        "high_risk": 3,
    }
    last = date(2026, 1, 31)
    assert next_visit_due(last, "good", "low", intervals, last) == date(2027, 1, 31)
    assert next_visit_due(last, "outstanding", "medium", intervals, last) == date(2028, 1, 31)
    assert next_visit_due(last, "inadequate", "low", intervals, last) == date(2026, 7, 31)
    assert next_visit_due(last, "good", "high", intervals, last) == date(2026, 4, 30)
    assert next_visit_due(None, "good", "low", intervals, date(2025, 3, 1)) == date(2025, 3, 1)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


async def _concern(db: AsyncSession, world: World, severity: Severity, source: ConcernSource) -> Concern:
    concern = Concern(
        service_id=world.alpha.id,
        source=source,
        received_on=date.today() - timedelta(days=3),
        summary="Bruising seen on a resident",
        severity=severity,
        is_confidential=True,
        logged_by_id=world.officer_a.id,
    )
    db.add(concern)
    await db.commit()
    return concern


async def test_register_ranks_explains_and_tells_the_officer(client, db: AsyncSession, world: World) -> None:
    await client.login(world.officer_a.email)
    assert "press “Re-assess now”" in text_of((await client.get("/oversight/risk")).text)
    await client.post("/oversight/risk/refresh")
    # Not rated, never visited, no self-assessment: both council A services start at 35 points (high).
    stored = {risk.service_id: risk for risk in await db.scalars(select(ServiceRisk))}
    assert set(stored) == {world.alpha.id, world.beta.id}  # not council B's gamma
    assert {risk.score for risk in stored.values()} == {10 + 15 + 10}

    await _concern(db, world, Severity.HIGH, ConcernSource.WHISTLEBLOWER)
    response = await client.post("/oversight/risk/refresh", follow_redirects=True)
    assert "1 moved into a higher band" in text_of(response.text)
    await reload(db, *stored.values())
    alpha = stored[world.alpha.id]
    assert (alpha.score, alpha.band) == (55, "very_high")
    notices = list(await db.scalars(select(Notification).where(Notification.user_id == world.officer_a.id)))
    assert [notice.message for notice in notices] == ["Alpha House moved into the very high risk band."]

    page = text_of((await client.get("/oversight/risk")).text)
    assert page.index("Alpha House") < page.index("Beta Homecare")
    assert "1 open concern, 1 from safeguarding or a whistle-blower +20" in page
    filtered = text_of((await client.get("/oversight/risk?band=very_high")).text)
    assert "Alpha House" in filtered and "Beta Homecare" not in filtered
    assert "Choose a risk band" in text_of((await client.get("/oversight/risk?band=purple")).text)

    panel = text_of((await client.get(f"/services/{world.alpha.id}/risk/panel")).text)
    assert "Very high risk 55 points" in panel
    assert "Open concerns 1 open concern, 1 from safeguarding or a whistle-blower 20" in panel


async def test_providers_and_other_councils_see_nothing(client, db: AsyncSession, world: World) -> None:
    await _concern(db, world, Severity.CRITICAL, ConcernSource.SAFEGUARDING)
    await client.login(world.officer_a.email)
    await client.post("/oversight/risk/refresh")
    await client.logout()
    await client.login(world.officer_b.email)
    assert (await client.get(f"/services/{world.alpha.id}/risk/panel")).status_code == 404
    assert "Alpha House" not in (await client.get("/oversight/risk")).text
    assert "Alpha House" not in (await client.get("/oversight/programme")).text
    await client.logout()
    await client.login(world.manager_1.email)
    for url in (f"/services/{world.alpha.id}/risk/panel", "/oversight/risk", "/oversight/programme"):
        assert (await client.get(url)).status_code == 403, url
    service_page = await client.get(f"/services/{world.alpha.id}")
    assert "risk-panel" not in service_page.text and "safeguarding" not in service_page.text.lower()


async def test_programme_lists_services_due_with_coverage(client, db: AsyncSession, world: World) -> None:
    await client.login(world.officer_a.email)
    await client.post("/oversight/risk/refresh")
    response = await client.get("/oversight/programme")
    page = text_of(response.text)
    assert "0% of services visited within their interval (0 of 2)" in page
    assert "Alpha House" in page and "Beta Homecare" in page
    assert f'href="/services/{world.alpha.id}/visits/new?visit_type=proactive"' in response.text
    mine = text_of((await client.get(f"/oversight/programme?officer_id={world.officer_a.id}")).text)
    assert "Alpha House" in mine and "Beta Homecare" not in mine
    assert "Olive Officer 1" in mine  # one service due this month for her
    bad = await client.get("/oversight/programme?months=99&officer_id=abc")
    assert bad.status_code == 200 and "Choose an officer" in text_of(bad.text)


async def test_register_and_programme_count_what_they_list(client, db: AsyncSession, world: World) -> None:
    """50 services a page; each page's total comes from the same selection as its rows (filters,
    active services only), and the filter lists mark the provider chosen."""
    for number in range(56):
        await factories.service(db, world.council_a, world.provider_2, name=f"Extra {number:02d}")
    closed = await factories.service(db, world.council_a, world.provider_2, name="Closed Home")
    await client.login(world.officer_a.email)
    await client.post("/oversight/risk/refresh")
    closed.is_active = False
    await db.commit()

    for url in ("/oversight/risk", "/oversight/programme?months=24"):
        first = text_of((await client.get(url)).text)
        assert "Showing 1–50 of 58" in first, url  # alpha, beta and the 56 extra; not the closed one
        separator = "&" if "?" in url else "?"
        second = (await client.get(f"{url}{separator}page=2")).text
        assert "Showing 51–58 of 58" in text_of(second), url
        assert second.count('<a href="/services/') == 8 and "Closed Home" not in second, url

        mine = (await client.get(f"{url}{separator}provider_id={world.provider_1.id}")).text
        assert "Showing 1–1 of 1" in text_of(mine) and "Alpha House" in mine, url
        assert f'<option value="{world.provider_1.id}" selected>' in mine, url
