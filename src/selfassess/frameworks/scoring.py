"""How statement scores become key question percentages and ratings, and those an overall rating.

Nothing here assumes the CQC framework: each council's framework supplies its own scale (which may
start at 0 or have five points), its own rating bands and its way of reaching the overall rating
through `ScoringRules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# Bands carry one of these keys whatever the council calls them ("Poor", "Excellent", ...), so
# reports such as "share rated good or outstanding" work across frameworks.
CANONICAL_BAND_KEYS: tuple[str, ...] = ("inadequate", "requires_improvement", "good", "outstanding")
INADEQUATE, REQUIRES_IMPROVEMENT, GOOD, OUTSTANDING = CANONICAL_BAND_KEYS


class OverallMethod(StrEnum):
    """How key question ratings become the overall rating; part of each framework's definition."""

    RATING_PRINCIPLES = "rating_principles"
    KEY_QUESTION_POINTS = "key_question_points"

    @property
    def description(self) -> str:
        return OVERALL_METHOD_DESCRIPTIONS[self]


OVERALL_METHOD_DESCRIPTIONS = {
    OverallMethod.RATING_PRINCIPLES: (
        "The overall rating follows the regulator's rating principles. Every key question counts the "
        "same. Two or more key questions inadequate make the overall rating inadequate. Two or more "
        "requiring improvement, or one inadequate, make it requires improvement. Otherwise it is good "
        "(at most one key question requires improvement), and outstanding when at least two key "
        "questions are outstanding and all the others good. A breach of regulations or of the "
        "council's contract standards limits it to requires improvement at best."
    ),
    OverallMethod.KEY_QUESTION_POINTS: (
        "Each key question's rating counts as points (the lowest band 1, the next 2, and so on); the "
        "total, as a share of the most possible, is rated with the same bands as a key question. A "
        "breach of regulations or of the council's contract standards limits it to requires "
        "improvement at best."
    ),
}


class Breach(StrEnum):
    """What an officer found breached at a visit; either limits the overall rating (principle 1)."""

    REGULATIONS = "regulations"
    CONTRACT = "contract"


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str


@dataclass(frozen=True)
class RatingBand:
    key: str
    label: str
    min_percent: int


@dataclass(frozen=True)
class ScoringRules:
    scale: tuple[ScaleLevel, ...]
    bands: tuple[RatingBand, ...]
    good_value: int
    overall_method: OverallMethod = OverallMethod.KEY_QUESTION_POINTS

    def __post_init__(self) -> None:
        # Fail when a framework is loaded, not later in the middle of scoring someone's visit.
        values = [level.value for level in self.scale]
        if not values:
            raise ValueError("A scale needs at least one level.")
        if any(later <= earlier for earlier, later in zip(values, values[1:], strict=False)):
            raise ValueError("Scale values must be in strictly ascending order.")
        if values[0] < 0 or values[-1] <= 0:
            raise ValueError("Scale values must be zero or more, with a top value above zero.")
        if self.good_value not in values:
            raise ValueError(f"The good value {self.good_value} is not on the scale.")
        minimums = [band.min_percent for band in self.bands]
        if not minimums:
            raise ValueError("A framework needs at least one rating band.")
        if any(later <= earlier for earlier, later in zip(minimums, minimums[1:], strict=False)):
            raise ValueError("Rating bands must be in strictly ascending order of minimum percentage.")
        if minimums[0] < 0 or minimums[-1] > 100:
            raise ValueError("Rating band minimums must be between 0 and 100.")
        keys = [band.key for band in self.bands]
        if any(key not in CANONICAL_BAND_KEYS for key in keys) or len(set(keys)) != len(keys):
            raise ValueError(f"Rating band keys must be distinct and among {', '.join(CANONICAL_BAND_KEYS)}.")
        if self.overall_method is OverallMethod.RATING_PRINCIPLES and set(keys) != set(CANONICAL_BAND_KEYS):
            raise ValueError(
                "The rating principles need all four rating bands: inadequate, requires improvement, "
                "good and outstanding."
            )

    def band(self, key: str) -> RatingBand:
        return next(band for band in self.bands if band.key == key)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.scale)

    @property
    def min_value(self) -> int:
        return self.scale[0].value

    @property
    def max_value(self) -> int:
        return self.scale[-1].value

    def label_for(self, value: int) -> str:
        for level in self.scale:
            if level.value == value:
                return level.label
        raise ValueError(f"{value} is not a score on this framework's scale.")


