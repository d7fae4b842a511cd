"""Test set-up: every database test runs on SQLite and, when SELFASSESS_TEST_POSTGRES_URL is set,
again on a fresh PostgreSQL database made for this run (and dropped after it).

Tests talk to the app over HTTP with Litestar's test client; ``db`` is a separate session for
arranging data with the real service functions and for checking what was stored.

Speed without changing what a test sees: each database is migrated once per session (per xdist
worker); after each test its tables are emptied and their ids restarted (on SQLite only those it
wrote to; PostgreSQL empties them all in one round trip); the shipped frameworks are installed
once, and the ``frameworks`` fixture copies those rows back in; the ``world`` is made by the
factories once per database state and then copied back in the same way. The
shared app is started once per database on the tests' event loop and keeps a connection pool, so a
request neither starts a thread nor opens a database connection.
Test databases skip the wait for the disk on commit (SQLite on tmpfs where there is one,
PostgreSQL with ``synchronous_commit=off``): a crash loses nothing a test needs.
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from alembic import command as alembic_command
from litestar import Litestar
from sqlalchemy import Table, TextClause, exists, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from selfassess import clock
from selfassess.accounts.passwords import configure_hashing
from selfassess.app import create_app
from selfassess.db import alembic_config, create_engine_for, session_factory
from selfassess.public.caching import RENDERED_PARTS
from selfassess.settings import Settings, get_settings
from tests.mail_sink import SmtpSink, free_port
from tests.support import Browser, browser_for, started

POSTGRES_ADMIN_URL = os.environ.get("SELFASSESS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_ADMIN_URL else [])


def _create_postgres_database() -> tuple[str, str]:
    assert POSTGRES_ADMIN_URL
    name = f"selfassess_test_{secrets.token_hex(4)}"
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return name, admin.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    assert POSTGRES_ADMIN_URL
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _scratch_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder in memory (tmpfs) when the machine has one: SQLite's fsync on every commit is free."""
    memory = Path("/dev/shm")
    if memory.is_dir() and os.access(memory, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix=f"selfassess-{name}-", dir=memory))
        _memory_folders.append(folder)
        return folder
    return tmp_path_factory.mktemp(name)


