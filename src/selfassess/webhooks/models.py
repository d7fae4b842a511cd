"""Hooks, the events written in the same transaction as the change, and their deliveries."""

from datetime import datetime

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import enum_type, utcnow


class HookEvent(Choice):
    SELF_ASSESSMENT_SUBMITTED = "self_assessment.submitted", "Self-assessment submitted"
    DRAFT_REPORT_SHARED = "visit.draft_shared", "Draft report shared"
    REPORT_PUBLISHED = "visit.published", "Report published"
    ACTION_COMPLETED = "action.completed", "Action completed"
    ACTION_VERIFIED = "action.verified", "Action verified"
    PLAN_OVERDUE = "action_plan.overdue", "Action plan overdue"


class Webhook(SQLModel, table=True):
    """A URL that hears about events in its owner's organisation. Deliveries are checked against
    what the person who registered it may read, so a hook never learns more than its owner."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100, description="Signs each delivery (HMAC-SHA256).")
    events: list[str] = Field(sa_type=JSON, description="HookEvent values this hook receives.")
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEvent(SQLModel, table=True):
    """The outbox: one row per event, written in the same transaction as the change it reports;
    the `send-webhooks` job turns it into deliveries to the hooks that may read it."""

    __tablename__ = "webhook_event"

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=60)
    resource: str = Field(max_length=40, description="self_assessment, visit, action or action_plan.")
    resource_id: int
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    occurred_at: datetime = Field(default_factory=utcnow)
    fanned_out_at: datetime | None = Field(default=None, index=True)


class DeliveryStatus(Choice):
    PENDING = "pending", "Waiting to send"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up after repeated failures"


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", index=True)
    event_id: int = Field(foreign_key="webhook_event.id", index=True)
    body: str = Field(sa_type=Text, description="The exact JSON sent (and signed).")
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus), index=True
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_status_code: int | None = None
    last_response: str | None = Field(default=None, sa_type=Text)
    last_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
