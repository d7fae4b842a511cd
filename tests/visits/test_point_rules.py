"""The draft report page and the visit service answer factual-accuracy commands from one rulebook
(visits/point_rules.py): for each state of the report and of a point, each side and every command,
the page shows the control exactly when the rulebook allows it and the service accepts it exactly
then. (Before, the page offered "Raise a factual accuracy point" after the comment period ended.)"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.errors import Forbidden, Invalid
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import (
    FactualAccuracyPoint,
    PointStatus,
    Visit,
    VisitEvent,
    VisitScore,
    VisitStatus,
    VisitType,
)
from selfassess.visits.point_rules import PointCommand, point_commands, report_commands
from selfassess.visits.service import NO_MORE_POINTS, Visits
from tests import factories

pytestmark = pytest.mark.usefixtures("frameworks")

REPORT_STATES = [
    ("shared, comments open", VisitStatus.DRAFT_SHARED, 7),
    ("shared, comment period over", VisitStatus.DRAFT_SHARED, -1),
    ("published", VisitStatus.PUBLISHED, -1),
]


async def _shared_visit(db: AsyncSession, world: factories.World, settings: Settings) -> Visit:
    visits = Visits(db, world.officer_a, settings)
    visit = await visits.schedule(
        world.alpha,
        VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=clock.today(),
            announced=True,
            officer_id=world.officer_a.id,
        ),
    )
    await db.execute(
        update(VisitScore).where(VisitScore.visit_id == visit.id).values(score=3, findings="Seen.")
    )
    await db.commit()
    await visits.lock_scores(visit)
    await visits.save_summary(visit, expected_version=visit.version, summary="A good home.")
    await visits.share_draft(visit, world.alpha)
    return visit


@pytest.mark.parametrize("point_status", [PointStatus.OPEN, PointStatus.REJECTED], ids=lambda s: s.value)
async def test_the_report_page_and_service_follow_the_factual_accuracy_rulebook(
    point_status: PointStatus, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    visit = await _shared_visit(db, world, settings)
    visit_id = visit.id
    people = {"provider": (world.manager_1, True), "officer": (world.officer_a, False)}
    failures = []
    for label, (person, provider) in people.items():
        async with browsers() as browser:
            await browser.login(person.email)
            for state, visit_status, due_in in REPORT_STATES:
                for command in PointCommand:
                    await db.commit()
                    await db.execute(delete(FactualAccuracyPoint))
                    await db.execute(delete(VisitEvent).where(VisitEvent.event == NO_MORE_POINTS))
                    due: date = clock.today() + timedelta(days=due_in)
                    await db.execute(
                        update(Visit)
                        .where(Visit.id == visit_id)
                        .values(status=visit_status, factual_accuracy_due=due)
                    )
                    point = FactualAccuracyPoint(
                        visit_id=visit_id,
                        raised_by_id=world.manager_1.id,
                        text="The date is wrong.",
                        status=point_status,
                    )
                    db.add(point)
                    await db.commit()
                    await db.refresh(visit)
                    allowed = report_commands(
                        visit_status, due, clock.today(), provider=provider
                    ) | point_commands(point_status, council_staff=not provider)
                    marks = {
                        PointCommand.RAISE: f'action="/visits/{visit_id}/points"',
                        PointCommand.FINISH: f'action="/visits/{visit_id}/points/done"',
                        PointCommand.ACCEPT: f'action="/visits/{visit_id}/points/{point.id}/accept"',
                        PointCommand.REJECT: f'action="/visits/{visit_id}/points/{point.id}/reject"',
                    }
                    page = (await browser.get(f"/visits/{visit_id}/report")).text
                    shown = marks[command] in page
                    if shown != (command in allowed):
                        failures.append(
                            f"{state}, {label}: the page {'shows' if shown else 'hides'} {command}"
                        )
                    service = Visits(db, person, settings)
                    try:
                        if command is PointCommand.RAISE:
                            await service.raise_point(visit, statement_id=None, text="Wrong date.")
                        elif command is PointCommand.FINISH:
                            await service.finish_points(visit)
                        elif command is PointCommand.ACCEPT:
                            await service.accept_point(visit, point.id, response="", new_score=None)
                        else:
                            await service.reject_point(visit, point.id, response="The date is right.")
                        accepted = True
                    except (Invalid, Forbidden):
                        accepted = False
                    if accepted != (command in allowed):
                        word = "accepts" if accepted else "refuses"
                        failures.append(f"{state}, {label}: the service {word} {command}")
    assert not failures, "\n".join(failures)
