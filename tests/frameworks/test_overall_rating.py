"""The overall rating by the regulator's rating principles, by the percentage of key question points,
and limited by breaches: the issue's cases, and every combination of five key question ratings checked
against an independent statement of the principles."""

from __future__ import annotations

import itertools

import pytest

from selfassess.frameworks.scoring import (
    Breach,
    KeyQuestionResult,
    OverallMethod,
    OverallRating,
    RatingBand,
    ScaleLevel,
    ScoringRules,
    overall_rating,
    rate,
)

KEYS = ("inadequate", "requires_improvement", "good", "outstanding")
LABELS = ("Inadequate", "Requires improvement", "Good", "Outstanding")
SCALE = tuple(ScaleLevel(value, label) for value, label in zip((1, 2, 3, 4), LABELS, strict=True))


def rules_for(method: OverallMethod, labels: tuple[str, ...] = LABELS) -> ScoringRules:
    return ScoringRules(
        scale=SCALE,
        bands=tuple(
            RatingBand(key, label, minimum)
            for key, label, minimum in zip(KEYS, labels, (25, 39, 63, 88), strict=True)
        ),
        good_value=3,
        overall_method=method,
    )


PRINCIPLES = rules_for(OverallMethod.RATING_PRINCIPLES)
POINTS = rules_for(OverallMethod.KEY_QUESTION_POINTS)
# A percentage inside each CQC band, so a key question result carries that band.
PERCENT_IN = {"I": 30, "R": 50, "G": 75, "O": 90}
KEY_OF = dict(zip("IRGO", KEYS, strict=True))


def labelled(overall: OverallRating) -> str:
    """The rating and its reason as one sentence, as the issue words them."""
    return f"{overall.band.label}: {overall.reason[0].lower()}{overall.reason[1:]}"


def results(letters: str, rules: ScoringRules = PRINCIPLES) -> list[KeyQuestionResult]:
    return [
        KeyQuestionResult(
            f"kq{i}", scored=1, total=1, percent=PERCENT_IN[letter], rating=rate(PERCENT_IN[letter], rules)
        )
        for i, letter in enumerate(letters)
    ]


# --- the cases in the issue, where the two methods disagree -------------------------------------------


@pytest.mark.parametrize(
    ("letters", "points_key", "points_percent", "principles_key", "reason"),
    [
        pytest.param(
            "RRGGG", "good", 65, "requires_improvement",
            "Requires improvement: two key questions require improvement", id="2 RI + 3 good",
        ),
        pytest.param(
            "OOORR", "good", 80, "requires_improvement",
            "Requires improvement: two key questions require improvement", id="3 outstanding + 2 RI",
        ),
        pytest.param(
            "IIGGG", "requires_improvement", 55, "inadequate",
            "Inadequate: two key questions inadequate", id="2 inadequate + 3 good",
        ),
        pytest.param(
            "IGGGG", "good", 65, "requires_improvement",
            "Requires improvement: one key question inadequate", id="1 inadequate + 4 good",
        ),
        pytest.param(
            "OOGGG", "good", 85, "outstanding",
            "Outstanding: two key questions outstanding and the rest good", id="2 outstanding + 3 good",
        ),
    ],
)  # fmt: skip
def test_the_issues_cases(
    letters: str, points_key: str, points_percent: int, principles_key: str, reason: str
) -> None:
    by_points = overall_rating(results(letters, POINTS), POINTS)
    assert by_points is not None
    assert (by_points.band.key, by_points.percent) == (points_key, points_percent)
    by_principles = overall_rating(results(letters), PRINCIPLES)
    assert by_principles is not None
    assert (by_principles.band.key, labelled(by_principles)) == (principles_key, reason)
    assert by_principles.percent is None and by_principles.position is None


def test_order_of_key_questions_does_not_matter() -> None:
    """Principle 2: the five key questions weigh equally."""
    for letters in ("RRGGG", "GGRGR", "GRGGR"):
        overall = overall_rating(results(letters), PRINCIPLES)
        assert overall is not None and overall.band.key == "requires_improvement"


# --- every combination of five key question ratings ---------------------------------------------------


def by_the_principles(letters: str) -> str:
    """The principles restated through order statistics rather than counts: sort the five ratings
    from worst to best; the second worst decides inadequate, the worst and second worst decide
    requires improvement, and the second best decides outstanding."""
    order = "IRGO"
    ranked = sorted(letters, key=order.index)
    worst, second_worst, second_best = ranked[0], ranked[1], ranked[-2]
    if second_worst == "I":
        return "I"
    if worst == "I" or second_worst == "R":
        return "R"
    if worst in "GO" and second_best == "O":
        return "O"
    return "G"


ALL_COMBINATIONS = ["".join(combination) for combination in itertools.product("IRGO", repeat=5)]


def test_there_are_1024_combinations() -> None:
    assert len(ALL_COMBINATIONS) == len(set(ALL_COMBINATIONS)) == 4**5 == 1024


@pytest.mark.parametrize("breached", [False, True], ids=["no breach", "breach"])
def test_every_combination_of_five_key_questions(breached: bool) -> None:
    mismatches = []
    for letters in ALL_COMBINATIONS:
        expected = by_the_principles(letters)
        if breached and expected in "GO":
            expected = "R"  # principle 1: no better than requires improvement
        breaches = [Breach.REGULATIONS] if breached else []
        overall = overall_rating(results(letters), PRINCIPLES, breaches)
        if overall is None or overall.band.key != KEY_OF[expected]:
            mismatches.append((letters, expected, overall.band.key if overall else None))
    assert mismatches == []


