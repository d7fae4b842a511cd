"""When a service is next due a visit: the council's interval for its rating, shorter when its risk
is high. No web or database imports."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date

DEFAULT_INTERVALS: dict[str, int] = {
    "outstanding": 24,
    "good": 12,
    "requires_improvement": 6,
    "inadequate": 6,
    "not_rated": 6,
    "high_risk": 3,
}
HIGH_RISK_BANDS = ("high", "very_high")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def interval_months(rating_key: str | None, band: str, intervals: Mapping[str, int]) -> int:
    months = intervals.get(rating_key or "not_rated", intervals["not_rated"])
    if band in HIGH_RISK_BANDS:
        months = min(months, intervals["high_risk"])
    return months


def next_visit_due(
    last_visit_on: date | None, rating_key: str | None, band: str, intervals: Mapping[str, int], since: date
) -> date:
    """A service never visited is due from ``since`` (the day it joined the register)."""
    if last_visit_on is None:
        return since
    return add_months(last_visit_on, interval_months(rating_key, band, intervals))
