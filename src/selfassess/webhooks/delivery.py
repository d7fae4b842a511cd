"""The `send-webhooks` job: turn outbox events into deliveries, then send what is due.

Fan-out asks the same scoped services as the pages whether each hook's owner may read the record
(a provider's hook never hears of a draft it could not open, another council's never hears at
all). Sending claims each delivery with a lease first, like the mail outbox, so two jobs never
send one twice, and no transaction is held open while a receiver answers."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from selfassess.accounts.models import User
from selfassess.actions.models import Action, ActionPlan, PlanStatus, overdue_condition
from selfassess.actions.service import ActionPlans
from selfassess.assessments.models import SelfAssessment
from selfassess.assessments.service import SelfAssessments
from selfassess.db import utcnow
from selfassess.errors import NotFound
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Visit
from selfassess.visits.service import Visits
from selfassess.webhooks.models import DeliveryStatus, HookEvent, Webhook, WebhookDelivery, WebhookEvent
from selfassess.webhooks.rules import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from selfassess.webhooks.targets import TargetRefused, checked_address

logger = logging.getLogger("selfassess.webhooks")

# Minutes to wait after the 1st, 2nd, ... failed attempt, then give up.
RETRY_DELAYS_MINUTES = (1, 5, 30, 120, 360, 720, 1440)
MAX_ATTEMPTS = len(RETRY_DELAYS_MINUTES) + 1
_LEASE = timedelta(minutes=2)
_TIMEOUT_SECONDS = 10.0
_KEPT_RESPONSE_CHARACTERS = 2_000


@dataclass(frozen=True)
class WebhookReport:
    events: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


# --- fan-out ---------------------------------------------------------------------------------------


async def _queue_overdue_plans(db: AsyncSession, today: date) -> None:
    """A plan with overdue actions is an event once per earliest overdue date (a new lapse, a new event)."""
    rows = await db.execute(
        select(ActionPlan.id, func.min(Action.due_date))
        .join(Action, Action.plan_id == ActionPlan.id)
        .where(ActionPlan.status == PlanStatus.AGREED, overdue_condition(today))
        .group_by(ActionPlan.id)
    )
    keys = {f"{HookEvent.PLAN_OVERDUE.value}:{plan_id}:{earliest}": plan_id for plan_id, earliest in rows}
    if not keys:
        return
    known = set(await db.scalars(select(WebhookEvent.dedupe_key).where(WebhookEvent.dedupe_key.in_(keys))))
    for key, plan_id in keys.items():
        if key not in known:
            db.add(
                WebhookEvent(
                    event=HookEvent.PLAN_OVERDUE, resource="action_plan", resource_id=plan_id, dedupe_key=key
                )
            )
    await db.commit()


async def _service_id(db: AsyncSession, item: WebhookEvent) -> int | None:
    statement = {
        "self_assessment": select(SelfAssessment.service_id).where(SelfAssessment.id == item.resource_id),
        "visit": select(Visit.service_id).where(Visit.id == item.resource_id),
        "action": select(ActionPlan.service_id)
        .join(Action, Action.plan_id == ActionPlan.id)
        .where(Action.id == item.resource_id),
        "action_plan": select(ActionPlan.service_id).where(ActionPlan.id == item.resource_id),
    }[item.resource]
    return await db.scalar(statement)


async def readable_by(
    db: AsyncSession, owner: User, settings: Settings, item: WebhookEvent
) -> dict[str, Any] | None:
    """What the owner may read of the record, through the pages' own scoped services; None if nothing."""
    base = settings.base_url.rstrip("/")
    try:
        if item.resource == "self_assessment":
            assessment, service = await SelfAssessments(db, owner, settings).get(item.resource_id)
            url, status = f"/api/v1/self-assessments/{assessment.id}", assessment.status.value
        elif item.resource == "visit":
            visit, service = await Visits(db, owner, settings).get(item.resource_id)
            url, status = f"/api/v1/visits/{visit.id}", visit.status.value
        elif item.resource == "action":
            plans = ActionPlans(db, owner, settings)
            plan_id = await db.scalar(select(Action.plan_id).where(Action.id == item.resource_id))
            plan, service = await plans.get(plan_id or 0)
            action = await plans.action(plan, item.resource_id)
            url, status = f"/api/v1/action-plans/{plan.id}", action.status.value
        else:
            plan, service = await ActionPlans(db, owner, settings).get(item.resource_id)
            url, status = f"/api/v1/action-plans/{plan.id}", plan.status.value
    except NotFound:
        return None
    return {
        "resource": item.resource,
        "id": item.resource_id,
        "service_id": service.id,
        "status": status,
        "url": base + url,
    }


