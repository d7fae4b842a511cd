"""The SQLite driver: one trip to SQLite's thread per statement, and nothing else changed.

The engine the app builds for SQLite is used directly on a file of its own (``sqlite_engine``, not
the suite's per-backend ``engine``), so these run the same whichever databases the suite runs on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from selfassess.db import create_engine_for
from selfassess.settings import Settings
from selfassess.sqlite_driver import OneTripConnection

ADD_NOTE = text("insert into note (body) values (:body)")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    engine = create_engine_for(Settings(_env_file=None, database_url=url))
    async with engine.begin() as connection:
        await connection.execute(text("create table note (id integer primary key, body text unique)"))
    yield engine
    await engine.dispose()


class Trips:
    """Counts the calls sent to a connection's SQLite thread."""

    def __init__(self, driver: OneTripConnection) -> None:
        self.count = 0
        self._send = driver._execute
        driver._execute = self._counted  # type: ignore[method-assign]

    async def _counted(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        return await self._send(function, *args, **kwargs)


async def test_the_app_s_sqlite_engine_uses_the_one_trip_driver(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)


async def test_each_statement_is_one_trip_with_its_rows_rowcount_and_new_id(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        trips = Trips((await connection.get_raw_connection()).driver_connection)

        inserted = await connection.execute(text("insert into note (body) values ('first')"))
        assert (inserted.lastrowid, trips.count) == (1, 1)

        returned = await connection.execute(text("insert into note (body) values ('second') returning *"))
        assert returned.all() == [(2, "second")]
        assert trips.count == 2

        updated = await connection.execute(text("update note set body = body || '!'"))
        assert (updated.rowcount, trips.count) == (2, 3)

        rows = await connection.execute(text("select id, body from note order by id"))
        assert rows.first() == (1, "first!")
        empty = await connection.execute(text("select id from note where id > 99"))
        assert (empty.all(), trips.count) == ([], 5)


async def test_many_parameter_sets_are_one_trip(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        trips = Trips((await connection.get_raw_connection()).driver_connection)
        await connection.execute(ADD_NOTE, [{"body": str(n)} for n in range(50)])
        assert trips.count == 1
        assert await connection.scalar(text("select count(*) from note")) == 50


async def test_a_large_result_streams_in_parts_as_sqlalchemy_asks(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.execute(ADD_NOTE, [{"body": str(n)} for n in range(500)])
    async with sqlite_engine.connect() as connection:
        result = await connection.stream(text("select id from note order by id"))
        parts = [part async for part in result.partitions(200)]
    assert [len(part) for part in parts] == [200, 200, 100]
    assert parts[-1][-1] == (500,)


async def test_a_broken_rule_raises_sqlalchemy_s_error_and_the_engine_goes_on(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.execute(text("insert into note (body) values ('once')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("insert into note (body) values ('once')"))
    async with sqlite_engine.connect() as connection:
        assert await connection.scalar(text("select count(*) from note")) == 1


async def test_a_rolled_back_transaction_leaves_nothing(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("insert into note (body) values ('undone')"))
        await transaction.rollback()
        assert await connection.scalar(text("select count(*) from note")) == 0
