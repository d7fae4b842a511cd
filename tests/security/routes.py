"""The application's routes, enumerated from the app itself, so the security tests cover every
route, including the ones added after the tests were written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SKIPPED_METHODS = frozenset({"OPTIONS", "HEAD"})  # answered by Litestar itself, never by our code


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as declared: /services/{service_id:int}
    path_format: str  # /services/{service_id}
    params: dict[str, type] = field(default_factory=dict)
    opt: dict[str, Any] = field(default_factory=dict)
    arguments: frozenset[str] = frozenset()  # the handler's own parameters: query strings, data, ...
    guards: frozenset[str] = frozenset()  # names of the guards on the way in: requires_council_staff, ...

    def url(self, values: dict[str, Any]) -> str:
        return self.path_format.format(**{name: values[name] for name in self.params})

    @property
    def unsafe(self) -> bool:
        return self.method in UNSAFE_METHODS

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _name(guard: Any) -> str:
    guard = getattr(guard, "func", guard)  # Litestar wraps guards in an AsyncCallable
    return getattr(guard, "__name__", repr(guard))


def endpoints(app: Litestar) -> list[Endpoint]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        params = {name: definition.type for name, definition in route.path_parameters.items()}
        for handler in route.route_handlers:
            arguments = frozenset(handler.parsed_fn_signature.parameters)
            guards = frozenset(_name(guard) for guard in handler.resolve_guards())
            for method in sorted(handler.http_methods - SKIPPED_METHODS):
                found.append(
                    Endpoint(
                        method, route.path, route.path_format, params, dict(handler.opt), arguments, guards
                    )
                )
    return sorted(found, key=lambda endpoint: (endpoint.path, endpoint.method))


def placeholder(kind: type) -> Any:
    """A well-formed value for a path parameter when which record it names does not matter."""
    if kind is int:
        return 1
    if kind is uuid.UUID:
        return uuid.uuid4()
    if kind is Path:
        return "css/app.css"
    return "x"


async def database_contents(db: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that refused requests changed nothing. Ends the session's
    transaction first (SQLite would otherwise keep showing an old snapshot), which expires loaded
    objects: read what you need from them before calling this."""
    await db.rollback()
    contents = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = await db.execute(select(table).order_by(*table.primary_key.columns))
        contents[table.name] = [tuple(row) for row in rows]
    await db.rollback()
    return contents


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