async def fan_out(db: AsyncSession, settings: Settings, *, now: datetime, batch: int) -> int:
    """Deliveries for up to ``batch`` new events; each hook gets only what its owner may read."""
    await _queue_overdue_plans(db, now.date())
    events = list(
        await db.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.fanned_out_at.is_(None))
            .order_by(WebhookEvent.id)
            .limit(batch)
        )
    )
    for item in events:
        service_id = await _service_id(db, item)
        service = await db.get(CareService, service_id) if service_id else None
        hooks = []
        if service is not None:
            hooks = list(
                await db.execute(
                    select(Webhook, User)
                    .join(User, User.id == Webhook.owner_id)
                    .where(
                        Webhook.is_active.is_(True),
                        Webhook.created_at <= item.occurred_at,  # no history from before it existed
                        User.is_active.is_(True),
                        Webhook.organisation_id.in_([service.council_id, service.provider_id]),
                    )
                )
            )
        for hook, owner in hooks:
            if item.event not in hook.events:
                continue
            data = await readable_by(db, owner, settings, item)
            if data is None:
                continue
            body = {
                "id": item.id,
                "event": item.event,
                "occurred_at": item.occurred_at.isoformat(),
                "data": data,
            }
            db.add(
                WebhookDelivery(
                    webhook_id=hook.id, event_id=item.id, body=json.dumps(body), next_attempt_at=now
                )
            )
        item.fanned_out_at = now
        await db.commit()
    return len(events)


# --- sending -----------------------------------------------------------------------------------------


async def _claim(db: AsyncSession, delivery_id: int, now: datetime) -> tuple[WebhookDelivery, Webhook] | None:
    claimed = await db.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + _LEASE)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    if claimed.rowcount != 1:
        return None
    row = (
        await db.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id == delivery_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    return row[0], row[1]


@dataclass(frozen=True)
class Attempt:
    status_code: int | None  # None: no answer
    response: str  # the receiver's answer, or why there was none
    refused: bool = False  # the address may not be used: no point trying again


async def _send(
    client: httpx.AsyncClient, delivery: WebhookDelivery, hook: Webhook, *, allow_private_targets: bool
) -> Attempt:
    try:
        address = await checked_address(hook.url, allow_private_targets=allow_private_targets)
    except TargetRefused as refusal:
        return Attempt(None, f"Not sent: {refusal}", refused=True)
    except OSError as error:
        return Attempt(None, f"Could not find the address: {error}")
    url = httpx.URL(hook.url)
    body = delivery.body.encode()
    timestamp = int(time.time())
    event = json.loads(delivery.body)["event"]
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": "selfassess-webhooks",
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery.id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(hook.secret, timestamp, body),
    }
    try:  # to the address checked, under the hook's own name (Host header, TLS name and certificate)
        response = await client.post(
            url.copy_with(host=address),
            content=body,
            headers=headers,
            extensions={"sni_hostname": url.host},
        )
    except httpx.HTTPError as error:
        return Attempt(None, f"{type(error).__name__}: {error}")
    return Attempt(response.status_code, response.text[:_KEPT_RESPONSE_CHARACTERS])


async def send_due(
    db: AsyncSession, *, now: datetime, batch: int, client: httpx.AsyncClient, allow_private_targets: bool
) -> tuple[int, int, int]:
    due = list(
        await db.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
        )
    )
    delivered = retried = failed = 0
    for delivery_id in due:
        claimed = await _claim(db, delivery_id, now)
        if claimed is None:
            continue
        delivery, hook = claimed
        attempt = await _send(client, delivery, hook, allow_private_targets=allow_private_targets)
        status_code, attempts = attempt.status_code, delivery.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": status_code,
            "last_response": attempt.response,
            "last_attempt_at": now,
        }
        if status_code is not None and 200 <= status_code < 300:
            values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
            delivered += 1
        elif attempt.refused or attempts >= MAX_ATTEMPTS:
            values.update(status=DeliveryStatus.FAILED)
            failed += 1
        else:
            values.update(next_attempt_at=now + timedelta(minutes=RETRY_DELAYS_MINUTES[attempts - 1]))
            retried += 1
        await db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await db.commit()
    return delivered, retried, failed


async def deliver_webhooks(
    session_maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    batch: int = 100,
    client: httpx.AsyncClient | None = None,
) -> WebhookReport:
    """One pass of the job: new events fanned out, then due deliveries sent (with back-off)."""
    now = now or utcnow()
    async with session_maker() as db:
        events = await fan_out(db, settings, now=now, batch=batch)
        own_client = client is None
        client = client or httpx.AsyncClient(timeout=_TIMEOUT_SECONDS, follow_redirects=False)
        try:
            delivered, retried, failed = await send_due(
                db,
                now=now,
                batch=batch,
                client=client,
                allow_private_targets=settings.webhook_allow_private_targets,
            )
        finally:
            if own_client:
                await client.aclose()
    return WebhookReport(events=events, delivered=delivered, retried=retried, failed=failed)
