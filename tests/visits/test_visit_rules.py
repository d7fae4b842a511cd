"""The visit pages and the visit service answer from one rulebook (visits/rules.py): for each state
a visit can be in, each kind of person (the visit's officer, another officer, the council's admin,
the provider) and every command, the page shows the control exactly when the rulebook allows it and
the service accepts the command exactly then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.actions.models import Action, ActionEvent, ActionNote, ActionPlan
from selfassess.actions.service import ActionPlans
from selfassess.errors import Forbidden, Invalid
from selfassess.settings import Settings
from selfassess.visits.forms import BreachForm, VisitForm
from selfassess.visits.models import BreachKind, Visit, VisitBreach, VisitScore, VisitStatus, VisitType
from selfassess.visits.rules import VisitCommand, VisitRole, visit_commands
from selfassess.visits.service import Visits
from tests import factories

pytestmark = pytest.mark.usefixtures("frameworks")


async def _published_visit(db: AsyncSession, world: factories.World, settings: Settings) -> Visit:
    """A visit taken through the whole cycle, so that every state's fields are filled in."""
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
    await db.execute(
        update(Visit).where(Visit.id == visit.id).values(factual_accuracy_due=clock.today() - timedelta(1))
    )
    await db.commit()
    await db.refresh(visit)
    await visits.publish(visit, world.alpha)
    return visit


async def _reset(db: AsyncSession, visit: Visit, status: VisitStatus) -> VisitBreach:
    """The visit back in `status`, with one breach recorded, no plan, and nothing blocking publication."""
    await db.commit()
    await db.execute(delete(ActionEvent))
    await db.execute(delete(ActionNote))
    await db.execute(delete(Action))
    await db.execute(delete(ActionPlan))
    await db.execute(delete(VisitBreach))
    await db.execute(
        update(Visit)
        .where(Visit.id == visit.id)
        .values(status=status, summary="A good home.", factual_accuracy_due=clock.today() - timedelta(1))
    )
    breach = VisitBreach(
        visit_id=visit.id,
        kind=BreachKind.CONTRACT,
        standard="Medicines standard",
        finding="Out of date stock.",
        recorded_by_id=visit.officer_id,
    )
    db.add(breach)
    await db.commit()
    await db.refresh(visit)
    return breach


async def _give(
    command: VisitCommand,
    db: AsyncSession,
    world: factories.World,
    person,  # type: ignore[no-untyped-def]
    settings: Settings,
    visit: Visit,
    breach: VisitBreach,
) -> None:
    visits = Visits(db, person, settings)
    if command is VisitCommand.EDIT_DETAILS:
        form = VisitForm(
            visit_type=VisitType.PROACTIVE,
            scheduled_for=clock.today() + timedelta(days=1),
            announced=False,
            officer_id=world.officer_a.id,
        )
        await visits.update_details(visit, world.alpha, form)
    elif command is VisitCommand.EDIT_SCORES:
        score = await db.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id).limit(1))
        assert score is not None
        await visits.save_score(
            visit, score.id, expected_version=score.version, score=3, findings="Seen again.", evidence_seen=""
        )
    elif command is VisitCommand.LOCK_SCORES:
        await visits.lock_scores(visit)
    elif command is VisitCommand.SAVE_SUMMARY:
        await visits.save_summary(visit, expected_version=visit.version, summary="A very good home.")
    elif command is VisitCommand.RECORD_BREACH:
        form = BreachForm(kind=BreachKind.REGULATIONS, standard="Regulation 12", finding="Expired stock.")
        await visits.record_breach(visit, form)
    elif command is VisitCommand.REMOVE_BREACH:
        await visits.remove_breach(visit, breach.id)
    elif command is VisitCommand.SHARE_DRAFT:
        await visits.share_draft(visit, world.alpha)
    elif command is VisitCommand.PUBLISH:
        await visits.publish(visit, world.alpha)
    elif command is VisitCommand.CANCEL:
        await visits.cancel(visit, "The home closed.")
    else:
        await ActionPlans(db, person, settings).generate(visit, world.alpha)


@pytest.mark.parametrize("status", list(VisitStatus), ids=lambda status: status.value)
async def test_the_visit_pages_and_service_follow_the_rulebook(
    status: VisitStatus, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    visit = await _published_visit(db, world, settings)
    visit_id = visit.id
    code = (await Visits(db, world.officer_a, settings).framework(visit)).key_questions[0].code
    people = {
        VisitRole.OFFICER: world.officer_a,
        VisitRole.COLLEAGUE: world.officer_a2,
        VisitRole.COUNCIL_ADMIN: world.admin_a,
        VisitRole.PROVIDER: world.manager_1,
    }
    failures = []
    for role, person in people.items():
        allowed = visit_commands(status, role)
        breach = await _reset(db, visit, status)
        marks = {
            VisitCommand.EDIT_DETAILS: f'href="/visits/{visit_id}/edit"',
            VisitCommand.EDIT_SCORES: f'hx-post="/visits/{visit_id}/scores/',
            VisitCommand.LOCK_SCORES: f'action="/visits/{visit_id}/lock"',
            VisitCommand.SAVE_SUMMARY: f'action="/visits/{visit_id}/summary"',
            VisitCommand.RECORD_BREACH: f'action="/visits/{visit_id}/breaches"',
            VisitCommand.REMOVE_BREACH: f'action="/visits/{visit_id}/breaches/{breach.id}/remove"',
            VisitCommand.SHARE_DRAFT: f'action="/visits/{visit_id}/share"',
            VisitCommand.PUBLISH: f'action="/visits/{visit_id}/publish"',
            VisitCommand.CANCEL: f'action="/visits/{visit_id}/cancel"',
            VisitCommand.PROPOSE_PLAN: f'action="/visits/{visit_id}/plan"',
        }
        async with browsers() as browser:
            await browser.login(person.email)
            overview = (await browser.get(f"/visits/{visit_id}")).text
            scoring = (await browser.get(f"/visits/{visit_id}/questions/{code}")).text
        for command in VisitCommand:
            page = scoring if command is VisitCommand.EDIT_SCORES else overview
            shown = marks[command] in page
            if shown != (command in allowed):
                failures.append(
                    f"{status.value}, {role.value}: the page {'shows' if shown else 'hides'} {command}"
                )
        for command in VisitCommand:
            breach = await _reset(db, visit, status)
            try:
                await _give(command, db, world, person, settings, visit, breach)
                accepted = True
            except (Invalid, Forbidden):
                accepted = False
            if accepted != (command in allowed):
                word = "accepts" if accepted else "refuses"
                failures.append(f"{status.value}, {role.value}: the service {word} {command}")
    assert not failures, "\n".join(failures)
