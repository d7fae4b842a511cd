""" "Waiting for you": each kind of work waits for the right person, the home page's numbers are the
lists' lengths, items link to the exact place, nobody sees another organisation's items, and the
counts change in place after an action on the plan page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.assessments.models import AssessmentStatus, SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.db import utcnow
from selfassess.settings import Settings
from selfassess.visits.models import (
    Concern,
    ConcernSource,
    ConcernStatus,
    FactualAccuracyPoint,
    Severity,
    Visit,
    VisitConcern,
    VisitStatus,
    VisitType,
)
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

TILE = re.compile(
    r'<a class="card stat-card[^"]*" href="/waiting\?kind=(\w+)"><span class="stat">(\d+)</span>'
)
LIST_TOTAL = re.compile(r'data-list-total="(\d+)"')

OFFICER_COUNTS = {
    "actions_to_verify": 1,
    "due_date_requests": 1,
    "points_to_answer": 1,
    "plans_to_agree": 1,
    "reviews": 1,
    "new_concerns": 1,
}
PROVIDER_COUNTS = {
    "plans_to_complete": 1,
    "actions_due": 2,
    "reports_to_comment": 1,
    "returned_assessments": 1,
}


@dataclass
class Work:
    plan: ActionPlan
    done: Action
    asked: Action
    late: Action
    draft_plan: ActionPlan
    submitted_plan: ActionPlan
    shared: Visit


async def _work(db: AsyncSession, world: factories.World, settings: Settings) -> Work:
    """Alpha House (officer A's service, provider 1) with one item of every kind waiting."""
    today = date.today()
    assessment, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})

    def another_visit(status: VisitStatus) -> Visit:
        return Visit(
            service_id=world.alpha.id,
            council_id=world.alpha.council_id,
            framework_version_id=visit.framework_version_id,
            visit_type=VisitType.PROACTIVE,
            status=status,
            scheduled_for=today - timedelta(days=10),
            officer_id=world.officer_a.id,
            factual_accuracy_due=today + timedelta(days=7),
        )

    second, third, shared = (
        another_visit(VisitStatus.PUBLISHED),
        another_visit(VisitStatus.PUBLISHED),
        another_visit(VisitStatus.DRAFT_SHARED),
    )
    db.add_all([second, third, shared])
    await db.flush()
    plan = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=visit.id,
        status=PlanStatus.AGREED,
        provider_due=today,
    )
    submitted = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=second.id,
        status=PlanStatus.SUBMITTED,
        provider_due=today,
    )
    draft = ActionPlan(
        service_id=world.alpha.id,
        council_id=world.alpha.council_id,
        provider_id=world.alpha.provider_id,
        visit_id=third.id,
        provider_due=today + timedelta(days=10),
    )
    db.add_all([plan, submitted, draft])
    await db.flush()

    def action(title: str, status: ActionStatus, due_in: int, **extra: object) -> Action:
        return Action(
            plan_id=plan.id,
            reason=Reason.ADDED,
            title=title,
            priority=Priority.MEDIUM,
            owner_id=world.manager_1.id,
            due_date=today + timedelta(days=due_in),
            status=status,
            **extra,
        )

    done = action("Fix the fire doors", ActionStatus.COMPLETED, 5, completed_at=utcnow() - timedelta(days=2))
    asked = action(
        "Train night staff", ActionStatus.IN_PROGRESS, 5, proposed_due_date=today + timedelta(days=30)
    )
    late = action("Review care plans", ActionStatus.NOT_STARTED, -2)
    later = action("Redecorate the lounge", ActionStatus.NOT_STARTED, 40)
    verified = action(
        "Lock the sluice room",
        ActionStatus.VERIFIED,
        -20,
        verified_at=utcnow(),
        verified_by_id=world.officer_a.id,
    )
    db.add_all([done, asked, late, later, verified])
    db.add(
        FactualAccuracyPoint(visit_id=shared.id, raised_by_id=world.manager_1.id, text="The rota was wrong.")
    )
    db.add(
        SelfAssessment(
            service_id=world.alpha.id,
            framework_version_id=assessment.framework_version_id,
            status=AssessmentStatus.RETURNED,
            period_label="2027/28",
            started_by_id=world.manager_1.id,
        )
    )

    def concern(summary: str, status: ConcernStatus = ConcernStatus.OPEN) -> Concern:
        return Concern(
            service_id=world.alpha.id,
            source=ConcernSource.RELATIVE,
            received_on=today,
            summary=summary,
            severity=Severity.MEDIUM,
            status=status,
            logged_by_id=world.officer_a.id,
        )

    new, visited, closed = (
        concern("Call bells unanswered"),
        concern("Visited already"),
        concern("Closed already", ConcernStatus.CLOSED),
    )
    db.add_all([new, visited, closed])
    await db.flush()
    db.add(VisitConcern(visit_id=second.id, concern_id=visited.id))
    await db.commit()
    return Work(plan, done, asked, late, draft, submitted, shared)


async def _tiles(browser: Browser) -> dict[str, int]:
    return {kind: int(count) for kind, count in TILE.findall((await browser.get("/home")).text)}


