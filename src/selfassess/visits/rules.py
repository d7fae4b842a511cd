"""Who may do what to a visit in which state: the one copy of the visit's rules, which the visit
pages, the visit handlers and the plan proposal all ask. Pure: no web or database imports.

A visit moves scheduled -> in progress -> scores locked -> draft shared -> published (or is
cancelled before publication). Scoring and the visit's details change only before the scores are
locked; the report (summary, breaches) until it is published; the draft is shared once the scores
are locked, and published once shared. Any of the council's staff may act on its visits (officers
cover for each other, admins for everyone); providers give none of these commands and see only a
shared or published report.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from selfassess.choices import Choice
from selfassess.visits.models import VisitStatus

if TYPE_CHECKING:
    from selfassess.accounts.models import User


class VisitCommand(Choice):
    EDIT_DETAILS = "edit_details", "Change details"
    EDIT_SCORES = "edit_scores", "Score the statements"
    LOCK_SCORES = "lock_scores", "Lock scores"
    SAVE_SUMMARY = "save_summary", "Save summary"
    RECORD_BREACH = "record_breach", "Record a breach"
    REMOVE_BREACH = "remove_breach", "Remove a breach"
    SHARE_DRAFT = "share_draft", "Share draft report with the provider"
    PUBLISH = "publish", "Publish report"
    CANCEL = "cancel", "Cancel visit"
    PROPOSE_PLAN = "propose_plan", "Propose an action plan"


class VisitRole(Choice):
    OFFICER = "officer", "The visit's officer"
    COLLEAGUE = "colleague", "Other council staff"
    COUNCIL_ADMIN = "council_admin", "Council admin"
    PROVIDER = "provider", "Provider staff"


_SCORING = frozenset({VisitCommand.EDIT_DETAILS, VisitCommand.EDIT_SCORES, VisitCommand.LOCK_SCORES})
_REPORT = frozenset(
    {VisitCommand.SAVE_SUMMARY, VisitCommand.RECORD_BREACH, VisitCommand.REMOVE_BREACH, VisitCommand.CANCEL}
)
_BY_STATUS = {
    VisitStatus.SCHEDULED: _SCORING | _REPORT,
    VisitStatus.IN_PROGRESS: _SCORING | _REPORT,
    VisitStatus.SCORES_LOCKED: _REPORT | {VisitCommand.SHARE_DRAFT},
    VisitStatus.DRAFT_SHARED: _REPORT | {VisitCommand.PUBLISH},
    VisitStatus.PUBLISHED: frozenset({VisitCommand.PROPOSE_PLAN}),
    VisitStatus.CANCELLED: frozenset(),
}

_REFUSALS = {
    VisitCommand.EDIT_DETAILS: "The details of a visit cannot change once its scores are locked.",
    VisitCommand.EDIT_SCORES: "The scores of this visit are locked.",
    VisitCommand.LOCK_SCORES: "The scores of this visit are locked.",
    VisitCommand.SAVE_SUMMARY: "The report is published and can no longer change.",
    VisitCommand.RECORD_BREACH: "The report is published and can no longer change.",
    VisitCommand.REMOVE_BREACH: "The report is published and can no longer change.",
    VisitCommand.SHARE_DRAFT: "Lock the scores before sharing the draft report.",
    VisitCommand.PUBLISH: "Share the draft report with the provider for factual accuracy first.",
    VisitCommand.CANCEL: "A published or cancelled visit cannot be cancelled.",
    VisitCommand.PROPOSE_PLAN: "Publish the visit report before proposing an action plan.",
}

# Where the visit stands in the four steps of the visit page (scoring, report, publication, plan).
_STEP = {
    VisitStatus.SCHEDULED: 1,
    VisitStatus.IN_PROGRESS: 1,
    VisitStatus.SCORES_LOCKED: 2,
    VisitStatus.DRAFT_SHARED: 3,
    VisitStatus.PUBLISHED: 4,
    VisitStatus.CANCELLED: 0,
}


def visit_role(viewer: User, officer_id: int) -> VisitRole:
    """The viewer's part in a visit carried out by the officer `officer_id`."""
    if viewer.is_provider:
        return VisitRole.PROVIDER
    if viewer.is_council_admin:
        return VisitRole.COUNCIL_ADMIN
    return VisitRole.OFFICER if viewer.id == officer_id else VisitRole.COLLEAGUE


def visit_commands(status: VisitStatus, role: VisitRole) -> frozenset[VisitCommand]:
    return frozenset() if role is VisitRole.PROVIDER else _BY_STATUS[status]


def visit_refusal(command: VisitCommand, role: VisitRole) -> str:
    if role is VisitRole.PROVIDER:
        return "Visits are recorded by council staff."
    return _REFUSALS[command]


def report_shared(status: VisitStatus) -> bool:
    """The report exists for the provider (and as a page of its own) once the draft is shared."""
    return status in (VisitStatus.DRAFT_SHARED, VisitStatus.PUBLISHED)


def current_step(status: VisitStatus) -> int:
    """The step of the visit page the visit is at: 1 scoring to 4 action plan, 0 when cancelled."""
    return _STEP[status]


def share_problem(summary: str) -> str | None:
    """What stops the draft report from being shared (the scores are locked by then): the page shows
    it before anyone is asked to confirm, and the service refuses with it."""
    return None if summary.strip() else "Write the overall summary before sharing the draft report."


def before_visit_day(scheduled_for: date, today: date) -> bool:
    """Scoring, sharing or publishing a visit dated after today is allowed (the date may be wrong, or
    the visit was brought forward) but is worth a warning."""
    return today < scheduled_for
