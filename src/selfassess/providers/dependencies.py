"""The care service of a ``/services/{service_id}/…`` path as a Litestar dependency: fetched and
scoped to the viewer before the handler runs (404 when the viewer may not see it). Every slice's
controller under that path adds ``service_dependency`` to its dependencies."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices


async def provide_service(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User], service_id: FromPath[int]
) -> CareService:
    return await CareServices(db_session, current_user).get(service_id)


service_dependency = {"service": Provide(provide_service)}
