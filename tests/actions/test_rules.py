"""Proposed action plans and the action status rules."""

from __future__ import annotations

from datetime import date

import pytest

from selfassess.actions.rules import (
    AccuracyNote,
    ActionPolicy,
    ActionStatus,
    Priority,
    PriorityRule,
    ProposedAction,
    Reason,
    Side,
    TransitionError,
    accuracy_note_text,
    accuracy_notes,
    allowed_transitions,
    check_transition,
    default_policy,
    is_overdue,
    propose_actions,
    summarise_finding,
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
    ("C", 4, 3),  # good, provider said outstanding -> met: a note on accuracy, no action
    ("D", 3, 3),  # good and agreed -> nothing
    ("E", 2, 4),  # provider under-rated itself -> nothing
    ("F", 3, None),  # officer has not scored it -> nothing
    ("G", None, 2),  # provider skipped it, officer found shortfalls -> low score, medium
    ("H", 2, 1),  # inadequate, provider said requires improvement -> both, high
    ("I", 4, 4),  # outstanding and agreed -> nothing
)


def test_proposals_cover_statements_below_good_most_urgent_first() -> None:
    summary = [(a.statement_code, a.reason, a.priority, a.due_date) for a in propose(MIXED)]
    assert summary == [
        ("A", Reason.LOW_SCORE, HIGH, IN_28_DAYS),
        ("H", Reason.BOTH, HIGH, IN_28_DAYS),
        ("B", Reason.BOTH, MEDIUM, IN_91_DAYS),
        ("G", Reason.LOW_SCORE, MEDIUM, IN_91_DAYS),
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


def test_a_statement_found_met_gets_no_action_but_an_accuracy_note() -> None:
    assert "C" not in {a.statement_code for a in propose(MIXED)}
    notes = accuracy_notes(MIXED, rules=CQC, policy=default_policy(CQC))
    assert notes == (AccuracyNote("C", self_score=4, officer_score=3),)
    text = accuracy_note_text(notes, statement_titles={"C": "Learning culture"}, rules=CQC)
    assert text == "C Learning culture: the provider scored 4 (Outstanding), the officer found 3 (Good)."


def test_accuracy_notes_follow_the_councils_margin() -> None:
    wide = ActionPolicy(
        by_score=default_policy(CQC).by_score, overrated=PriorityRule(LOW, 91), overrating_margin=2
    )
    assert accuracy_notes(gaps(("C", 4, 3)), rules=CQC, policy=wide) == ()


def test_a_shortfall_the_provider_missed_by_two_points_is_more_urgent() -> None:
    by_code = {a.statement_code: a for a in propose(gaps(("M", 3, 2), ("W", 4, 2)))}
    assert (by_code["M"].priority, by_code["W"].priority) == (MEDIUM, HIGH)
    assert by_code["W"].due_date == IN_91_DAYS, "the due date still follows the council's rule"


def test_titles_summarise_the_officers_finding() -> None:
    findings = {
        "A": "Two fire doors were wedged open and the sluice room was unlocked. Staff did not know why.",
        "B": "  rotas   show nights below the assessed level; agency staff had no induction.\n",
    }
    titles = {"A": "Safe environments", "G": "Safeguarding"}
    by_code = {a.statement_code: a.title for a in propose(MIXED, titles=titles, findings=findings)}
    assert by_code["A"] == "Two fire doors were wedged open and the sluice room was unlocked"
    assert by_code["B"] == "Rotas show nights below the assessed level"
    assert by_code["G"] == "Improve: Safeguarding", "no finding: the statement names the action"
    assert by_code["H"] == "Improve: H", "no title known either: the code keeps the action identifiable"


@pytest.mark.parametrize(
    ("finding", "summary"),
    [
        ("Short.", "Short"),
        ("Version 2.1 of the policy was out of date", "Version 2.1 of the policy was out of date"),
        ("word " * 40, "Word " + ("word " * 22).strip() + "…"),
        ("   ", ""),
    ],
)
def test_summarise_finding(finding: str, summary: str) -> None:
    assert summarise_finding(finding) == summary
    assert len(summarise_finding(finding)) <= 120


def test_descriptions_quote_the_officers_finding_with_the_scores() -> None:
    findings = {"A": "  Medicines records were incomplete on two floors.\n", "B": "Audits lapsed since May."}
    by_code = {a.statement_code: a.description for a in propose(MIXED, findings=findings)}
    assert by_code["A"] == (
        "The officer found: “Medicines records were incomplete on two floors.”\n\n"
        "The officer scored this statement 1 (Inadequate), below the expected standard of 3 (Good)."
    )
    assert by_code["B"] == (
        "The officer found: “Audits lapsed since May.”\n\n"
        "The officer scored this statement 2 (Requires improvement), below the expected standard of "
        "3 (Good), while the provider scored it 3 (Good)."
    )


def test_descriptions_without_findings_explain_the_scores() -> None:
    by_code = {a.statement_code: a.description for a in propose(MIXED, findings={"G": "   ", "H": ""})}
    assert by_code["G"] == (
        "The officer scored this statement 2 (Requires improvement), below the expected standard of "
        "3 (Good). Agree the steps needed to reach it."
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
    assert summary == [("A", Reason.LOW_SCORE, HIGH), ("B", Reason.BOTH, MEDIUM)]
    assert proposals[0].description.startswith(
        "The officer scored this statement 0 (Not met), below the expected standard of 2 (Met)"
    )


def test_five_point_scale_treats_adequate_as_below_good() -> None:
    proposals = propose(gaps(("A", 3, 3), ("B", 4, 4), ("C", 5, 4), rules=FIVE_POINT), rules=FIVE_POINT)
    assert [(a.statement_code, a.reason, a.priority) for a in proposals] == [("A", Reason.LOW_SCORE, MEDIUM)]


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
