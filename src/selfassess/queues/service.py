"""What waits for the viewer: one query per kind of item, which gives both the home page's count
and the /waiting list, so the two can never disagree. Counts are SQL aggregates, in one query.

Council officers are waited on for work on the services assigned to them (and on services nobody
is assigned to), and for points on the visits they carried out; provider staff for their own
organisation's services. Every query is scoped by ``CareServices.scope``: nobody sees another
organisation's items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.actions.models import (
    DONE,
    TO_COMPLETE,
    Action,
    ActionEvent,
    ActionPlan,
    PlanStatus,
    awaiting_verification_condition,
)
from selfassess.actions.rules import Side
from selfassess.assessments.models import AssessmentStatus, SelfAssessment
from selfassess.db import Page, built_once, fetch_page, in_constants
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.queues.rules import DUE_SOON_DAYS, QueueKind, age, due, is_late, kinds_for
from selfassess.visits.models import (
    Concern,
    ConcernStatus,
    FactualAccuracyPoint,
    PointStatus,
    Visit,
    VisitConcern,
    VisitStatus,
)


@dataclass(frozen=True)
class WaitingItem:
    kind: QueueKind
    title: str
    service: str
    href: str
    when: str  # its age or its due date, in words
    late: bool


def _columns(ref: Any, parent: Any, title: Any, since: Any, due_on: Any) -> tuple[Any, ...]:
    """Every kind's query gives the same columns, so one page template lists them all."""
    return (
        ref.label("ref"),
        parent.label("parent"),
        title.label("title"),
        CareService.name.label("service"),
        since.label("since"),
        due_on.label("due"),
    )


# Where each kind's item is handled: the exact place on the plan, report, assessment or concern.
_LINKS: dict[QueueKind, Callable[[Any], str]] = {
    QueueKind.ACTIONS_TO_VERIFY: lambda row: f"/plans/{row.parent}#action-{row.ref}",
    QueueKind.DUE_DATE_REQUESTS: lambda row: f"/plans/{row.parent}#action-{row.ref}",
    QueueKind.ACTIONS_DUE: lambda row: f"/plans/{row.parent}#action-{row.ref}",
    QueueKind.POINTS_TO_ANSWER: lambda row: f"/visits/{row.parent}/report#points",
    QueueKind.REPORTS_TO_COMMENT: lambda row: f"/visits/{row.ref}/report#points",
    QueueKind.PLANS_TO_AGREE: lambda row: f"/plans/{row.ref}#agree",
    QueueKind.PLANS_TO_COMPLETE: lambda row: f"/plans/{row.ref}#actions",
    QueueKind.REVIEWS: lambda row: f"/assessments/{row.ref}#review",
    QueueKind.RETURNED_ASSESSMENTS: lambda row: f"/assessments/{row.ref}",
    QueueKind.NEW_CONCERNS: lambda row: f"/concerns/{row.ref}",
}

# How the wait reads: what happened and how long ago, or when it is due.
_SINCE_WORDS = {
    QueueKind.ACTIONS_TO_VERIFY: "marked complete",
    QueueKind.DUE_DATE_REQUESTS: "asked",
    QueueKind.POINTS_TO_ANSWER: "raised",
    QueueKind.PLANS_TO_AGREE: "submitted",
    QueueKind.REVIEWS: "submitted",
    QueueKind.NEW_CONCERNS: "logged",
    QueueKind.RETURNED_ASSESSMENTS: "returned",
}
_DUE_WORDS = {
    QueueKind.DUE_DATE_REQUESTS: "new date asked for",
    QueueKind.PLANS_TO_COMPLETE: "complete by",
    QueueKind.ACTIONS_DUE: "due",
    QueueKind.REPORTS_TO_COMMENT: "comments by",
}


# Kinds scoped by the plan's own provider column (see "the provider's kinds" below), not ``scope``.
_SCOPED_BY_THE_PLAN = frozenset({QueueKind.PLANS_TO_COMPLETE, QueueKind.ACTIONS_DUE})