async def _listed(browser: Browser, kind: str) -> tuple[int, str]:
    page = (await browser.get(f"/waiting?kind={kind}")).text
    totals = LIST_TOTAL.findall(page)
    return (int(totals[0]) if totals else 0), page


async def test_the_officer_is_waited_on_for_each_kind_of_work_on_their_services(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    work = await _work(db, world, settings)
    await client.login(world.officer_a.email)
    assert await _tiles(client) == OFFICER_COUNTS
    links = {
        "actions_to_verify": f"/plans/{work.plan.id}#action-{work.done.id}",
        "due_date_requests": f"/plans/{work.plan.id}#action-{work.asked.id}",
        "points_to_answer": f"/visits/{work.shared.id}/report#points",
        "plans_to_agree": f"/plans/{work.submitted_plan.id}#agree",
        "new_concerns": "Call bells unanswered",
    }
    for kind, count in OFFICER_COUNTS.items():
        total, page = await _listed(client, kind)
        assert total == count, kind
        if kind in links:
            assert links[kind] in page, kind
    everything = text_of((await client.get("/waiting")).text)
    assert "Fix the fire doors Alpha House · marked complete 2 days ago" in everything
    assert "new date asked for" in everything and "Visited already" not in everything
    count = await client.get("/waiting/count", htmx=True)
    assert "6" in text_of(count.text) and 'id="waiting-count"' in count.text


async def test_the_provider_is_waited_on_with_due_dates(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    work = await _work(db, world, settings)
    await client.login(world.manager_1.email)
    assert await _tiles(client) == PROVIDER_COUNTS
    for kind, count in PROVIDER_COUNTS.items():
        assert (await _listed(client, kind))[0] == count, kind
    _, due = await _listed(client, "actions_due")
    due_text = text_of(due)
    assert "Review care plans" in due_text and "2 days overdue" in due_text and "Late" in due_text
    assert "Train night staff" in due_text and "due in 5 days" in due_text
    assert "Redecorate the lounge" not in due_text, "due in 40 days: not yet"
    assert f"/plans/{work.late.plan_id}#action-{work.late.id}" in due
    plans = text_of((await _listed(client, "plans_to_complete"))[1])
    assert "complete by" in plans and "(due in 10 days)" in plans
    reports = (await _listed(client, "reports_to_comment"))[1]
    assert f"/visits/{work.shared.id}/report#points" in reports and "comments by" in text_of(reports)
    # A kind that is the officer's is not the provider's: everything is shown instead.
    assert "Fix the fire doors" not in (await client.get("/waiting?kind=actions_to_verify")).text


async def test_the_provider_home_lists_every_due_date_earliest_first(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    """Plans to complete, open actions of agreed plans and comments on shared drafts, in one list."""
    work = await _work(db, world, settings)
    await client.login(world.manager_1.email)
    home = (await client.get("/home")).text
    table = home[home.index('id="due-dates"') : home.index("Each service")]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', table)
    assert [what for _, what in links] == [
        "Action: Review care plans",  # two days late
        "Action: Train night staff",  # in 5 days
        "Comments on the draft visit report",  # in 7
        "Complete the action plan",  # in 10
        "Action: Redecorate the lounge",  # in 40; completed, verified and submitted work is not due
    ]
    assert [href for href, _ in links[:4]] == [
        f"/plans/{work.plan.id}#action-{work.late.id}",
        f"/plans/{work.plan.id}#action-{work.asked.id}",
        f"/visits/{work.shared.id}/report#points",
        f"/plans/{work.draft_plan.id}#actions",
    ]
    assert text_of(table).count("Overdue") == 1, "only the action two days late"


async def test_a_service_moved_to_another_provider_takes_its_open_work_along(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    """A plan carries its service's provider (the provider's plans are found by it): when the council
    moves the service to another provider, its plans and actions go with it, on both homes."""
    work = await _work(db, world, settings)
    await client.login(world.officer_a.email)
    moved = await client.post(
        f"/services/{world.alpha.id}/edit",
        {
            "name": "Alpha House",
            "service_type": world.alpha.service_type.value,
            "provider_id": world.provider_2.id,
            "address_line1": world.alpha.address_line1,
            "town": world.alpha.town,
            "postcode": world.alpha.postcode,
            "cqc_location_id": world.alpha.cqc_location_id,
            "regulator_rating": world.alpha.regulator_rating.value,
            "assigned_officer_id": world.officer_a.id,
        },
    )
    assert "Saved the changes to Alpha House." in text_of(moved.text)
    await client.logout()
    await client.login(world.manager_2.email)
    tiles = await _tiles(client)
    assert (tiles["plans_to_complete"], tiles["actions_due"]) == (1, 2)
    assert (await _listed(client, "actions_due"))[0] == 2
    home = (await client.get("/home")).text
    assert (
        f"/plans/{work.plan.id}#action-{work.late.id}" in home
        and f"/plans/{work.draft_plan.id}#actions" in home
    )
    await client.logout()
    await client.login(world.manager_1.email)
    tiles = await _tiles(client)
    assert (tiles["plans_to_complete"], tiles["actions_due"]) == (0, 0)
    assert "Review care plans" not in (await client.get("/home")).text


@pytest.mark.parametrize("who", ["officer_a2", "officer_b", "manager_2"])
async def test_nobody_sees_another_organisations_or_officers_items(
    who: str, client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await _work(db, world, settings)
    await client.login(getattr(world, who).email)
    assert set((await _tiles(client)).values()) == {0}
    page = text_of((await client.get("/waiting")).text)
    assert "Nothing is waiting for you." in page and "Alpha House" not in page
    for kind in (*OFFICER_COUNTS, *PROVIDER_COUNTS):
        assert (await _listed(client, kind))[0] == 0


async def test_verifying_updates_the_plan_header_and_the_counts_in_place(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    work = await _work(db, world, settings)
    await client.login(world.officer_a.email)
    page = text_of((await client.get(f"/plans/{work.plan.id}")).text)
    assert "1 of 5 actions done, 1 verified, 1 waiting for verification" not in page  # done = 2 of 5
    assert "2 of 5 actions done, 1 verified, 1 waiting for verification" in page
    response = await client.post(
        f"/plans/{work.plan.id}/actions/{work.done.id}/status",
        {"version": work.done.version, "status": "verified"},
        htmx=True,
        headers={"HX-Current-URL": f"http://testserver.local/plans/{work.plan.id}?show=to_verify"},
    )
    assert response.status_code == 200, response.text
    header = re.search(r'<p id="plan-progress" hx-swap-oob="true">(.*?)</p>', response.text, re.S)
    assert header and "2 of 5 actions done, 2 verified" in text_of(header.group(1))
    assert response.headers["HX-Trigger"] == "waiting-changed"  # the header's count asks again:
    count = await client.get("/waiting/count", htmx=True)
    assert text_of(count.text).startswith("5"), "six waited before; the verified one went"
    summary = re.search(r'<div id="plan-summary" hx-swap-oob="true">(.*)', response.text, re.S)
    assert summary and "No actions here: waiting for verification." in text_of(summary.group(1))
    assert "Verified by Olive Officer on" in text_of(response.text)
    assert (await _listed(client, "actions_to_verify"))[0] == 0


async def test_the_plan_page_filters_its_summary_and_cards(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    work = await _work(db, world, settings)
    await client.login(world.manager_1.email)
    page = await client.get(f"/plans/{work.plan.id}")
    summary = text_of(page.text)
    assert "All actions (5) Mine (5) Overdue (1) Waiting for verification (1)" in summary
    assert "Lock the sluice room" in summary and "by Olive Officer" in summary
    assert page.text.count('<details class="action-card') == 5
    waiting = await client.get(f"/plans/{work.plan.id}?show=to_verify", htmx=True)
    assert waiting.text.lstrip().startswith('<div id="plan-actions">'), "just the actions part"
    assert waiting.text.count('<details class="action-card') == 1 and "Fix the fire doors" in waiting.text
    overdue = await client.get(f"/plans/{work.plan.id}?show=overdue", htmx=True)
    assert overdue.text.count('<details class="action-card') == 1 and "Review care plans" in overdue.text
    await client.logout()
    await client.login(world.officer_a.email)
    mine = text_of((await client.get(f"/plans/{work.plan.id}?show=mine")).text)
    assert "No actions here: mine." in mine, "the officer owns none of them"
    unknown = await client.get(f"/plans/{work.plan.id}?show=nonsense")
    assert unknown.status_code == 200 and unknown.text.count('<details class="action-card') == 5


async def test_the_provider_home_shows_progress_and_every_due_date(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    work = await _work(db, world, settings)
    await db.execute(  # the returned one is dealt with; a new draft, a third answered
        update(SelfAssessment)
        .where(SelfAssessment.status == AssessmentStatus.RETURNED)
        .values(status=AssessmentStatus.REVIEWED)
    )
    draft = await SelfAssessments(db, world.manager_1, settings).start(world.alpha, "2028/29")
    twelve = select(SelfAssessmentAnswer.id).where(SelfAssessmentAnswer.assessment_id == draft.id).limit(12)
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.id.in_(list(await db.scalars(twelve))))
        .values(score=3)
    )
    await db.commit()
    await client.login(world.manager_1.email)
    home = text_of((await client.get("/home")).text)
    assert "Self-assessment: 2028/29 — draft, 12 of 34 answered." in home
    in_ten = (date.today() + timedelta(days=10)).strftime("%-d %B %Y")
    assert f"{in_ten} Complete the action plan Alpha House" in home
    assert "Action: Review care plans Alpha House" in home and "Overdue" in home
    assert "Action: Fix the fire doors" not in home, "done: no longer due"
    assert "Comments on the draft visit report Alpha House" in home
    assert f"/plans/{work.draft_plan.id}#actions" in (await client.get("/home")).text
    # The service's card: its newest open plan (of three), the agreed plan's overdue action, the draft
    # report waiting for comments.
    assert f"Action plan: Draft: provider completing — complete it by {in_ten} 1 overdue" in home
    in_seven = (date.today() + timedelta(days=7)).strftime("%-d %B %Y")
    assert f"A draft visit report needs your comments by {in_seven}." in home
