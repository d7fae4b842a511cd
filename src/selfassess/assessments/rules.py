"""Who may do what to a self-assessment in which state: the one copy of the rules the self-assessment
pages and the service ask. Pure: no web or database imports.

The provider's staff write and submit it while it is a draft or returned for more information;
council staff mark a submitted one reviewed, or return a submitted or reviewed one for more.
"""

from __future__ import annotations

from selfassess.assessments.models import AssessmentStatus
from selfassess.choices import Choice


class AssessmentCommand(Choice):
    EDIT = "edit", "Change answers and evidence"
    SUBMIT = "submit", "Submit to the council"
    MARK_REVIEWED = "mark_reviewed", "Mark as reviewed"
    RETURN = "return", "Return for more information"


def assessment_commands(status: AssessmentStatus, *, provider: bool) -> frozenset[AssessmentCommand]:
    if provider:
        return (
            frozenset({AssessmentCommand.EDIT, AssessmentCommand.SUBMIT}) if status.editable else frozenset()
        )
    allowed = set()
    if status is AssessmentStatus.SUBMITTED:
        allowed.add(AssessmentCommand.MARK_REVIEWED)
    if status.is_submitted:
        allowed.add(AssessmentCommand.RETURN)
    return frozenset(allowed)


def assessment_refusal(command: AssessmentCommand, status: AssessmentStatus, *, provider: bool) -> str:
    if command in (AssessmentCommand.EDIT, AssessmentCommand.SUBMIT):
        if not provider:
            return "Only the provider's own staff can fill in a self-assessment."
        return f"This self-assessment is {status.label.lower()} and cannot be changed."
    if provider:
        return "Only council staff review self-assessments."
    if command is AssessmentCommand.MARK_REVIEWED:
        return "Only a submitted self-assessment can be marked as reviewed."
    return "Only a submitted self-assessment can be returned."


def refused_for_the_person(command: AssessmentCommand, *, provider: bool) -> bool:
    """True when this side may never give the command (a 403), not just not now (a 400)."""
    return not any(command in assessment_commands(status, provider=provider) for status in AssessmentStatus)
