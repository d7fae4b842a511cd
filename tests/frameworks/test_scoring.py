"""Scoring rules against hand-worked examples for CQC, a council framework, a 0-3 and a 5-point scale."""

from __future__ import annotations

import pytest

from selfassess.frameworks.scoring import (
    KeyQuestionResult,
    Position,
    RatingBand,
    ScaleLevel,
    ScoringRules,
    overall_rating,
    percentage,
    rate,
    summarise_key_question,
)

UPPER, LOWER = Position.UPPER, Position.LOWER
KEYS = ("inadequate", "requires_improvement", "good", "outstanding")


def make_rules(
    labels: list[str], first_value: int, band_labels: list[str], minimums: list[int], good: int
) -> ScoringRules:
    return ScoringRules(
        scale=tuple(ScaleLevel(first_value + i, label) for i, label in enumerate(labels)),
        bands=tuple(
            RatingBand(key, label, minimum)
            for key, label, minimum in zip(KEYS, band_labels, minimums, strict=True)
        ),
        good_value=good,
    )


CQC_LABELS = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
CQC = make_rules(CQC_LABELS, 1, CQC_LABELS, [25, 39, 63, 88], good=3)
COUNCIL_LABELS = ["Poor", "Requires improvement", "Good", "Excellent"]
COUNCIL = make_rules(COUNCIL_LABELS, 1, COUNCIL_LABELS, [25, 45, 65, 85], good=3)
ZERO_BASED = make_rules(
    ["Not met", "Partly met", "Met", "Exceeded"], 0, COUNCIL_LABELS, [25, 45, 65, 85], good=2
)
FIVE_POINT = make_rules(
    ["Very poor", "Poor", "Adequate", "Good", "Excellent"], 1, CQC_LABELS, [20, 50, 70, 90], good=4
)


# --- the scale -------------------------------------------------------------------------------------


def test_scale_properties_follow_the_framework_not_cqc() -> None:
    assert (CQC.min_value, CQC.max_value, CQC.values) == (1, 4, (1, 2, 3, 4))
    assert (ZERO_BASED.min_value, ZERO_BASED.max_value, ZERO_BASED.values) == (0, 3, (0, 1, 2, 3))
    assert (FIVE_POINT.min_value, FIVE_POINT.max_value, FIVE_POINT.values) == (1, 5, (1, 2, 3, 4, 5))


@pytest.mark.parametrize(
    ("rules", "value", "label"),
    [
        (CQC, 2, "Requires improvement"),
        (COUNCIL, 4, "Excellent"),
        (ZERO_BASED, 0, "Not met"),
        (FIVE_POINT, 3, "Adequate"),
    ],
)
def test_label_for(rules: ScoringRules, value: int, label: str) -> None:
    assert rules.label_for(value) == label


@pytest.mark.parametrize(("rules", "value"), [(CQC, 0), (CQC, 5), (ZERO_BASED, 4), (FIVE_POINT, 6)])
def test_label_for_rejects_values_off_the_scale(rules: ScoringRules, value: int) -> None:
    with pytest.raises(ValueError, match="not a score"):
        rules.label_for(value)


GOOD_BANDS = tuple(RatingBand(key, key, minimum) for key, minimum in zip(KEYS, [25, 39, 63, 88], strict=True))
ONE_TO_FOUR = tuple(ScaleLevel(v, str(v)) for v in (1, 2, 3, 4))