_memory_folders: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """A full garbage collection walks every object the libraries and the session's apps keep (half
    a million); at Python's default, one after every ten middle ones, they took 6% of a test
    worker's CPU time. Leftover resources are still reported: pytest collects at the end too."""
    gc.set_threshold(700, 10, 100)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for folder in _memory_folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = _scratch_folder(tmp_path_factory, f"data-{request.param}")
    database_name = None
    if request.param == "postgres":
        database_name, url = _create_postgres_database()
    else:
        url = f"sqlite:///{data_dir / 'test.db'}"
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        secret_key="test-secret-key-not-for-production",
        database_pool_size=0,  # an app a test makes runs on a loop of its own (Litestar's test client)
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        base_url="http://testserver.local",
        webhook_allow_private_targets=True,  # webhooks go to a receiver on 127.0.0.1
    )
    alembic_command.upgrade(alembic_config(settings), "head")
    yield settings
    if database_name:
        _drop_postgres_database(database_name)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """Started once per database on the session's event loop, with a connection pool as deployed:
    every test's browsers send their requests to it on that loop (see ``browser_for``)."""
    async with started(create_app(settings.model_copy(update={"database_pool_size": 3}))) as application:
        yield application


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The tests' own engine, always used from the session's event loop, so it may keep its
    connections (the app's engine may not: each test client runs the app on a loop of its own)."""
    engine = create_engine_for(settings.model_copy(update={"database_pool_size": 2}))
    await _empty_all_tables(engine)  # a clean start whatever the migrations inserted
    yield engine
    await engine.dispose()


async def _tables_with_rows(connection: AsyncConnection) -> list[Table]:
    """One query asks every table whether it has a row (EXISTS, cheap to plan and to answer):
    most tests touch a handful of the tables."""
    tables = SQLModel.metadata.sorted_tables
    flags = (
        await connection.execute(select(*(exists(select(1).select_from(table)) for table in tables)))
    ).one()
    return [table for table, flag in zip(tables, flags, strict=True) if flag]


async def _restart_ids(connection: AsyncConnection, tables: list[Table]) -> None:
    """Ids carry on from the highest one left (1 in an empty table), as in a new database. SQLite does
    that by itself (no AUTOINCREMENT tables); PostgreSQL's sequences are set, in one statement."""
    serial = [table for table in tables if "id" in table.primary_key.columns]
    if connection.dialect.name != "postgresql" or not serial:
        return
    resets = ", ".join(
        f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
        f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
        for table in serial
    )
    await connection.execute(text(f"SELECT {resets}"))


async def _empty_all_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(_emptying_block())
            return
        for table in reversed(await _tables_with_rows(connection)):
            await connection.execute(table.delete())


@cache
def _emptying_block() -> TextClause:
    """PostgreSQL empties every table and restarts every id in one round trip, not a probe and a
    DELETE per table: ~8 ms instead of ~40 after a test. A superuser (as CI connects) skips the
    foreign-key triggers, the dearest part, which cannot fire wrongly when every table is emptied."""
    tables = SQLModel.metadata.sorted_tables
    deletes = " ".join(f'DELETE FROM "{table.name}";' for table in reversed(tables))
    restarts = " ".join(
        f"PERFORM setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false);"
        for table in tables
        if "id" in table.primary_key.columns
    )
    return text(
        "DO $$ BEGIN IF current_setting('is_superuser') = 'on' THEN "
        f"SET LOCAL session_replication_role = replica; END IF; {deletes} {restarts} END $$"
    )


@pytest.fixture
async def db(engine: AsyncEngine, settings: Settings) -> AsyncIterator[AsyncSession]:
    """A clean database for the test, and a session to arrange and inspect it."""
    # Passwords made by factories and checked at log-in use the test settings' cheap cost, whatever
    # cost an app or command made by an earlier test configured.
    configure_hashing(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    async with session_factory(engine)() as session:
        yield session
    await _empty_all_tables(engine)


@pytest.fixture(autouse=True)
def _public_parts_rendered_afresh(request: pytest.FixtureRequest) -> None:
    """Every test's database starts from the same rows, ids and times, so public parts the app kept
    for an earlier test would match this one's keys: each test starts with none, as a new server."""
    if "app" in request.fixturenames:
        rendered = request.getfixturevalue("app").state.get(RENDERED_PARTS)
        if rendered is not None:
            rendered.clear()


@pytest.fixture
async def client(app: Litestar, db: AsyncSession) -> AsyncIterator[Browser]:
    async with browser_for(app) as browser:
        yield browser


@pytest.fixture
def browsers(app: Litestar, db: AsyncSession):  # type: ignore[no-untyped-def]
    """Open more browsers (separate cookie jars) in one test: ``async with browsers() as other``."""
    return lambda: browser_for(app)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@dataclass
class _MadeWorld:
    """What making the world by the factories added to one database state, kept to copy back in."""

    rows: dict[Table, list[dict[str, Any]]]
    made_at: datetime
    members: dict[str, tuple[type[Any], int]]


async def _row_counts(connection: AsyncConnection) -> dict[str, int]:
    tables = SQLModel.metadata.sorted_tables
    counts = (
        await connection.execute(
            select(*(select(func.count()).select_from(table).scalar_subquery() for table in tables))
        )
    ).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True) if count}


async def _rows_by_key(connection: AsyncConnection) -> dict[Table, dict[tuple[Any, ...], dict[str, Any]]]:
    return {
        table: {
            tuple(row._mapping[column.name] for column in table.primary_key.columns): dict(row._mapping)
            for row in await connection.execute(select(table))
        }
        for table in await _tables_with_rows(connection)
    }


@pytest.fixture(scope="session")
def _made_worlds(settings: Settings) -> dict[frozenset[tuple[str, int]], _MadeWorld]:
    """Per database: the world made by the factories, by the state it was made on (an empty
    database, or one with the frameworks)."""
    return {}


