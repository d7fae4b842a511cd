"""The rules of a self-assessment round, in one place: whether it is open, what state each service
is in, and which reminder (if any) is due for a service on a given day. Pure: no web or database
imports; the pages, the counts, the lists behind them and the reminder job all ask these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from selfassess.assessments.models import AssessmentStatus
from selfassess.choices import Choice

# Reminders before the deadline, in days; one each, to the provider's staff of a service not submitted.
REMINDER_DAYS_BEFORE = (14, 3)


class RoundPhase(Choice):
    UPCOMING = "upcoming", "Opens soon"
    OPEN = "open", "Open"
    CLOSED = "closed", "Deadline passed"


def round_phase(today: date, *, opens_on: date, deadline: date) -> RoundPhase:
    if today < opens_on:
        return RoundPhase.UPCOMING
    if today <= deadline:
        return RoundPhase.OPEN
    return RoundPhase.CLOSED


class Progress(Choice):
    """Where one service in a round is: what the completion figures count."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "Started, not submitted"
    SUBMITTED = "submitted", "Submitted"


def progress_of(status: AssessmentStatus | None) -> Progress:
    """A returned self-assessment is being worked on again; a reviewed one was submitted."""
    if status is None:
        return Progress.NOT_STARTED
    return Progress.SUBMITTED if status.is_submitted else Progress.IN_PROGRESS


def round_problem(*, name: str, opens_on: date, deadline: date, today: date) -> str | None:
    """Why a round cannot be opened with these details (None when it can)."""
    if not name.strip():
        return "Give the round a name, like 2027/28."
    if deadline < opens_on:
        return "The deadline must be on or after the opening date."
    if deadline < today:
        return "The deadline has already passed."
    return None


@dataclass(frozen=True)
class Reminder:
    key: str  # one e-mail per service, person and key: running the job again sends nothing new
    subject: str
    message: str


def reminder_due(
    today: date, *, round_name: str, opens_on: date, deadline: date, progress: Progress
) -> Reminder | None:
    """What to tell a service's provider staff today: that the round has opened and they have not
    started; that the deadline is near (at each of REMINDER_DAYS_BEFORE) and they have not
    submitted; or, once, that the deadline has passed. Nothing once submitted."""
    if progress is Progress.SUBMITTED or today < opens_on:
        return None
    when = f"{deadline:%-d %B %Y}"
    if today > deadline:
        return Reminder(
            "overdue",
            f"Self-assessment {round_name}: the deadline has passed",
            f"The deadline for the {round_name} self-assessment was {when}. "
            "Please submit it as soon as you can.",
        )
    days_left = (deadline - today).days
    passed = [days for days in REMINDER_DAYS_BEFORE if days_left <= days]
    if passed:
        days = min(passed)
        state = "not started yet" if progress is Progress.NOT_STARTED else "not submitted yet"
        return Reminder(
            f"due-{days}",
            f"Self-assessment {round_name} due on {when}",
            f"The {round_name} self-assessment is {state}. The deadline is {when}"
            f" ({days_left} day{'s' if days_left != 1 else ''} left).",
        )
    if progress is Progress.NOT_STARTED:
        return Reminder(
            "opened",
            f"Self-assessment {round_name} is open",
            f"Your council has opened the {round_name} self-assessment round. The deadline is {when}.",
        )
    return None
