"""Database plumbing shared by every slice: metadata conventions, engines, migration state."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Row,
    Select,
    bindparam,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

from selfassess import availability, clock, sqlite_driver
from selfassess.errors import Invalid
from selfassess.kept import KeptRecently
from selfassess.maintenance import refuse_during_maintenance

if TYPE_CHECKING:
    from selfassess.settings import Settings

T = TypeVar("T")

# Stable constraint names, so migrations can drop and alter them on both SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime keeps it aware on SQLite too. Pages show local time.
    Read from the one clock, so a test or the demo standing at another moment stamps that moment."""
    return clock.utc_now()


def enum_type(choice: type[StrEnum]) -> SAEnum:
    """Store enums as their string values (no PostgreSQL enum types to create and drop in migrations)."""
    return SAEnum(
        choice,
        native_enum=False,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


SEARCH_MAX_LENGTH = 200


def contains_any(query: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive 'contains' over several columns, the same on SQLite and PostgreSQL. Every
    search box ends here, so this is where an overlong term is refused (SQLite gives up on a huge
    LIKE pattern)."""
    if len(query) > SEARCH_MAX_LENGTH:
        raise Invalid(f"Search terms must be {SEARCH_MAX_LENGTH} characters or fewer.")
    visible = "".join(character for character in query if character.isprintable())  # no NUL for PostgreSQL
    escaped = visible.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(func.lower(column).like(f"%{escaped}%", escape="\\") for column in columns))


def in_constants(column: Any, values: Iterable[StrEnum]) -> ColumnElement[bool]:
    """``column IN (values)`` with the values written into the SQL, not sent as parameters. psycopg
    prepares a statement it runs often, and PostgreSQL soon plans it once for any parameters (a
    generic plan): a partial index whose condition names these values (a provider's open work,
    migration 0035) is then usable only if the values are in the statement itself."""
    return column.in_([literal(value.value, literal_execute=True) for value in values])  # type: ignore[no-any-return]


class one_of(FunctionElement[bool]):  # noqa: N801 (used like the SQL construct it is)
    """``column IN (ids)`` for a subquery giving ids (one column), written for PostgreSQL as
    ``column = ANY(ARRAY(ids))``: PostgreSQL then reads ``ids`` first and looks the rows up by
    ``column``'s index, where a join or ``IN`` lets it guess a whole-table scan is cheaper (a
    council's plans among the country's, several times slower). The same rows either way."""

    type = Boolean()
    inherit_cache = True
    name = "one_of"

    def __init__(self, column: ColumnElement[Any], ids: Select[Any]) -> None:
        super().__init__(column, ids.correlate(None).scalar_subquery())


@compiles(one_of)
def _one_of(element: one_of, compiler: Any, **kw: Any) -> str:
    column, ids = element.clauses
    return f"({compiler.process(column, **kw)} IN {compiler.process(ids, **kw)})"


@compiles(one_of, "postgresql")
def _one_of_postgresql(element: one_of, compiler: Any, **kw: Any) -> str:
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(ids, **kw)})"


async def update_if_version(
    db: AsyncSession,
    model: Any,
    *conditions: Any,
    expected_version: int,
    values: dict[str, Any],
    repeat_is_saved: bool = False,
) -> bool:
    """``save_if_version`` for a caller that needs only to know whether the write happened."""
    saved = await save_if_version(
        db,
        model,
        *conditions,
        expected_version=expected_version,
        values=values,
        repeat_is_saved=repeat_is_saved,
    )
    return saved is not None


async def save_if_version(
    db: AsyncSession,
    model: Any,
    *conditions: Any,
    expected_version: int,
    values: dict[str, Any],
    repeat_is_saved: bool = False,
) -> Any | None:
    """Optimistic locking: write only if the row still has the version the user loaded, and bump it.
    Returns the row as saved, read back by the UPDATE itself (RETURNING), so that nothing is read
    again after the COMMIT; None when someone else saved first and nothing was written.

    ``repeat_is_saved``: an autosave the browser sends again because the answer to the first one
    was lost (the database or the network went away after the COMMIT) finds exactly its own values
    one version on. That is the same save, already done, not a conflict: the row, nothing written."""
    loaded = model.version == expected_version
    saved = await db.scalar(_versioned_update(model, (*conditions, loaded), values))
    if saved is not None or not repeat_is_saved:
        return saved
    return await saved_already(db, model, *conditions, expected_version=expected_version, values=values)


def save_statement(model: Any, keys: Sequence[str], values: Sequence[str], **computed: Any) -> Update:
    """``save_if_version``'s UPDATE built once, for an autosave (building it cost more CPU than running
    it): the row named by the ``keys`` columns, its ``values`` columns set, ``computed`` more SET
    expressions (which may read the bound ``new_<column>`` values). ``save_built`` runs it."""
    conditions = (
        *(getattr(model, name) == bindparam(f"key_{name}") for name in keys),
        model.version == bindparam("loaded_version"),
    )
    bound = {name: bindparam(f"new_{name}") for name in values}
    return _versioned_update(model, conditions, {**bound, **computed})


def _versioned_update(model: Any, conditions: Iterable[Any], values: dict[str, Any]) -> Update:
    """The row that meets ``conditions`` (its loaded version among them) given ``values`` and the next
    version, returned as written."""
    return (
        update(model)
        .where(*conditions)
        .values(**values, version=model.version + 1)
        .returning(model)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def save_built(
    db: AsyncSession,
    statement: Update,
    model: Any,
    *,
    keys: dict[str, Any],
    expected_version: int,
    values: dict[str, Any],
) -> Any | None:
    """``save_if_version(..., repeat_is_saved=True)`` with a ``save_statement``: the row as saved, the
    row when this very save was already made (sent again), or None when someone else saved first."""
    saved = await db.scalar(
        statement,
        {
            **{f"key_{name}": value for name, value in keys.items()},
            **{f"new_{name}": value for name, value in values.items()},
            "loaded_version": expected_version,
        },
    )
    if saved is not None:
        return saved
    at_key = (getattr(model, name) == value for name, value in keys.items())
    return await saved_already(db, model, *at_key, expected_version=expected_version, values=values)


async def saved_already(
    db: AsyncSession, model: Any, *conditions: Any, expected_version: int, values: dict[str, Any]
) -> Any | None:
    """After an UPDATE of ``save_if_version``'s shape wrote nothing: the row when it already holds
    exactly ``values`` one version on (the same save sent again, see ``repeat_is_saved``), else None
    (someone else saved first)."""
    if not await _saved_already(db, model, conditions, expected_version, values):
        return None
    return await db.scalar(select(model).where(*conditions).execution_options(populate_existing=True))


async def _saved_already(
    db: AsyncSession, model: Any, conditions: tuple[Any, ...], expected_version: int, values: dict[str, Any]
) -> bool:
    same = [getattr(model, name) == value for name, value in values.items() if name != "updated_at"]
    already = await db.scalar(
        select(func.count()).where(*conditions, *same, model.version == expected_version + 1)
    )
    return already == 1


class Timestamped(SQLModel):
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


def create_engine_for(settings: Settings) -> AsyncEngine:
    url = settings.sqlalchemy_url
    # A pooled PostgreSQL connection dies with a server restart or a dropped network, so each is
    # tested as it is taken from the pool; a SQLite connection is a file this process holds open,
    # and the test would only cost every request a round trip to SQLite's thread.
    options: dict[str, Any] = {"echo": settings.database_echo, "pool_pre_ping": not settings.is_sqlite}
    if settings.is_sqlite:
        _ensure_sqlite_folder(settings)
        options["async_creator"] = sqlite_driver.creator_for(url, timeout=30)
    elif not settings.database_prepared_statements:
        options["connect_args"] = {"prepare_threshold": None}  # psycopg 3: never prepare
    if settings.database_pool_size == 0:
        options["poolclass"] = NullPool
    elif not settings.is_sqlite:
        options["pool_size"] = settings.database_pool_size
    engine = create_async_engine(url, **options)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        event.listen(engine.sync_engine, "begin", refuse_during_maintenance)
    availability.watch(engine)  # after the listeners above: it needs their begin to have worked
    return engine


def _ensure_sqlite_folder(settings: Settings) -> None:
    """Zero set-up: the folder for the SQLite file appears on first run."""
    database = make_url(settings.sqlalchemy_url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


_writes_expected: ContextVar[bool] = ContextVar("sqlite_writes_expected", default=False)


@contextmanager
def writes_expected() -> Iterator[None]:
    """Mark work that will write (an unsafe HTTP method, a job), so that on SQLite its transactions
    take the write lock at the start."""
    token = _writes_expected.set(True)
    try:
        yield
    finally:
        _writes_expected.reset(token)


def _sqlite_begin(connection: Any) -> None:
    """A deferred transaction that reads and then writes fails at once with 'database is locked'
    when another save committed in between; an immediate one waits its turn (busy_timeout). Reads
    stay deferred, so in WAL mode they never queue behind a writer."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes_expected.get() else "BEGIN")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """For work outside a request (commands, jobs); requests get theirs from the plugin."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys, let readers work while one writer writes, and let SQLAlchemy (not the
    driver) start transactions, so that SAVEPOINTs work as they do on PostgreSQL."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged save survives a power cut too
    cursor.close()


