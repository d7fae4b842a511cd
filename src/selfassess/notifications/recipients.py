"""Who hears about a step on a service: its provider's staff, or the council people looking after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role, User

if TYPE_CHECKING:  # notifications come before providers in the slice order
    from selfassess.providers.models import CareService


async def provider_staff(db: AsyncSession, service: CareService) -> list[User]:
    return list(
        await db.scalars(
            select(User).where(User.organisation_id == service.provider_id, User.is_active.is_(True))
        )
    )


async def council_contacts(db: AsyncSession, service: CareService) -> list[User]:
    """The service's assigned officer; when it has none, every officer and admin of the council."""
    if service.assigned_officer_id is not None:
        officer = await db.get(User, service.assigned_officer_id)
        if officer is not None and officer.is_active:
            return [officer]
    return list(
        await db.scalars(
            select(User).where(
                User.organisation_id == service.council_id,
                User.role.in_([Role.OFFICER, Role.COUNCIL_ADMIN]),
                User.is_active.is_(True),
            )
        )
    )
