"""Back up and restore the database.

SQLite: SQLite's online backup API copies a consistent snapshot while the service keeps running,
and restore copies a checked backup back the same way.
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``, run with the
connection parameters of the configured URL (the password goes in the environment, never on the
command line). They need the PostgreSQL client tools, of the server's major version or newer.

Before restoring, the backup is checked: it must be a backup of this kind of database and at a
migration revision this version of selfassess knows (run ``selfassess migrate`` after restoring
an older one).

A restore cannot collide with people at work (see selfassess.maintenance): on PostgreSQL it puts
the service into maintenance for its length, on every worker and host; on SQLite it swaps the
database in one step. Either way every session ends with it, so nobody goes on editing rows from
before the restore.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from selfassess.db import alembic_config, head_revision
from selfassess.maintenance import RESTORE_WAIT_SECONDS, end_all_sessions, hold_exclusively
from selfassess.settings import Settings

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(RuntimeError):
    """Shown to the operator as it is: what went wrong and what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    revision: str | None
    size_bytes: int


def backup(settings: Settings, target: Path) -> BackupReport:
    target = target.expanduser().resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name (backups are never overwritten).")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if settings.is_sqlite:
        revision = _sqlite_backup(_sqlite_path(settings), target)
    else:
        revision = _pg_dump(settings, target)
    return BackupReport(target, revision, target.stat().st_size)


def restore(settings: Settings, source: Path) -> BackupReport:
    """Replace the whole database with the backup. The caller has asked the operator first."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    if settings.is_sqlite:
        revision = _sqlite_restore(source, _sqlite_path(settings), settings)
    else:
        revision = _pg_restore(settings, source)
    return BackupReport(source, revision, source.stat().st_size)


def behind_head(settings: Settings, revision: str | None) -> bool:
    return revision != head_revision(settings)


def _check_revision(settings: Settings, revision: str | None, source: Path) -> str:
    if revision is None:
        raise BackupError(f"{source} holds no selfassess schema (no migration revision); not restoring it.")
    scripts = ScriptDirectory.from_config(alembic_config(settings))
    try:
        known = scripts.get_revision(revision)
    except Exception:  # alembic raises several kinds for unknown or malformed ids
        known = None
    if known is None:
        raise BackupError(
            f"{source} is at migration {revision}, which this version of selfassess does not know "
            "(a backup from a newer version?). Restore it with the version that made it."
        )
    return revision


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.sync_sqlalchemy_url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _sqlite_backup(live: Path, target: Path) -> str | None:
    if not live.is_file():
        raise BackupError(f"There is no database at {live} to back up.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(live, timeout=30)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)  # a consistent snapshot, even while the service writes
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            revision = _sqlite_revision(destination)
        finally:
            destination.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    partial.replace(target)
    return revision


def _sqlite_restore(source: Path, live: Path, settings: Settings) -> str:
    with source.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{source} is not a SQLite database; not restoring it.")
    backup_db = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        try:
            check = backup_db.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is damaged ({error}); not restoring it.") from error
        if check != "ok":
            raise BackupError(f"{source} is damaged ({check}); not restoring it.")
        revision = _check_revision(settings, _sqlite_revision(backup_db), source)
        live.parent.mkdir(parents=True, exist_ok=True)
        staged = live.with_name(live.name + ".restoring")
        staged.unlink(missing_ok=True)
        try:
            staging = sqlite3.connect(staged)
            try:
                backup_db.backup(staging)
            finally:
                staging.close()
            _end_sessions_in(f"sqlite:///{staged}")
            _copy_in_one_step(staged, live)
        finally:
            staged.unlink(missing_ok=True)
    finally:
        backup_db.close()
    return revision


def _end_sessions_in(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            end_all_sessions(connection)
    finally:
        engine.dispose()


def _copy_in_one_step(staged: Path, live: Path) -> None:
    """All pages at once under SQLite's write lock: running workers wait for it (busy timeout), then
    see the restored data with every session already ended."""
    source = sqlite3.connect(f"{staged.as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(live, timeout=30)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_target(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it."""
    url: URL = make_url(settings.sync_sqlalchemy_url)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found. Backing up and restoring PostgreSQL needs the PostgreSQL client "
            "tools (on Debian or Ubuntu: apt-get install postgresql-client), the same major version "
            "as the server or newer."
        )
    return found


def _run(command: list[str], environment: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _pg_dump(settings: Settings, target: Path) -> str | None:
    dbname, environment = _pg_target(settings)
    partial = target.with_name(target.name + ".partial")
    try:
        _run(
            [_pg_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={dbname}"],
            environment,
            "pg_dump",
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return _pg_dump_revision(target, environment)


def _pg_dump_revision(source: Path, environment: dict[str, str]) -> str | None:
    """The migration revision recorded in a custom-format dump, read without restoring it."""
    script = _run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(source)],
        environment,
        "Reading the backup",
    ).stdout
    match = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n", script, re.M)
    return match.group(1).strip() if match else None


def _pg_restore(settings: Settings, source: Path) -> str:
    with source.open("rb") as file:
        if file.read(len(PG_DUMP_HEADER)) != PG_DUMP_HEADER:
            raise BackupError(f"{source} is not a pg_dump custom-format backup; not restoring it.")
    dbname, environment = _pg_target(settings)
    revision = _check_revision(settings, _pg_dump_revision(source, environment), source)
    command = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dbname}",
        str(source),
    ]
    engine = create_engine(settings.sync_sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.begin() as maintenance:  # the service stays in maintenance until this commits
            try:
                hold_exclusively(maintenance)
            except OperationalError as error:
                raise BackupError(
                    f"the service still had work in progress after {RESTORE_WAIT_SECONDS} s of waiting; "
                    "nothing was changed, and the service is back in use. Try again in a quieter moment."
                ) from error
            _run(command, environment, "pg_restore")
            end_all_sessions(maintenance)
    finally:
        engine.dispose()
    return revision
