"""Proposed action plans and the action status rules."""

from __future__ import annotations

from datetime import date

import pytest

from selfassess.actions.rules import (
    ActionPolicy,
    ActionStatus,
    Priority,
    PriorityRule,
    ProposedAction,
    Reason,
    Side,
    TransitionError,
    allowed_transitions,
    check_transition,
    default_policy,
    is_overdue,
    propose_actions,
)
from selfassess.comparison.rules import Direction, StatementGap, StatementScores, compare
from selfassess.frameworks.scoring import RatingBand, ScaleLevel, ScoringRules

KEYS = ("inadequate", "requires_improvement", "good", "outstanding")
CQC_LABELS = ("Inadequate", "Requires improvement", "Good", "Outstanding")


def make_rules(
    labels: tuple[str, ...], first_value: int, minimums: tuple[int, ...], good: int
) -> ScoringRules:
    return ScoringRules(
        scale=tuple(ScaleLevel(first_value + i, label) for i, label in enumerate(labels)),
        bands=tuple(RatingBand(k, k, m) for k, m in zip(KEYS, minimums, strict=True)),
        good_value=good,
    )


CQC = make_rules(CQC_LABELS, 1, (25, 39, 63, 88), good=3)
ZERO_BASED = make_rules(("Not met", "Partly met", "Met", "Exceeded"), 0, (25, 45, 65, 85), good=2)
FIVE_POINT = make_rules(("Very poor", "Poor", "Adequate", "Good", "Excellent"), 1, (20, 50, 70, 90), good=4)

TODAY = date(2025, 4, 1)
IN_28_DAYS = date(2025, 4, 29)
IN_91_DAYS = date(2025, 7, 1)
HIGH, MEDIUM, LOW = Priority.HIGH, Priority.MEDIUM, Priority.LOW


def gaps(*scores: tuple[str, int | None, int | None], rules: ScoringRules = CQC) -> tuple[StatementGap, ...]:
    statements = [StatementScores(code, "safe", own, officer) for code, own, officer in scores]
    return compare(statements, ["safe"], rules).statements


def propose(
    statement_gaps: tuple[StatementGap, ...],
    *,
    policy: ActionPolicy | None = None,
    rules: ScoringRules = CQC,
    titles: dict[str, str] | None = None,
    findings: dict[str, str] | None = None,
) -> tuple[ProposedAction, ...]:
    return propose_actions(
        statement_gaps,
        statement_titles=titles or {},
        findings=findings or {},
        rules=rules,
        policy=policy or default_policy(rules),
        today=TODAY,
    )


# --- default policy --------------------------------------------------------------------------------


def test_default_policy_for_cqc() -> None:
    assert default_policy(CQC) == ActionPolicy(
        by_score={1: PriorityRule(HIGH, 28), 2: PriorityRule(MEDIUM, 91)},
        overrated=PriorityRule(LOW, 91),
        overrating_margin=1,
    )


@pytest.mark.parametrize(
    ("rules", "by_score"),
    [
        (ZERO_BASED, {0: PriorityRule(HIGH, 28), 1: PriorityRule(MEDIUM, 91)}),
        (FIVE_POINT, {1: PriorityRule(HIGH, 28), 2: PriorityRule(MEDIUM, 91), 3: PriorityRule(MEDIUM, 91)}),
    ],
)
def test_default_policy_follows_the_scale(rules: ScoringRules, by_score: dict[int, PriorityRule]) -> None:
    assert default_policy(rules).by_score == by_score


def test_policy_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="due before"):
        PriorityRule(HIGH, -1)
    with pytest.raises(ValueError, match="at least 1"):
        ActionPolicy(by_score={}, overrated=PriorityRule(LOW, 91), overrating_margin=0)


# --- proposing actions -----------------------------------------------------------------------------

