"""Records named by a path, loaded as Litestar dependencies before the handler runs.

A slice's loader fetches the record of the path through its scoped service, so a record the viewer
may not see raises ``NotFound`` (404, for htmx and plain requests alike) before any handler code.
Many loaders return the record together with the record it belongs to (a plan and its care
service, a framework version and its framework); ``record_and_parent`` turns such a loader into
one dependency for each, loaded once per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.di import NamedDependency, Provide

# The one key under which a controller's pair is loaded: a controller has one record of its path.
_PAIR = "record_and_parent_of_path"


async def _record(record_and_parent_of_path: NamedDependency[tuple[Any, Any]]) -> Any:
    return record_and_parent_of_path[0]


async def _parent(record_and_parent_of_path: NamedDependency[tuple[Any, Any]]) -> Any:
    return record_and_parent_of_path[1]


def record_and_parent(
    load: Callable[..., Awaitable[tuple[Any, Any]]], *, record: str, parent: str
) -> dict[str, Provide]:
    """Dependencies ``record`` and ``parent`` from ``load``, which returns the pair (404 itself when
    the viewer may not see the record)."""
    return {_PAIR: Provide(load), record: Provide(_record), parent: Provide(_parent)}
