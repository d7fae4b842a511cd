"""Routes that belong to no slice: the health check and the front door."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.db import current_revision, head_revision
from selfassess.maintenance import MaintenanceUnderway
from selfassess.settings import Settings


@get(
    "/health",
    media_type=MediaType.JSON,
    # A load balancer's probe gets no cookies: not a session's, not a CSRF token's.
    opt={"exclude_from_auth": True, "exclude_from_csrf": True},
    tags=["system"],
)
async def health(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> Response[dict[str, Any]]:
    """For load balancers and monitoring: 200 only when the database answers and is fully migrated."""
    report: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        connection = await db_session.connection()
        revision = await connection.run_sync(current_revision)
    except MaintenanceUnderway:
        report.update(status="maintenance", database="maintenance: a restore is in progress")
        return Response(report, status_code=503, headers={"Retry-After": "30"})
    except Exception as error:  # any failure to reach the database is the answer, not a crash
        report.update(status="error", database=f"unreachable: {type(error).__name__}")
        return Response(report, status_code=503)
    head = head_revision(settings)
    report["migrations"] = {"current": revision, "head": head, "up_to_date": revision == head}
    if revision != head:
        report["status"] = "error"
        return Response(report, status_code=503)
    return Response(report, status_code=200)


@get("/", include_in_schema=False)
async def front_door(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(path="/home")


system_routes = [health, front_door]
