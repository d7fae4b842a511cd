"""A personal access token: we keep only its hash, like a log-in session's."""

from datetime import datetime

from sqlmodel import Field, Relationship, SQLModel

from selfassess.accounts.models import User
from selfassess.db import utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12, description="The token's first characters, to recognise it in lists.")
    can_write: bool = Field(default=False, description="Read-write; otherwise read-only.")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None
    last_used_ip: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = None

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
