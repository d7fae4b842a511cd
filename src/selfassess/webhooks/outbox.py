"""Events become outbox rows in the same transaction as the change they report.

The services already write a history row for every change (AssessmentEvent, VisitEvent,
ActionEvent). Before each flush we look at the new history rows and add a WebhookEvent for the
ones hooks may subscribe to, so an event is recorded exactly when its change is committed, and
the services need not know webhooks exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from selfassess.actions.models import ActionEvent
from selfassess.actions.rules import ActionStatus
from selfassess.assessments.models import AssessmentEvent, AssessmentStatus
from selfassess.visits.models import VisitEvent
from selfassess.webhooks.models import HookEvent, WebhookEvent

_VISIT_EVENTS = {"draft_shared": HookEvent.DRAFT_REPORT_SHARED, "published": HookEvent.REPORT_PUBLISHED}
_ACTION_STATUSES = {
    ActionStatus.COMPLETED.label: HookEvent.ACTION_COMPLETED,
    ActionStatus.VERIFIED.label: HookEvent.ACTION_VERIFIED,
}


def hook_event_for(history: Any) -> WebhookEvent | None:
    if isinstance(history, AssessmentEvent) and history.to_status is AssessmentStatus.SUBMITTED:
        return WebhookEvent(
            event=HookEvent.SELF_ASSESSMENT_SUBMITTED,
            resource="self_assessment",
            resource_id=history.assessment_id,
        )
    if isinstance(history, VisitEvent) and history.event in _VISIT_EVENTS:
        return WebhookEvent(
            event=_VISIT_EVENTS[history.event], resource="visit", resource_id=history.visit_id
        )
    if (
        isinstance(history, ActionEvent)
        and history.event == "status_changed"
        and history.new_value in _ACTION_STATUSES
        and history.action_id is not None
    ):
        return WebhookEvent(
            event=_ACTION_STATUSES[history.new_value], resource="action", resource_id=history.action_id
        )
    return None


@event.listens_for(Session, "before_flush")
def _record_hook_events(session: Session, _context: Any, _instances: Any) -> None:
    for history in list(session.new):
        if (hook_event := hook_event_for(history)) is not None:
            session.add(hook_event)