MIXED = gaps(
    ("A", 1, 1),  # inadequate, honestly self-assessed -> low score, high
    ("B", 3, 2),  # requires improvement, provider said good -> both, medium
    ("C", 4, 3),  # good, provider said outstanding -> over-rated, low
    ("D", 3, 3),  # good and agreed -> nothing
    ("E", 2, 4),  # provider under-rated itself -> nothing
    ("F", 3, None),  # officer has not scored it -> nothing
    ("G", None, 2),  # provider skipped it, officer found shortfalls -> low score, medium
    ("H", 2, 1),  # inadequate, provider said requires improvement -> both, high
    ("I", 4, 4),  # outstanding and agreed -> nothing
)


def test_proposals_cover_low_scores_and_over_rating_most_urgent_first() -> None:
    summary = [(a.statement_code, a.reason, a.priority, a.due_date) for a in propose(MIXED)]
    assert summary == [
        ("A", Reason.LOW_SCORE, HIGH, IN_28_DAYS),
        ("H", Reason.BOTH, HIGH, IN_28_DAYS),
        ("B", Reason.BOTH, MEDIUM, IN_91_DAYS),
        ("G", Reason.LOW_SCORE, MEDIUM, IN_91_DAYS),
        ("C", Reason.OVERRATED, LOW, IN_91_DAYS),
    ]
    assert {a.key_question_code for a in propose(MIXED)} == {"safe"}


def test_within_a_priority_earlier_due_dates_come_first() -> None:
    policy = ActionPolicy(
        by_score={1: PriorityRule(HIGH, 28), 2: PriorityRule(HIGH, 14)},
        overrated=PriorityRule(LOW, 91),
        overrating_margin=1,
    )
    proposals = propose(gaps(("X", 1, 1), ("Y", 2, 2), ("Z", 2, 2)), policy=policy)
    assert [(a.statement_code, a.due_date) for a in proposals] == [
        ("Y", date(2025, 4, 15)),
        ("Z", date(2025, 4, 15)),
        ("X", IN_28_DAYS),
    ]


@pytest.mark.parametrize(
    ("overrated", "score_rule", "expected"),
    [
        pytest.param(
            PriorityRule(LOW, 14), PriorityRule(MEDIUM, 91), PriorityRule(MEDIUM, 14), id="earlier due"
        ),
        pytest.param(
            PriorityRule(HIGH, 60), PriorityRule(MEDIUM, 30), PriorityRule(HIGH, 30), id="higher priority"
        ),
        pytest.param(
            PriorityRule(LOW, 91), PriorityRule(HIGH, 7), PriorityRule(HIGH, 7), id="score rule stricter"
        ),
    ],
)
def test_both_reasons_take_the_stricter_of_each_part(
    overrated: PriorityRule, score_rule: PriorityRule, expected: PriorityRule
) -> None:
    policy = ActionPolicy(by_score={1: score_rule, 2: score_rule}, overrated=overrated, overrating_margin=1)
    (action,) = propose(gaps(("B", 3, 2)), policy=policy)
    assert action.reason is Reason.BOTH
    assert (action.priority, (action.due_date - TODAY).days) == (expected.priority, expected.due_in_days)


def test_policy_margin_decides_over_rating_not_the_comparison_margin() -> None:
    policy = ActionPolicy(
        by_score=default_policy(CQC).by_score, overrated=PriorityRule(LOW, 91), overrating_margin=2
    )
    statement_gaps = gaps(("C", 4, 3), ("J", 4, 2), ("K", 3, 1))
    assert statement_gaps[0].beyond_margin  # the comparison (margin 1) flagged it
    summary = [(a.statement_code, a.reason) for a in propose(statement_gaps, policy=policy)]
    assert summary == [("K", Reason.BOTH), ("J", Reason.BOTH)]


def test_titles_name_the_statement() -> None:
    titles = {"A": "Safeguarding", "C": "Learning culture", "B": "Safe and effective staffing"}
    by_code = {a.statement_code: a.title for a in propose(MIXED, titles=titles)}
    assert by_code["A"] == "Improve: Safeguarding"
    assert by_code["C"] == "Review self-assessment of: Learning culture"
    assert by_code["B"] == "Improve and review self-assessment of: Safe and effective staffing"
    assert by_code["G"] == "Improve: G"  # no title known: the code keeps the action identifiable


