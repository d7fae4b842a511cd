"""The security audit trail: one row per log-in, failure, role change, publication and the like."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, User


def record_audit(
    db: AsyncSession,
    event: str,
    *,
    actor: User | None = None,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    subject: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> None:
    """Added to the caller's transaction: the event is kept exactly when the change is."""
    if actor is not None:
        actor_id = actor.id
        organisation_id = organisation_id or actor.organisation_id
    db.add(
        AuditEvent(
            event=event,
            actor_id=actor_id,
            organisation_id=organisation_id,
            subject=subject[:200] if subject else None,
            detail=detail,
            ip=ip,
        )
    )
