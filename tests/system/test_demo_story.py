"""The demo tells one story: every current value is the last change in its history, and every
stored time is the time of the event that produced it (the demo runs the services at the story's
times), so no page contradicts another."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import AuditEvent, User
from selfassess.actions.models import Action, ActionEvent, ActionNote, ActionPlan, PlanStatus
from selfassess.actions.rules import ActionStatus
from selfassess.assessments.models import AssessmentEvent, AssessmentStatus, SelfAssessment
from selfassess.demo import load_demo
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.oversight.models import GoodPractice
from selfassess.settings import Settings
from selfassess.visits.models import ConcernResponse, Visit, VisitEvent


async def test_current_values_are_the_last_change_in_each_history_at_the_storys_times(
    db: AsyncSession, settings: Settings
) -> None:
    await load_demo(db, settings)
    db.expire_all()
    problems: list[str] = []
    problems += await _actions(db)
    problems += await _plans(db)
    problems += await _visits(db)
    problems += await _assessments(db)
    problems += await _news(db)
    assert not problems, "\n".join(problems)


async def _actions(db: AsyncSession) -> list[str]:
    problems: list[str] = []
    events: dict[int, list[ActionEvent]] = defaultdict(list)
    for event in await db.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id.is_not(None))
        .order_by(ActionEvent.occurred_at, ActionEvent.id)
    ):
        events[event.action_id].append(event)  # type: ignore[index]
    names = dict((await db.execute(select(User.id, User.full_name))).all())
    actions = list(await db.scalars(select(Action)))
    assert actions, "the demo has actions"
    for action in actions:
        history = events[action.id]  # type: ignore[index]
        due = [
            e for e in history if e.event in ("action_changed", "due_date_changed") and e.field == "due_date"
        ]
        if due and due[-1].new_value != action.due_date.isoformat():
            problems.append(
                f"action {action.title!r}: due {action.due_date}, history says {due[-1].new_value}"
            )
        owner = [e for e in history if e.field == "responsible person"]
        if owner and owner[-1].new_value != names.get(action.owner_id):
            problems.append(
                f"action {action.title!r}: owner {names.get(action.owner_id)}, "
                f"history says {owner[-1].new_value}"
            )
        status = [e for e in history if e.event == "status_changed"]
        if status and status[-1].new_value != action.status.label:
            problems.append(
                f"action {action.title!r}: {action.status.label}, history says {status[-1].new_value}"
            )
        if status and action.updated_at < status[-1].occurred_at:
            problems.append(f"action {action.title!r}: updated before its last status change")
        if action.completed_at is not None and action.completed_at not in _times(
            status, ActionStatus.COMPLETED.label
        ):
            problems.append(
                f"action {action.title!r}: completed at {action.completed_at}, not when the history says"
            )
        if action.verified_at is not None and action.verified_at not in _times(
            status, ActionStatus.VERIFIED.label
        ):
            problems.append(
                f"action {action.title!r}: verified at {action.verified_at}, not when the history says"
            )
    for note in await db.scalars(select(ActionNote)):
        added = {
            e.occurred_at
            for e in events[note.action_id]
            if e.event == "note_added" and e.new_value == note.text[:200]
        }
        if note.created_at not in added:
            problems.append(f"note {note.text[:30]!r} dated {note.created_at}, history says {sorted(added)}")
    return problems


def _times(events: list[ActionEvent], label: str) -> set[datetime]:
    return {event.occurred_at for event in events if event.new_value == label}


async def _plans(db: AsyncSession) -> list[str]:
    problems: list[str] = []
    for plan in await db.scalars(select(ActionPlan)):
        history = list(
            await db.scalars(
                select(ActionEvent)
                .where(ActionEvent.plan_id == plan.id)
                .order_by(ActionEvent.occurred_at, ActionEvent.id)
            )
        )
        proposed = [e.occurred_at for e in history if e.event == "plan_proposed"]
        moves = [e for e in history if e.event == "plan_status"]
        if proposed != [plan.created_at]:
            problems.append(f"plan {plan.id}: created {plan.created_at}, proposed {proposed}")
        if moves and moves[-1].new_value != plan.status.label:
            problems.append(f"plan {plan.id}: {plan.status.label}, history says {moves[-1].new_value}")
        for moment, label in (
            (plan.submitted_at, PlanStatus.SUBMITTED.label),
            (plan.agreed_at, PlanStatus.AGREED.label),
        ):
            if moment is not None and moment not in {e.occurred_at for e in moves if e.new_value == label}:
                problems.append(f"plan {plan.id}: {label} at {moment}, not when the history says")
    return problems


async def _visits(db: AsyncSession) -> list[str]:
    problems: list[str] = []
    for visit in await db.scalars(select(Visit)):
        history = list(
            await db.scalars(
                select(VisitEvent)
                .where(VisitEvent.visit_id == visit.id)
                .order_by(VisitEvent.occurred_at, VisitEvent.id)
            )
        )
        when = {e.event: e.occurred_at for e in history}
        for name, moment in (
            ("scheduled", visit.created_at),
            ("scores_locked", visit.scores_locked_at),
            ("draft_shared", visit.shared_at),
            ("published", visit.published_at),
        ):
            if moment is not None and when.get(name) != moment:
                problems.append(f"visit {visit.id}: {name} at {moment}, history says {when.get(name)}")
        shared = [e for e in history if e.event == "draft_shared"]
        if shared and f"{visit.factual_accuracy_due:%-d %B %Y}" not in shared[-1].detail:
            problems.append(
                f"visit {visit.id}: comments due {visit.factual_accuracy_due}, "
                f"history says {shared[-1].detail}"
            )
        if history and visit.updated_at < history[-1].occurred_at:
            problems.append(f"visit {visit.id}: updated before its last event")
    return problems


async def _assessments(db: AsyncSession) -> list[str]:
    problems: list[str] = []
    for assessment in await db.scalars(select(SelfAssessment)):
        history = list(
            await db.scalars(
                select(AssessmentEvent)
                .where(AssessmentEvent.assessment_id == assessment.id)
                .order_by(AssessmentEvent.occurred_at, AssessmentEvent.id)
            )
        )
        if history[-1].to_status is not assessment.status:
            problems.append(
                f"self-assessment {assessment.id}: {assessment.status}, history says {history[-1].to_status}"
            )
        if history[0].occurred_at != assessment.created_at:
            problems.append(
                f"self-assessment {assessment.id}: created {assessment.created_at}, "
                f"started {history[0].occurred_at}"
            )
        for moment, status in (
            (assessment.submitted_at, AssessmentStatus.SUBMITTED),
            (assessment.reviewed_at, AssessmentStatus.REVIEWED),
        ):
            if moment is not None and moment not in {e.occurred_at for e in history if e.to_status is status}:
                problems.append(
                    f"self-assessment {assessment.id}: {status} at {moment}, not when the history says"
                )
    return problems


async def _news(db: AsyncSession) -> list[str]:
    """A notification or e-mail is written with the change it reports, so it bears that change's time."""
    moments: set[datetime] = set()
    for column in (
        ActionEvent.occurred_at,
        VisitEvent.occurred_at,
        AssessmentEvent.occurred_at,
        AuditEvent.occurred_at,
        GoodPractice.marked_at,
        GoodPractice.consent_at,
        ConcernResponse.created_at,
    ):
        moments.update(await db.scalars(select(column)))
    problems: list[str] = []
    now = clock.utc_now()
    for model in (Notification, OutboxEmail):
        rows = list(await db.scalars(select(model)))
        assert rows, f"the demo has {model.__name__} rows"
        for row in rows:
            if row.created_at > now:
                problems.append(f"{model.__name__} {row.id} is dated in the future: {row.created_at}")
            elif row.created_at not in moments:
                text = row.message if isinstance(row, Notification) else row.subject
                problems.append(f"{model.__name__} at {row.created_at}, when nothing happened: {text[:60]}")
    return problems
