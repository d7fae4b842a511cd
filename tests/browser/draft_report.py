"""Bring the demo's reactive visit to Brightwater Homecare Northbridge (dated six days ahead) to a
shared draft report, through the visit service, as its officer would: every statement scored,
scores locked, a summary, the draft shared. Run against the live server's database:
``python -m tests.browser.draft_report`` with the server's environment. Prints the visit's id.

Only the factual accuracy journeys use this visit (see test_forms.py); it is idempotent.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from selfassess.accounts.models import User
from selfassess.db import create_engine_for, session_factory
from selfassess.providers.models import CareService
from selfassess.settings import get_settings
from selfassess.visits.models import Visit, VisitStatus, VisitType
from selfassess.visits.service import Visits

OFFICER = "officer@northbridge.example"
SERVICE = "Brightwater Homecare Northbridge"


async def share_homecare_draft() -> int:
    settings = get_settings()
    engine = create_engine_for(settings)
    try:
        async with session_factory(engine)() as db:
            officer = await db.scalar(select(User).where(User.email == OFFICER))
            service = await db.scalar(select(CareService).where(CareService.name == SERVICE))
            assert officer is not None and service is not None
            visit = await db.scalar(
                select(Visit).where(Visit.service_id == service.id, Visit.visit_type == VisitType.REACTIVE)
            )
            assert visit is not None and visit.id is not None
            if visit.status in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS):
                visits = Visits(db, officer, settings)
                for score in (await visits.scores(visit)).values():
                    await visits.save_score(
                        visit,
                        score.id,
                        expected_version=score.version,
                        score=3,
                        findings="Met.",
                        evidence_seen="",
                    )
                await visits.lock_scores(visit)
                await visits.save_summary(
                    visit, expected_version=visit.version, summary="Care is safe; call logs need work."
                )
                await visits.share_draft(visit, service)
            return visit.id
    finally:
        await engine.dispose()


if __name__ == "__main__":
    print(asyncio.run(share_homecare_draft()))
