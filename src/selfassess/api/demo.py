"""The API's part of the demo: a read-only token for the council's BI tool, with a published
secret so the README's curl example works against `./run demo`, and a webhook to look at."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.db import utcnow
from selfassess.settings import Settings
from selfassess.tokens.service import issue_token
from selfassess.webhooks.models import HookEvent
from selfassess.webhooks.service import Webhooks

# Demo data only: anyone who reads the README knows it, as they know the demo password.
DEMO_API_TOKEN = "sa_demo-northbridge-bi-read-only"


async def add_demo_api(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    admin = demo.users["admin"]
    await issue_token(
        db,
        owner=admin,
        name="Power BI board report (demo)",
        can_write=False,
        expires_at=utcnow() + timedelta(days=365),
        ip=None,
        secret=DEMO_API_TOKEN,
    )
    await Webhooks(db, admin, settings).register(
        url="https://bi.northbridge.example/hooks/selfassess",
        events=[HookEvent.REPORT_PUBLISHED, HookEvent.ACTION_VERIFIED, HookEvent.PLAN_OVERDUE],
    )