def test_descriptions_come_from_the_officers_findings() -> None:
    findings = {"A": "  Medicines records were incomplete on two floors.\n", "C": "Audits lapsed since May."}
    by_code = {a.statement_code: a.description for a in propose(MIXED, findings=findings)}
    assert by_code["A"] == "Medicines records were incomplete on two floors."
    assert by_code["C"] == "Audits lapsed since May."


def test_descriptions_without_findings_explain_the_scores() -> None:
    by_code = {a.statement_code: a.description for a in propose(MIXED, findings={"G": "   ", "H": ""})}
    assert by_code["G"] == (
        "The officer scored this statement 2 (Requires improvement), below the expected standard of "
        "3 (Good). Agree the steps needed to reach it."
    )
    assert by_code["C"] == (
        "The provider scored this statement 4 (Outstanding) but the officer scored it 3 (Good). "
        "Review the evidence behind the self-assessment."
    )
    assert by_code["H"] == (
        "The officer scored this statement 1 (Inadequate), below the expected standard of 3 (Good), "
        "while the provider scored it 2 (Requires improvement). Agree the steps needed to reach the "
        "expected standard and review the evidence behind the self-assessment."
    )


def test_zero_based_scale_proposals() -> None:
    proposals = propose(
        gaps(("A", 0, 0), ("B", 2, 1), ("C", 3, 2), ("D", 2, 2), rules=ZERO_BASED), rules=ZERO_BASED
    )
    summary = [(a.statement_code, a.reason, a.priority) for a in proposals]
    assert summary == [
        ("A", Reason.LOW_SCORE, HIGH),
        ("B", Reason.BOTH, MEDIUM),
        ("C", Reason.OVERRATED, LOW),
    ]
    assert proposals[0].description.startswith(
        "The officer scored this statement 0 (Not met), below the expected standard of 2 (Met)"
    )


def test_five_point_scale_treats_adequate_as_below_good() -> None:
    proposals = propose(gaps(("A", 3, 3), ("B", 4, 4), ("C", 5, 4), rules=FIVE_POINT), rules=FIVE_POINT)
    assert [(a.statement_code, a.reason, a.priority) for a in proposals] == [
        ("A", Reason.LOW_SCORE, MEDIUM),
        ("C", Reason.OVERRATED, LOW),
    ]


def test_nothing_to_propose() -> None:
    assert propose(gaps(("D", 3, 3), ("E", 2, 4), ("F", 1, None))) == ()


def test_a_policy_missing_a_score_rule_is_rejected() -> None:
    policy = ActionPolicy(
        by_score={1: PriorityRule(HIGH, 28)}, overrated=PriorityRule(LOW, 91), overrating_margin=1
    )
    with pytest.raises(ValueError, match="no rule for scores 2"):
        propose(gaps(("D", 3, 3)), policy=policy)


def test_officer_scores_off_the_scale_are_rejected() -> None:
    bad = StatementGap(
        "Z", "safe", None, officer_score=0, difference=None, direction=Direction.UNPAIRED, beyond_margin=False
    )
    with pytest.raises(ValueError, match="not a score"):
        propose((bad,))


# --- status rules ----------------------------------------------------------------------------------

NS, IP, CO, VE, RE = (
    ActionStatus.NOT_STARTED,
    ActionStatus.IN_PROGRESS,
    ActionStatus.COMPLETED,
    ActionStatus.VERIFIED,
    ActionStatus.REOPENED,
)
PROVIDER, OFFICER = Side.PROVIDER, Side.OFFICER

EXPECTED_MOVES = {
    (NS, PROVIDER): {IP, CO},
    (NS, OFFICER): {IP, CO},
    (IP, PROVIDER): {CO},
    (IP, OFFICER): {CO},
    (CO, PROVIDER): {IP},
    (CO, OFFICER): {IP, VE, RE},
    (VE, PROVIDER): set(),
    (VE, OFFICER): {RE},
    (RE, PROVIDER): {IP, CO},
    (RE, OFFICER): {IP, CO},
}


@pytest.mark.parametrize(("current", "side"), list(EXPECTED_MOVES))
def test_allowed_transitions(current: ActionStatus, side: Side) -> None:
    assert allowed_transitions(current, side) == EXPECTED_MOVES[(current, side)]