@pytest.fixture
async def world(db: AsyncSession, engine: AsyncEngine, _made_worlds):  # type: ignore[no-untyped-def]
    """Made by the factories the first time on each database state; later its rows are copied back
    in (times moved to now), and the same records loaded into ``db``."""
    from tests import factories

    async with engine.connect() as connection:
        state = frozenset((await _row_counts(connection)).items())
    if (made := _made_worlds.get(state)) is not None:
        return await _copy_world_in(made, db, engine)
    async with engine.connect() as connection:
        before = await _rows_by_key(connection)
    made_at = clock.utc_now()
    new_world = await factories.world(db)
    async with engine.connect() as connection:
        after = await _rows_by_key(connection)
    unchanged = all(
        after.get(table, {}).get(key) == row for table, rows in before.items() for key, row in rows.items()
    )
    if unchanged:
        _made_worlds[state] = _MadeWorld(
            rows={
                table: [row for key, row in rows.items() if key not in before.get(table, {})]
                for table, rows in after.items()
                if len(rows) > len(before.get(table, {}))
            },
            made_at=made_at,
            members={name: (type(record), record.id) for name, record in vars(new_world).items()},
        )
    return new_world


async def _copy_world_in(made: _MadeWorld, db: AsyncSession, engine: AsyncEngine):  # type: ignore[no-untyped-def]
    from tests import factories

    moved = clock.utc_now() - made.made_at
    async with engine.begin() as connection:
        for table, rows in made.rows.items():
            shifted = [
                {name: value + moved if isinstance(value, datetime) else value for name, value in row.items()}
                for row in rows
            ]
            await connection.execute(insert(table), shifted)
        await _restart_ids(connection, list(made.rows))
    await db.commit()  # a read snapshot taken before the copy (SQLite) would not see it
    records: dict[tuple[type[Any], int], Any] = {}
    for model in {model for model, _ in made.members.values()}:
        ids = [number for kind, number in made.members.values() if kind is model]
        for record in await db.scalars(select(model).where(model.id.in_(ids))):
            records[(model, record.id)] = record
    await db.commit()  # nothing left open, as after the factories' last commit
    return factories.World(**{name: records[member] for name, member in made.members.items()})


@pytest.fixture(scope="session")
async def _installed_frameworks(engine: AsyncEngine) -> dict[Table, list[dict[str, object]]]:
    """The rows that installing the shipped frameworks writes, made once per database by the real
    installer, so that each test gets them back with a few inserts instead of a YAML import."""
    from selfassess.frameworks.service import install_shipped_frameworks

    async with engine.connect() as connection:
        assert not await _tables_with_rows(connection), "made first, in an empty database"
    async with session_factory(engine)() as session:
        await install_shipped_frameworks(session)
    async with engine.connect() as connection:
        rows = {
            table: [dict(row._mapping) for row in await connection.execute(select(table))]
            for table in await _tables_with_rows(connection)
        }
    await _empty_all_tables(engine)
    return rows


@pytest.fixture
async def frameworks(db: AsyncSession, engine: AsyncEngine, _installed_frameworks) -> None:  # type: ignore[no-untyped-def]
    """The frameworks shipped with selfassess, installed and published (the CQC one is the default)."""
    async with engine.begin() as connection:
        for table, rows in _installed_frameworks.items():
            await connection.execute(insert(table), rows)
        await _restart_ids(connection, list(_installed_frameworks))


# --- a real SMTP server for e-mail tests ----------------------------------------------------------


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def sink(smtp_port: int) -> Iterator[SmtpSink]:
    handler = SmtpSink()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_port: int) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port})


@pytest.fixture
def cli_environment(settings: Settings, smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command reads its settings from the environment, as it does under cron."""
    assert settings.database_url is not None
    monkeypatch.setenv("SELFASSESS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SELFASSESS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SELFASSESS_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("SELFASSESS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SELFASSESS_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("SELFASSESS_PASSWORD_HASH_MEMORY_KIB", str(settings.password_hash_memory_kib))
    monkeypatch.setenv("SELFASSESS_PASSWORD_HASH_TIME_COST", str(settings.password_hash_time_cost))
    monkeypatch.setenv("SELFASSESS_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
