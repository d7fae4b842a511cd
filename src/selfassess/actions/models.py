"""Shared improvement action plans: one per published visit, worked on by both sides."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Index, Text, UniqueConstraint, and_, func, text
from sqlmodel import Field, SQLModel

from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type, utcnow

DONE = (ActionStatus.COMPLETED, ActionStatus.VERIFIED)
_OPEN = f"status NOT IN {tuple(status.value for status in DONE)}"  # the partial index's condition


class PlanStatus(Choice):
    DRAFT = "draft", "Draft: provider completing"
    SUBMITTED = "submitted", "Submitted for agreement"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    AGREED = "agreed", "Agreed: in progress"
    CLOSED = "closed", "Closed: every action verified"

    @property
    def provider_may_edit(self) -> bool:
        return self in (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)


# Plans their provider is completing: the statuses, and the partial index's condition over them.
TO_COMPLETE = tuple(status for status in PlanStatus if status.provider_may_edit)
_TO_COMPLETE = f"status IN {tuple(status.value for status in TO_COMPLETE)}"


class ActionPlan(Timestamped, table=True):
    __tablename__ = "action_plan"
    # Plans submitted in a quarter, and whether on time (the quarterly report), from this index alone.
    # ix_action_plan_service_status: a provider's plans of one status (its home page's agreed
    # plans), looked up service by service and read from the index alone.
    # ix_action_plan_to_complete: the plans being completed in the whole country (about a thousand,
    # not every year's plans): a provider's are found by hashing its services against it.
    # ix_action_plan_council_status: a council's plans (of one status), from the index alone: the
    # quarterly report's completed and overdue actions join them, not the country's plans.
    # ix_action_plan_provider_status: a provider's plans (of one status), from the index alone: its
    # home page's due dates, plans to complete and actions due start from its own plans, not from
    # each of its services' plans.
    __table_args__ = (
        Index("ix_action_plan_submitted", "submitted_at", "service_id", "provider_due"),
        Index("ix_action_plan_service_status", "service_id", "status", "id", "provider_due"),
        Index(
            "ix_action_plan_to_complete",
            "service_id",
            "id",
            "provider_due",
            postgresql_where=text(_TO_COMPLETE),
            sqlite_where=text(_TO_COMPLETE),
        ),
        Index("ix_action_plan_council_status", "council_id", "status", "id"),
        Index("ix_action_plan_provider_status", "provider_id", "status", "id", "service_id", "provider_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="care_service.id", index=True)
    council_id: int = Field(
        foreign_key="organisation.id",
        description="The service's council, copied when the plan is made (a service never changes "
        "council): a council's plans are found by this index instead of through every plan's service.",
    )
    provider_id: int = Field(
        foreign_key="organisation.id",
        description="The service's provider, copied when the plan is made and again when the service "
        "moves to another provider (``service_moved``): a provider's plans are found by this index "
        "instead of through each of its services.",
    )
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    status: PlanStatus = Field(default=PlanStatus.DRAFT, sa_type=enum_type(PlanStatus), index=True)
    provider_due: date = Field(description="When the provider should have completed the draft.")
    submitted_at: datetime | None = None
    agreed_at: datetime | None = None
    agreed_by_id: int | None = Field(default=None, foreign_key="user.id")
    review_comment: str = Field(default="", sa_type=Text)
    accuracy_note: str = Field(
        default="",
        sa_type=Text,
        sa_column_kwargs={"server_default": ""},
        description="Statements found met that the provider rated higher: a note, not an action.",
    )
    closed_at: datetime | None = None
    follow_up_due: date | None = Field(default=None, description="When a follow-up visit is proposed.")


class Action(Timestamped, table=True):
    # Actions completed in a quarter, and whether by their due date (the quarterly report), from this
    # index alone: the quarter's completions, not every action of every year.
    # ix_action_plan_due: a plan's overdue actions (due date and status) read from the index alone,
    # for the /plans order, the overdue filter and the home page's tile, plan after plan; with their
    # ids, a provider's first actions due (its home page's due dates) too.
    # ix_action_open_due: overdue actions (the quarterly report's figure and its list) from the open
    # ones alone, by due date: the actions done long ago, most of every year's, are not read.
    __table_args__ = (
        Index("ix_action_completed", "completed_at", "plan_id", "due_date"),
        Index("ix_action_plan_due", "plan_id", "due_date", "status", "id"),
        Index(
            "ix_action_open_due",
            "due_date",
            "plan_id",
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True)
    statement_id: int | None = Field(default=None, foreign_key="quality_statement.id")
    reason: Reason = Field(sa_type=enum_type(Reason))
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    priority: Priority = Field(sa_type=enum_type(Priority))
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    due_date: date = Field(index=True)
    status: ActionStatus = Field(
        default=ActionStatus.NOT_STARTED, sa_type=enum_type(ActionStatus), index=True
    )
    status_reason: str = Field(default="", sa_type=Text, description="Why it was reopened.")
    proposed_due_date: date | None = None
    proposed_due_reason: str = Field(default="", sa_type=Text)
    completed_at: datetime | None = None
    verified_at: datetime | None = None
    verified_by_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = 0


class ActionNote(SQLModel, table=True):
    """A progress note, optionally with an evidence file."""

    __tablename__ = "action_note"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(default="", sa_type=Text)
    file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Set by the page for each note it sends: the same note sent again is added once.
    submission_key: str | None = Field(default=None, max_length=36)

    __table_args__ = (UniqueConstraint("action_id", "submission_key"),)


class ActionEvent(SQLModel, table=True):
    """The full history of a plan and its actions: who changed what, when, from what to what."""

    __tablename__ = "action_event"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    occurred_at: datetime = Field(default_factory=utcnow)
    event: str = Field(max_length=60)
    field: str | None = Field(default=None, max_length=60)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)
    comment: str = Field(default="", sa_type=Text)


def awaiting_verification_condition() -> ColumnElement[bool]:
    """SQL for 'marked complete by the provider, not yet verified': what the officer's queue and the
    plan page's filter both count."""
    return Action.status == ActionStatus.COMPLETED


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL for 'past due and not done': the same rule as rules.is_overdue, for counting in the database."""
    return and_(Action.due_date < today, Action.status.not_in(DONE))


def _on_days(column, starts: date | None, ends: date | None) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """A stored time on one of the days from ``starts`` to ``ends`` (None: no limit on that side), as
    a range on the column itself (not on ``date(column)``), so that an index on it applies."""
    return and_(
        column.is_not(None),
        *([column >= datetime.combine(starts, time(), UTC)] if starts else []),
        *([column < datetime.combine(ends + timedelta(days=1), time(), UTC)] if ends else []),
    )


def submitted_between(starts: date | None, ends: date | None) -> ColumnElement[bool]:
    """Plans submitted from ``starts`` to ``ends``: what the quarterly report counts and its list shows."""
    return _on_days(ActionPlan.submitted_at, starts, ends)


def submitted_on_time_condition() -> ColumnElement[bool]:
    """Submitted on or before the day the provider was given."""
    return func.date(ActionPlan.submitted_at) <= ActionPlan.provider_due


def completed_between(starts: date | None, ends: date | None) -> ColumnElement[bool]:
    """Actions completed from ``starts`` to ``ends``: what the quarterly report counts and its list shows."""
    return _on_days(Action.completed_at, starts, ends)


def completed_on_time_condition() -> ColumnElement[bool]:
    """Completed on or before its due date."""
    return func.date(Action.completed_at) <= Action.due_date