@pytest.mark.parametrize(("current", "side"), list(EXPECTED_MOVES))
@pytest.mark.parametrize("target", list(ActionStatus))
def test_check_transition_allows_exactly_the_listed_moves(
    current: ActionStatus, side: Side, target: ActionStatus
) -> None:
    if target in EXPECTED_MOVES[(current, side)]:
        check_transition(current, target, side, reason="Evidence did not show the change had embedded.")
    else:
        with pytest.raises(TransitionError):
            check_transition(current, target, side, reason="Evidence did not show the change had embedded.")


@pytest.mark.parametrize(
    ("current", "target", "side", "message"),
    [
        (CO, VE, PROVIDER, "Only a council officer can mark an action as verified."),
        (CO, RE, PROVIDER, "Only a council officer can mark an action as reopened."),
        (VE, RE, PROVIDER, "Only a council officer can mark an action as reopened."),
        (
            NS,
            VE,
            OFFICER,
            "An action that is not started can't be marked verified. "
            "It can be marked in progress or completed.",
        ),
        (VE, CO, OFFICER, "An action that is verified can't be marked completed. It can be marked reopened."),
        (VE, IP, PROVIDER, "An action that is verified can't be marked in progress."),
        (
            IP,
            NS,
            PROVIDER,
            "An action that is in progress can't be marked not started. It can be marked completed.",
        ),
        (
            CO,
            NS,
            OFFICER,
            "An action that is completed can't be marked not started. "
            "It can be marked in progress, verified or reopened.",
        ),
        (CO, CO, OFFICER, "This action is already completed."),
        (NS, NS, PROVIDER, "This action is already not started."),
    ],
)
def test_refusals_explain_themselves(
    current: ActionStatus, target: ActionStatus, side: Side, message: str
) -> None:
    with pytest.raises(TransitionError) as refused:
        check_transition(current, target, side)
    assert str(refused.value) == message


@pytest.mark.parametrize("current", [CO, VE])
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reopening_needs_a_reason(current: ActionStatus, reason: str | None) -> None:
    with pytest.raises(TransitionError, match="Please give a reason for reopening"):
        check_transition(current, RE, OFFICER, reason)


def test_other_moves_need_no_reason() -> None:
    check_transition(NS, IP, PROVIDER)
    check_transition(CO, VE, OFFICER)
    check_transition(RE, IP, PROVIDER)


def test_transition_errors_are_value_errors() -> None:
    assert issubclass(TransitionError, ValueError)


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (date(2025, 3, 31), NS, True),
        (date(2025, 3, 31), IP, True),
        (date(2025, 3, 31), RE, True),
        (date(2025, 3, 31), CO, False),
        (date(2025, 3, 31), VE, False),
        (TODAY, NS, False),  # due today is not yet overdue
        (date(2025, 4, 2), IP, False),
        (None, NS, False),
    ],
)
def test_is_overdue(due: date | None, status: ActionStatus, overdue: bool) -> None:
    assert is_overdue(due, status, TODAY) is overdue


def test_policy_from_settings_uses_the_councils_rules_and_defaults_for_the_rest() -> None:
    from selfassess.actions.rules import policy_from_settings

    stored = {
        "1": {"priority": "high", "due_in_days": 14},
        "2": {"priority": "not-a-priority", "due_in_days": 40},  # malformed: the default applies
        "7": {"priority": "low", "due_in_days": 5},  # not below good on this scale: ignored
        "overrated": {"priority": "medium", "due_in_days": 60},
    }
    policy = policy_from_settings(stored, CQC, overrating_margin=2)
    assert policy.by_score[1] == PriorityRule(Priority.HIGH, 14)
    assert policy.by_score[2] == default_policy(CQC).by_score[2]
    assert set(policy.by_score) == {1, 2}
    assert policy.overrated == PriorityRule(Priority.MEDIUM, 60)
    assert policy.overrating_margin == 2
    assert policy_from_settings(None, CQC, overrating_margin=1).by_score == default_policy(CQC).by_score
