"""Improvement actions: which ones a comparison calls for, and how an action's status may change.

Proposals are only a starting point; officers and providers edit the plan. The status rules
encode who may do what: the provider reports progress, only the council officer signs work off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from selfassess.choices import Choice
from selfassess.comparison.rules import StatementGap
from selfassess.frameworks.scoring import ScoringRules


class Priority(Choice):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


_URGENCY = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


@dataclass(frozen=True)
class PriorityRule:
    priority: Priority
    due_in_days: int

    def __post_init__(self) -> None:
        if self.due_in_days < 0:
            raise ValueError("An action can't be due before it is proposed.")


@dataclass(frozen=True)
class ActionPolicy:
    by_score: Mapping[int, PriorityRule]
    overrated: PriorityRule
    overrating_margin: int

    def __post_init__(self) -> None:
        if self.overrating_margin < 1:
            raise ValueError(
                "The over-rating margin must be at least 1, or agreement would count as over-rating."
            )


# Significant shortfalls need a quick response; other shortfalls and over-rating fit a quarter.
_WORST_SCORE_RULE = PriorityRule(Priority.HIGH, 28)
_SHORTFALL_RULE = PriorityRule(Priority.MEDIUM, 91)
_OVERRATED_RULE = PriorityRule(Priority.LOW, 91)


def default_policy(rules: ScoringRules) -> ActionPolicy:
    """A council's starting policy: the lowest score is urgent, other shortfalls and over-rating less so."""
    return ActionPolicy(
        by_score={
            value: _WORST_SCORE_RULE if value == rules.min_value else _SHORTFALL_RULE
            for value in rules.values
            if value < rules.good_value
        },
        overrated=_OVERRATED_RULE,
        overrating_margin=1,
    )


def policy_from_settings(
    stored: Mapping[str, Mapping[str, object]] | None, rules: ScoringRules, overrating_margin: int
) -> ActionPolicy:
    """A council's stored rules ({"1": {"priority": "high", "due_in_days": 28}, ..., "overrated": {...}}),
    with the default for any rule missing, malformed or no longer on the framework's scale."""
    default = default_policy(rules)
    stored = stored or {}

    def rule(key: str, fallback: PriorityRule) -> PriorityRule:
        entry = stored.get(key)
        try:
            return PriorityRule(Priority(entry["priority"]), int(entry["due_in_days"]))  # type: ignore[index, arg-type]
        except (TypeError, KeyError, ValueError):
            return fallback

    return ActionPolicy(
        by_score={value: rule(str(value), fallback) for value, fallback in default.by_score.items()},
        overrated=rule("overrated", default.overrated),
        overrating_margin=overrating_margin,
    )


class Reason(Choice):
    LOW_SCORE = "low_score", "Scored below good"
    OVERRATED = "overrated", "Over-rated in self-assessment"
    BOTH = "both", "Below good and over-rated"
    ADDED = "added", "Added to the plan"


@dataclass(frozen=True)
class ProposedAction:
    statement_code: str
    key_question_code: str
    reason: Reason
    priority: Priority
    due_date: date
    title: str
    description: str


def _stricter(first: PriorityRule, second: PriorityRule) -> PriorityRule:
    """Each part at its strictest, so neither concern is under-served when a statement has both."""
    return PriorityRule(
        priority=min(first.priority, second.priority, key=_URGENCY.__getitem__),
        due_in_days=min(first.due_in_days, second.due_in_days),
    )


_TITLE_PREFIX = {
    Reason.LOW_SCORE: "Improve",
    Reason.OVERRATED: "Review self-assessment of",
    Reason.BOTH: "Improve and review self-assessment of",
}


def _scored(value: int, rules: ScoringRules) -> str:
    return f"{value} ({rules.label_for(value)})"


def _description_without_findings(
    reason: Reason, officer: int, provider: int | None, rules: ScoringRules
) -> str:
    shortfall = (
        f"The officer scored this statement {_scored(officer, rules)}, "
        f"below the expected standard of {_scored(rules.good_value, rules)}"
    )
    if reason is Reason.LOW_SCORE or provider is None:
        return f"{shortfall}. Agree the steps needed to reach it."
    if reason is Reason.OVERRATED:
        return (
            f"The provider scored this statement {_scored(provider, rules)} but the officer scored it "
            f"{_scored(officer, rules)}. Review the evidence behind the self-assessment."
        )
    return (
        f"{shortfall}, while the provider scored it {_scored(provider, rules)}. Agree the steps needed "
        "to reach the expected standard and review the evidence behind the self-assessment."
    )


