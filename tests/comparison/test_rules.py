"""Comparison of self-assessment and officer scores, weighted kappa, and accuracy over cycles."""

from __future__ import annotations

import random

import pytest

from selfassess.comparison.rules import (
    Agreement,
    CycleAccuracy,
    Direction,
    StatementScores,
    Weighting,
    accuracy_direction,
    accuracy_trend,
    compare,
    describe_kappa,
    weighted_kappa,
    weighted_kappa_of_counts,
)
from selfassess.frameworks.scoring import RatingBand, ScaleLevel, ScoringRules, rate

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


def textbook_kappa(pairs: list[tuple[int, int]], categories: list[int], weights: str) -> float | None:
    """Independent check: kappa = 1 - sum(w_ij O_ij) / sum(w_ij E_ij), with proportions and
    normalised disagreement weights, exactly as set out in textbooks (floats, full k x k matrices)."""
    k, n = len(categories), len(pairs)
    index = {c: i for i, c in enumerate(categories)}
    observed = [[0.0] * k for _ in range(k)]
    for first, second in pairs:
        observed[index[first]][index[second]] += 1 / n
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def weight(i: int, j: int) -> float:
        if weights == "quadratic":
            return ((i - j) / (k - 1)) ** 2
        if weights == "linear":
            return abs(i - j) / (k - 1)
        return 0.0 if i == j else 1.0

    cells = [(i, j) for i in range(k) for j in range(k)]
    expected_disagreement = sum(weight(i, j) * rows[i] * cols[j] for i, j in cells)
    if expected_disagreement < 1e-12:
        return None
    return 1 - sum(weight(i, j) * observed[i][j] for i, j in cells) / expected_disagreement


def covariance_kappa(pairs: list[tuple[int, int]]) -> float:
    """Second independent check, for quadratic weights on an evenly spaced scale:
    kappa = 2 cov(x, y) / (var x + var y + (mean x - mean y)^2), population moments."""
    n = len(pairs)
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in pairs) / n
    vx, vy = sum((x - mx) ** 2 for x in xs) / n, sum((y - my) ** 2 for y in ys) / n
    return 2 * cov / (vx + vy + (mx - my) ** 2)


# --- weighted kappa --------------------------------------------------------------------------------

# Worked by hand. (self, officer) = (4,3), (3,2), (3,3), (2,2) on a 1-4 scale.
# Self marginal: 2 x1, 3 x2, 4 x1 (mean 3, variance 0.5). Officer: 2 x2, 3 x2 (mean 2.5, variance 0.25).
# Quadratic: observed mean squared distance = (1+1+0+0)/4 = 0.5; by chance (independent sides)
#   E[(X-Y)^2] = 0.5 + 0.25 + (3-2.5)^2 = 1.0; kappa = 1 - 0.5/1.0 = 0.5.
# Linear: observed mean |d| = 0.5; by chance E|X-Y| = 1/4*(0+1)/2 + 1/2*(1+0)/2 + 1/4*(2+1)/2 = 0.75;
#   kappa = 1 - 0.5/0.75 = 1/3.
# Unweighted: agreement 2/4 = 0.5; by chance P(X=Y) = 1/4*1/2 + 1/2*1/2 = 0.375;
#   kappa = (0.5 - 0.375)/(1 - 0.375) = 0.2.
HAND_PAIRS = [(4, 3), (3, 2), (3, 3), (2, 2)]


@pytest.mark.parametrize(
    ("weights", "expected"), [("quadratic", 0.5), ("linear", 1 / 3), ("unweighted", 0.2)]
)
def test_kappa_hand_worked(weights: Weighting, expected: float) -> None:
    assert weighted_kappa(HAND_PAIRS, [1, 2, 3, 4], weights) == pytest.approx(expected)
    assert textbook_kappa(HAND_PAIRS, [1, 2, 3, 4], weights) == pytest.approx(expected)


def test_kappa_defaults_to_quadratic_weights() -> None:
    assert weighted_kappa(HAND_PAIRS, [1, 2, 3, 4]) == pytest.approx(0.5)


