"""SQLite through aiosqlite, one trip to its thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread and wakes the event loop with the
answer. SQLAlchemy's adapter makes four such calls for one statement (make a cursor, execute, fetch
the rows, close the cursor), and each trip costs far more than a small statement itself: about
60 µs of CPU against a few. Here the cursor is made, executed, read to the end and closed in one
call on the thread, and the rows wait in memory until SQLAlchemy fetches them (its adapter reads
every result in full at once anyway; only a streamed result, which the app never asks for, would
have been read in parts, and it is served from the same buffer). The thread, the busy timeout and
all else stay aiosqlite's, so a statement still never blocks the event loop.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url


class OneTripCursor(aiosqlite.Cursor):
    def __init__(self, connection: OneTripConnection) -> None:
        super().__init__(connection, None)  # type: ignore[arg-type]  # the sqlite3 cursor lives on the thread only
        self._rows: deque[Any] = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @staticmethod
    def _run(connection: sqlite3.Connection, method: str, sql: str, parameters: Any) -> tuple[Any, ...]:
        """On the connection's thread: the whole statement, from a new cursor to its closing."""
        cursor = connection.cursor()
        try:
            getattr(cursor, method)(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return rows, cursor.description, cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()

    async def _statement(self, method: str, sql: str, parameters: Any) -> OneTripCursor:
        rows, self._description, self._rowcount, self._lastrowid = await self._conn._execute(
            self._run, self._conn._conn, method, sql, parameters
        )
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        return await self._statement("execute", sql, [] if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._statement("executemany", sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(self._arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value


class OneTripConnection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def creator_for(url: str, **options: Any) -> Callable[[], OneTripConnection]:
    """SQLAlchemy's ``async_creator``: connections opened as its aiosqlite dialect opens them for
    ``url``, with ``options`` (sqlite3.connect's) on top."""
    arguments, keywords = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    keywords.update(options)

    def connect() -> OneTripConnection:
        connection = OneTripConnection(lambda: sqlite3.connect(*arguments, **keywords), iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy has aiosqlite's: an exiting process does not wait
        return connection  # awaited by SQLAlchemy: that starts the thread and connects

    return connect
