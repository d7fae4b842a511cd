"""Improvement actions: which ones a comparison calls for, and how an action's status may change.

Every statement the officer scored below good calls for an action, written from the officer's
finding; a statement found met calls for none, however the provider rated it (an over-rating there
is a note on the self-assessment's accuracy). Proposals are only a starting point; officers and
providers edit the plan. The status rules encode who may do what: the provider reports progress,
only the council officer signs work off.
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
    OVERRATED = "overrated", "Over-rated in self-assessment"  # plans proposed before accuracy notes
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


@dataclass(frozen=True)
class AccuracyNote:
    """A statement the officer found met that the provider rated higher: a point about how the
    provider judges itself, for the plan's notes, not an improvement task."""

    statement_code: str
    self_score: int
    officer_score: int


def _stricter(first: PriorityRule, second: PriorityRule) -> PriorityRule:
    """Each part at its strictest, so neither concern is under-served when a statement has both."""
    return PriorityRule(
        priority=min(first.priority, second.priority, key=_URGENCY.__getitem__),
        due_in_days=min(first.due_in_days, second.due_in_days),
    )


# A shortfall the provider rated this many points higher than the officer found went unnoticed by
# the provider's own checks: the action is one level more urgent than the score alone makes it.
UNNOTICED_SHORTFALL_GAP = 2
_MORE_URGENT = {Priority.LOW: Priority.MEDIUM, Priority.MEDIUM: Priority.HIGH, Priority.HIGH: Priority.HIGH}

TITLE_LENGTH = 120
_FALLBACK_TITLE = "Improve"


def _scored(value: int, rules: ScoringRules) -> str:
    return f"{value} ({rules.label_for(value)})"


def summarise_finding(finding: str, limit: int = TITLE_LENGTH) -> str:
    """The finding's first sentence, cut at a word within ``limit`` characters: a title people can
    scan in a table, that the full finding in the description then explains."""
    text = " ".join(finding.split())
    for end, character in enumerate(text):
        if character in ".;!?" and (end + 1 == len(text) or text[end + 1] == " "):
            text = text[:end]
            break
    text = text.strip(" .;:,")
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text[:1].upper() + text[1:]


def _score_context(reason: Reason, officer: int, provider: int | None, rules: ScoringRules) -> str:
    shortfall = (
        f"The officer scored this statement {_scored(officer, rules)}, "
        f"below the expected standard of {_scored(rules.good_value, rules)}"
    )
    if reason is Reason.LOW_SCORE or provider is None:
        return f"{shortfall}."
    return f"{shortfall}, while the provider scored it {_scored(provider, rules)}."


def _description(
    reason: Reason, officer: int, provider: int | None, finding: str, rules: ScoringRules
) -> str:
    context = _score_context(reason, officer, provider, rules)
    if finding:
        return f"The officer found: “{finding}”\n\n{context}"
    steps = (
        " Agree the steps needed to reach it."
        if reason is Reason.LOW_SCORE or provider is None
        else " Agree the steps needed to reach the expected standard and review the evidence behind "
        "the self-assessment."
    )
    return context + steps


def _priority(
    officer: int, provider: int | None, overrated: bool, policy: ActionPolicy
) -> tuple[Reason, PriorityRule]:
    """The council's rule for the officer's score, stricter when the provider also over-rated it,
    and one level more urgent when the provider missed the shortfall by a wide margin."""
    if not overrated:
        return Reason.LOW_SCORE, policy.by_score[officer]
    rule = _stricter(policy.by_score[officer], policy.overrated)
    if provider is not None and provider - officer >= UNNOTICED_SHORTFALL_GAP:
        rule = PriorityRule(_MORE_URGENT[rule.priority], rule.due_in_days)
    return Reason.BOTH, rule


def _check_policy(rules: ScoringRules, policy: ActionPolicy) -> None:
    missing = [value for value in rules.values if value < rules.good_value and value not in policy.by_score]
    if missing:
        raise ValueError(f"The action policy has no rule for scores {', '.join(map(str, missing))}.")


def propose_actions(
    gaps: Sequence[StatementGap],
    *,
    statement_titles: Mapping[str, str],
    findings: Mapping[str, str],
    rules: ScoringRules,
    policy: ActionPolicy,
    today: date,
) -> tuple[ProposedAction, ...]:
    """A draft plan: one improvement action per statement the officer scored below good.

    The title summarises the officer's finding and the description quotes it; the priority follows
    the score (and an over-rating of it). A statement the officer found met needs no improvement,
    however the provider rated it: see ``accuracy_notes``. Sorted most urgent first (priority,
    then due date), keeping the framework's order otherwise. Without a finding, the title names the
    statement (or its code, so the action stays identifiable).
    """
    _check_policy(rules, policy)
    proposals = []
    for gap in gaps:
        officer = gap.officer_score
        if officer is None:
            continue
        rules.label_for(officer)  # rejects a score that is not on the scale
        if officer >= rules.good_value:
            continue
        overrated = gap.self_score is not None and gap.self_score - officer >= policy.overrating_margin
        reason, rule = _priority(officer, gap.self_score, overrated, policy)
        finding = (findings.get(gap.statement_code) or "").strip()
        named = (statement_titles.get(gap.statement_code) or "").strip() or gap.statement_code
        title = summarise_finding(finding) if finding else ""
        proposals.append(
            ProposedAction(
                statement_code=gap.statement_code,
                key_question_code=gap.key_question_code,
                reason=reason,
                priority=rule.priority,
                due_date=today + timedelta(days=rule.due_in_days),
                title=title or f"{_FALLBACK_TITLE}: {named}",
                description=_description(reason, officer, gap.self_score, finding, rules),
            )
        )
    return tuple(sorted(proposals, key=lambda action: (_URGENCY[action.priority], action.due_date)))


def accuracy_notes(
    gaps: Sequence[StatementGap], *, rules: ScoringRules, policy: ActionPolicy
) -> tuple[AccuracyNote, ...]:
    """Statements the officer found met (good or better) that the provider rated higher by the
    council's over-rating margin: kept as notes on how the provider judges itself."""
    return tuple(
        AccuracyNote(gap.statement_code, gap.self_score, gap.officer_score)
        for gap in gaps
        if gap.officer_score is not None
        and gap.self_score is not None
        and gap.officer_score >= rules.good_value
        and gap.self_score - gap.officer_score >= policy.overrating_margin
    )


def accuracy_note_text(
    notes: Sequence[AccuracyNote], *, statement_titles: Mapping[str, str], rules: ScoringRules
) -> str:
    """The plan's note about the self-assessment's accuracy, one line per statement."""
    return "\n".join(
        f"{note.statement_code} {statement_titles.get(note.statement_code, '')}".strip()
        + f": the provider scored {_scored(note.self_score, rules)}, the officer found "
        f"{_scored(note.officer_score, rules)}."
        for note in notes
    )


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
