"""Who may do what to a concern (intelligence about a service) in which state: the one copy of the
rules the concern page and the concern handlers ask. Pure: no web or database imports.

Council staff triage concerns: while one is open they may edit it, close it with an outcome, answer
it with a reactive visit, or share it with the provider (what the provider reads, what it is asked
to do and by when); a closed one may be edited or reopened. A confidential concern is never shared:
the provider does not see it at all. The provider changes nothing about a concern, but may respond
on the page to an open one it can see; its responses go to the council.
"""

from __future__ import annotations

from datetime import date

from selfassess.choices import Choice
from selfassess.visits.models import ConcernStatus


class ConcernCommand(Choice):
    EDIT = "edit", "Edit concern"
    CLOSE = "close", "Close concern"
    REOPEN = "reopen", "Reopen concern"
    SCHEDULE_VISIT = "schedule_visit", "Schedule a reactive visit"
    SHARE = "share", "Share with the provider"
    RESPOND = "respond", "Respond to the council"


_COUNCIL_BY_STATUS = {
    ConcernStatus.OPEN: frozenset(
        {ConcernCommand.EDIT, ConcernCommand.CLOSE, ConcernCommand.SCHEDULE_VISIT, ConcernCommand.SHARE}
    ),
    ConcernStatus.CLOSED: frozenset({ConcernCommand.EDIT, ConcernCommand.REOPEN}),
}
_PROVIDER_BY_STATUS = {
    ConcernStatus.OPEN: frozenset({ConcernCommand.RESPOND}),
    ConcernStatus.CLOSED: frozenset[ConcernCommand](),
}
_NEVER_WHEN_CONFIDENTIAL = frozenset({ConcernCommand.SHARE, ConcernCommand.RESPOND})


def concern_commands(
    status: ConcernStatus, *, council_staff: bool, confidential: bool = False
) -> frozenset[ConcernCommand]:
    """What the viewer may do now. Anyone who is not council staff and sees a concern is the
    provider of its service."""
    allowed = (_COUNCIL_BY_STATUS if council_staff else _PROVIDER_BY_STATUS)[status]
    return allowed - _NEVER_WHEN_CONFIDENTIAL if confidential else allowed


def concern_role_may(command: ConcernCommand, *, council_staff: bool) -> bool:
    """Whether this kind of person may ever give the command (in some state): refusing one they
    may not is a 403, refusing one they may give later is a message on the page."""
    table = _COUNCIL_BY_STATUS if council_staff else _PROVIDER_BY_STATUS
    return any(command in allowed for allowed in table.values())


def concern_refusal(
    command: ConcernCommand, status: ConcernStatus, *, council_staff: bool, confidential: bool = False
) -> str:
    if not concern_role_may(command, council_staff=council_staff):
        return (
            "Only the provider responds to a concern."
            if council_staff
            else "Only council staff can change a concern."
        )
    if confidential and command in _NEVER_WHEN_CONFIDENTIAL:
        return "A confidential concern is never shared with the provider."
    if command is ConcernCommand.CLOSE:
        return "This concern is already closed."
    if command is ConcernCommand.REOPEN:
        return "This concern is already open."
    if command is ConcernCommand.SHARE:
        return "A closed concern cannot be shared with the provider: reopen it first."
    if command is ConcernCommand.RESPOND:
        return "This concern is closed, so it takes no more responses."
    return "A closed concern cannot be answered with a visit: reopen it first."


def awaits_response(status: ConcernStatus, provider_request: str | None) -> bool:
    """The provider has been asked to do something about the concern, and it is still open."""
    return status is ConcernStatus.OPEN and bool(provider_request)


def response_overdue(status: ConcernStatus, respond_by: date | None, today: date) -> bool:
    """An open concern whose respond-by date has passed."""
    return status is ConcernStatus.OPEN and respond_by is not None and respond_by < today