class Position(StrEnum):
    UPPER = "upper"
    LOWER = "lower"


@dataclass(frozen=True)
class Rating:
    band: RatingBand
    percent: int
    position: Position


def _whole_percent(total: int, maximum: int) -> int:
    """Round half up in integer arithmetic: floats turn 23/40 into 57.4999... and would round to 57."""
    return (200 * total + maximum) // (2 * maximum)


def percentage(scores: Sequence[int], rules: ScoringRules) -> int | None:
    """Whole percent, rounded half up: the regulator's thresholds are whole numbers with gaps (38/39)."""
    if not scores:
        return None
    on_scale = set(rules.values)
    for score in scores:
        if score not in on_scale:
            raise ValueError(f"{score} is not a score on this framework's scale.")
    return _whole_percent(sum(scores), len(scores) * rules.max_value)


def rate(percent: int, rules: ScoringRules) -> Rating:
    """Band and upper/lower position, so officers can see a rating that is close to the next one.

    A band spans [its min_percent, the next band's min_percent - 1]; the top band runs to 100. A
    percentage below the first band's minimum still gets the first band. The position is UPPER only
    when the percentage is strictly above the span's midpoint: a tie at the midpoint (e.g. 75 in
    CQC's Good span 63-87) counts as LOWER, so a service is never described as nearing the band
    above on a tie.
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"A percentage must be between 0 and 100, not {percent}.")
    index = max((i for i, candidate in enumerate(rules.bands) if candidate.min_percent <= percent), default=0)
    band = rules.bands[index]
    top = rules.bands[index + 1].min_percent - 1 if index + 1 < len(rules.bands) else 100
    position = Position.UPPER if 2 * percent > band.min_percent + top else Position.LOWER
    return Rating(band=band, percent=percent, position=position)


@dataclass(frozen=True)
class KeyQuestionResult:
    code: str
    scored: int
    total: int
    percent: int | None
    rating: Rating | None

    @property
    def complete(self) -> bool:
        """False means the rating is provisional: some statements are not scored yet."""
        return self.scored == self.total


def summarise_key_question(code: str, scores: Sequence[int | None], rules: ScoringRules) -> KeyQuestionResult:
    """Rate over the statements scored so far (None = not yet scored), so progress is visible early."""
    scored = [score for score in scores if score is not None]
    percent = percentage(scored, rules)
    return KeyQuestionResult(
        code=code,
        scored=len(scored),
        total=len(scores),
        percent=percent,
        rating=None if percent is None else rate(percent, rules),
    )


@dataclass(frozen=True)
class OverallRating:
    """The overall rating with the short reason shown beside it wherever it is ("Two key questions
    require improvement", "Limited by a breach of regulations").

    `percent` and `position` exist only under the key question points method: the rating principles
    give a rating, not a score.
    """

    band: RatingBand
    reason: str
    percent: int | None = None
    position: Position | None = None


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(number: int) -> str:
    return _NUMBER_WORDS[number] if number < len(_NUMBER_WORDS) else str(number)


def _key_questions(number: int, everyone: int = 0) -> str:
    """'two key questions', or 'all five key questions' when it is every one of them."""
    if number == everyone > 1:
        return f"all {_count(number)} key questions"
    return f"{_count(number)} key question{'' if number == 1 else 's'}"


def _principles(keys: Sequence[str], rules: ScoringRules) -> tuple[str, str]:
    """The regulator's rating principles for adult social care (principles 2-6; breaches apart):
    the band key and the words that say why."""
    count = {key: sum(1 for rated in keys if rated == key) for key in CANONICAL_BAND_KEYS}
    inadequate, improve = count[INADEQUATE], count[REQUIRES_IMPROVEMENT]
    outstanding, everyone = count[OUTSTANDING], len(keys)
    if inadequate >= 2:
        return INADEQUATE, f"{_key_questions(inadequate, everyone)} {rules.band(INADEQUATE).label.lower()}"
    if inadequate == 1 or improve >= 2:
        parts = []
        if inadequate:
            parts.append(f"one key question {rules.band(INADEQUATE).label.lower()}")
        if improve:
            verb = "requires" if improve == 1 else "require"
            parts.append(f"{_key_questions(improve, everyone)} {verb} improvement")
        return REQUIRES_IMPROVEMENT, " and ".join(parts)
    if outstanding >= 2 and improve == 0:
        best = rules.band(OUTSTANDING).label.lower()
        if outstanding == everyone:
            return OUTSTANDING, f"{_key_questions(everyone, everyone)} {best}"
        return (
            OUTSTANDING,
            f"{_key_questions(outstanding)} {best} and the rest {rules.band(GOOD).label.lower()}",
        )
    if improve == 1:
        return GOOD, "only one key question requires improvement and none is inadequate"
    if outstanding == 1:
        return GOOD, (
            f"one key question {rules.band(OUTSTANDING).label.lower()} and the rest "
            f"{rules.band(GOOD).label.lower()} (two are needed for {rules.band(OUTSTANDING).label.lower()})"
        )
    return GOOD, f"{_key_questions(everyone, everyone)} {rules.band(GOOD).label.lower()}"


_BREACH_WORDS = {Breach.REGULATIONS: "regulations", Breach.CONTRACT: "the council's contract standards"}


def _breach_limit(breaches: frozenset[Breach]) -> str:
    """The reason shown for a limited rating, naming each kind of breach found."""
    return "Limited by a breach of " + " and of ".join(
        _BREACH_WORDS[kind] for kind in Breach if kind in breaches
    )


def _at_most_requires_improvement(rules: ScoringRules) -> RatingBand:
    ceiling = CANONICAL_BAND_KEYS.index(REQUIRES_IMPROVEMENT)
    allowed = [band for band in rules.bands if CANONICAL_BAND_KEYS.index(band.key) <= ceiling]
    return allowed[-1] if allowed else rules.bands[0]


def overall_rating(
    results: Sequence[KeyQuestionResult], rules: ScoringRules, breaches: Iterable[Breach] = ()
) -> OverallRating | None:
    """The overall rating by the framework's method, with its reason.

    None unless every key question has a rating, because an overall rating that silently leaves out
    a key question would overstate how much is known. A breach limits the result to requires
    improvement at best (principle 1; the band below it where a framework has no such band), under
    either method.
    """
    ratings = [result.rating for result in results if result.rating is not None]
    if not results or len(ratings) != len(results):
        return None
    percent = position = None
    if rules.overall_method is OverallMethod.RATING_PRINCIPLES:
        key, words = _principles([rating.band.key for rating in ratings], rules)
        band = rules.band(key)
    else:
        total = sum(rules.bands.index(rating.band) + 1 for rating in ratings)
        by_points = rate(_whole_percent(total, len(ratings) * len(rules.bands)), rules)
        band, percent, position = by_points.band, by_points.percent, by_points.position
        words = f"{percent}% of the key question points"
    found = frozenset(breaches)
    limit = _at_most_requires_improvement(rules)
    if found and rules.bands.index(band) > rules.bands.index(limit):
        words = _breach_limit(found)
        band, position = limit, None
    return OverallRating(band, words[:1].upper() + words[1:], percent, position)


# --- plain English for the measures (issue 11) ------------------------------------------------------


@dataclass(frozen=True)
class BandRange:
    """A rating band as people read it: "Good 63-87%"."""

    label: str
    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.label} {self.low}–{self.high}%"


def band_ranges(bands: Sequence[RatingBand]) -> tuple[BandRange, ...]:
    """Each band's span: from its minimum to one below the next band's (the top band runs to 100)."""
    return tuple(
        BandRange(
            band.label, band.min_percent, bands[index + 1].min_percent - 1 if index + 1 < len(bands) else 100
        )
        for index, band in enumerate(bands)
    )


def describe_position(rating: Rating, bands: Sequence[RatingBand]) -> str:
    """One sentence that says what "Good (lower good) 75%" means: the band's span, which half of it
    the percentage is in, and how far the next band up (or down) is."""
    spans = band_ranges(bands)
    index = next(i for i, band in enumerate(bands) if band.key == rating.band.key)
    span = spans[index]
    sentence = f"{rating.percent}% is in {span.label} ({span.low}–{span.high}%)"
    if rating.position is Position.UPPER:
        if index + 1 < len(spans):
            above = spans[index + 1]
            return f"{sentence}, in the upper half: {above.low - rating.percent} points below {above.label}."
        return f"{sentence}, in the upper half of the top band."
    if index > 0:
        below = spans[index - 1]
        return f"{sentence}, in the lower half: {rating.percent - below.high} points above {below.label}."
    return f"{sentence}, in the lower half of the bottom band."