@pytest.mark.parametrize(
    ("scale", "bands", "good", "message"),
    [
        ((), GOOD_BANDS, 3, "at least one level"),
        ((ScaleLevel(2, "b"), ScaleLevel(1, "a")), GOOD_BANDS, 1, "ascending"),
        ((ScaleLevel(1, "a"), ScaleLevel(1, "b")), GOOD_BANDS, 1, "ascending"),
        ((ScaleLevel(-1, "a"), ScaleLevel(1, "b")), GOOD_BANDS, 1, "zero or more"),
        ((ScaleLevel(0, "only"),), GOOD_BANDS, 0, "top value above zero"),
        (ONE_TO_FOUR, GOOD_BANDS, 5, "not on the scale"),
        (ONE_TO_FOUR, (), 3, "at least one rating band"),
        (ONE_TO_FOUR, (GOOD_BANDS[1], GOOD_BANDS[0]), 3, "ascending order of minimum"),
        (ONE_TO_FOUR, (RatingBand("good", "Good", 101),), 3, "between 0 and 100"),
        (ONE_TO_FOUR, (RatingBand("good", "Good", -1),), 3, "between 0 and 100"),
        (ONE_TO_FOUR, (RatingBand("excellent", "Excellent", 25),), 3, "keys must be distinct"),
        (ONE_TO_FOUR, (RatingBand("good", "Good", 25), RatingBand("good", "Good+", 50)), 3, "distinct"),
    ],
)
def test_rules_reject_inconsistent_frameworks(
    scale: tuple[ScaleLevel, ...], bands: tuple[RatingBand, ...], good: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ScoringRules(scale=scale, bands=bands, good_value=good)


# --- percentage and rating from statement scores ---------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "percent", "band_key", "position"),
    [
        pytest.param([3] * 8, 75, "good", LOWER, id="Safe all good: 24/32"),
        pytest.param([2, 2, 3, 3, 2], 60, "requires_improvement", UPPER, id="5 statements 12/20"),
        pytest.param([3, 3, 3, 2, 2], 65, "good", LOWER, id="5 statements 13/20"),
        pytest.param([2] * 4 + [1] * 4, 38, "inadequate", UPPER, id="12/32=37.5 rounds up to 38"),
        pytest.param([2] * 5 + [1] * 3, 41, "requires_improvement", LOWER, id="13/32=40.625"),
        pytest.param([3] * 3 + [2] * 5, 59, "requires_improvement", UPPER, id="19/32=59.375"),
        pytest.param([3] * 4 + [2] * 4, 63, "good", LOWER, id="20/32=62.5 rounds up into Good"),
        pytest.param([4] * 3 + [3] * 5, 84, "good", UPPER, id="27/32=84.375"),
        pytest.param([4] * 4 + [3] * 4, 88, "outstanding", LOWER, id="28/32=87.5 rounds up into Outstanding"),
        pytest.param([2] * 13 + [1] * 12, 38, "inadequate", UPPER, id="38/100"),
        pytest.param([2] * 14 + [1] * 11, 39, "requires_improvement", LOWER, id="39/100"),
        pytest.param([3] * 12 + [2] * 13, 62, "requires_improvement", UPPER, id="62/100"),
        pytest.param([3] * 13 + [2] * 12, 63, "good", LOWER, id="63/100"),
        pytest.param([4] * 12 + [3] * 13, 87, "good", UPPER, id="87/100"),
        pytest.param([4] * 13 + [3] * 12, 88, "outstanding", LOWER, id="88/100"),
        pytest.param([3] * 5 + [2] * 2, 68, "good", LOWER, id="7 statements 19/28=67.857"),
        pytest.param([3] * 4 + [2] * 3, 64, "good", LOWER, id="7 statements 18/28=64.286"),
        pytest.param([3] * 3 + [2] * 7, 58, "requires_improvement", UPPER, id="23/40=57.5, a float trap"),
        pytest.param([1] * 5, 25, "inadequate", LOWER, id="all inadequate"),
        pytest.param([4] * 6, 100, "outstanding", UPPER, id="all outstanding"),
    ],
)
def test_cqc_hand_worked(scores: list[int], percent: int, band_key: str, position: Position) -> None:
    assert percentage(scores, CQC) == percent
    rating = rate(percent, CQC)
    assert (rating.band.key, rating.percent, rating.position) == (band_key, percent, position)


@pytest.mark.parametrize(
    ("rules", "scores", "percent", "band_label"),
    [
        pytest.param(COUNCIL, [3] * 8, 75, "Good", id="council all good"),
        pytest.param(COUNCIL, [2, 2, 2, 1], 44, "Poor", id="council 7/16=43.75"),
        pytest.param(
            COUNCIL, [2, 2, 2, 2, 1], 45, "Requires improvement", id="council 9/20 on the threshold"
        ),
        pytest.param(COUNCIL, [4, 4, 3, 3, 3], 85, "Excellent", id="council 17/20 on the threshold"),
        pytest.param(COUNCIL, [4, 4, 4, 4, 3], 95, "Excellent", id="council 19/20"),
        pytest.param(ZERO_BASED, [0, 0, 0], 0, "Poor", id="0-3 all zero, below the first band"),
        pytest.param(ZERO_BASED, [1, 1, 1], 33, "Poor", id="0-3 3/9"),
        pytest.param(ZERO_BASED, [2, 1], 50, "Requires improvement", id="0-3 3/6"),
        pytest.param(ZERO_BASED, [0, 3], 50, "Requires improvement", id="0-3 3/6 from extremes"),
        pytest.param(ZERO_BASED, [2, 2, 2], 67, "Good", id="0-3 6/9=66.7"),
        pytest.param(ZERO_BASED, [3, 3, 2], 89, "Excellent", id="0-3 8/9=88.9"),
        pytest.param(FIVE_POINT, [1, 1], 20, "Inadequate", id="5-point 2/10"),
        pytest.param(FIVE_POINT, [1, 2, 2], 33, "Inadequate", id="5-point 5/15"),
        pytest.param(FIVE_POINT, [3, 3], 60, "Requires improvement", id="5-point 6/10"),
        pytest.param(FIVE_POINT, [3] * 7 + [2], 58, "Requires improvement", id="5-point 23/40=57.5"),
        pytest.param(FIVE_POINT, [4] * 5, 80, "Good", id="5-point all good"),
        pytest.param(FIVE_POINT, [5, 5, 4, 5], 95, "Outstanding", id="5-point 19/20"),
    ],
)
def test_other_frameworks_hand_worked(
    rules: ScoringRules, scores: list[int], percent: int, band_label: str
) -> None:
    assert percentage(scores, rules) == percent
    assert rate(percent, rules).band.label == band_label


