"""When the database cannot answer: which failures mean "unavailable" (503, try again) rather than a
bug (500), one log line per outage instead of one per request, and what a request has sent so far
(whether it may safely run again)."""

from __future__ import annotations

import logging
import sqlite3
import time
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from selfassess.maintenance import MaintenanceUnderway

logger = logging.getLogger("selfassess.database")


class Unavailable(StrEnum):
    MAINTENANCE = "maintenance"  # a restore holds the database
    UNREACHABLE = "unreachable"  # refused, dropped, shutting down or starting up: worth one more try
    BUSY = "busy"  # locked or out of connections for too long


def unavailable_because(error: BaseException) -> Unavailable | None:
    """Why the database could not do the work, or None when the error is a bug to report as 500."""
    if isinstance(error, MaintenanceUnderway):
        return Unavailable.MAINTENANCE
    if isinstance(error, PoolTimeout):
        return Unavailable.BUSY
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return Unavailable.UNREACHABLE
        original = error.orig
        # psycopg's OperationalError covers refused and dropped connections, "the database system is
        # starting up" or "shutting down", deadlocks and cancelled statements: in each the
        # transaction is gone and nothing of it was kept.
        if isinstance(original, psycopg.OperationalError | psycopg.InterfaceError):
            return Unavailable.UNREACHABLE
        if isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
            return Unavailable.BUSY
    return None


class OutageLog:
    """One error line when the database goes away and one when it is back, per process."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.reason: Unavailable | None = None

    def failed(self, reason: Unavailable, error: BaseException) -> None:
        if self.since is None or reason != self.reason:
            self.since, self.reason = time.monotonic(), reason
            logger.error("database %s: %s", reason.value, _first_line(error))
        else:
            logger.debug("database still %s", reason.value)

    def recovered(self) -> None:
        if self.since is not None:
            logger.warning("database available again after %.1f s", self.age())
            self.since = self.reason = None

    def age(self) -> float:
        return 0.0 if self.since is None else time.monotonic() - self.since


outages = OutageLog()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


@dataclass
class Attempt:
    """What one run of a request did: a run that failed before any COMMIT was sent changed nothing."""

    commit_sent: bool = False
    failure: Unavailable | None = None


current_attempt: ContextVar[Attempt | None] = ContextVar("current_attempt", default=None)


def watch(engine: AsyncEngine) -> None:
    """Note every COMMIT a request sends, and the end of an outage at the first transaction that
    begins (after the maintenance check, on PostgreSQL: listeners run in order)."""

    def on_commit(_connection: Any) -> None:
        attempt = current_attempt.get()
        if attempt is not None:
            attempt.commit_sent = True

    def on_begin(_connection: Any) -> None:
        outages.recovered()

    event.listen(engine.sync_engine, "commit", on_commit)
    event.listen(engine.sync_engine, "begin", on_begin)