@pytest.mark.parametrize("letters", ALL_COMBINATIONS)
def test_each_principle_holds_as_written(letters: str) -> None:
    """The principles as the regulator words them, each checked where it applies."""
    overall = overall_rating(results(letters), PRINCIPLES)
    assert overall is not None
    key = overall.band.key
    count = {letter: letters.count(letter) for letter in "IRGO"}
    # 3. At least two outstanding and the others good, before an overall outstanding.
    assert (key == "outstanding") == (count["O"] >= 2 and count["O"] + count["G"] == 5)
    # 4. Good when no key question is inadequate and no more than one requires improvement.
    if key != "outstanding":
        assert (key == "good") == (count["I"] == 0 and count["R"] <= 1)
    # 5. Two or more requiring improvement (and fewer than two inadequate): requires improvement.
    if count["R"] >= 2 and count["I"] < 2:
        assert key == "requires_improvement"
    # 6. Two or more inadequate: inadequate.
    assert (key == "inadequate") == (count["I"] >= 2)
    assert overall.reason[0].isupper() and overall.reason[-1] != "."


# --- breaches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("breaches", "reason"),
    [
        ({Breach.REGULATIONS}, "Requires improvement: limited by a breach of regulations"),
        ({Breach.CONTRACT}, "Requires improvement: limited by a breach of the council's contract standards"),
        (
            {Breach.CONTRACT, Breach.REGULATIONS},
            "Requires improvement: limited by a breach of regulations and of the council's "
            "contract standards",
        ),
    ],
)
def test_a_breach_limits_an_outstanding_rating_and_says_so(breaches: set[Breach], reason: str) -> None:
    overall = overall_rating(results("OOOOO"), PRINCIPLES, breaches)
    assert overall is not None
    assert (overall.band.key, labelled(overall)) == ("requires_improvement", reason)
    assert overall.reason.startswith("Limited by a breach of ")


def test_a_breach_does_not_lift_or_relabel_a_rating_already_below_good() -> None:
    overall = overall_rating(results("IIGGG"), PRINCIPLES, {Breach.REGULATIONS})
    assert overall is not None
    assert (overall.band.key, labelled(overall)) == ("inadequate", "Inadequate: two key questions inadequate")


def test_a_breach_limits_the_key_question_points_method_too() -> None:
    overall = overall_rating(results("OOOOO", POINTS), POINTS, {Breach.REGULATIONS})
    assert overall is not None
    assert (overall.band.key, overall.percent, overall.position) == ("requires_improvement", 100, None)
    assert labelled(overall) == "Requires improvement: limited by a breach of regulations"


def test_a_breach_with_no_requires_improvement_band_falls_to_the_band_below() -> None:
    rules = ScoringRules(
        scale=SCALE,
        bands=(RatingBand("inadequate", "Not met", 0), RatingBand("good", "Met", 50)),
        good_value=3,
    )
    rated = [KeyQuestionResult("a", 1, 1, 90, rate(90, rules))]
    overall = overall_rating(rated, rules, {Breach.CONTRACT})
    assert overall is not None and overall.band.label == "Not met"


# --- reasons in the council's words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("letters", "reason"),
    [
        ("GGGGG", "Good: all five key questions good"),
        ("OGGGG", "Good: one key question outstanding and the rest good (two are needed for outstanding)"),
        ("ORGGG", "Good: only one key question requires improvement and none is inadequate"),
        ("OOOOO", "Outstanding: all five key questions outstanding"),
        (
            "IRRGG",
            "Requires improvement: one key question inadequate and two key questions require improvement",
        ),
        ("IIIRR", "Inadequate: three key questions inadequate"),
        ("RRRRR", "Requires improvement: all five key questions require improvement"),
        ("IIIII", "Inadequate: all five key questions inadequate"),
    ],
)
def test_reasons(letters: str, reason: str) -> None:
    overall = overall_rating(results(letters), PRINCIPLES)
    assert overall is not None and labelled(overall) == reason


def test_reasons_use_the_councils_own_band_labels() -> None:
    rules = rules_for(OverallMethod.RATING_PRINCIPLES, ("Poor", "Requires improvement", "Good", "Excellent"))
    overall = overall_rating(results("OOGGG", rules), rules)
    assert overall is not None
    assert labelled(overall) == "Excellent: two key questions excellent and the rest good"


def test_points_reason_gives_the_percentage() -> None:
    overall = overall_rating(results("RRGGG", POINTS), POINTS)
    assert overall is not None
    assert labelled(overall) == "Good: 65% of the key question points"


def test_principles_with_another_number_of_key_questions() -> None:
    for letters, key in (
        ("OO", "outstanding"),
        ("OR", "good"),
        ("RR", "requires_improvement"),
        ("GGGGGGI", "requires_improvement"),
    ):
        overall = overall_rating(results(letters), PRINCIPLES)
        assert overall is not None and overall.band.key == key, letters


def test_principles_need_every_key_question_rated() -> None:
    unrated = KeyQuestionResult("w", scored=0, total=3, percent=None, rating=None)
    assert overall_rating([*results("OOGG"), unrated], PRINCIPLES) is None
    assert overall_rating([], PRINCIPLES) is None


def test_the_principles_need_all_four_bands() -> None:
    with pytest.raises(ValueError, match="all four rating bands"):
        ScoringRules(
            scale=SCALE,
            bands=(RatingBand("inadequate", "Not met", 0), RatingBand("good", "Met", 50)),
            good_value=3,
            overall_method=OverallMethod.RATING_PRINCIPLES,
        )
