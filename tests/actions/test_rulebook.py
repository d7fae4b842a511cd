"""The plan page and the server answer from one rulebook: for every state a plan and its action can
be in, for each side (provider and council officer) and every command, the page shows the control
exactly when the rulebook allows the command, and the service accepts the command exactly then.

(Before the rulebook, the page hid "Ask for more time" on a verified action but the server took it.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.actions.models import Action, ActionEvent, ActionNote, ActionPlan, PlanStatus
from selfassess.actions.rulebook import Command, action_commands, plan_commands
from selfassess.actions.rules import ActionStatus, Priority, Reason, Side
from selfassess.actions.service import ActionChanges, ActionPlans, action_state
from selfassess.errors import Forbidden, Invalid
from selfassess.settings import Settings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")

# The states an action can really be in while its plan is in each state.
ACTION_STATES = {
    PlanStatus.DRAFT: [(ActionStatus.NOT_STARTED, False)],
    PlanStatus.SUBMITTED: [(ActionStatus.NOT_STARTED, False)],
    PlanStatus.CHANGES_REQUESTED: [(ActionStatus.NOT_STARTED, False)],
    PlanStatus.AGREED: [(status, waiting) for status in ActionStatus for waiting in (False, True)],
    PlanStatus.CLOSED: [(ActionStatus.VERIFIED, False)],
}


def _controls(plan_id: int, action_id: int) -> dict[Command, str]:
    """The mark each command's control leaves in the plan page."""
    plan, action = f"/plans/{plan_id}", f"/plans/{plan_id}/actions/{action_id}"
    return {
        Command.EDIT_ACTION: f'action="{action}"',
        Command.ADD_ACTION: f'action="{plan}/actions"',
        Command.REMOVE_ACTION: f'action="{action}/delete"',
        Command.SUBMIT_PLAN: f'action="{plan}/submit"',
        Command.REQUEST_CHANGES: f'action="{plan}/request-changes"',
        Command.AGREE_PLAN: f'action="{plan}/agree"',
        Command.MARK_IN_PROGRESS: 'name="status" value="in_progress"',
        Command.MARK_COMPLETED: 'name="status" value="completed"',
        Command.VERIFY: 'name="status" value="verified"',
        Command.REOPEN: 'name="status" value="reopened"',
        Command.ADD_NOTE: f'action="{action}/notes"',
        Command.ASK_FOR_MORE_TIME: f'action="{action}/due-date"',
        Command.DECIDE_DUE_DATE: f'action="{action}/due-date/decision"',
    }


async def _give(command: Command, plans: ActionPlans, plan: ActionPlan, action: Action, world: Any) -> None:
    """The command as its handler gives it to the service, with input that is otherwise fine."""
    service, today = world.alpha, clock.today()
    changes = ActionChanges(
        title="Train the night staff",
        description="",
        owner_id=world.manager_1.id,
        due_date=today + timedelta(days=30),
        priority=Priority.MEDIUM,
    )
    status = {
        Command.MARK_IN_PROGRESS: ActionStatus.IN_PROGRESS,
        Command.MARK_COMPLETED: ActionStatus.COMPLETED,
        Command.VERIFY: ActionStatus.VERIFIED,
        Command.REOPEN: ActionStatus.REOPENED,
    }
    if command in status:
        await plans.change_status(
            plan, service, action.id, expected_version=action.version, target=status[command], reason="More"
        )
    elif command is Command.EDIT_ACTION:
        await plans.update_action(plan, service, action.id, expected_version=action.version, changes=changes)
    elif command is Command.ADD_ACTION:
        await plans.add_action(plan, service, changes, None)
    elif command is Command.REMOVE_ACTION:
        await plans.delete_action(plan, action.id)
    elif command is Command.SUBMIT_PLAN:
        await plans.submit(plan, service)
    elif command is Command.REQUEST_CHANGES:
        await plans.request_changes(plan, service, "Name a person for each action.")
    elif command is Command.AGREE_PLAN:
        await plans.agree(plan, service)
    elif command is Command.ADD_NOTE:
        await plans.add_note(plan, service, action.id, text="Rota drafted.", filename=None, data=None)
    elif command is Command.ASK_FOR_MORE_TIME:
        await plans.propose_due_date(
            plan, service, action.id, proposed=today + timedelta(days=60), reason="Recruiting"
        )
    elif command is Command.DECIDE_DUE_DATE:
        await plans.decide_due_date(plan, service, action.id, accept=True, comment="")
    else:  # pragma: no cover - a new command must be added here
        raise AssertionError(f"no way to give {command}")


async def _arrange(
    db: AsyncSession, plan_id: int, world: Any, plan_status: PlanStatus, status: ActionStatus, waiting: bool
) -> tuple[ActionPlan, Action]:
    """Put the plan and its one action (added by hand, owned, due in the future) into the state."""
    await db.commit()  # ends the last command's transaction (objects stay loaded: no expiry on commit)
    await db.execute(delete(ActionNote))
    await db.execute(delete(ActionEvent))
    await db.execute(delete(Action))
    await db.execute(update(ActionPlan).where(ActionPlan.id == plan_id).values(status=plan_status))
    action = Action(
        plan_id=plan_id,
        reason=Reason.ADDED,
        title="Fix the rota",
        priority=Priority.HIGH,
        owner_id=world.manager_1.id,
        due_date=clock.today() + timedelta(days=20),
        status=status,
        proposed_due_date=clock.today() + timedelta(days=40) if waiting else None,
        proposed_due_reason="Recruiting" if waiting else "",
    )
    db.add(action)
    await db.commit()
    plan = await db.get(ActionPlan, plan_id, populate_existing=True)
    assert plan is not None
    return plan, action


@pytest.mark.parametrize("plan_status", list(PlanStatus), ids=lambda status: status.value)
async def test_the_page_shows_and_the_server_accepts_exactly_what_the_rulebook_allows(
    plan_status: PlanStatus,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S8": 1})
    plan_id = (await ActionPlans(db, world.officer_a, settings).generate(visit, world.alpha)).id
    people: dict[Side, User] = {Side.PROVIDER: world.manager_1, Side.OFFICER: world.officer_a}
    failures = []
    async with browsers() as provider, browsers() as officer:
        pages: dict[Side, Browser] = {Side.PROVIDER: provider, Side.OFFICER: officer}
        await provider.login(world.manager_1.email)
        await officer.login(world.officer_a.email)
        for status, waiting in ACTION_STATES[plan_status]:
            state = f"plan {plan_status.value}, action {status.value}{', new date asked' if waiting else ''}"
            for side, person in people.items():
                plan, action = await _arrange(db, plan_id, world, plan_status, status, waiting)
                allowed = plan_commands(plan.status, side) | action_commands(
                    plan.status, action_state(action), side
                )
                html = (await pages[side].get(f"/plans/{plan_id}")).text
                for command, mark in _controls(plan_id, action.id).items():
                    if (mark in html) != (command in allowed):
                        shown = "shows" if mark in html else "hides"
                        failures.append(f"{state}, {side.value}: the page {shown} {command}")
                for command in Command:
                    plan, action = await _arrange(db, plan_id, world, plan_status, status, waiting)
                    try:
                        await _give(command, ActionPlans(db, person, settings), plan, action, world)
                        accepted = True
                    except (Invalid, Forbidden):
                        accepted = False
                    if accepted != (command in allowed):
                        answer = "accepts" if accepted else "refuses"
                        failures.append(f"{state}, {side.value}: the server {answer} {command}")
    assert not failures, "The page, the server and the rulebook disagree:\n" + "\n".join(failures)
