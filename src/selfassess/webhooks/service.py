"""Registering webhooks and reading their deliveries, scoped to the viewer's own organisation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import User
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.settings import Settings
from selfassess.webhooks.models import DeliveryStatus, HookEvent, Webhook, WebhookDelivery
from selfassess.webhooks.rules import may_manage_webhooks
from selfassess.webhooks.targets import registration_problem

RECENT_DELIVERIES = 25


@dataclass(frozen=True)
class HookRow:
    hook: Webhook
    owner_name: str
    pending: int
    failed: int


class Webhooks:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings

    def _require_manager(self) -> None:
        if not may_manage_webhooks(self.viewer):
            raise Forbidden("Webhooks are managed by council admins and provider admins.")

    async def hooks(self) -> list[HookRow]:
        self._require_manager()
        pending = func.count(WebhookDelivery.id).filter(WebhookDelivery.status == DeliveryStatus.PENDING)
        failed = func.count(WebhookDelivery.id).filter(WebhookDelivery.status == DeliveryStatus.FAILED)
        rows = await self.db.execute(
            select(Webhook, User.full_name, pending, failed)
            .join(User, User.id == Webhook.owner_id)
            .outerjoin(WebhookDelivery, WebhookDelivery.webhook_id == Webhook.id)
            .where(Webhook.organisation_id == self.viewer.organisation_id, Webhook.is_active.is_(True))
            .group_by(Webhook.id, User.full_name)
            .order_by(Webhook.created_at.desc(), Webhook.id.desc())
        )
        return [HookRow(*row) for row in rows]

    async def get(self, webhook_id: int) -> Webhook:
        self._require_manager()
        hook = await self.db.scalar(
            select(Webhook).where(
                Webhook.id == webhook_id,
                Webhook.organisation_id == self.viewer.organisation_id,
                Webhook.is_active.is_(True),
            )
        )
        if hook is None:
            raise NotFound("webhook")
        return hook

    async def deliveries(self, hook: Webhook) -> list[WebhookDelivery]:
        return list(
            await self.db.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == hook.id)
                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                .limit(RECENT_DELIVERIES)
            )
        )

    async def register(self, *, url: str, events: list[HookEvent]) -> Webhook:
        """The hook acts for the viewer: it hears only of records the viewer may read."""
        self._require_manager()
        allow_private = self.settings.webhook_allow_private_targets
        if problem := await registration_problem(url, allow_private_targets=allow_private):
            raise Invalid(problem)
        if not events:
            raise Invalid("Choose at least one event.")
        hook = Webhook(
            organisation_id=self.viewer.organisation_id,
            owner_id=self.viewer.id,
            url=url,
            secret="whsec_" + secrets.token_urlsafe(32),
            events=[event.value for event in events],
        )
        self.db.add(hook)
        await self.db.flush()
        record_audit(self.db, "webhook.created", actor=self.viewer, subject=f"webhook:{hook.id}", detail=url)
        await self.db.commit()
        return hook

    async def remove(self, hook: Webhook) -> None:
        """Kept (switched off) so its delivery history stays readable in the audit trail."""
        hook.is_active = False
        record_audit(
            self.db, "webhook.deleted", actor=self.viewer, subject=f"webhook:{hook.id}", detail=hook.url
        )
        await self.db.commit()
