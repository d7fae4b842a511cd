"""One clock for the whole service: "today" and "now" are the council's (``settings.timezone``),
not the host's. Due dates, overdue flags and deadlines flip at the council's midnight, so an
action due on 30 June is overdue from 00:00 on 1 July in London, even while it is still 30 June
in UTC (British Summer Time). Timestamps are still stored in UTC (``db.utcnow``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Europe/London")
_standing_at: ContextVar[datetime | None] = ContextVar("selfassess_clock_standing_at", default=None)


def configure_clock(timezone: str) -> None:
    """Set once at start-up from the settings (the app and the command both do)."""
    global _zone
    _zone = ZoneInfo(timezone)


def utc_now() -> datetime:
    """The one place the time is read; tests replace it to stand at any moment."""
    moment = _standing_at.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def standing_at(moment: datetime) -> Iterator[None]:
    """Inside the block (in this task only) the clock reads ``moment``: the demo tells its story
    through the ordinary services, each step at the story's time, so every stored time and every
    history event agree as if it had happened then."""
    if moment.tzinfo is None:
        raise ValueError("standing_at needs an aware datetime")
    token = _standing_at.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _standing_at.reset(token)


def standing_on(day: date, hour: int = 10, minute: int = 0) -> AbstractContextManager[None]:
    """:func:`standing_at` ``hour:minute`` of ``day`` on the council's clock."""
    return standing_at(datetime(day.year, day.month, day.day, hour, minute, tzinfo=_zone))


def now() -> datetime:
    """The time in the configured zone."""
    return utc_now().astimezone(_zone)


def today() -> date:
    """The date in the configured zone: the date every due, overdue and deadline rule compares."""
    return now().date()