def test_percentage_of_nothing_is_unknown() -> None:
    assert percentage([], CQC) is None


@pytest.mark.parametrize(
    ("rules", "scores"), [(CQC, [3, 0]), (CQC, [5]), (ZERO_BASED, [2, 4]), (FIVE_POINT, [6])]
)
def test_percentage_rejects_scores_off_the_scale(rules: ScoringRules, scores: list[int]) -> None:
    with pytest.raises(ValueError, match="not a score"):
        percentage(scores, rules)


# --- bands and the position within them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "band_key", "position"),
    [
        # Inadequate spans 25-38, midpoint 31.5: no tie possible.
        (25, "inadequate", LOWER),
        (31, "inadequate", LOWER),
        (32, "inadequate", UPPER),
        (38, "inadequate", UPPER),
        # Requires improvement spans 39-62, midpoint 50.5.
        (39, "requires_improvement", LOWER),
        (50, "requires_improvement", LOWER),
        (51, "requires_improvement", UPPER),
        (62, "requires_improvement", UPPER),
        # Good spans 63-87, midpoint 75: the tie goes to LOWER.
        (63, "good", LOWER),
        (74, "good", LOWER),
        (75, "good", LOWER),
        (76, "good", UPPER),
        (87, "good", UPPER),
        # Outstanding spans 88-100, midpoint 94: the tie goes to LOWER.
        (88, "outstanding", LOWER),
        (94, "outstanding", LOWER),
        (95, "outstanding", UPPER),
        (100, "outstanding", UPPER),
        # Below the first band's minimum still gets the first band, in its lower half.
        (0, "inadequate", LOWER),
        (24, "inadequate", LOWER),
    ],
)
def test_cqc_band_and_position(percent: int, band_key: str, position: Position) -> None:
    rating = rate(percent, CQC)
    assert (rating.band.key, rating.position, rating.percent) == (band_key, position, percent)


@pytest.mark.parametrize(
    ("percent", "band_label", "position"),
    [
        (44, "Poor", UPPER),  # 25-44, midpoint 34.5
        (34, "Poor", LOWER),
        (35, "Poor", UPPER),
        (45, "Requires improvement", LOWER),
        (64, "Requires improvement", UPPER),
        (65, "Good", LOWER),
        (74, "Good", LOWER),  # 65-84, midpoint 74.5
        (75, "Good", UPPER),
        (84, "Good", UPPER),
        (85, "Excellent", LOWER),  # 85-100, midpoint 92.5
        (92, "Excellent", LOWER),
        (93, "Excellent", UPPER),
    ],
)
def test_council_band_and_position(percent: int, band_label: str, position: Position) -> None:
    rating = rate(percent, COUNCIL)
    assert (rating.band.label, rating.position) == (band_label, position)


def test_single_band_spans_everything_and_its_midpoint_tie_is_lower() -> None:
    rules = ScoringRules(scale=ONE_TO_FOUR, bands=(RatingBand("good", "Met", 0),), good_value=3)
    assert [rate(p, rules).position for p in (0, 50, 51, 100)] == [LOWER, LOWER, UPPER, UPPER]


@pytest.mark.parametrize("percent", [-1, 101])
def test_rate_rejects_impossible_percentages(percent: int) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        rate(percent, CQC)


# --- key questions ---------------------------------------------------------------------------------


def test_key_question_with_nothing_scored() -> None:
    result = summarise_key_question("safe", [None, None, None], CQC)
    assert result == KeyQuestionResult("safe", scored=0, total=3, percent=None, rating=None)
    assert not result.complete


def test_key_question_partly_scored_is_rated_but_provisional() -> None:
    # 3 + 2 = 5 of 8 = 62.5%, rounded half up to 63: Good, over the two scored statements only.
    result = summarise_key_question("safe", [3, None, 2], CQC)
    assert (result.scored, result.total, result.percent) == (2, 3, 63)
    assert result.rating is not None and result.rating.band.key == "good"
    assert not result.complete