@pytest.mark.parametrize("weights", ["quadratic", "linear", "unweighted"])
def test_perfect_agreement_is_one(weights: Weighting) -> None:
    pairs = [(1, 1), (2, 2), (3, 3), (4, 4), (3, 3)]
    assert weighted_kappa(pairs, [1, 2, 3, 4], weights) == pytest.approx(1.0)


# Systematic over-rating by one point: officer 1, 2, 3; self 2, 3, 4.
# Quadratic: observed mean squared distance 1; by chance var 2/3 + var 2/3 + 1^2 = 7/3; kappa = 1 - 3/7 = 4/7.
# Linear: observed 1; by chance E|X-Y| = (2 + 3 + 6)/9 = 11/9; kappa = 1 - 9/11 = 2/11.
# Unweighted: never exactly equal, chance agreement 2/9; kappa = (0 - 2/9)/(7/9) = -2/7: every near miss
# counts as a full miss, which is why officers are shown the weighted figure.
OVER_BY_ONE = [(2, 1), (3, 2), (4, 3)]


@pytest.mark.parametrize(
    ("weights", "expected"), [("quadratic", 4 / 7), ("linear", 2 / 11), ("unweighted", -2 / 7)]
)
def test_systematic_over_rating(weights: Weighting, expected: float) -> None:
    assert weighted_kappa(OVER_BY_ONE, [1, 2, 3, 4], weights) == pytest.approx(expected)


def test_zero_based_scale_gives_the_same_kappa_as_the_same_judgements_on_1_to_4() -> None:
    shifted = [(a - 1, b - 1) for a, b in HAND_PAIRS]
    assert weighted_kappa(shifted, [0, 1, 2, 3]) == pytest.approx(0.5)


def test_five_point_scale_hand_worked() -> None:
    # Self 5,4,3,2,1 (mean 3, variance 2); officer 4,4,2,2,1 (mean 2.6, variance 1.44).
    # Observed mean squared distance (1+0+1+0+0)/5 = 0.4; by chance 2 + 1.44 + 0.4^2 = 3.6.
    # kappa = 1 - 0.4/3.6 = 8/9.
    pairs = [(5, 4), (4, 4), (3, 2), (2, 2), (1, 1)]
    assert weighted_kappa(pairs, [1, 2, 3, 4, 5]) == pytest.approx(8 / 9)
    assert covariance_kappa(pairs) == pytest.approx(8 / 9)


def test_kappa_of_counted_pairs_is_the_kappa_of_the_pairs_listed() -> None:
    """The provider's accuracy page gives the database's counts of each pair, never the pairs."""
    assert weighted_kappa_of_counts({(4, 3): 2, (3, 3): 5, (2, 2): 1}, [1, 2, 3, 4]) == pytest.approx(
        weighted_kappa([(4, 3), (4, 3), *[(3, 3)] * 5, (2, 2)], [1, 2, 3, 4])
    )
    assert weighted_kappa_of_counts({(3, 3): 1}, [1, 2, 3, 4]) is None, "one pair: no kappa"
    with pytest.raises(ValueError, match="not both among"):
        weighted_kappa_of_counts({(9, 3): 4}, [1, 2, 3, 4])


def test_disagreeing_more_than_chance_is_negative() -> None:
    assert weighted_kappa([(1, 2), (2, 1)], [1, 2, 3, 4]) == pytest.approx(-1.0)


