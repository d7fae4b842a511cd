"""The home page shows each person what needs them, and only their own organisation's work."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.rules import Priority, Reason
from selfassess.frameworks.models import FrameworkVersion
from selfassess.settings import Settings
from selfassess.visits.models import Visit, VisitStatus, VisitType
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_sign_in_lands_on_home(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    response = await client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/home"


async def test_council_home_counts_work_and_the_share_rated_good(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    plan = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=visit.id,
        status=PlanStatus.AGREED,
        provider_due=date.today(),
    )
    db.add(plan)
    await db.flush()
    db.add(
        Action(
            plan_id=plan.id,
            reason=Reason.ADDED,
            title="Late",
            priority=Priority.HIGH,
            owner_id=world.manager_1.id,
            due_date=date.today() - timedelta(days=2),
        )
    )
    await db.commit()
    await client.login(world.officer_a.email)
    page = text_of((await client.get("/home")).text)
    assert "1 plan with overdue actions on your services (1 in the area)" in page
    assert "With a council rating in force 1 Rated good or outstanding 100% ( 1 of 1 rated)" in page
    assert "Services 2" in page, "council A has Alpha and Beta"
    # The figure is the quality-over-time page's own count, and links to the services behind it.
    home = (await client.get("/home")).text
    good = re.search(r'href="(/oversight/quality/services\?what=good[^"]*)"', home)
    assert good is not None
    listed = text_of((await client.get(good.group(1).replace("&amp;", "&"))).text)
    assert "Alpha House" in listed and "Beta Homecare" not in listed
    # Another officer of the council: none on their own services, the same one in the area.
    await client.login(world.officer_a2.email)
    page = text_of((await client.get("/home")).text)
    assert "0 plans with overdue actions on your services (1 in the area)" in page


async def test_council_home_lists_the_officers_next_visits_soonest_first(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    """Their own visits still to carry out, with the service, the type and an unannounced mark; not
    another officer's, nor one carried out."""
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    today = date.today()
    for service, days, officer, status, announced in (
        (world.beta, 9, world.officer_a, VisitStatus.SCHEDULED, False),
        (world.alpha, -2, world.officer_a, VisitStatus.IN_PROGRESS, True),
        (world.alpha, 3, world.officer_a2, VisitStatus.SCHEDULED, True),
        (world.beta, 1, world.officer_a, VisitStatus.PUBLISHED, True),
    ):
        db.add(
            Visit(
                service_id=service.id,
                council_id=service.council_id,
                framework_version_id=version,
                visit_type=VisitType.REACTIVE if announced else VisitType.PROACTIVE,
                scheduled_for=today + timedelta(days=days),
                officer_id=officer.id,
                status=status,
                announced=announced,
            )
        )
    await db.commit()
    await client.login(world.officer_a.email)
    page = text_of((await client.get("/home")).text)
    listed = page[page.index("Your next visits") :]
    assert "Alpha House Reactive — the date has passed" in listed
    assert "Beta Homecare Proactive, unannounced" in listed
    assert listed.index("Alpha House") < listed.index("Beta Homecare")
    assert listed.count("Alpha House") == 1 and listed.count("Beta Homecare") == 1


async def test_provider_home_lists_only_its_services_with_their_state(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await published_visit(db, world, settings, self_scores={}, officer_scores={})
    await client.login(world.manager_1.email)
    page = text_of((await client.get("/home")).text)
    assert "Alpha House" in page and "Beta Homecare" not in page and "Gamma Lodge" not in page
    assert "Self-assessment: 2026/27 — submitted, awaiting review" in page
    assert "Council rating: Good" in page


async def test_a_large_providers_home_comes_a_page_of_services_at_a_time(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    """A national chain runs hundreds of services: the home page shows 25, by name, with pages."""
    for number in range(30):
        await factories.service(db, world.council_a, world.provider_2, name=f"Chain Home {number:02d}")
    await client.login(world.manager_2.email)
    first = text_of((await client.get("/home")).text)
    assert "Services 1 to 25 of 32, by name." in first and "Page 1 of 2" in first
    assert "Beta Homecare" in first and "Chain Home 00" in first and "Gamma Lodge" not in first
    second = text_of((await client.get("/home?page=2")).text)
    assert "Services 26 to 32 of 32" in second and "Gamma Lodge" in second and "Beta Homecare" not in second
