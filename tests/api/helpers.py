"""API test helpers: tokens made through the real service, and requests that carry only the token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from httpx import Response
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.actions.models import Action, ActionPlan
from selfassess.actions.service import ActionPlans
from selfassess.db import utcnow
from selfassess.settings import Settings
from selfassess.tokens.service import issue_token
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser


async def token_for(db: AsyncSession, user: User, *, write: bool = False, days: int = 30) -> str:
    _, secret = await issue_token(
        db,
        owner=user,
        name=f"{user.full_name}'s feed",
        can_write=write,
        expires_at=utcnow() + timedelta(days=days),
        ip=None,
    )
    return secret


async def call(client: Browser, method: str, url: str, token: str | None, **kwargs: Any) -> Response:
    """A request as another system sends it: no cookies, only the token."""
    client.client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.client.request(
        method, url, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
    )


async def agreed_plan(db: AsyncSession, world: factories.World, settings: Settings) -> ActionPlan:
    """Alpha House: a published visit and its plan, agreed, every action owned by Mona."""
    _, visit = await published_visit(
        db, world, settings, self_scores={"W5": 4}, officer_scores={"S8": 1, "S6": 2}
    )
    officer_plans = ActionPlans(db, world.officer_a, settings)
    plan = await officer_plans.generate(visit, world.alpha)
    await db.execute(update(Action).where(Action.plan_id == plan.id).values(owner_id=world.manager_1.id))
    await db.commit()
    await ActionPlans(db, world.manager_1, settings).submit(plan, world.alpha)
    await officer_plans.agree(plan, world.alpha)
    return plan
