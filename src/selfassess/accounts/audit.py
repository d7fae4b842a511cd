"""The security audit trail: one row per log-in, failure, role change, publication and the like."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, User

AUDIT_EVENT_LABELS = {
    "login.succeeded": "Signed in",
    "login.failed": "Failed sign-in",
    "login.throttled": "Sign-in paused after repeated failures",
    "logout": "Signed out",
    "password.changed": "Changed own password",
    "password.reset": "Password reset from an e-mailed link",
    "password.reset_sent": "Password reset link sent",
    "password.reset_requested": "Password reset asked for on the sign-in page",
    "invitation.sent": "Invitation sent",
    "invitation.accepted": "Invitation accepted, password set",
    "user.created": "Account created",
    "user.role_changed": "Role changed",
    "user.deactivated": "Account deactivated",
    "user.reactivated": "Account reactivated",
    "service.created": "Service added",
    "service.updated": "Service details changed",
    "service.regulator_updated": "Service added or updated from the CQC",
    "regulator.import_applied": "CQC import applied",
    "provider.linked": "Provider added to the register",
    "provider_link.requested": "Asked a provider to join the register",
    "provider_link.accepted": "Provider accepted a council's register",
    "provider_link.declined": "Provider declined a council's register",
    "settings.changed": "Council settings changed",
    "framework.imported": "Framework imported",
    "framework.published": "Framework version published",
    "framework.draft_deleted": "Framework draft deleted",
    "framework.chosen": "Framework chosen for the council",
    "visit.published": "Visit report published",
    "rating.correction_listed": "Published rating listed for review (the corrected method differs)",
    "rating.republished": "Published rating reviewed and republished",
    "concern.logged": "Concern logged",
    "concern.updated": "Concern updated",
    "concern.closed": "Concern closed",
    "concern.reopened": "Concern reopened",
    "concern.shared": "Concern shared with the provider",
    "concern.responded": "Provider responded to a concern",
    "provider.support_level": "Provider quality support level decided",
    "settings.oversight_changed": "Market oversight settings changed",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "token.used": "API token used",
    "token.refused": "API token refused",
    "token.throttled": "API token paused after repeated failures",
    "webhook.created": "Webhook registered",
    "webhook.deleted": "Webhook removed",
    "import.services": "Services imported from a spreadsheet",
    "import.providers": "Provider organisations imported from a spreadsheet",
    "round.opened": "Self-assessment round opened",
}


def audit_event_label(event: str) -> str:
    """Events of older versions that are no longer recorded still read sensibly."""
    return AUDIT_EVENT_LABELS.get(event) or event.replace(".", " ").replace("_", " ").capitalize()


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
    if event not in AUDIT_EVENT_LABELS:
        raise ValueError(f"Unknown audit event {event!r}: give it a label in AUDIT_EVENT_LABELS.")
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
