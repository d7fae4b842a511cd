"""The council's list of open action plans: overdue first, filtered, paged, and only its own area."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.rules import Priority, Reason
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Visit, VisitStatus, VisitType
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def _agreed_plan(
    db: AsyncSession, service: CareService, officer_id: int, framework_version_id: int, *, due: date
) -> ActionPlan:
    """A published visit's agreed plan with one action, written directly: the list only reads them."""
    visit = Visit(
        service_id=service.id,
        council_id=service.council_id,
        framework_version_id=framework_version_id,
        visit_type=VisitType.PROACTIVE,
        status=VisitStatus.PUBLISHED,
        scheduled_for=date.today() - timedelta(days=60),
        officer_id=officer_id,
    )
    db.add(visit)
    await db.flush()
    plan = ActionPlan(
        service_id=service.id,
        council_id=service.council_id,
        provider_id=service.provider_id,
        visit_id=visit.id,
        status=PlanStatus.AGREED,
        provider_due=date.today() - timedelta(days=30),
    )
    db.add(plan)
    await db.flush()
    db.add(
        Action(
            plan_id=plan.id,
            reason=Reason.LOW_SCORE,
            title="Review medicines audits",
            priority=Priority.HIGH,
            due_date=due,
        )
    )
    await db.commit()
    return plan


async def test_open_plans_are_listed_overdue_first_in_pages_of_the_councils_own_area(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, alpha_visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S8": 1})
    await client.login(world.officer_a.email)
    assert (await client.post(f"/visits/{alpha_visit.id}/plan", follow_redirects=False)).status_code == 303

    version_id = alpha_visit.framework_version_id
    later = date.today() + timedelta(days=30)
    for number in range(25):
        service = await factories.service(
            db, world.council_a, world.provider_2, name=f"Aardvark Court {number:02d}"
        )
        await _agreed_plan(db, service, world.officer_a.id, version_id, due=later)
    await _agreed_plan(db, world.beta, world.officer_a2.id, version_id, due=date.today() - timedelta(days=2))
    await _agreed_plan(db, world.gamma, world.officer_b.id, version_id, due=date.today() - timedelta(days=2))

    first = await client.get("/plans")
    assert first.status_code == 200
    rows = re.findall(r'<a href="/plans/\d+">([^<]+)</a>', first.text)
    # 27 open plans in council A (25 + Alpha's proposal + Beta's), 25 to a page.
    assert len(rows) == 25 and rows[0] == "Beta Homecare", rows[:3]
    page = text_of(first.text)
    assert "27 open plans." in page and "Page 1 of 2" in page
    second = text_of((await client.get("/plans?page=2")).text)
    assert "Page 2 of 2" in second and "Alpha House" in second
    assert "Gamma" not in page + second  # council B's plan

    overdue = await client.get("/plans?overdue_only=true")
    listed = re.findall(r'<a href="/plans/\d+">([^<]+)</a>', overdue.text)
    assert listed == ["Beta Homecare"] and "1 open plan with overdue actions." in text_of(overdue.text)

    fragment = await client.get("/plans?page=2", htmx=True)
    assert fragment.text.lstrip().startswith('<div id="results">') and "Alpha House" in fragment.text


async def test_a_page_past_the_end_shows_the_last_page(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S8": 1})
    await client.login(world.officer_a.email)
    await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)
    for wrong in ("99", "-3", "0"):
        page = text_of((await client.get(f"/plans?page={wrong}")).text)
        assert "Alpha House" in page and "1 open plan." in page
    assert (await client.get("/plans?page=two")).status_code == 400
