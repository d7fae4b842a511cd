"""Comparing a provider's self-assessment with the officer's scores for the same statements.

The point is to show officers where a provider sees itself differently from what they found, and
whether the provider is getting better at judging itself over successive cycles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

from selfassess.frameworks.scoring import (
    Breach,
    KeyQuestionResult,
    OverallRating,
    ScoringRules,
    overall_rating,
    summarise_key_question,
)

# Change in |mean difference| (scale points per statement) that counts as a real movement between
# cycles. On a 34-statement framework, 0.1 is about three or four statements each moving one point;
# anything smaller is noise from one or two judgement calls.
ACCURACY_TOLERANCE = 0.1


@dataclass(frozen=True)
class StatementScores:
    statement_code: str
    key_question_code: str
    self_score: int | None
    officer_score: int | None


class Direction(StrEnum):
    OVER = "over"
    UNDER = "under"
    AGREE = "agree"
    UNPAIRED = "unpaired"


@dataclass(frozen=True)
class StatementGap:
    statement_code: str
    key_question_code: str
    self_score: int | None
    officer_score: int | None
    difference: int | None
    direction: Direction
    beyond_margin: bool


@dataclass(frozen=True)
class KeyQuestionComparison:
    code: str
    self_result: KeyQuestionResult
    officer_result: KeyQuestionResult
    percent_difference: int | None


@dataclass(frozen=True)
class Agreement:
    """Over statements scored on both sides; differences are in scale points, self minus officer."""

    pairs: int
    exact_share: float | None
    within_one_share: float | None
    mean_difference: float | None
    kappa: float | None
    kappa_note: str
    chance_note: str = ""  # why kappa can be low while most scores match (see explain_chance)


@dataclass(frozen=True)
class Comparison:
    statements: tuple[StatementGap, ...]
    key_questions: tuple[KeyQuestionComparison, ...]
    self_overall: OverallRating | None
    officer_overall: OverallRating | None
    agreement: Agreement

    @property
    def overrated(self) -> tuple[StatementGap, ...]:
        return tuple(gap for gap in self.statements if gap.direction is Direction.OVER)

    @property
    def underrated(self) -> tuple[StatementGap, ...]:
        return tuple(gap for gap in self.statements if gap.direction is Direction.UNDER)

    @property
    def beyond_margin(self) -> tuple[StatementGap, ...]:
        return tuple(gap for gap in self.statements if gap.beyond_margin)


Weighting = Literal["linear", "quadratic", "unweighted"]

# Disagreement weights by distance in scale steps. The textbook divides by (k - 1) or (k - 1)^2;
# that factor cancels in kappa's ratio, so whole numbers keep the arithmetic exact.
_DISAGREEMENT: dict[str, Callable[[int], int]] = {
    "linear": abs,
    "quadratic": lambda distance: distance * distance,
    "unweighted": lambda distance: int(distance != 0),
}


def weighted_kappa(
    pairs: Sequence[tuple[int, int]],
    categories: Sequence[int],
    weights: Weighting = "quadratic",
) -> float | None:
    """Cohen's kappa, weighted so that near misses on an ordinal scale count as partial agreement.

    kappa = 1 - observed disagreement / disagreement expected by chance (from each side's own
    spread of scores). None when fewer than two pairs, or when chance disagreement is zero (both
    sides used one and the same category), because the ratio is then meaningless.
    """
    return weighted_kappa_of_counts(Counter(pairs), categories, weights)


def weighted_kappa_of_counts(
    counts: Mapping[tuple[int, int], int],
    categories: Sequence[int],
    weights: Weighting = "quadratic",
) -> float | None:
    """``weighted_kappa`` from how many times each (first, second) pair occurs: what a database
    counts for thousands of pairs in a few rows, so the pairs are never listed one by one."""
    if weights not in _DISAGREEMENT:
        raise ValueError(f"Unknown kappa weighting {weights!r}.")
    step = {value: index for index, value in enumerate(categories)}
    if len(step) != len(categories):
        raise ValueError("Kappa categories must be distinct.")
    for pair in counts:
        if any(value not in step for value in pair):
            raise ValueError(f"Scores {pair} are not both among the categories {tuple(categories)}.")
    total = sum(counts.values())
    if total < 2:
        return None
    disagreement = _DISAGREEMENT[weights]
    observed = sum(
        count * disagreement(step[first] - step[second]) for (first, second), count in counts.items()
    )
    first_counts: Counter[int] = Counter()
    second_counts: Counter[int] = Counter()
    for (first, second), count in counts.items():
        first_counts[step[first]] += count
        second_counts[step[second]] += count
    expected = sum(
        first_count * second_count * disagreement(first - second)
        for first, first_count in first_counts.items()
        for second, second_count in second_counts.items()
    )
    if expected == 0:
        return None
    # observed / n over expected / n^2
    return float(1 - Fraction(observed * total, expected))


_LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (0.20, "Slight agreement"),
    (0.40, "Fair agreement"),
    (0.60, "Moderate agreement"),
    (0.80, "Substantial agreement"),
)


def describe_kappa(kappa: float) -> str:
    """Plain-English reading of kappa for officers (Landis & Koch bands).

    The band is chosen from kappa rounded to two places, the precision shown, so the words always
    match the number beside them (0.204 shows as 0.20 and reads "slight").
    """
    shown = round(kappa, 2) + 0.0  # + 0.0 turns -0.0 into 0.0 so it is not shown as "-0.00"
    if shown < 0:
        return (
            f"Poor agreement (weighted kappa {shown:.2f}): the provider's scores and the officer's "
            "agree less often than chance would give."
        )
    words = next((words for upper, words in _LANDIS_KOCH if shown <= upper), "Almost perfect agreement")
    return (
        f"{words} between the provider's and the officer's scores (weighted kappa {shown:.2f}, "
        "where 1 is perfect agreement and 0 is no better than chance)."
    )


def explain_chance(pairs: Sequence[tuple[int, int]], kappa: float, rules: ScoringRules) -> str:
    """Reconcile kappa with the exact-match count in words: how many matches chance alone would
    give, because both sides mostly use the same score, and that kappa counts only the rest."""
    count = len(pairs)
    exact = sum(first == second for first, second in pairs)
    given = [score for pair in pairs for score in pair]
    common = max(rules.values, key=given.count)
    by_chance = sum(
        (sum(first == value for first, _ in pairs) / count)
        * (sum(second == value for _, second in pairs) / count)
        for value in rules.values
    )
    sentence = (
        f"{exact} of {count} statements have exactly the same score. Kappa measures agreement beyond "
        f"chance: {round(100 * given.count(common) / len(given))}% of all the scores given were "
        f"{common} ({rules.label_for(common)}), so about {round(by_chance * count)} of {count} would "
        "match by chance alone, given how often each side used each score"
    )
    if round(kappa, 2) < 0.6 and exact >= 0.6 * count:
        return f"{sentence}. That is why kappa is low although most scores match."
    return f"{sentence}; kappa counts only the matches beyond those."


def _gap(scores: StatementScores, overrating_margin: int) -> StatementGap:
    if scores.self_score is None or scores.officer_score is None:
        difference, direction = None, Direction.UNPAIRED
    else:
        difference = scores.self_score - scores.officer_score
        direction = (
            Direction.OVER if difference > 0 else Direction.UNDER if difference < 0 else Direction.AGREE
        )
    return StatementGap(
        statement_code=scores.statement_code,
        key_question_code=scores.key_question_code,
        self_score=scores.self_score,
        officer_score=scores.officer_score,
        difference=difference,
        direction=direction,
        beyond_margin=difference is not None and difference >= overrating_margin,
    )


def _compare_key_question(
    code: str, scores: Sequence[StatementScores], rules: ScoringRules
) -> KeyQuestionComparison:
    self_result = summarise_key_question(code, [s.self_score for s in scores], rules)
    officer_result = summarise_key_question(code, [s.officer_score for s in scores], rules)
    percent_difference = None
    if self_result.percent is not None and officer_result.percent is not None:
        percent_difference = self_result.percent - officer_result.percent
    return KeyQuestionComparison(code, self_result, officer_result, percent_difference)


def _agreement(gaps: Sequence[StatementGap], rules: ScoringRules) -> Agreement:
    pairs = [
        (gap.self_score, gap.officer_score)
        for gap in gaps
        if gap.self_score is not None and gap.officer_score is not None
    ]
    differences = [first - second for first, second in pairs]
    count = len(pairs)
    kappa = weighted_kappa(pairs, rules.values)
    if count < 2:
        note = (
            "Agreement can't be measured yet: it needs at least two statements scored by both "
            "the provider and the officer."
        )
    elif kappa is None:
        value = pairs[0][0]
        note = (
            f"The provider and the officer scored every one of the {count} statements "
            f"{value} ({rules.label_for(value)}), so they agree on all of them, but the kappa "
            "statistic can't be calculated when only one score is ever used."
        )
    else:
        note = describe_kappa(kappa)
    return Agreement(
        pairs=count,
        exact_share=sum(d == 0 for d in differences) / count if count else None,
        within_one_share=sum(abs(d) <= 1 for d in differences) / count if count else None,
        mean_difference=sum(differences) / count if count else None,
        kappa=kappa,
        kappa_note=note,
        chance_note=explain_chance(pairs, kappa, rules) if kappa is not None else "",
    )


def compare(
    scores: Sequence[StatementScores],
    key_question_order: Sequence[str],
    rules: ScoringRules,
    overrating_margin: int = 1,
    officer_breaches: Iterable[Breach] = (),
) -> Comparison:
    """Statement gaps, key question results side by side, overall ratings and agreement.

    A statement scored on only one side is kept (as UNPAIRED) but left out of the agreement figures.
    Both overall ratings follow the framework's method; breaches found at the visit limit the
    officer's, as they do in the visit's report.
    """
    if overrating_margin < 1:
        raise ValueError(
            "The over-rating margin must be at least 1, or agreement would count as over-rating."
        )
    codes = [s.statement_code for s in scores]
    if len(set(codes)) != len(codes):
        raise ValueError("Each statement may appear only once in a comparison.")
    unknown = sorted({s.key_question_code for s in scores} - set(key_question_order))
    if unknown:
        # Dropping them silently would hide scores from the key question results.
        raise ValueError(f"Statements belong to key questions not in the order given: {', '.join(unknown)}.")
    key_questions = tuple(
        _compare_key_question(code, [s for s in scores if s.key_question_code == code], rules)
        for code in key_question_order
    )
    gaps = tuple(_gap(s, overrating_margin) for s in scores)
    return Comparison(
        statements=gaps,
        key_questions=key_questions,
        self_overall=overall_rating([kq.self_result for kq in key_questions], rules),
        officer_overall=overall_rating([kq.officer_result for kq in key_questions], rules, officer_breaches),
        agreement=_agreement(gaps, rules),
    )


@dataclass(frozen=True)
class CycleAccuracy:
    label: str
    pairs: int
    mean_difference: float | None
    overrated_share: float | None
    kappa: float | None


def accuracy_trend(cycles: Sequence[tuple[str, Comparison]]) -> tuple[CycleAccuracy, ...]:
    """How accurately a provider judges itself, cycle by cycle (oldest first, as given)."""
    return tuple(
        CycleAccuracy(
            label=label,
            pairs=comparison.agreement.pairs,
            mean_difference=comparison.agreement.mean_difference,
            overrated_share=(
                len(comparison.overrated) / comparison.agreement.pairs if comparison.agreement.pairs else None
            ),
            kappa=comparison.agreement.kappa,
        )
        for label, comparison in cycles
    )


def accuracy_direction(
    trend: Sequence[CycleAccuracy],
) -> Literal["improving", "worsening", "steady", "not enough data"]:
    """Whether the provider's self-assessment is getting closer to the officer's.

    Compares |mean difference| in the last two cycles that have one (over- and under-rating both
    count as inaccuracy). A change of at most ACCURACY_TOLERANCE either way is "steady"; the change
    is rounded to 9 places first so that floating-point noise cannot tip a change of exactly the
    tolerance (e.g. 0.5 to 0.4) either way.
    """
    known = [cycle.mean_difference for cycle in trend if cycle.mean_difference is not None]
    if len(known) < 2:
        return "not enough data"
    change = round(abs(known[-1]) - abs(known[-2]), 9)
    if change < -ACCURACY_TOLERANCE:
        return "improving"
    if change > ACCURACY_TOLERANCE:
        return "worsening"
    return "steady"