def test_unused_categories_do_not_change_kappa() -> None:
    assert weighted_kappa(HAND_PAIRS, [1, 2, 3, 4, 5]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("categories", "weights"),
    [
        (c, w)
        for c in ([1, 2, 3, 4], [0, 1, 2, 3], [1, 2, 3, 4, 5])
        for w in ("quadratic", "linear", "unweighted")
    ],
)
def test_kappa_matches_the_textbook_formula_on_many_samples(
    categories: list[int], weights: Weighting
) -> None:
    generator = random.Random(f"{categories}{weights}")
    degenerate_seen = 0
    for _ in range(300):
        size = generator.randint(2, 25)
        # Drawing from a narrow window now and then produces the one-category degenerate case.
        window = categories if generator.random() < 0.9 else [generator.choice(categories)]
        pairs = [(generator.choice(window), generator.choice(window)) for _ in range(size)]
        expected = textbook_kappa(pairs, categories, weights)
        actual = weighted_kappa(pairs, categories, weights)
        if expected is None:
            degenerate_seen += 1
            assert actual is None
        else:
            assert actual == pytest.approx(expected, abs=1e-9)
            if weights == "quadratic":
                assert actual == pytest.approx(covariance_kappa(pairs), abs=1e-9)
    assert degenerate_seen > 0


def test_kappa_needs_two_pairs() -> None:
    assert weighted_kappa([], [1, 2, 3, 4]) is None
    assert weighted_kappa([(3, 2)], [1, 2, 3, 4]) is None


def test_kappa_is_undefined_when_both_sides_use_one_and_the_same_category() -> None:
    assert weighted_kappa([(3, 3), (3, 3), (3, 3)], [1, 2, 3, 4]) is None