def propose_actions(
    gaps: Sequence[StatementGap],
    *,
    statement_titles: Mapping[str, str],
    findings: Mapping[str, str],
    rules: ScoringRules,
    policy: ActionPolicy,
    today: date,
) -> tuple[ProposedAction, ...]:
    """A draft plan: one action per statement the officer scored below good or the provider over-rated.

    Sorted most urgent first (priority, then due date), keeping the input order otherwise so the
    plan follows the framework's order. A statement title missing from `statement_titles` falls
    back to its code rather than losing the action.
    """
    missing = [value for value in rules.values if value < rules.good_value and value not in policy.by_score]
    if missing:
        raise ValueError(f"The action policy has no rule for scores {', '.join(map(str, missing))}.")
    proposals = []
    for gap in gaps:
        officer = gap.officer_score
        if officer is None:
            continue
        rules.label_for(officer)  # rejects a score that is not on the scale
        low = officer < rules.good_value
        overrated = gap.self_score is not None and gap.self_score - officer >= policy.overrating_margin
        if low and overrated:
            reason, rule = Reason.BOTH, _stricter(policy.by_score[officer], policy.overrated)
        elif low:
            reason, rule = Reason.LOW_SCORE, policy.by_score[officer]
        elif overrated:
            reason, rule = Reason.OVERRATED, policy.overrated
        else:
            continue
        title = (statement_titles.get(gap.statement_code) or "").strip() or gap.statement_code
        finding = (findings.get(gap.statement_code) or "").strip()
        proposals.append(
            ProposedAction(
                statement_code=gap.statement_code,
                key_question_code=gap.key_question_code,
                reason=reason,
                priority=rule.priority,
                due_date=today + timedelta(days=rule.due_in_days),
                title=f"{_TITLE_PREFIX[reason]}: {title}",
                description=finding or _description_without_findings(reason, officer, gap.self_score, rules),
            )
        )
    return tuple(sorted(proposals, key=lambda action: (_URGENCY[action.priority], action.due_date)))


class ActionStatus(Choice):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed by provider"
    VERIFIED = "verified", "Verified by officer"
    REOPENED = "reopened", "Reopened"


class Side(StrEnum):
    PROVIDER = "provider"
    OFFICER = "officer"


class TransitionError(ValueError):
    """A status change that is not allowed; the message is shown to users as it stands."""


_EITHER = frozenset(Side)
_OFFICER_ONLY = frozenset({Side.OFFICER})

# current status -> {status it may move to: the sides allowed to make that move}
_TRANSITIONS: dict[ActionStatus, dict[ActionStatus, frozenset[Side]]] = {
    ActionStatus.NOT_STARTED: {ActionStatus.IN_PROGRESS: _EITHER, ActionStatus.COMPLETED: _EITHER},
    ActionStatus.IN_PROGRESS: {ActionStatus.COMPLETED: _EITHER},
    ActionStatus.COMPLETED: {
        ActionStatus.IN_PROGRESS: _EITHER,
        ActionStatus.VERIFIED: _OFFICER_ONLY,
        ActionStatus.REOPENED: _OFFICER_ONLY,
    },
    ActionStatus.VERIFIED: {ActionStatus.REOPENED: _OFFICER_ONLY},
    ActionStatus.REOPENED: {ActionStatus.IN_PROGRESS: _EITHER, ActionStatus.COMPLETED: _EITHER},
}


def _words(status: ActionStatus) -> str:
    return status.value.replace("_", " ")


def _one_of(statuses: Sequence[ActionStatus]) -> str:
    words = [_words(status) for status in statuses]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def allowed_transitions(current: ActionStatus, side: Side) -> frozenset[ActionStatus]:
    """The statuses this side may move an action to, e.g. to offer only valid buttons."""
    return frozenset(target for target, sides in _TRANSITIONS[current].items() if side in sides)


def check_transition(
    current: ActionStatus, target: ActionStatus, side: Side, reason: str | None = None
) -> None:
    """Raise TransitionError unless `side` may move an action from `current` to `target`.

    Reopening needs a reason because it tells the provider the work was not good enough.
    """
    if target is current:
        raise TransitionError(f"This action is already {_words(current)}.")
    moves = _TRANSITIONS[current]
    if target not in moves:
        message = f"An action that is {_words(current)} can't be marked {_words(target)}."
        options = [status for status in ActionStatus if status in allowed_transitions(current, side)]
        if options:
            message += f" It can be marked {_one_of(options)}."
        raise TransitionError(message)
    if side not in moves[target]:
        raise TransitionError(f"Only a council officer can mark an action as {_words(target)}.")
    if target is ActionStatus.REOPENED and not (reason and reason.strip()):
        raise TransitionError(
            "Please give a reason for reopening this action, so the provider knows what is still needed."
        )


def is_overdue(due_date: date | None, status: ActionStatus, today: date) -> bool:
    """Past its due date and not yet done; an action due today is not overdue until tomorrow."""
    if due_date is None or status in (ActionStatus.COMPLETED, ActionStatus.VERIFIED):
        return False
    return today > due_date
