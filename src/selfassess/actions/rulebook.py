"""Who may give which command to an improvement plan, its actions and their due-date requests, in
which state. The one copy of these rules: the plan page shows a control only when this module
allows the command, and the service refuses every command this module does not allow.

Pure: states and sides in, sets of commands and refusal messages out (no web or database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from selfassess.actions.models import PlanStatus
from selfassess.actions.rules import ActionStatus, Reason, Side, allowed_transitions
from selfassess.choices import Choice


class Command(Choice):
    # the draft plan
    EDIT_ACTION = "edit_action", "Change an action"
    ADD_ACTION = "add_action", "Add an action"
    REMOVE_ACTION = "remove_action", "Remove an action"
    SUBMIT_PLAN = "submit_plan", "Send the plan to the council"
    REQUEST_CHANGES = "request_changes", "Ask for changes to the plan"
    AGREE_PLAN = "agree_plan", "Agree the plan"
    # working the agreed plan
    MARK_IN_PROGRESS = "in_progress", "Mark in progress"
    MARK_COMPLETED = "completed", "Mark completed"
    VERIFY = "verified", "Verify"
    REOPEN = "reopened", "Reopen"
    ADD_NOTE = "add_note", "Add a progress note"
    # the due-date request
    ASK_FOR_MORE_TIME = "ask_for_more_time", "Ask for more time"
    DECIDE_DUE_DATE = "decide_due_date", "Accept or refuse a new date"


STATUS_COMMANDS = {
    ActionStatus.IN_PROGRESS: Command.MARK_IN_PROGRESS,
    ActionStatus.COMPLETED: Command.MARK_COMPLETED,
    ActionStatus.VERIFIED: Command.VERIFY,
    ActionStatus.REOPENED: Command.REOPEN,
}


@dataclass(frozen=True)
class ActionState:
    """What the rules need to know about one action."""

    status: ActionStatus
    reason: Reason
    proposed_due_date: date | None


def _draft_editable(plan: PlanStatus, side: Side) -> bool:
    if plan in (PlanStatus.AGREED, PlanStatus.CLOSED):
        return False
    return plan.provider_may_edit if side is Side.PROVIDER else True


def plan_commands(plan: PlanStatus, side: Side) -> frozenset[Command]:
    """Commands about the plan as a whole."""
    allowed = set()
    if _draft_editable(plan, side):
        allowed.add(Command.ADD_ACTION)
    if side is Side.PROVIDER and plan.provider_may_edit:
        allowed.add(Command.SUBMIT_PLAN)
    if side is Side.OFFICER and plan is PlanStatus.SUBMITTED:
        allowed |= {Command.REQUEST_CHANGES, Command.AGREE_PLAN}
    return frozenset(allowed)


def action_commands(plan: PlanStatus, action: ActionState, side: Side) -> frozenset[Command]:
    """Commands about one action of the plan."""
    allowed = set()
    if _draft_editable(plan, side):
        allowed.add(Command.EDIT_ACTION)
        if action.reason is Reason.ADDED:  # each issue the visit found keeps its proposed action
            allowed.add(Command.REMOVE_ACTION)
    if plan is PlanStatus.AGREED:
        allowed |= {STATUS_COMMANDS[target] for target in allowed_transitions(action.status, side)}
        allowed.add(Command.ADD_NOTE)
        waiting = action.proposed_due_date is not None
        done = action.status in (ActionStatus.COMPLETED, ActionStatus.VERIFIED)
        if side is Side.PROVIDER and not done and not waiting:
            allowed.add(Command.ASK_FOR_MORE_TIME)
        if side is Side.OFFICER and waiting:
            allowed.add(Command.DECIDE_DUE_DATE)
    return frozenset(allowed)


def refusal(command: Command, plan: PlanStatus, action: ActionState | None, side: Side) -> str:
    """Why a command is refused, in words the person can act on."""
    if command in (Command.EDIT_ACTION, Command.ADD_ACTION, Command.REMOVE_ACTION):
        if plan in (PlanStatus.AGREED, PlanStatus.CLOSED):
            return "The plan is agreed; change actions through their status, notes and due-date requests."
        if side is Side.PROVIDER and not plan.provider_may_edit:
            return "The plan is with the council for agreement."
        return (
            "An action proposed from the visit can be changed but not removed; "
            "each issue found needs at least one action."
        )
    if command is Command.SUBMIT_PLAN:
        return "The provider submits the plan." if side is Side.OFFICER else "The plan is already submitted."
    if command in (Command.REQUEST_CHANGES, Command.AGREE_PLAN):
        if side is Side.PROVIDER:
            return "Only a council officer can do this."
        if command is Command.AGREE_PLAN:
            return "Only a submitted plan can be agreed."
        return "Only a submitted plan can be sent back for changes."
    if plan is not PlanStatus.AGREED:
        return (
            "The plan is closed."
            if plan is PlanStatus.CLOSED
            else "Actions are worked on once the plan is agreed."
        )
    if command is Command.ASK_FOR_MORE_TIME:
        if side is Side.OFFICER:
            return "The provider proposes new dates; an officer can change the date directly."
        if action is not None and action.proposed_due_date is not None:
            return "A new date is already waiting for the council's decision."
        return "This action is done: it needs no more time."
    if command is Command.DECIDE_DUE_DATE:
        if side is Side.PROVIDER:
            return "Only a council officer can do this."
        return "There is no new date waiting for a decision."
    return "This can't be done to the action now."


def refused_for_the_side(command: Command, plan: PlanStatus, action: ActionState | None, side: Side) -> bool:
    """True when the other side could give this command now: the person, not the moment, is wrong."""
    other = Side.OFFICER if side is Side.PROVIDER else Side.PROVIDER
    allowed = plan_commands(plan, other) if action is None else action_commands(plan, action, other)
    return command in allowed