def test_kappa_is_zero_when_each_side_uses_one_different_category() -> None:
    # Always 3 against always 2: disagreement is exactly what chance predicts.
    assert weighted_kappa([(3, 2), (3, 2), (3, 2)], [1, 2, 3, 4]) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("pairs", "categories", "weights", "message"),
    [
        ([(3, 5), (3, 3)], [1, 2, 3, 4], "quadratic", "not both among"),
        ([(0, 1), (1, 1)], [1, 2, 3, 4], "quadratic", "not both among"),
        ([(1, 1), (2, 2)], [1, 2, 2, 3], "quadratic", "distinct"),
        ([(1, 1), (2, 2)], [1, 2, 3, 4], "cubic", "Unknown kappa weighting"),
    ],
)
def test_kappa_rejects_bad_input(
    pairs: list[tuple[int, int]], categories: list[int], weights: Weighting, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_kappa(pairs, categories, weights)


@pytest.mark.parametrize(
    ("kappa", "starts"),
    [
        (-0.5, "Poor agreement (weighted kappa -0.50)"),
        (-0.006, "Poor agreement (weighted kappa -0.01)"),
        (-0.004, "Slight agreement between the provider's and the officer's scores (weighted kappa 0.00"),
        (0.0, "Slight agreement"),
        (0.2, "Slight agreement"),
        (0.204, "Slight agreement"),
        (0.206, "Fair agreement"),
        (0.21, "Fair agreement"),
        (0.4, "Fair agreement"),
        (0.41, "Moderate agreement"),
        (0.6, "Moderate agreement"),
        (0.61, "Substantial agreement"),
        (0.8, "Substantial agreement"),
        (0.81, "Almost perfect agreement"),
        (1.0, "Almost perfect agreement"),
    ],
)
def test_describe_kappa_uses_landis_and_koch_bands(kappa: float, starts: str) -> None:
    assert describe_kappa(kappa).startswith(starts)


def test_describe_kappa_shows_the_number_it_was_judged_on() -> None:
    assert "(weighted kappa 0.57," in describe_kappa(4 / 7)


# --- compare ---------------------------------------------------------------------------------------


def s(code: str, kq: str, self_score: int | None, officer_score: int | None) -> StatementScores:
    return StatementScores(code, kq, self_score, officer_score)


SAMPLE = [
    s("S1", "safe", 3, 2),  # over by 1
    s("E1", "effective", 3, 3),  # agree
    s("S2", "safe", 4, 3),  # over by 1
    s("S3", "safe", 2, 3),  # under by 1
    s("S4", "safe", 3, None),  # not yet visited
    s("E2", "effective", None, 2),  # provider skipped it
    s("E3", "effective", 4, 1),  # over by 3
]


def test_statement_gaps_keep_input_order_and_classify_direction() -> None:
    result = compare(SAMPLE, ["safe", "effective"], CQC)
    summary = [(g.statement_code, g.difference, g.direction, g.beyond_margin) for g in result.statements]
    assert summary == [
        ("S1", 1, Direction.OVER, True),
        ("E1", 0, Direction.AGREE, False),
        ("S2", 1, Direction.OVER, True),
        ("S3", -1, Direction.UNDER, False),
        ("S4", None, Direction.UNPAIRED, False),
        ("E2", None, Direction.UNPAIRED, False),
        ("E3", 3, Direction.OVER, True),
    ]
    gap = result.statements[0]
    assert (gap.key_question_code, gap.self_score, gap.officer_score) == ("safe", 3, 2)


def test_wider_margin_flags_only_bigger_over_ratings() -> None:
    result = compare(SAMPLE, ["safe", "effective"], CQC, overrating_margin=2)
    assert [g.statement_code for g in result.beyond_margin] == ["E3"]
    assert [g.statement_code for g in result.overrated] == ["S1", "S2", "E3"]


def test_over_and_under_rated_lists() -> None:
    result = compare(SAMPLE, ["safe", "effective"], CQC)
    assert [g.statement_code for g in result.overrated] == ["S1", "S2", "E3"]
    assert [g.statement_code for g in result.underrated] == ["S3"]
    assert [g.statement_code for g in result.beyond_margin] == ["S1", "S2", "E3"]


def test_key_questions_follow_the_given_order_with_percent_differences() -> None:
    result = compare(SAMPLE, ["effective", "safe", "caring"], CQC)
    assert [kq.code for kq in result.key_questions] == ["effective", "safe", "caring"]
    effective, safe, caring = result.key_questions
    # Safe self: 3+4+2+3 = 12/16 = 75%; officer: 2+3+3 = 8/12 = 66.7 -> 67%, over 3 of 4 statements.
    assert (safe.self_result.percent, safe.officer_result.percent, safe.percent_difference) == (75, 67, 8)
    assert (safe.self_result.scored, safe.officer_result.scored, safe.officer_result.total) == (4, 3, 4)
    assert safe.self_result.complete and not safe.officer_result.complete
    # Effective self: 3+4 = 7/8 = 87.5 -> 88%; officer: 3+2+1 = 6/12 = 50%.
    assert (effective.self_result.percent, effective.officer_result.percent) == (88, 50)
    assert effective.percent_difference == 38
    assert effective.self_result.rating == rate(88, CQC)
    # Caring has no statements here: nothing to rate, nothing to compare.
    assert (caring.self_result.total, caring.self_result.percent, caring.percent_difference) == (
        0,
        None,
        None,
    )


def test_overall_ratings_on_both_sides() -> None:
    result = compare(SAMPLE, ["safe", "effective"], CQC)
    # Self: Good (3) + Outstanding (4) = 7/8 = 87.5 -> 88%, Outstanding.
    # Officer: Good (3) + Requires improvement (2) = 5/8 = 62.5 -> 63%, Good.
    assert result.self_overall is not None and result.officer_overall is not None
    assert (result.self_overall.band.key, result.self_overall.percent) == ("outstanding", 88)
    assert (result.officer_overall.band.key, result.officer_overall.percent) == ("good", 63)


def test_no_overall_rating_while_a_key_question_is_unscored() -> None:
    result = compare(SAMPLE, ["safe", "effective", "caring"], CQC)
    assert result.self_overall is None and result.officer_overall is None


def test_agreement_ignores_unpaired_statements() -> None:
    agreement = compare(SAMPLE, ["safe", "effective"], CQC).agreement
    # Paired (self, officer): (3,2) (3,3) (4,3) (2,3) (4,1); differences 1, 0, 1, -1, 3.
    pairs = [(3, 2), (3, 3), (4, 3), (2, 3), (4, 1)]
    assert agreement.pairs == 5
    assert agreement.exact_share == pytest.approx(1 / 5)
    assert agreement.within_one_share == pytest.approx(4 / 5)
    assert agreement.mean_difference == pytest.approx(4 / 5)
    assert agreement.kappa == pytest.approx(textbook_kappa(pairs, [1, 2, 3, 4], "quadratic"))
    assert agreement.kappa == pytest.approx(covariance_kappa(pairs))
    assert agreement.kappa is not None
    assert agreement.kappa_note == describe_kappa(agreement.kappa)


def test_perfect_agreement_in_a_comparison() -> None:
    scores = [s(f"S{i}", "safe", v, v) for i, v in enumerate([1, 2, 3, 4, 3])]
    agreement = compare(scores, ["safe"], CQC).agreement
    assert (agreement.exact_share, agreement.within_one_share, agreement.mean_difference) == (1.0, 1.0, 0.0)
    assert agreement.kappa == pytest.approx(1.0)
    assert agreement.kappa_note.startswith("Almost perfect agreement")


def test_systematic_over_rating_in_a_comparison() -> None:
    scores = [s(f"S{i}", "safe", a, b) for i, (a, b) in enumerate(OVER_BY_ONE)]
    result = compare(scores, ["safe"], CQC)
    assert result.agreement.mean_difference == pytest.approx(1.0)
    assert result.agreement.exact_share == 0.0 and result.agreement.within_one_share == 1.0
    assert result.agreement.kappa == pytest.approx(4 / 7)
    assert result.agreement.kappa_note.startswith("Moderate agreement")
    assert len(result.overrated) == 3


def test_zero_based_comparison() -> None:
    scores = [s(f"K{i}", "kq", a - 1, b - 1) for i, (a, b) in enumerate(HAND_PAIRS)]
    agreement = compare(scores, ["kq"], ZERO_BASED).agreement
    assert agreement.kappa == pytest.approx(0.5)
    assert agreement.mean_difference == pytest.approx(0.5)


def test_five_point_comparison() -> None:
    pairs = [(5, 4), (4, 4), (3, 2), (2, 2), (1, 1)]
    scores = [s(f"K{i}", "kq", a, b) for i, (a, b) in enumerate(pairs)]
    result = compare(scores, ["kq"], FIVE_POINT)
    assert result.agreement.kappa == pytest.approx(8 / 9)
    assert result.agreement.kappa_note.startswith("Almost perfect agreement")
    # Self 15/25 = 60% RI; officer 13/25 = 52% RI.
    kq = result.key_questions[0]
    assert (kq.self_result.percent, kq.officer_result.percent, kq.percent_difference) == (60, 52, 8)


def test_agreement_when_nothing_is_paired() -> None:
    scores = [s("S1", "safe", 3, None), s("S2", "safe", None, 2)]
    assert compare(scores, ["safe"], CQC).agreement == Agreement(
        pairs=0,
        exact_share=None,
        within_one_share=None,
        mean_difference=None,
        kappa=None,
        kappa_note=(
            "Agreement can't be measured yet: it needs at least two statements scored by both "
            "the provider and the officer."
        ),
    )


def test_one_pair_gives_shares_but_no_kappa() -> None:
    agreement = compare([s("S1", "safe", 3, 2), s("S2", "safe", 3, None)], ["safe"], CQC).agreement
    assert (agreement.pairs, agreement.exact_share, agreement.mean_difference) == (1, 0.0, 1.0)
    assert agreement.kappa is None
    assert "at least two statements" in agreement.kappa_note


def test_one_category_on_both_sides_explains_why_there_is_no_kappa() -> None:
    scores = [s(f"S{i}", "safe", 3, 3) for i in range(4)]
    agreement = compare(scores, ["safe"], CQC).agreement
    assert agreement.kappa is None
    assert agreement.exact_share == 1.0
    assert agreement.kappa_note == (
        "The provider and the officer scored every one of the 4 statements 3 (Good), so they agree on "
        "all of them, but the kappa statistic can't be calculated when only one score is ever used."
    )


def test_compare_rejects_statements_outside_the_key_question_order() -> None:
    with pytest.raises(ValueError, match="not in the order given: caring"):
        compare([s("C1", "caring", 3, 3), s("S1", "safe", 3, 3)], ["safe"], CQC)


def test_compare_rejects_repeated_statements() -> None:
    with pytest.raises(ValueError, match="only once"):
        compare([s("S1", "safe", 3, 3), s("S1", "safe", 2, 2)], ["safe"], CQC)


def test_compare_rejects_a_margin_that_would_flag_agreement() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        compare(SAMPLE, ["safe", "effective"], CQC, overrating_margin=0)


def test_compare_rejects_scores_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not a score"):
        compare([s("S1", "safe", 5, 3)], ["safe"], CQC)


# --- accuracy over cycles --------------------------------------------------------------------------


def test_accuracy_trend_keeps_cycle_order_and_summarises_each() -> None:
    first = compare([s("S1", "safe", 4, 2), s("S2", "safe", 4, 3), s("S3", "safe", 3, 3)], ["safe"], CQC)
    second = compare([s("S1", "safe", 3, 3), s("S2", "safe", 2, 3), s("S3", "safe", 3, None)], ["safe"], CQC)
    empty = compare([s("S1", "safe", 3, None)], ["safe"], CQC)
    trend = accuracy_trend([("2023", first), ("2024", second), ("2025", empty)])
    assert [c.label for c in trend] == ["2023", "2024", "2025"]
    # 2023: differences 2, 1, 0 -> mean 1, two of three over-rated.
    assert (trend[0].pairs, trend[0].mean_difference, trend[0].overrated_share) == (
        3,
        1.0,
        pytest.approx(2 / 3),
    )
    assert trend[0].kappa == first.agreement.kappa
    # 2024: differences 0, -1 -> mean -0.5, none over-rated.
    assert (trend[1].pairs, trend[1].mean_difference, trend[1].overrated_share) == (2, -0.5, 0.0)
    assert trend[2] == CycleAccuracy("2025", pairs=0, mean_difference=None, overrated_share=None, kappa=None)


def cycle(mean_difference: float | None) -> CycleAccuracy:
    return CycleAccuracy(
        "cycle",
        pairs=0 if mean_difference is None else 10,
        mean_difference=mean_difference,
        overrated_share=None,
        kappa=None,
    )


@pytest.mark.parametrize(
    ("means", "direction"),
    [
        pytest.param([0.8, 0.3], "improving", id="closer"),
        pytest.param([0.2, 0.5], "worsening", id="further"),
        pytest.param([0.5, 0.45], "steady", id="within tolerance"),
        pytest.param([0.5, 0.4], "steady", id="exactly the tolerance, down"),
        pytest.param([0.6, 0.5], "steady", id="exactly the tolerance, down, float noise"),
        pytest.param([0.4, 0.5], "steady", id="exactly the tolerance, up"),
        pytest.param([0.7, 0.8], "steady", id="exactly the tolerance, up, float noise"),
        pytest.param([0.8, 0.7], "steady", id="exactly the tolerance, down, other float noise"),
        pytest.param([0.5, 0.39], "improving", id="just beyond the tolerance, down"),
        pytest.param([0.4, 0.51], "worsening", id="just beyond the tolerance, up"),
        pytest.param([-0.6, 0.2], "improving", id="under-rating counts as inaccuracy too"),
        pytest.param([0.3, -0.5], "worsening", id="swinging to under-rating"),
        pytest.param([0.5, -0.5], "steady", id="same size, other way"),
        pytest.param([2.0, 0.8, 0.3], "improving", id="only the last two count"),
        pytest.param([0.1, 0.9, 0.9], "steady", id="earlier change ignored"),
        pytest.param([0.9, None, 0.2], "improving", id="cycles without data skipped"),
        pytest.param([0.9, 0.2, None], "improving", id="latest cycle without data skipped"),
        pytest.param([], "not enough data", id="no cycles"),
        pytest.param([0.4], "not enough data", id="one cycle"),
        pytest.param([None, 0.4, None], "not enough data", id="one cycle with data"),
    ],
)
def test_accuracy_direction(means: list[float | None], direction: str) -> None:
    assert accuracy_direction([cycle(m) for m in means]) == direction
