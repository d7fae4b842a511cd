"""Saving a council's settings from an admin's form: the quality programme's (accounts) and the
market oversight's (oversight) are saved the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import User
from selfassess.db import utcnow


async def save_council_settings(
    db: AsyncSession, record: Any, changes: dict[str, Any], *, actor: User, event: str
) -> None:
    """The changed fields, the time of the change and the audit line, in one commit."""
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = utcnow()
    db.add(record)
    record_audit(db, event, actor=actor, subject=f"council:{record.council_id}")
    await db.commit()
