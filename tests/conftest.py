"""Test set-up: every database test runs on SQLite and, when SELFASSESS_TEST_POSTGRES_URL is set,
again on a fresh PostgreSQL database made for this run (and dropped after it).

Tests talk to the app over HTTP with Litestar's test client; ``db`` is a separate session for
arranging data with the real service functions and for checking what was stored.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from alembic import command as alembic_command
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from selfassess.app import create_app
from selfassess.db import alembic_config, create_engine_for, session_factory
from selfassess.settings import Settings, get_settings
from tests.mail_sink import SmtpSink, free_port
from tests.support import Browser, browser_for

POSTGRES_ADMIN_URL = os.environ.get("SELFASSESS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_ADMIN_URL else [])


def _create_postgres_database() -> tuple[str, str]:
    assert POSTGRES_ADMIN_URL
    name = f"selfassess_test_{secrets.token_hex(4)}"
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, admin.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    assert POSTGRES_ADMIN_URL
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
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
        database_pool_size=0,  # the test client runs each test's app on its own event loop
        password_hash_memory_kib=1024,
        password_hash_time_cost=1,
        base_url="http://testserver.local",
    )
    alembic_command.upgrade(alembic_config(settings), "head")
    yield settings
    if database_name:
        _drop_postgres_database(database_name)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(settings)
    yield engine
    await engine.dispose()


async def _empty_all_tables(engine: AsyncEngine) -> None:
    tables = SQLModel.metadata.sorted_tables
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(table.delete())


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A clean database for the test, and a session to arrange and inspect it."""
    async with session_factory(engine)() as session:
        yield session
    await _empty_all_tables(engine)


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


@pytest.fixture
async def world(db: AsyncSession):  # type: ignore[no-untyped-def]
    from tests import factories

    return await factories.world(db)


@pytest.fixture
async def frameworks(db: AsyncSession) -> None:
    """The frameworks shipped with selfassess, installed and published (the CQC one is the default)."""
    from selfassess.frameworks.service import install_shipped_frameworks

    await install_shipped_frameworks(db)


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
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
