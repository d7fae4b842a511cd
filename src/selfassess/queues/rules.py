"""The kinds of work that wait for each side, and how an item's age or due date reads.

Pure: the kinds a side sees, their words, and date arithmetic (no web or database). What each
kind counts is one query per kind in ``queues/service.py``, which both the home page's count and
the /waiting list use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from selfassess.actions.rules import Side
from selfassess.choices import Choice

# Actions due within this many days wait for the provider (as do overdue ones).
DUE_SOON_DAYS = 14


class QueueKind(Choice):
    # council officers
    ACTIONS_TO_VERIFY = "actions_to_verify", "Actions marked complete, to verify"
    DUE_DATE_REQUESTS = "due_date_requests", "Requests for more time"
    POINTS_TO_ANSWER = "points_to_answer", "Factual accuracy points to answer"
    PLANS_TO_AGREE = "plans_to_agree", "Action plans to agree"
    REVIEWS = "reviews", "Self-assessments to review"
    NEW_CONCERNS = "new_concerns", "New concerns"
    # providers
    PLANS_TO_COMPLETE = "plans_to_complete", "Action plans to complete"
    ACTIONS_DUE = "actions_due", "Actions due soon or overdue"
    REPORTS_TO_COMMENT = "reports_to_comment", "Draft reports to comment on"
    RETURNED_ASSESSMENTS = "returned_assessments", "Self-assessments returned to you"


@dataclass(frozen=True)
class KindWords:
    """How the home page's tile and the list describe one kind."""

    singular: str
    plural: str
    hint: str  # what "you" are waited on for, shown under the list's heading


_WORDS = {
    QueueKind.ACTIONS_TO_VERIFY: KindWords(
        "action to verify", "actions to verify", "The provider marked these complete: verify or reopen them."
    ),
    QueueKind.DUE_DATE_REQUESTS: KindWords(
        "request for more time",
        "requests for more time",
        "The provider asks to move a due date: accept or refuse it.",
    ),
    QueueKind.POINTS_TO_ANSWER: KindWords(
        "factual accuracy point to answer",
        "factual accuracy points to answer",
        "Points the provider raised on your draft reports.",
    ),
    QueueKind.PLANS_TO_AGREE: KindWords(
        "action plan to agree", "action plans to agree", "Agree each plan, or ask for changes."
    ),
    QueueKind.REVIEWS: KindWords(
        "self-assessment to review", "self-assessments to review", "Mark each reviewed, or return it."
    ),
    QueueKind.NEW_CONCERNS: KindWords(
        "new concern",
        "new concerns",
        "Open concerns no visit addresses yet: plan a visit or close them with an outcome.",
    ),
    QueueKind.PLANS_TO_COMPLETE: KindWords(
        "action plan to complete",
        "action plans to complete",
        "Name a responsible person and a due date for each action, then send the plan to the council.",
    ),
    QueueKind.ACTIONS_DUE: KindWords(
        "action due soon or overdue",
        "actions due soon or overdue",
        f"Open actions due within {DUE_SOON_DAYS} days, or past their date.",
    ),
    QueueKind.REPORTS_TO_COMMENT: KindWords(
        "draft report to comment on",
        "draft reports to comment on",
        "Tell the officer about anything factually wrong before the date.",
    ),
    QueueKind.RETURNED_ASSESSMENTS: KindWords(
        "self-assessment returned to you",
        "self-assessments returned to you",
        "The council asked for more information: add it and submit again.",
    ),
}

_KINDS = {
    Side.OFFICER: (
        QueueKind.ACTIONS_TO_VERIFY,
        QueueKind.DUE_DATE_REQUESTS,
        QueueKind.POINTS_TO_ANSWER,
        QueueKind.PLANS_TO_AGREE,
        QueueKind.REVIEWS,
        QueueKind.NEW_CONCERNS,
    ),
    Side.PROVIDER: (
        QueueKind.PLANS_TO_COMPLETE,
        QueueKind.ACTIONS_DUE,
        QueueKind.REPORTS_TO_COMMENT,
        QueueKind.RETURNED_ASSESSMENTS,
    ),
}


def kinds_for(side: Side) -> tuple[QueueKind, ...]:
    """The kinds of work that wait for this side, in the order the home page shows them."""
    return _KINDS[side]


def words(kind: QueueKind) -> KindWords:
    return _WORDS[kind]


def counted(kind: QueueKind, count: int) -> str:
    """ "1 action to verify", "3 actions to verify"."""
    chosen = _WORDS[kind]
    return f"{count} {chosen.singular if count == 1 else chosen.plural}"


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def age(since: date, today: date) -> str:
    """How long something has waited: "today", "yesterday", "5 days ago"."""
    days = (today - since).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{_days(days)} ago"


def due(on: date, today: date) -> str:
    """How near a due date is: "due today", "due in 3 days", "2 days overdue"."""
    days = (on - today).days
    if days == 0:
        return "due today"
    if days > 0:
        return "due tomorrow" if days == 1 else f"due in {_days(days)}"
    return f"{_days(-days)} overdue"


def is_late(on: date | None, today: date) -> bool:
    return on is not None and on < today