class WaitingFor:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.services = CareServices(db, viewer)

    @property
    def kinds(self) -> tuple[QueueKind, ...]:
        return kinds_for(Side.PROVIDER if self.viewer.is_provider else Side.OFFICER)

    def _responsible(self) -> ColumnElement[bool]:
        """An officer's services: assigned to them, or to nobody (so no work waits for no one)."""
        return or_(
            CareService.assigned_officer_id == self.viewer.id, CareService.assigned_officer_id.is_(None)
        )

    def statement(self, kind: QueueKind, today: date) -> Select:  # type: ignore[type-arg]
        """The one query for this kind: the list shows its rows, the home page counts them. Scoped
        by ``CareServices.scope``, or for the provider's plans and actions by the plan's own
        provider column (``CareServices.in_area``, the same rule said of the plan)."""
        if kind not in self.kinds:
            raise ValueError(f"{kind} does not wait for this person.")
        build = self._statements[kind]
        if kind in _SCOPED_BY_THE_PLAN:
            return self._built(kind, today, lambda: build(self, today))
        return self._built(kind, today, lambda: self.services.scope(build(self, today)))

    def _built(self, what: object, today: date, build: Callable[[], Select]) -> Select:  # type: ignore[type-arg]
        """A statement of this viewer's built once a day: building the kinds' statements cost more
        than running them (every page's header and home page ask). It depends only on the viewer's
        id, organisation and side, and on the day."""
        return built_once(
            ("waiting", what, self.viewer.id, self.viewer.organisation_id, self.viewer.is_provider, today),
            build,
        )

    # --- the officer's kinds ---------------------------------------------------------------------

    def _actions(self, *conditions: Any, since: Any, due_on: Any) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(Action.id, Action.plan_id, Action.title, since, due_on))
            .join(ActionPlan, ActionPlan.id == Action.plan_id)
            .join(CareService, CareService.id == ActionPlan.service_id)
            .where(ActionPlan.status == PlanStatus.AGREED, *conditions)
        )

    def _to_verify(self, today: date) -> Select:  # type: ignore[type-arg]
        return self._actions(
            awaiting_verification_condition(), self._responsible(), since=Action.completed_at, due_on=null()
        )

    def _due_date_requests(self, today: date) -> Select:  # type: ignore[type-arg]
        asked = (
            select(func.max(ActionEvent.occurred_at))
            .where(ActionEvent.action_id == Action.id, ActionEvent.event == "due_date_proposed")
            .scalar_subquery()
        )
        return self._actions(
            Action.proposed_due_date.is_not(None),
            self._responsible(),
            since=asked,
            due_on=Action.proposed_due_date,
        )

    def _points(self, today: date) -> Select:  # type: ignore[type-arg]
        return (
            select(
                *_columns(
                    FactualAccuracyPoint.id,
                    Visit.id,
                    FactualAccuracyPoint.text,
                    FactualAccuracyPoint.created_at,
                    null(),
                )
            )
            .join(Visit, Visit.id == FactualAccuracyPoint.visit_id)
            .join(CareService, CareService.id == Visit.service_id)
            .where(FactualAccuracyPoint.status == PointStatus.OPEN, Visit.officer_id == self.viewer.id)
        )

    def _plans(self, *conditions: Any, since: Any, due_on: Any) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(ActionPlan.id, null(), null(), since, due_on))
            .join(CareService, CareService.id == ActionPlan.service_id)
            .where(*conditions)
        )

    def _plans_to_agree(self, today: date) -> Select:  # type: ignore[type-arg]
        return self._plans(
            ActionPlan.status == PlanStatus.SUBMITTED,
            self._responsible(),
            since=ActionPlan.submitted_at,
            due_on=null(),
        )

    def _assessments(self, status: AssessmentStatus, since: Any) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(SelfAssessment.id, null(), SelfAssessment.period_label, since, null()))
            .join(CareService, CareService.id == SelfAssessment.service_id)
            .where(in_constants(SelfAssessment.status, [status]))
        )

    def _reviews(self, today: date) -> Select:  # type: ignore[type-arg]
        return self._assessments(AssessmentStatus.SUBMITTED, SelfAssessment.submitted_at).where(
            self._responsible()
        )

    def _new_concerns(self, today: date) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(Concern.id, null(), Concern.summary, Concern.created_at, null()))
            .join(CareService, CareService.id == Concern.service_id)
            .where(
                Concern.status == ConcernStatus.OPEN,
                ~exists().where(VisitConcern.concern_id == Concern.id),
                self._responsible(),
            )
        )

    # --- the provider's kinds --------------------------------------------------------------------

    # Reports to comment on and returned self-assessments are the country's few hundred or thousand
    # open rows, each kind in a partial index (migration 0035), which PostgreSQL hashes against the
    # provider's services or looks up service by service in two pages instead of three: no
    # ``includes`` for them, and their statuses written into the SQL (``in_constants``).
    #
    # Plans to complete and actions due start from the provider's own plans, by the provider copied
    # onto the plan and its index (migration 0038), not through its services: the server plans a
    # prepared statement once for any provider (a generic plan), guessing one service a provider, so
    # a statement that filters on the services' provider looks a national chain's plans up service
    # by service. The service is joined (left, by its key) for its name only, so a count leaves it out.

    def _plans_to_complete(self, today: date) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(ActionPlan.id, null(), null(), null(), ActionPlan.provider_due))
            .select_from(ActionPlan)
            .outerjoin(CareService, CareService.id == ActionPlan.service_id)
            .where(in_constants(ActionPlan.status, TO_COMPLETE), self._plan_is_theirs())
        )

    def _actions_due(self, today: date) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(Action.id, Action.plan_id, Action.title, null(), Action.due_date))
            .select_from(Action)
            .join(ActionPlan, ActionPlan.id == Action.plan_id)
            .outerjoin(CareService, CareService.id == ActionPlan.service_id)
            .where(
                ActionPlan.status == PlanStatus.AGREED,
                Action.status.not_in(DONE),
                Action.due_date <= today + timedelta(days=DUE_SOON_DAYS),
                self._plan_is_theirs(),
            )
        )

    def _plan_is_theirs(self) -> ColumnElement[bool]:
        return self.services.in_area(ActionPlan.service_id, ActionPlan.council_id, ActionPlan.provider_id)

    def _reports_to_comment(self, today: date) -> Select:  # type: ignore[type-arg]
        return (
            select(*_columns(Visit.id, null(), null(), null(), Visit.factual_accuracy_due))
            .join(CareService, CareService.id == Visit.service_id)
            .where(in_constants(Visit.status, [VisitStatus.DRAFT_SHARED]))
        )

    def _returned(self, today: date) -> Select:  # type: ignore[type-arg]
        return self._assessments(AssessmentStatus.RETURNED, SelfAssessment.updated_at)

    _statements: dict[QueueKind, Callable[[WaitingFor, date], Select]] = {  # type: ignore[type-arg]
        QueueKind.ACTIONS_TO_VERIFY: _to_verify,
        QueueKind.DUE_DATE_REQUESTS: _due_date_requests,
        QueueKind.POINTS_TO_ANSWER: _points,
        QueueKind.PLANS_TO_AGREE: _plans_to_agree,
        QueueKind.REVIEWS: _reviews,
        QueueKind.NEW_CONCERNS: _new_concerns,
        QueueKind.PLANS_TO_COMPLETE: _plans_to_complete,
        QueueKind.ACTIONS_DUE: _actions_due,
        QueueKind.REPORTS_TO_COMMENT: _reports_to_comment,
        QueueKind.RETURNED_ASSESSMENTS: _returned,
    }

    # --- reads -----------------------------------------------------------------------------------

    def counted(self) -> Select:  # type: ignore[type-arg]
        """The statement that counts every kind's list (a column each, labelled by the kind's value),
        built once a day: ``counts`` runs it, the home page runs its columns with its other figures."""
        today = clock.today()
        return self._built(
            "counts",
            today,
            lambda: select(
                *(
                    select(func.count())
                    .select_from(self.statement(kind, today).subquery())
                    .scalar_subquery()
                    .label(kind.value)
                    for kind in self.kinds
                )
            ),
        )

    def read_counts(self, row: Any) -> dict[QueueKind, int]:
        """Each kind's count from a row holding ``counted``'s columns."""
        return {kind: row._mapping[kind.value] for kind in self.kinds}

    async def counts(self) -> dict[QueueKind, int]:
        """How many items of each kind wait, counted by the database in one query."""
        return self.read_counts((await self.db.execute(self.counted())).one())

    async def page(
        self, kind: QueueKind, *, number: int = 1, size: int = 25, total: int | None = None
    ) -> Page[WaitingItem]:
        """The items of one kind, those due first (then the longest waiting). ``total``: the kind's
        figure from ``counts`` when the caller has it (the same query counted), not counted again."""
        today = clock.today()
        statement = self.statement(kind, today).subquery()
        rows, total, number = await fetch_page(
            self.db,
            select(statement),
            statement.c.due.is_(None),
            statement.c.due,
            statement.c.since,
            statement.c.ref,
            number=number,
            size=size,
            total=total,
        )
        return Page([self._item(kind, row, today) for row in rows], total=total, number=number, size=size)

    def _item(self, kind: QueueKind, row: Any, today: date) -> WaitingItem:
        if row.due is not None:
            when = f"{_DUE_WORDS[kind]} {row.due:%-d %B %Y} ({due(row.due, today)})"
        elif row.since is not None:
            when = f"{_SINCE_WORDS[kind]} {age(_local_day(row.since), today)}"
        else:
            when = ""
        late = kind is not QueueKind.DUE_DATE_REQUESTS and is_late(row.due, today)
        return WaitingItem(kind, row.title or "", row.service, _LINKS[kind](row), when, late)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(clock.now().tzinfo).date()
