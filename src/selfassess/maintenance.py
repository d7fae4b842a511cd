"""Maintenance: while a restore replaces the database, no worker on any host touches it.

PostgreSQL: every transaction of the service starts by taking a *shared* transaction-level
advisory lock (``pg_try_advisory_xact_lock_shared``), which costs nothing while nobody holds the
*exclusive* one. A restore asks for the exclusive lock in its own transaction: from that moment
new transactions are refused at once (PostgreSQL queues a try-lock behind the waiting exclusive
request, so it fails), the ones already running finish, and then the restore holds the database
alone until it commits. The lock lives in PostgreSQL's lock manager, not in a table, so
``pg_restore --clean`` (which drops and recreates every table it restores) cannot remove it, and
every worker process on every host that uses the same database sees it.

SQLite: one file on one host. The restore copies the backup in with SQLite's backup API in one
step under SQLite's own write lock, with the sessions already ended in that copy, so a request sees
either the old database or the restored one, never half of each.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Connection

# Any fixed 64-bit number works: advisory locks are per database, so two databases never share it.
MAINTENANCE_LOCK_KEY = 0x5E1FA55E55_0016
RESTORE_WAIT_SECONDS = 30


class MaintenanceUnderway(RuntimeError):
    """A restore holds the database; the request is answered with 503 "Maintenance, back shortly"."""

    def __init__(self) -> None:
        super().__init__("Maintenance, back shortly.")


def refuse_during_maintenance(connection: Connection) -> None:
    """Engine ``begin`` hook (PostgreSQL): share the maintenance lock for this transaction, or stop
    here, before anything has been read or written."""
    locked = connection.exec_driver_sql(
        f"SELECT pg_try_advisory_xact_lock_shared({MAINTENANCE_LOCK_KEY})"
    ).scalar()
    if not locked:
        raise MaintenanceUnderway


def hold_exclusively(connection: Connection, *, wait_seconds: int = RESTORE_WAIT_SECONDS) -> None:
    """Take the database for the rest of ``connection``'s transaction (PostgreSQL): from now on the
    service refuses new work; this waits up to ``wait_seconds`` for the work in progress to finish.
    The lock ends with the transaction, committed or not, and if this process dies."""
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_seconds)}s'")
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MAINTENANCE_LOCK_KEY})")


def end_all_sessions(connection: Connection) -> None:
    """Everyone signs in again after a restore, so nobody keeps editing rows from before it."""
    from selfassess.accounts.models import LoginSession
    from selfassess.db import utcnow

    connection.execute(update(LoginSession).where(LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))
