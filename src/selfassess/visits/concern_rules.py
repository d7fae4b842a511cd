"""Who may do what to a concern (intelligence about a service) in which state: the one copy of the
rules the concern page and the concern handlers ask. Pure: no web or database imports.

Council staff triage concerns: while one is open they may edit it, close it with an outcome, or
answer it with a reactive visit; a closed one may be edited or reopened. Providers never change
concerns (they see the outcome of those that are not confidential).
"""

from __future__ import annotations

from selfassess.choices import Choice
from selfassess.visits.models import ConcernStatus


class ConcernCommand(Choice):
    EDIT = "edit", "Edit concern"
    CLOSE = "close", "Close concern"
    REOPEN = "reopen", "Reopen concern"
    SCHEDULE_VISIT = "schedule_visit", "Schedule a reactive visit"


_BY_STATUS = {
    ConcernStatus.OPEN: frozenset({ConcernCommand.EDIT, ConcernCommand.CLOSE, ConcernCommand.SCHEDULE_VISIT}),
    ConcernStatus.CLOSED: frozenset({ConcernCommand.EDIT, ConcernCommand.REOPEN}),
}


def concern_commands(status: ConcernStatus, *, council_staff: bool) -> frozenset[ConcernCommand]:
    return _BY_STATUS[status] if council_staff else frozenset()


def concern_refusal(command: ConcernCommand, status: ConcernStatus, *, council_staff: bool) -> str:
    if not council_staff:
        return "Only council staff can change a concern."
    if command is ConcernCommand.CLOSE:
        return "This concern is already closed."
    if command is ConcernCommand.REOPEN:
        return "This concern is already open."
    return "A closed concern cannot be answered with a visit: reopen it first."
