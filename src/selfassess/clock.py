"""One clock for the whole service: "today" and "now" are the council's (``settings.timezone``),
not the host's. Due dates, overdue flags and deadlines flip at the council's midnight, so an
action due on 30 June is overdue from 00:00 on 1 July in London, even while it is still 30 June
in UTC (British Summer Time). Timestamps are still stored in UTC (``db.utcnow``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Europe/London")


def configure_clock(timezone: str) -> None:
    """Set once at start-up from the settings (the app and the command both do)."""
    global _zone
    _zone = ZoneInfo(timezone)


def utc_now() -> datetime:
    """The one place the time is read; tests replace it to stand at any moment."""
    return datetime.now(UTC)


def now() -> datetime:
    """The time in the configured zone."""
    return utc_now().astimezone(_zone)


def today() -> date:
    """The date in the configured zone: the date every due, overdue and deadline rule compares."""
    return now().date()