def test_key_question_fully_scored_is_complete() -> None:
    result = summarise_key_question("safe", [3] * 8, CQC)
    assert result.complete
    assert (result.scored, result.total, result.percent) == (8, 8, 75)
    assert result.rating == rate(75, CQC)


def test_zero_based_key_question_counts_zero_as_scored() -> None:
    result = summarise_key_question("kq1", [0, None, 0], ZERO_BASED)
    assert (result.scored, result.percent) == (2, 0)
    assert result.rating is not None and result.rating.band.label == "Poor"


def test_key_question_rejects_scores_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not a score"):
        summarise_key_question("safe", [3, None, 7], CQC)


# --- overall rating --------------------------------------------------------------------------------


def rated(code: str, percent: int, rules: ScoringRules) -> KeyQuestionResult:
    return KeyQuestionResult(code, scored=1, total=1, percent=percent, rating=rate(percent, rules))


# Percentages standing for each CQC band: Inadequate 30, Requires improvement 50, Good 75, Outstanding 90.
CQC_BAND_PERCENT = {"I": 30, "R": 50, "G": 75, "O": 90}


@pytest.mark.parametrize(
    ("bands", "percent", "band_key", "position"),
    [
        pytest.param("GGGGG", 75, "good", LOWER, id="all good: 15/20"),
        pytest.param("IRGGR", 55, "requires_improvement", UPPER, id="1+2+3+3+2=11/20"),
        pytest.param("RRRGG", 60, "requires_improvement", UPPER, id="2+2+2+3+3=12/20"),
        pytest.param("RRGGG", 65, "good", LOWER, id="2+2+3+3+3=13/20"),
        pytest.param("OOOOG", 95, "outstanding", UPPER, id="4+4+4+4+3=19/20"),
        pytest.param("IIIII", 25, "inadequate", LOWER, id="all inadequate: 5/20"),
    ],
)
def test_cqc_overall_rating(bands: str, percent: int, band_key: str, position: Position) -> None:
    results = [rated(f"kq{i}", CQC_BAND_PERCENT[band], CQC) for i, band in enumerate(bands)]
    overall = overall_rating(results, CQC)
    assert overall is not None
    assert (overall.band.key, overall.percent, overall.position) == (band_key, percent, position)


def test_overall_counts_bands_not_scale_points() -> None:
    # Two Good key questions on the 5-point scale: band 3 of 4 each, 6/8 = 75% Good.
    # (Dividing by the scale's top value instead would give 6/10 = 60%, Requires improvement.)
    overall = overall_rating([rated("a", 80, FIVE_POINT), rated("b", 75, FIVE_POINT)], FIVE_POINT)
    assert overall is not None
    assert (overall.band.key, overall.percent) == ("good", 75)


def test_overall_with_three_bands() -> None:
    rules = ScoringRules(
        scale=ONE_TO_FOUR,
        bands=(
            RatingBand("inadequate", "Not yet", 0),
            RatingBand("good", "Good", 50),
            RatingBand("outstanding", "Excellent", 80),
        ),
        good_value=3,
    )
    # Good (2 of 3) + Excellent (3 of 3) = 5/6 = 83.3 -> 83, Excellent. Out of 4 bands it would be 62.5.
    overall = overall_rating([rated("a", 60, rules), rated("b", 90, rules)], rules)
    assert overall is not None
    assert (overall.band.label, overall.percent) == ("Excellent", 83)


def test_overall_on_a_zero_based_scale_uses_one_based_band_scores() -> None:
    results = [rated("a", 90, ZERO_BASED), rated("b", 100, ZERO_BASED), rated("c", 50, ZERO_BASED)]
    # Excellent 4 + Excellent 4 + Requires improvement 2 = 10/12 = 83.3 -> 83, Good.
    overall = overall_rating(results, ZERO_BASED)
    assert overall is not None
    assert (overall.band.label, overall.percent) == ("Good", 83)


def test_overall_needs_every_key_question_rated() -> None:
    unrated = summarise_key_question("well_led", [None] * 8, CQC)
    assert overall_rating([rated("safe", 75, CQC), unrated], CQC) is None
    assert overall_rating([], CQC) is None


def test_overall_uses_provisional_key_question_ratings() -> None:
    partial = summarise_key_question("safe", [4, None], CQC)  # 100%, Outstanding so far
    overall = overall_rating([partial, rated("effective", 90, CQC)], CQC)
    assert overall is not None
    assert (overall.band.key, overall.percent) == ("outstanding", 100)
