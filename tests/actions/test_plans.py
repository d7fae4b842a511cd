"""A full action plan cycle through HTTP: proposed from a published visit, completed by the
provider, agreed, worked by both sides, verified and closed; with the rules that guard each step."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionEvent, ActionPlan, PlanStatus
from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.notifications.models import Notification
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

PDF = b"%PDF-1.4\n%%EOF\n"

# Officer: S8 inadequate (1), S6 and W5 requires improvement (2), the provider said 4 for W5; C2 good
# (3), as met, though the provider said 4.
SELF = {"W5": 4, "C2": 4}
OFFICER = {"S8": 1, "S6": 2, "W5": 2}
FINDINGS = {"S8": "Time-critical medicines were given late; PRN protocols missing.", "S6": ""}


async def _plan(client: Browser, db: AsyncSession, world: factories.World, settings: Settings) -> ActionPlan:
    _, visit = await published_visit(
        db, world, settings, self_scores=SELF, officer_scores=OFFICER, findings=FINDINGS
    )
    await client.login(world.officer_a.email)
    response = await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)
    assert response.status_code == 303, response.text
    plan_id = int(re.fullmatch(r"/plans/(\d+)", response.headers["location"]).group(1))
    plan = await db.get_one(ActionPlan, plan_id)
    await db.commit()
    return plan


async def _actions(db: AsyncSession, plan: ActionPlan) -> dict[str, Action]:
    """By statement code (S8, S6, W5) or title for added ones."""
    from selfassess.frameworks.models import QualityStatement

    await db.commit()
    rows = await db.execute(
        select(Action, QualityStatement.code)
        .outerjoin(QualityStatement, QualityStatement.id == Action.statement_id)
        .where(Action.plan_id == plan.id)
        .execution_options(populate_existing=True)
    )
    found = {code or action.title: action for action, code in rows}
    await db.commit()
    return found


def _edit(action: Action, **changes: object) -> dict[str, object]:
    form = {
        "version": action.version,
        "title": action.title,
        "description": action.description,
        "owner_id": action.owner_id or "",
        "due_date": action.due_date.isoformat(),
        "priority": action.priority.value,
    }
    form.update(changes)
    return form


async def test_the_proposed_plan_follows_the_comparison_and_the_councils_rules(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    plan = await _plan(client, db, world, settings)
    actions = await _actions(db, plan)
    assert set(actions) == {"S8", "S6", "W5"}, "below good only: nothing for agreement, nor for C2, met"
    today = date.today()
    # The provider said 3 for S8 and S6 too: below good and over-rated, so both reasons apply.
    assert (actions["S8"].priority, actions["S8"].due_date, actions["S8"].reason) == (
        Priority.HIGH,
        today + timedelta(days=28),
        Reason.BOTH,
    )
    assert (actions["S6"].priority, actions["S6"].due_date) == (Priority.MEDIUM, today + timedelta(days=91))
    # W5: requires improvement, and the provider said outstanding: a shortfall it did not notice.
    assert (actions["W5"].priority, actions["W5"].reason) == (Priority.HIGH, Reason.BOTH)
    assert actions["S8"].title == "Time-critical medicines were given late", "the finding, summarised"
    assert actions["S8"].description.startswith(f"The officer found: “{FINDINGS['S8']}”")
    assert actions["S6"].title == "Improve: Safe and effective staffing", "no finding: the statement"
    assert "below the expected standard" in actions["S6"].description, "a sentence when there are no findings"
    assert plan.accuracy_note.startswith("C2 Treating people as individuals: the provider scored 4")
    page = text_of((await client.get(f"/plans/{plan.id}")).text)
    assert "A note on the self-assessment's accuracy" in page and "C2 Treating people as individuals" in page
    assert plan.provider_due == today + timedelta(days=14)
    assert plan.council_id == world.alpha.council_id, "the service's council, copied for the council's lists"
    told = await db.scalar(
        select(Notification.message)
        .where(Notification.user_id == world.manager_1.id)
        .order_by(Notification.id.desc())
    )
    assert "action plan for Alpha House is ready for you to complete" in told

    again = await client.post(f"/visits/{plan.visit_id}/plan")
    assert again.status_code == 400 and "already has an action plan" in again.text


async def test_council_priority_settings_shape_the_proposal(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    from selfassess.frameworks.service import council_settings

    council = await council_settings(db, world.council_a.id)
    council.priority_rules = {"1": {"priority": "high", "due_in_days": 7}}
    council.overrating_margin = 2  # S6 (by 1 point) is no longer over-rated, and C2 (met) needs no note
    await db.commit()
    plan = await _plan(client, db, world, settings)
    actions = await _actions(db, plan)
    assert {code: action.reason for code, action in actions.items()} == {
        "S8": Reason.BOTH,
        "S6": Reason.LOW_SCORE,
        "W5": Reason.BOTH,
    }
    assert actions["S8"].due_date == date.today() + timedelta(days=7)
    assert plan.accuracy_note == ""


async def test_provider_completes_the_plan_and_the_officer_agrees_it(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _plan(client, db, world, settings)
    actions = await _actions(db, plan)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        incomplete = await provider.post(f"/plans/{plan.id}/submit")
        assert incomplete.status_code == 422
        assert "needs a responsible person" in text_of(incomplete.text)
        refused = await provider.post(f"/plans/{plan.id}/actions/{actions['S8'].id}/delete")
        assert refused.status_code == 400 and "each issue found needs at least one action" in refused.text
        for action in actions.values():
            response = await provider.post(
                f"/plans/{plan.id}/actions/{action.id}", _edit(action, owner_id=world.manager_1.id), htmx=True
            )
            assert response.status_code == 200, response.text
        bad = await provider.post(
            f"/plans/{plan.id}/actions", {"title": "", "due_date": "2026-13-01", "priority": "medium"}
        )
        assert bad.status_code == 422
        assert "What will be done is required." in bad.text and "Due date must be a real date." in bad.text
        outsider = await provider.post(
            f"/plans/{plan.id}/actions",
            {
                "title": "Train night staff",
                "owner_id": world.manager_2.id,
                "due_date": (date.today() + timedelta(days=30)).isoformat(),
                "priority": "medium",
            },
        )
        assert "Choose the responsible person from the list." in text_of(outsider.text)
        added = await provider.post(
            f"/plans/{plan.id}/actions",
            {
                "title": "Train night staff in medicines",
                "owner_id": world.manager_1.id,
                "due_date": (date.today() + timedelta(days=30)).isoformat(),
                "priority": "medium",
            },
        )
        assert "Action added." in text_of(added.text)
        await provider.post(f"/plans/{plan.id}/submit")
        assert "with the council for agreement" in text_of((await provider.get(f"/plans/{plan.id}")).text)

    blank = await client.post(f"/plans/{plan.id}/request-changes", {"comment": ""})
    assert blank.status_code == 422
    await client.post(f"/plans/{plan.id}/request-changes", {"comment": "Give S6 an earlier date."})
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        page = text_of((await provider.get(f"/plans/{plan.id}")).text)
        assert "The council asked for changes: Give S6 an earlier date." in page
        s6 = (await _actions(db, plan))["S6"]
        await provider.post(
            f"/plans/{plan.id}/actions/{s6.id}",
            _edit(s6, due_date=(date.today() + timedelta(days=45)).isoformat()),
            htmx=True,
        )
        await provider.post(f"/plans/{plan.id}/submit")
    await client.post(f"/plans/{plan.id}/agree")
    await reload(db, plan)
    assert plan.status is PlanStatus.AGREED and plan.agreed_by_id == world.officer_a.id
    assert plan.follow_up_due is not None and plan.follow_up_due > date.today() + timedelta(days=150)
    changed = await db.scalar(select(ActionEvent).where(ActionEvent.field == "due_date"))
    assert changed is not None and changed.new_value == (date.today() + timedelta(days=45)).isoformat()


async def _agreed(client: Browser, browsers, db: AsyncSession, world: factories.World, settings: Settings):  # type: ignore[no-untyped-def]
    plan = await _plan(client, db, world, settings)
    await db.execute(update(Action).where(Action.plan_id == plan.id).values(owner_id=world.manager_1.id))
    await db.commit()
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        await provider.post(f"/plans/{plan.id}/submit")
    await client.post(f"/plans/{plan.id}/agree")
    return plan


async def test_joint_tracking_to_verification_closes_the_plan(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        for action in (await _actions(db, plan)).values():
            moved = await provider.post(
                f"/plans/{plan.id}/actions/{action.id}/status",
                {"version": action.version, "status": "in_progress"},
                htmx=True,
            )
            assert moved.status_code == 200 and "In progress" in moved.text
        actions = await _actions(db, plan)
        s8 = actions["S8"]
        note = await provider.client.post(
            f"/plans/{plan.id}/actions/{s8.id}/notes",
            data={
                "text": "New PRN protocols in place for all residents.",
                "_csrf_token": provider.csrf_token,
            },
            files={"file": ("prn-protocols.pdf", PDF, "application/pdf")},
            headers={"HX-Request": "true"},
        )
        assert note.status_code == 200 and "prn-protocols.pdf" in note.text
        verify = await provider.post(
            f"/plans/{plan.id}/actions/{s8.id}/status",
            {"version": s8.version, "status": "verified"},
            htmx=True,
        )
        assert verify.status_code == 422
        assert "can't be marked verified" in text_of(verify.text) or "Only a council officer" in text_of(
            verify.text
        )
        for action in (await _actions(db, plan)).values():
            await provider.post(
                f"/plans/{plan.id}/actions/{action.id}/status",
                {"version": action.version, "status": "completed"},
                htmx=True,
            )

    actions = await _actions(db, plan)
    no_reason = await client.post(
        f"/plans/{plan.id}/actions/{actions['S6'].id}/status",
        {"version": actions["S6"].version, "status": "reopened"},
        htmx=True,
    )
    assert no_reason.status_code == 422 and "give a reason for reopening" in text_of(no_reason.text)
    await client.post(
        f"/plans/{plan.id}/actions/{actions['S6'].id}/status",
        {
            "version": actions["S6"].version,
            "status": "reopened",
            "reason": "Rotas for January still short at night.",
        },
        htmx=True,
    )
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        s6 = (await _actions(db, plan))["S6"]
        page = text_of((await provider.get(f"/plans/{plan.id}")).text)
        assert "Reopened because Rotas for January still short at night." in page
        await provider.post(
            f"/plans/{plan.id}/actions/{s6.id}/status",
            {"version": s6.version, "status": "completed"},
            htmx=True,
        )
    for code in ("S8", "W5", "S6"):
        action = (await _actions(db, plan))[code]
        response = await client.post(
            f"/plans/{plan.id}/actions/{action.id}/status",
            {"version": action.version, "status": "verified"},
            htmx=True,
        )
        assert response.status_code == 200, response.text
    await reload(db, plan)
    assert plan.status is PlanStatus.CLOSED and plan.follow_up_due == date.today()
    assert "a follow-up visit is proposed" in text_of((await client.get(f"/plans/{plan.id}")).text)
    history = [
        event.event
        for event in await db.scalars(
            select(ActionEvent).where(ActionEvent.plan_id == plan.id).order_by(ActionEvent.id)
        )
    ]
    assert history.count("status_changed") == 11 and "note_added" in history
    assert history[-1] == "plan_status"


async def test_stale_updates_are_refused_with_a_clear_message(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    s8 = (await _actions(db, plan))["S8"]
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        first = await provider.post(
            f"/plans/{plan.id}/actions/{s8.id}/status",
            {"version": s8.version, "status": "in_progress"},
            htmx=True,
        )
        assert first.status_code == 200
    stale = await client.post(
        f"/plans/{plan.id}/actions/{s8.id}/status", {"version": s8.version, "status": "completed"}, htmx=True
    )
    assert stale.status_code == 409
    assert "Someone else updated this action" in text_of(stale.text)
    assert (await _actions(db, plan))["S8"].status is ActionStatus.IN_PROGRESS


async def test_provider_asks_for_more_time_and_the_officer_decides(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    s6 = (await _actions(db, plan))["S6"]
    original = s6.due_date
    later = date.today() + timedelta(days=120)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        past = await provider.post(
            f"/plans/{plan.id}/actions/{s6.id}/due-date",
            {"proposed_due_date": "2020-01-01", "reason": "x"},
            htmx=True,
        )
        assert past.status_code == 422 and "Propose a date in the future." in text_of(past.text)
        asked = await provider.post(
            f"/plans/{plan.id}/actions/{s6.id}/due-date",
            {"proposed_due_date": later.isoformat(), "reason": "Recruitment takes time."},
            htmx=True,
        )
        assert "New date asked for" in text_of(asked.text)
        assert (await _actions(db, plan))["S6"].due_date == original, (
            "the date stands until the officer decides"
        )
    refuse_blank = await client.post(
        f"/plans/{plan.id}/actions/{s6.id}/due-date/decision", {"decision": "refuse"}, htmx=True
    )
    assert refuse_blank.status_code == 422 and "Say why the new date is not accepted." in text_of(
        refuse_blank.text
    )
    await client.post(
        f"/plans/{plan.id}/actions/{s6.id}/due-date/decision", {"decision": "accept"}, htmx=True
    )
    assert (await _actions(db, plan))["S6"].due_date == later


async def test_overdue_actions_are_flagged_everywhere(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    s8 = (await _actions(db, plan))["S8"]
    await db.execute(
        update(Action).where(Action.id == s8.id).values(due_date=date.today() - timedelta(days=3))
    )
    await db.commit()
    page = text_of((await client.get(f"/plans/{plan.id}")).text)
    assert "Overdue by 3 days" in page and "1 overdue" in page
    assert "1 overdue" in text_of((await client.get(f"/services/{world.alpha.id}/plans/panel")).text)
    services = text_of((await client.get("/services")).text)
    assert "Alpha House" in services and "1 overdue" in services
    listing = text_of((await client.get("/plans?overdue_only=true")).text)
    assert "Alpha House" in listing and "1 overdue" in listing
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert "Overdue by 3 days" in text_of((await provider.get(f"/plans/{plan.id}")).text)


async def test_exports_are_safe_for_spreadsheets(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _plan(client, db, world, settings)
    s8 = (await _actions(db, plan))["S8"]
    await client.post(
        f"/plans/{plan.id}/actions/{s8.id}", _edit(s8, title='=HYPERLINK("http://evil")'), htmx=True
    )
    export = await client.get(f"/plans/{plan.id}/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Statement", "Action", "Details"]
    titles = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in titles and len(titles) == 3
    history = list(
        csv.reader(io.StringIO((await client.get(f"/plans/{plan.id}/history.csv")).text.lstrip("\ufeff")))
    )
    assert any(row[2] == "action changed" and row[4] == "title" for row in history[1:])
    printable = text_of((await client.get(f"/plans/{plan.id}/print")).text)
    assert "Improvement action plan" in printable


async def test_another_organisation_cannot_see_or_change_the_plan(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    s8 = (await _actions(db, plan))["S8"]
    for email in (world.manager_2.email, world.officer_b.email):
        async with browsers() as stranger:
            await stranger.login(email)
            for url in (
                f"/plans/{plan.id}",
                f"/plans/{plan.id}/export.csv",
                f"/plans/{plan.id}/history.csv",
                f"/plans/{plan.id}/print",
            ):
                assert (await stranger.get(url)).status_code == 404, url
            moved = await stranger.post(
                f"/plans/{plan.id}/actions/{s8.id}/status", {"version": s8.version, "status": "in_progress"}
            )
            assert moved.status_code in (403, 404)
            assert "Alpha House" not in (await stranger.get(f"/services/{world.alpha.id}/plans/panel")).text
    assert (await _actions(db, plan))["S8"].status is ActionStatus.NOT_STARTED


async def test_the_officer_can_reword_a_proposed_action_before_the_plan_is_agreed(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    plan = await _plan(client, db, world, settings)
    s8 = (await _actions(db, plan))["S8"]
    reworded = "Give time-critical medicines on time, every time"
    response = await client.post(f"/plans/{plan.id}/actions/{s8.id}", _edit(s8, title=reworded), htmx=True)
    assert response.status_code == 200, response.text
    assert (await _actions(db, plan))["S8"].title == reworded
    assert f"The officer found: “{FINDINGS['S8']}”" in text_of(response.text), "the quote stays"


async def test_a_change_to_an_action_not_on_the_plan_is_not_found(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    """Whether the form is valid or not, with htmx or without: 404, nothing changed."""
    plan = await _agreed(client, browsers, db, world, settings)
    url = f"/plans/{plan.id}/actions/999999/status"
    for htmx in (True, False):
        for form in ({"version": 0, "status": "in_progress"}, {"version": 0, "status": "nonsense"}):
            assert (await client.post(url, form, htmx=htmx)).status_code == 404, (htmx, form)
