from datetime import datetime

from sqlalchemy import Index, Text, text
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import enum_type, utcnow


class Notification(SQLModel, table=True):
    """Shown in the app until read."""

    # Every page's header counts the viewer's unread ones: read from the few unread, not the
    # thousands a busy officer has been sent over the years.
    __table_args__ = (
        Index(
            "ix_notification_unread_user_id",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    message: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None


class MailStatus(Choice):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up after repeated failures"


class OutboxEmail(SQLModel, table=True):
    """E-mail is written here in the same transaction as the change it reports, then sent by the
    `send-mail` job: a failed send is retried, and the unique key means nothing is sent twice."""

    __tablename__ = "outbox_email"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    status: MailStatus = Field(default=MailStatus.PENDING, sa_type=enum_type(MailStatus), index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