# --- migrations ----------------------------------------------------------------------------


def alembic_config(settings: Settings) -> AlembicConfig:
    if settings.is_sqlite:
        _ensure_sqlite_folder(settings)
    config = AlembicConfig()
    config.set_main_option("script_location", str(settings.migrations_dir))
    config.set_main_option("sqlalchemy.url", settings.sync_sqlalchemy_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def head_revision(settings: Settings) -> str | None:
    return _head_of(str(settings.migrations_dir))


@functools.cache
def _head_of(migrations_dir: str) -> str | None:
    """Reading the migration scripts costs milliseconds, and they cannot change under a running
    process; /health asks on every probe."""
    config = AlembicConfig()
    config.set_main_option("script_location", migrations_dir)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """Read directly: Alembic's MigrationContext logs two lines each time, and /health asks on
    every probe. The history is linear, so the table holds one row."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


class DatabaseBehind(RuntimeError):
    """The schema is older than the code: starting would fail on the first query."""


async def check_migrations(engine: AsyncEngine, settings: Settings) -> None:
    head = head_revision(settings)
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revision)
    if current != head:
        raise DatabaseBehind(
            f"The database is at migration {current or 'none (empty database)'} but this version of "
            f"selfassess needs {head}. Run `selfassess migrate` (or start with SELFASSESS_AUTO_MIGRATE=true)."
        )


# Statements kept by ``built_once``. A page's statements with their cache keys take up to ~160 KB:
# 500 of them bound a worker's share to ~80 MB; a statement dropped is only built again.
_BUILT: KeptRecently[tuple[object, ...], Any] = KeptRecently(500)


def built_once(key: tuple[object, ...], build: Callable[[], T]) -> T:
    """The statement ``build`` makes for ``key``, built the first time and kept. For a statement that
    depends only on what ``key`` names (what it is, the viewer, their organisation, the day): building
    a page's statements, and SQLAlchemy's cache key of each (kept on the statement), cost more than
    running them (the home page's figures; "Waiting for you" on every page's header)."""
    if (statement := _BUILT.get(key)) is None:
        statement = _BUILT.keep(key, build())
    return statement  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.size)


async def fetch_page(
    db: AsyncSession,
    statement: Select[Any],
    *order_by: Any,
    number: int,
    size: int,
    counted: Select[Any] | None = None,
    total: int | None = None,
) -> tuple[list[Row[Any]], int, int]:
    """One page of ``statement``'s rows in ``order_by`` order, with the total count and the page
    number brought into range (a page past the end shows the last one). ``counted``, when given,
    is the same selection without the columns and joins that only describe each row: cheaper to
    count. ``total``, when the caller has already counted the selection, saves counting it again
    (and, when it is 0, reading it)."""
    if total == 0:
        return [], 0, 1
    if total is None:
        counted = statement if counted is None else counted
        total = await db.scalar(select(func.count()).select_from(counted.subquery())) or 0
    number = max(1, min(number, -(-total // size) or 1))
    rows = await db.execute(statement.order_by(*order_by).limit(size).offset((number - 1) * size))
    return list(rows), total, number
