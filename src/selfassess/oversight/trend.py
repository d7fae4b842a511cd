"""Rules for the quality picture over time: which ratings count as good or better, how they rank,
and which dates the picture is drawn at. No web or database imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from selfassess.frameworks.scoring import CANONICAL_BAND_KEYS

GOOD_OR_BETTER = ("good", "outstanding")
QUARTERS_SHOWN = 20  # five years


def rank_of(rating_key: str) -> int:
    """1 for inadequate up to 4 for outstanding; 'improved' means a higher rank."""
    return CANONICAL_BAND_KEYS.index(rating_key) + 1


def is_good_or_better(rating_key: str) -> bool:
    return rating_key in GOOD_OR_BETTER


def is_rating(rating_key: str | None) -> bool:
    """A regulator's 'not yet rated' (or nothing at all) is no rating."""
    return rating_key in CANONICAL_BAND_KEYS


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4, calendar quarters

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}"

    @property
    def end(self) -> date:
        """The last day of the quarter."""
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, key: str) -> Quarter | None:
        """'2024Q1' -> Quarter(2024, 1); anything else -> None."""
        year, _, number = key.strip().upper().partition("Q")
        if not (year.isdigit() and len(year) == 4 and number in ("1", "2", "3", "4")):
            return None
        return cls(int(year), int(number))


def quarters_to(today: date, count: int = QUARTERS_SHOWN) -> list[Quarter]:
    """The ``count`` quarters ending with today's, oldest first."""
    quarters = [Quarter.containing(today)]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return quarters[::-1]


def as_at(quarter: Quarter, today: date) -> date:
    """The date a quarter's figure describes: its last day, or today for the quarter under way."""
    return min(quarter.end, today)


def share(good: int, rated: int) -> int | None:
    """Whole-number percentage of rated services that are good or better; None with nothing rated."""
    return round(100 * good / rated) if rated else None


@dataclass(frozen=True)
class QuarterFigures:
    """One quarter's counts for one source of ratings."""

    quarter: Quarter
    on: date
    rated: int
    good: int
    unrated: int

    @property
    def percent(self) -> int | None:
        return share(self.good, self.rated)
