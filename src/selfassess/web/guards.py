"""Role guards attached to controllers and routes; handlers never test roles themselves.

Guards and before-request hooks are ``async def`` although they wait for nothing: Litestar runs a
plain function one in a worker thread, and each such hop cost ~50 µs of CPU (and a thread switch
under load) on every request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

if TYPE_CHECKING:  # web comes before accounts in the slice order; guards only read the signed-in user
    from selfassess.accounts.models import User


def _user(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    return connection.user  # set by SessionAuth before guards run


async def requires_council_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_council_staff:
        raise PermissionDeniedException("This page is for council staff.")


async def requires_council_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_council_admin:
        raise PermissionDeniedException("This page is for council admins.")


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Council admins and provider admins: each for their own organisation."""
    if not _user(connection).is_admin:
        raise PermissionDeniedException("This page is for admins.")


async def requires_provider_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if not _user(connection).is_provider_admin:
        raise PermissionDeniedException("This page is for provider admins.")


async def requires_provider(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_provider:
        raise PermissionDeniedException("This page is for provider staff.")


# Ids are 32-bit integers on PostgreSQL (64-bit on SQLite); anything outside is no record at all.
_LARGEST_ID = 2**31 - 1


async def ids_in_range(request: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Before any handler: an id no row can have is simply not found, rather than a database error."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= _LARGEST_ID:
            raise NotFoundException("We could not find that page.")
