"""How statement scores become key question percentages and ratings.

Nothing here assumes the CQC framework: each council's framework supplies its own scale (which may
start at 0 or have five points) and its own rating bands through `ScoringRules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Bands carry one of these keys whatever the council calls them ("Poor", "Excellent", ...), so
# reports such as "share rated good or outstanding" work across frameworks.
CANONICAL_BAND_KEYS: tuple[str, ...] = ("inadequate", "requires_improvement", "good", "outstanding")


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


def overall_rating(results: Sequence[KeyQuestionResult], rules: ScoringRules) -> Rating | None:
    """The regulator's method: each key question's band becomes a score (its 1-based position among
    the bands), and the total as a percentage of (key questions x bands) is rated with the same bands.

    None unless every key question has a rating, because an overall rating that silently leaves out
    a key question would overstate how much is known.
    """
    ratings = [result.rating for result in results if result.rating is not None]
    if not results or len(ratings) != len(results):
        return None
    total = sum(rules.bands.index(rating.band) + 1 for rating in ratings)
    return rate(_whole_percent(total, len(ratings) * len(rules.bands)), rules)
