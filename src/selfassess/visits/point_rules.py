"""Factual-accuracy points on a shared draft report: who may do what, when. The one copy of these
rules; the report page and the visit service both ask it. Pure: no web or database imports.

The provider raises points (or says it has no more) while the draft is shared and the comment
period has not ended; council staff accept or reject each point while it is open.
"""

from __future__ import annotations

from datetime import date

from selfassess.choices import Choice
from selfassess.visits.models import PointStatus, VisitStatus


class PointCommand(Choice):
    RAISE = "raise", "Raise a factual accuracy point"
    FINISH = "finish", "Say there are no more points"
    ACCEPT = "accept", "Accept the point"
    REJECT = "reject", "Do not accept the point"


def report_commands(
    visit: VisitStatus, comments_due: date | None, today: date, *, provider: bool
) -> frozenset[PointCommand]:
    """Commands about the report as a whole (the provider's)."""
    open_for_comments = visit is VisitStatus.DRAFT_SHARED and (comments_due is None or today <= comments_due)
    return (
        frozenset({PointCommand.RAISE, PointCommand.FINISH})
        if provider and open_for_comments
        else frozenset()
    )


def point_commands(point: PointStatus, *, council_staff: bool) -> frozenset[PointCommand]:
    """Commands about one point (the council's)."""
    if council_staff and point is PointStatus.OPEN:
        return frozenset({PointCommand.ACCEPT, PointCommand.REJECT})
    return frozenset()


def report_refusal(visit: VisitStatus, comments_due: date | None, *, provider: bool) -> str:
    if not provider:
        return "Factual accuracy points are raised by the provider."
    if visit is not VisitStatus.DRAFT_SHARED:
        return "The report is not open for factual accuracy comments."
    assert comments_due is not None
    return f"The period for factual accuracy comments ended on {comments_due:%-d %B %Y}."
