"""Issuing, listing, revoking and checking personal access tokens.

A token is a random secret shown once; we store its SHA-256, as for log-in sessions. It stands for
its owner: every request made with it runs as that user, through the same scoped services and
rules as the pages, so it can never do more than they can. Failed tokens count towards the same
sign-in throttle as failed passwords.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import LoginAttempt, User
from selfassess.accounts.service import LoginThrottled, ThrottlePolicy, _retry_after
from selfassess.db import utcnow
from selfassess.errors import NotFound
from selfassess.tokens.models import ApiToken

TOKEN_PREFIX = "sa_"
_DISPLAY_CHARACTERS = 10
# Recording every request would turn each API read into a write; once in a while is enough.
_TOUCH_INTERVAL = timedelta(minutes=5)


class TokenRefused(Exception):
    """Unknown, expired or revoked: the caller is told only that the token does not work."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_token(
    db: AsyncSession,
    *,
    owner: User,
    name: str,
    can_write: bool,
    expires_at: datetime,
    ip: str | None,
    secret: str | None = None,
) -> tuple[ApiToken, str]:
    """Returns the stored token and its secret, which is never stored and never shown again.
    Only the demo data set passes its own (published) ``secret``."""
    secret = secret or TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=name,
        token_hash=_hash(secret),
        prefix=secret[:_DISPLAY_CHARACTERS],
        can_write=can_write,
        expires_at=expires_at,
    )
    db.add(token)
    await db.flush()
    scope = "read-write" if can_write else "read-only"
    record_audit(
        db, "token.created", actor=owner, subject=f"token:{token.id}", detail=f"{name} ({scope})", ip=ip
    )
    await db.commit()
    return token, secret


async def tokens_of(db: AsyncSession, owner: User) -> list[ApiToken]:
    return list(
        await db.scalars(
            select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.created_at.desc())
        )
    )


async def organisation_tokens(db: AsyncSession, admin: User) -> list[ApiToken]:
    """Every token held by someone in the admin's organisation, with its holder, newest first."""
    return list(
        await db.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .where(User.organisation_id == admin.organisation_id)
            .options(selectinload(ApiToken.user))
            .order_by(ApiToken.created_at.desc())
        )
    )


async def revocable_token(db: AsyncSession, *, viewer: User, token_id: int) -> ApiToken:
    """Your own token, or, for a council admin, any token of someone at the council (NotFound
    otherwise)."""
    statement = select(ApiToken).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    if viewer.is_council_admin:
        statement = statement.where(User.organisation_id == viewer.organisation_id)
    else:
        statement = statement.where(ApiToken.user_id == viewer.id)
    token = await db.scalar(statement)
    if token is None:
        raise NotFound("token")
    return token


async def revoke_token(db: AsyncSession, *, viewer: User, token: ApiToken, ip: str | None) -> None:
    """Revokes a token from ``revocable_token``; revoking it again changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit(db, "token.revoked", actor=viewer, subject=f"token:{token.id}", detail=token.name, ip=ip)
        await db.commit()


async def authenticate_token(
    db: AsyncSession, *, secret: str, ip: str | None, policy: ThrottlePolicy
) -> ApiToken:
    """The live token with its (active) owner loaded, or TokenRefused / LoginThrottled."""
    attempt_key = f"token:{secret[:_DISPLAY_CHARACTERS]}"
    retry_after = await _retry_after(db, email=attempt_key, ip=ip, policy=policy)
    if retry_after:
        record_audit(db, "token.throttled", subject=attempt_key, ip=ip)
        await db.commit()
        raise LoginThrottled(retry_after)
    now = utcnow()
    token = await db.scalar(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _hash(secret), User.is_active.is_(True))
        .options(selectinload(ApiToken.user).selectinload(User.organisation))
    )
    if token is None or not token.is_live(now):
        db.add(LoginAttempt(email=attempt_key, ip=ip, succeeded=False))
        reason = "unknown token" if token is None else "expired or revoked token"
        record_audit(
            db,
            "token.refused",
            actor_id=token.user_id if token else None,
            organisation_id=token.user.organisation_id if token else None,
            subject=attempt_key,
            detail=reason,
            ip=ip,
        )
        await db.commit()
        raise TokenRefused("The API token is not valid: it is unknown, has expired or was revoked.")
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_INTERVAL:
        token.last_used_at, token.last_used_ip = now, ip
        record_audit(
            db, "token.used", actor=token.user, subject=f"token:{token.id}", detail=token.name, ip=ip
        )
        await db.commit()
    return token
