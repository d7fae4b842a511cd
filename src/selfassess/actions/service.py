"""Shared improvement action plans as one viewer may see and change them.

A published visit gives a proposed plan (actions for low scores and over-rating); the provider
completes it (owners, dates, more actions) and submits it; the officer agrees it or asks for
changes; then both sides work the actions through to verification, which closes the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, exists, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess import clock
from selfassess.accounts.models import Organisation, Role, User
from selfassess.actions.models import (
    Action,
    ActionEvent,
    ActionNote,
    ActionPlan,
    PlanStatus,
    awaiting_verification_condition,
    completed_between,
    completed_on_time_condition,
    overdue_condition,
    submitted_between,
    submitted_on_time_condition,
)
from selfassess.actions.rulebook import (
    STATUS_COMMANDS,
    ActionState,
    Command,
    action_commands,
    plan_commands,
    refusal,
    refused_for_the_side,
)
from selfassess.actions.rules import (
    ActionStatus,
    Priority,
    Reason,
    Side,
    TransitionError,
    accuracy_note_text,
    accuracy_notes,
    check_transition,
    is_overdue,
    policy_from_settings,
    propose_actions,
)
from selfassess.attachments.models import StoredFile
from selfassess.attachments.service import file_content, store_file
from selfassess.choices import Choice
from selfassess.comparison.service import Comparisons
from selfassess.db import Page, built_once, fetch_page, save_if_version, update_if_version, utcnow
from selfassess.errors import Conflict, Forbidden, Invalid, NotFound
from selfassess.frameworks.service import LoadedFramework, StatementView, council_settings, load_framework
from selfassess.notifications.recipients import council_contacts, provider_staff
from selfassess.notifications.service import notify
from selfassess.providers.hooks import service_moved
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.providers.support_levels import with_support_level
from selfassess.settings import Settings
from selfassess.validation import has_control_characters
from selfassess.visits.models import Visit, VisitScore
from selfassess.visits.rules import VisitCommand, VisitRole, visit_commands, visit_refusal, visit_role


def add_months(day: date, months: int) -> date:
    """The same day some months on (the last day of a shorter month)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in range(day.day, 27, -1):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    return day.replace(year=year, month=month, day=28)


def overdue_actions_per_service(today: date) -> ScalarSelect[int]:
    """How many actions of a service's agreed plans are overdue, correlated to CareService: the
    services list (providers, an earlier slice) shows it, by the same rule as every overdue flag."""
    return (
        select(func.count(Action.id))
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .where(
            ActionPlan.service_id == CareService.id,
            ActionPlan.status == PlanStatus.AGREED,
            overdue_condition(today),
        )
        .scalar_subquery()
    )


@service_moved.subscribe
async def _plans_follow_their_service(db: AsyncSession, service: CareService) -> None:
    """A plan carries its service's provider (a provider's plans are found by it)."""
    await db.execute(
        update(ActionPlan).where(ActionPlan.service_id == service.id).values(provider_id=service.provider_id)
    )


@dataclass(frozen=True)
class PlanProgress:
    total: int
    verified: int
    completed: int
    overdue: int

    @property
    def done(self) -> int:
        return self.verified + self.completed


@dataclass(frozen=True)
class ActionRow:
    action: Action
    owner_name: str | None
    statement: StatementView | None
    overdue: bool
    verified_by: str | None = None


class ActionsShown(Choice):
    """The plan page's filter of its actions."""

    ALL = "all", "All actions"
    MINE = "mine", "Mine"
    OVERDUE = "overdue", "Overdue"
    TO_VERIFY = "to_verify", "Waiting for verification"

    def condition(self, viewer: User, today: date) -> ColumnElement[bool]:
        """The same conditions the overdue flags and the officer's queue count with."""
        if self is ActionsShown.MINE:
            return Action.owner_id == viewer.id
        if self is ActionsShown.OVERDUE:
            return overdue_condition(today)
        if self is ActionsShown.TO_VERIFY:
            return awaiting_verification_condition()
        return true()


@dataclass(frozen=True)
class NoteRow:
    note: ActionNote
    author: str
    filename: str | None


@dataclass(frozen=True)
class HistoryRow:
    event: ActionEvent
    actor: str | None
    action_title: str | None


@dataclass(frozen=True)
class ActionChanges:
    title: str
    description: str
    owner_id: int | None
    due_date: date
    priority: Priority


@dataclass(frozen=True)
class PlanFilter:
    """Which plans a list shows: the /plans page lists them, and the home page and the quarterly
    report count them, with the same conditions. Without a submission window only open plans are
    shown; with one (the report's figures), plans of any status submitted in it."""

    status: PlanStatus | None = None
    overdue_only: bool = False
    mine: bool = False  # plans of the services the viewer is the assigned officer for
    submitted_from: date | None = None
    submitted_to: date | None = None
    on_time: bool = False  # submitted by the date the provider was given

    @property
    def open_only(self) -> bool:
        return self.submitted_from is None and self.submitted_to is None

    @property
    def query(self) -> str:
        """The list's address: /plans?{query}."""
        values = {"status": self.status.value} if self.status else {}
        values |= {name: "true" for name in ("overdue_only", "mine", "on_time") if getattr(self, name)}
        for name in ("submitted_from", "submitted_to"):
            if (day := getattr(self, name)) is not None:
                values[name] = day.isoformat()
        return urlencode(values)


# The people beside an action and an event, aliased once: an alias copies every column of the
# table each time one is made (a card's answer made three).
_OWNER, _VERIFIER, _ACTOR = aliased(User), aliased(User), aliased(User)


@dataclass(frozen=True)
class ActionFilter:
    """Which actions a list shows: the /plans/actions page lists them and the quarterly report counts
    them (overdue by provider, completed in the quarter), with the same conditions."""

    provider_id: int | None = None
    overdue_on: date | None = None  # due before this day, not done now, in an agreed plan
    completed_from: date | None = None
    completed_to: date | None = None
    on_time: bool = False  # completed by its due date

    @property
    def query(self) -> str:
        """The list's address: /plans/actions?{query}."""
        values = {"provider": str(self.provider_id)} if self.provider_id is not None else {}
        for name in ("overdue_on", "completed_from", "completed_to"):
            if (day := getattr(self, name)) is not None:
                values[name] = day.isoformat()
        if self.on_time:
            values["on_time"] = "true"
        return urlencode(values)


@dataclass(frozen=True)
class PlanLine:
    """One line of the /plans list."""

    plan_id: int
    status: PlanStatus
    follow_up_due: date | None
    service_name: str
    progress: PlanProgress
    support_level: SupportLevel | None


@dataclass(frozen=True)
class ActionLine:
    """One line of the /plans/actions list."""

    action_id: int
    plan_id: int
    title: str
    due_date: date
    status: ActionStatus
    completed_at: datetime | None
    service_name: str
    provider_name: str


class ActionPlans:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings
        self.services = CareServices(db, viewer)
        self._framework_versions: dict[int, int] = {}  # visit id -> its framework version

    @property
    def side(self) -> Side:
        return Side.PROVIDER if self.viewer.is_provider else Side.OFFICER

    # --- reads ---------------------------------------------------------------------------------------

    async def progress(self, plan_ids: list[int], today: date | None = None) -> dict[int, PlanProgress]:
        """Done / total and overdue counts per plan, counted in SQL."""
        if not plan_ids:
            return {}
        today = today or clock.today()
        rows = await self.db.execute(
            select(
                Action.plan_id,
                func.count(Action.id),
                func.count(case((Action.status == ActionStatus.VERIFIED, 1))),
                func.count(case((Action.status == ActionStatus.COMPLETED, 1))),
                func.count(case((overdue_condition(today), 1))),
            )
            .where(Action.plan_id.in_(plan_ids))
            .group_by(Action.plan_id)
        )
        found = {
            plan_id: PlanProgress(total, verified, completed, overdue)
            for plan_id, total, verified, completed, overdue in rows
        }
        return {plan_id: found.get(plan_id, PlanProgress(0, 0, 0, 0)) for plan_id in plan_ids}

    async def counts(
        self, plan: ActionPlan, today: date | None = None
    ) -> tuple[dict[ActionsShown, int], PlanProgress]:
        """For the plan page and each card's answer, in one SQL query: how many actions each of the
        page's filters shows, and the plan's progress (as ``progress`` counts it for lists)."""
        today = today or clock.today()
        shown_counts = [func.count(case((shown.condition(self.viewer, today), 1))) for shown in ActionsShown]
        *counts, verified, completed, overdue = (
            await self.db.execute(
                select(
                    *shown_counts,
                    func.count(case((Action.status == ActionStatus.VERIFIED, 1))),
                    func.count(case((Action.status == ActionStatus.COMPLETED, 1))),
                    func.count(case((overdue_condition(today), 1))),
                ).where(Action.plan_id == plan.id)
            )
        ).one()
        shown = dict(zip(ActionsShown, counts, strict=True))
        return shown, PlanProgress(shown[ActionsShown.ALL], verified, completed, overdue)

    @staticmethod
    def _overdue_count(today: date):  # type: ignore[no-untyped-def]
        """A plan's overdue actions, correlated to ActionPlan (``count(*)``: no column of the action
        needed, so the index of open actions answers alone)."""
        return (
            select(func.count())
            .select_from(Action)
            .where(Action.plan_id == ActionPlan.id, overdue_condition(today))
            .scalar_subquery()
        )

    @staticmethod
    def _has_overdue(today: date) -> ColumnElement[bool]:
        """A plan with an overdue action: EXISTS stops at the first (a semi-join), unlike counting."""
        return exists().where(Action.plan_id == ActionPlan.id, overdue_condition(today))

    def _chosen(self, statement: Select, shown: PlanFilter, today: date) -> Select:  # type: ignore[type-arg]
        """The plans in the viewer's area that ``shown`` picks: the list and its count."""
        statement = self.services.scope(statement).where(self._plan_in_area())
        if shown.open_only:
            statement = statement.where(ActionPlan.status != PlanStatus.CLOSED)
        if shown.submitted_from is not None or shown.submitted_to is not None:
            statement = statement.where(submitted_between(shown.submitted_from, shown.submitted_to))
        if shown.on_time:
            statement = statement.where(submitted_on_time_condition())
        if shown.overdue_only:
            statement = statement.where(self._has_overdue(today))
        if shown.status is not None:
            statement = statement.where(ActionPlan.status == shown.status)
        if shown.mine:
            statement = statement.where(self._mine())
        return statement

    def _mine(self) -> ColumnElement[bool]:
        return CareService.assigned_officer_id == self.viewer.id

    def _counted(self, shown: PlanFilter, *columns: ColumnElement[int]) -> Select:  # type: ignore[type-arg]
        return self._chosen(
            select(*columns).join(CareService, CareService.id == ActionPlan.service_id), shown, clock.today()
        )

    def counted_with_mine(self, shown: PlanFilter) -> Select:  # type: ignore[type-arg]
        """The statement that counts ``plans``' list (column ``total``) and the same list with
        ``mine`` too (column ``mine``): the home page's tile gives both, with its other figures."""
        return self._counted(
            shown,
            func.count(ActionPlan.id).label("total"),
            func.count(case((self._mine(), ActionPlan.id))).label("mine"),
        )

    def total_and_on_time(self, shown: PlanFilter) -> Select:  # type: ignore[type-arg]
        """The statement that counts ``plans``' list (column ``total``) and the same list with
        ``on_time`` too (``on_time``): the quarterly report gives both, with its other figures.
        Counted with ``count(*)``: what the submission window and "on time" read is in the index by
        submission, so the quarter's plans are read from the index alone, not from the plans' rows
        (national scale: 809 buffers -> 47)."""
        return self._counted(
            shown,
            func.count().label("total"),
            func.count(case((submitted_on_time_condition(), 1))).label("on_time"),
        )

    async def plans(self, shown: PlanFilter, *, number: int = 1, size: int = 25) -> Page[PlanLine]:
        """One page of the plans in the viewer's area that ``shown`` picks, those with most overdue
        actions first, each with its provider's support level above routine (council staff): only
        the columns the list shows."""
        today = clock.today()
        overdue = self._overdue_count(today)
        statement = self._chosen(
            with_support_level(
                select(ActionPlan.id, ActionPlan.status, ActionPlan.follow_up_due, CareService.name).join(
                    CareService, CareService.id == ActionPlan.service_id
                ),
                self.viewer,
            ),
            shown,
            today,
        )
        rows, total, number = await fetch_page(
            self.db,
            statement,
            overdue.desc(),
            CareService.name,
            ActionPlan.id,
            number=number,
            size=size,
            counted=self._counted(shown, ActionPlan.id),
        )
        progress = await self.progress([row[0] for row in rows], today)
        items = [
            PlanLine(plan_id, status, follow_up_due, service_name, progress[plan_id], level)
            for plan_id, status, follow_up_due, service_name, level in rows
        ]
        return Page(items=items, total=total, number=number, size=size)

    @staticmethod
    def _action_conditions(shown: ActionFilter) -> list[ColumnElement[bool]]:
        """What ``shown`` asks of the action itself."""
        conditions = [overdue_condition(shown.overdue_on)] if shown.overdue_on is not None else []
        if shown.completed_from is not None or shown.completed_to is not None:
            conditions.append(completed_between(shown.completed_from, shown.completed_to))
        if shown.on_time:
            conditions.append(completed_on_time_condition())
        return conditions

    def _in_chosen_plans(self, statement: Select, shown: ActionFilter, plan_id: Any) -> Select:  # type: ignore[type-arg]
        """What ``shown`` asks of the action's plan and service, the plan joined on ``plan_id``: in
        the viewer's area, an agreed plan for an overdue action, the chosen provider's."""
        statement = self.services.scope(
            statement.join(ActionPlan, ActionPlan.id == plan_id).join(
                CareService, CareService.id == ActionPlan.service_id
            )
        ).where(self._plan_in_area())
        if shown.overdue_on is not None:
            statement = statement.where(ActionPlan.status == PlanStatus.AGREED)
        if shown.provider_id is not None:
            statement = statement.where(CareService.provider_id == shown.provider_id)
        return statement

    def _plan_in_area(self) -> ColumnElement[bool]:
        return self.services.in_area(ActionPlan.service_id, ActionPlan.council_id, ActionPlan.provider_id)

    def _chosen_actions(self, statement: Select, shown: ActionFilter) -> Select:  # type: ignore[type-arg]
        """The actions in the viewer's area that ``shown`` picks: the list (and, per plan, its counts)."""
        return self._in_chosen_plans(statement.select_from(Action), shown, Action.plan_id).where(
            *self._action_conditions(shown)
        )

    def _per_plan(self, shown: ActionFilter, **counts: ColumnElement[int]) -> Any:
        """``_chosen_actions``' actions counted per plan by their own conditions first, to be joined
        to ``_in_chosen_plans``: the counts then read the quarter's completed actions from their
        index and hash them to the area's plans, instead of probing every plan of the area's history."""
        return (
            select(Action.plan_id, *(count.label(name) for name, count in counts.items()))
            .where(*self._action_conditions(shown))
            .group_by(Action.plan_id)
            .subquery()
        )

    def action_total_and_on_time(self, shown: ActionFilter) -> Select:  # type: ignore[type-arg]
        """The statement that counts ``action_list``'s list (column ``total``) and the same list with
        ``on_time`` too (``on_time``), both NULL for none: the quarterly report gives both, with its
        other figures."""
        per_plan = self._per_plan(
            shown, total=func.count(), on_time=func.count(case((completed_on_time_condition(), 1)))
        )
        return self._in_chosen_plans(
            select(
                func.sum(per_plan.c.total).label("total"), func.sum(per_plan.c.on_time).label("on_time")
            ).select_from(per_plan),
            shown,
            per_plan.c.plan_id,
        )

    async def action_totals_by_provider(self, shown: ActionFilter) -> list[tuple[int, str, int]]:
        """Provider id, name and how many of the actions ``shown`` picks are theirs, most first.
        Counted from the list's own join, per provider, before the names are joined: the overdue
        actions hang on the area's agreed plans, whose open actions ix_action_plan_due gives plan by
        plan, where counting per plan first (as ``action_total_and_on_time`` does for the quarter's
        completed actions) aggregated every overdue action in the country (national scale: 16-24 ms
        -> 5-13 ms a statement, though more buffers: 3,047 -> ~4,250)."""

        def build() -> Select:  # type: ignore[type-arg]
            counted = (
                self._chosen_actions(select(CareService.provider_id, func.count().label("total")), shown)
                .group_by(CareService.provider_id)
                .subquery()
            )
            return (
                select(Organisation.id, Organisation.name, counted.c.total)
                .join(counted, counted.c.provider_id == Organisation.id)
                .order_by(counted.c.total.desc(), Organisation.name)
            )

        viewer = self.viewer  # built once per viewer, filter and day: building it cost more than running it
        key = (
            "action totals by provider",
            viewer.id,
            viewer.organisation_id,
            viewer.role,
            shown,
            clock.today(),
        )
        rows = await self.db.execute(built_once(key, build))
        return [(provider_id, name, int(count)) for provider_id, name, count in rows]

    async def action_list(self, shown: ActionFilter, *, number: int = 1, size: int = 50) -> Page[ActionLine]:
        """One page of the actions ``shown`` picks, with their service and provider's name, earliest
        due first: only the columns the list shows."""
        statement = self._chosen_actions(
            select(
                Action.id,
                Action.plan_id,
                Action.title,
                Action.due_date,
                Action.status,
                Action.completed_at,
                CareService.name,
                Organisation.name,
            ),
            shown,
        ).join(Organisation, Organisation.id == CareService.provider_id)
        rows, total, number = await fetch_page(
            self.db,
            statement,
            Action.due_date,
            Action.id,
            number=number,
            size=size,
            counted=self._chosen_actions(select(Action.id), shown),
        )
        return Page(items=[ActionLine(*row) for row in rows], total=total, number=number, size=size)

    def listing(self) -> Select:  # type: ignore[type-arg]
        """Every plan the viewer may read (for the API's lists)."""
        return self.services.scope(
            select(ActionPlan).join(CareService, CareService.id == ActionPlan.service_id)
        )

    async def for_service(self, service: CareService) -> list[tuple[ActionPlan, PlanProgress]]:
        plans = list(
            await self.db.scalars(
                select(ActionPlan)
                .where(ActionPlan.service_id == service.id)
                .order_by(ActionPlan.created_at.desc())
            )
        )
        progress = await self.progress([plan.id for plan in plans])
        return [(plan, progress[plan.id]) for plan in plans]

    async def get(self, plan_id: int) -> tuple[ActionPlan, CareService]:
        """The plan and its service, with its visit's framework version, which every page and card
        of the plan asks for (``framework``): one statement, not two."""
        row = (
            await self.db.execute(
                self.services.scope(
                    select(ActionPlan, CareService, Visit.framework_version_id)
                    .join(CareService, CareService.id == ActionPlan.service_id)
                    .join(Visit, Visit.id == ActionPlan.visit_id)
                    .where(ActionPlan.id == plan_id)
                )
            )
        ).first()
        if row is None:
            raise NotFound("action plan")
        plan, service, version_id = row
        self._framework_versions[plan.visit_id] = version_id
        return plan, service

    async def framework(self, plan: ActionPlan) -> LoadedFramework:
        """The framework of the plan's visit, asked of the database once per request (the card and
        the page each ask several times)."""
        version_id = self._framework_versions.get(plan.visit_id)
        if version_id is None:
            version_id = await self.db.scalar(
                select(Visit.framework_version_id).where(Visit.id == plan.visit_id)
            )
            if version_id is None:
                raise NotFound("visit")
            self._framework_versions[plan.visit_id] = version_id
        return await load_framework(self.db, version_id)

    async def actions(
        self,
        plan: ActionPlan,
        today: date | None = None,
        shown: ActionsShown = ActionsShown.ALL,
        *,
        action_id: int | None = None,
    ) -> list[ActionRow]:
        """The plan's actions that ``shown`` picks (or just ``action_id``'s), with the names beside them."""
        today = today or clock.today()
        framework = await self.framework(plan)
        owner, verifier = _OWNER, _VERIFIER
        only = true() if action_id is None else Action.id == action_id
        rows = await self.db.execute(
            select(Action, owner.full_name, verifier.full_name)
            .outerjoin(owner, owner.id == Action.owner_id)
            .outerjoin(verifier, verifier.id == Action.verified_by_id)
            .where(Action.plan_id == plan.id, shown.condition(self.viewer, today), only)
            .order_by(case((Action.status == ActionStatus.VERIFIED, 1), else_=0), Action.due_date, Action.id)
            .execution_options(populate_existing=True)
        )
        return [
            ActionRow(
                action,
                name,
                framework.statement(action.statement_id) if action.statement_id else None,
                is_overdue(action.due_date, action.status, today),
                verified_by,
            )
            for action, name, verified_by in rows
        ]

    async def action(self, plan: ActionPlan, action_id: int) -> Action:
        action = await self.db.scalar(
            select(Action)
            .where(Action.id == action_id, Action.plan_id == plan.id)
            .execution_options(populate_existing=True)
        )
        if action is None:
            raise NotFound("action")
        return action

    async def notes(self, plan: ActionPlan, *, action_id: int | None = None) -> dict[int, list[NoteRow]]:
        """The progress notes by action: the whole plan's, or (for one card) ``action_id``'s."""
        rows = await self.db.execute(
            select(ActionNote, User.full_name, StoredFile.filename)
            .join(Action, Action.id == ActionNote.action_id)
            .join(User, User.id == ActionNote.author_id)
            .outerjoin(StoredFile, StoredFile.id == ActionNote.file_id)
            .where(Action.plan_id == plan.id, true() if action_id is None else Action.id == action_id)
            .order_by(ActionNote.created_at, ActionNote.id)
        )
        grouped: dict[int, list[NoteRow]] = {}
        for note, author, filename in rows:
            grouped.setdefault(note.action_id, []).append(NoteRow(note, author, filename))
        return grouped

    async def note_file(self, plan: ActionPlan, note_id: int) -> tuple[StoredFile, bytes]:
        file_id = await self.db.scalar(
            select(ActionNote.file_id)
            .join(Action, Action.id == ActionNote.action_id)
            .where(ActionNote.id == note_id, Action.plan_id == plan.id)
        )
        if file_id is None:
            raise NotFound("file")
        return await file_content(self.db, file_id)

    async def history(self, plan: ActionPlan) -> list[HistoryRow]:
        actor = _ACTOR
        rows = await self.db.execute(
            select(ActionEvent, actor.full_name, Action.title)
            .outerjoin(actor, actor.id == ActionEvent.actor_id)
            .outerjoin(Action, Action.id == ActionEvent.action_id)
            .where(ActionEvent.plan_id == plan.id)
            .order_by(ActionEvent.occurred_at, ActionEvent.id)
        )
        return [HistoryRow(event, name, title) for event, name, title in rows]

    async def owner_choices(self, service: CareService) -> list[User]:
        """A named person on either side: the provider's staff or the council's officers."""
        return list(
            await self.db.scalars(
                select(User)
                .where(
                    User.is_active.is_(True),
                    (User.organisation_id == service.provider_id)
                    | (
                        (User.organisation_id == service.council_id)
                        & User.role.in_([Role.OFFICER, Role.COUNCIL_ADMIN])
                    ),
                )
                .order_by(User.organisation_id != service.provider_id, User.full_name)
            )
        )

    async def plan_for_visit(self, visit: Visit) -> ActionPlan | None:
        return await self.db.scalar(select(ActionPlan).where(ActionPlan.visit_id == visit.id))

    # --- generation ----------------------------------------------------------------------------------

    async def generate(self, visit: Visit, service: CareService) -> ActionPlan:
        """The proposed plan: the comparison of the visit with the self-assessment it tested, turned
        into actions by the council's priority rules; descriptions come from the officer's findings."""
        role = visit_role(self.viewer, visit.officer_id)
        if VisitCommand.PROPOSE_PLAN not in visit_commands(visit.status, role):
            refusal = visit_refusal(VisitCommand.PROPOSE_PLAN, role)
            raise (Forbidden if role is VisitRole.PROVIDER else Invalid)(refusal)
        if await self.plan_for_visit(visit) is not None:
            raise Invalid("This visit already has an action plan.")
        framework = await load_framework(self.db, visit.framework_version_id)
        council = await council_settings(self.db, service.council_id)
        officer_scores = {
            score.statement_id: score
            for score in await self.db.scalars(select(VisitScore).where(VisitScore.visit_id == visit.id))
        }
        comparison = await Comparisons(self.db, self.viewer).compare_visit(service, visit)
        today = clock.today()
        titles = {statement.code: statement.title for statement in framework.statements}
        policy = policy_from_settings(council.priority_rules, framework.rules, council.overrating_margin)
        proposals = propose_actions(
            comparison.statements,
            statement_titles=titles,
            findings={
                statement.code: officer_scores[statement.id].findings for statement in framework.statements
            },
            rules=framework.rules,
            policy=policy,
            today=today,
        )
        notes = accuracy_notes(comparison.statements, rules=framework.rules, policy=policy)
        plan = ActionPlan(
            service_id=service.id,
            council_id=service.council_id,
            provider_id=service.provider_id,
            visit_id=visit.id,
            provider_due=today + timedelta(days=council.plan_completion_days),
            accuracy_note=accuracy_note_text(notes, statement_titles=titles, rules=framework.rules),
        )
        self.db.add(plan)
        await self.db.flush()
        by_code = {statement.code: statement for statement in framework.statements}
        for proposal in proposals:
            self.db.add(
                Action(
                    plan_id=plan.id,
                    statement_id=by_code[proposal.statement_code].id,
                    reason=proposal.reason,
                    title=proposal.title[:300],
                    description=proposal.description,
                    priority=proposal.priority,
                    due_date=proposal.due_date,
                )
            )
        self._event(plan, None, "plan_proposed", comment=f"{len(proposals)} actions proposed from the visit")
        await self._tell(
            await provider_staff(self.db, service),
            plan,
            "proposed",
            f"An improvement action plan for {service.name} is ready for you to complete by "
            f"{plan.provider_due:%-d %B %Y}",
            subject=f"Action plan to complete: {service.name}",
        )
        await self.db.commit()
        return plan

    # --- the rulebook ----------------------------------------------------------------------------------

    def plan_commands(self, plan: ActionPlan) -> frozenset[Command]:
        return plan_commands(plan.status, self.side)

    def action_commands(self, plan: ActionPlan, action: Action) -> frozenset[Command]:
        return action_commands(plan.status, action_state(action), self.side)

    def _require(self, command: Command, plan: ActionPlan, action: Action | None = None) -> None:
        """Refuse any command the rulebook does not allow: the same answer the page was given."""
        state = action_state(action) if action is not None else None
        allowed = self.plan_commands(plan) if action is None else self.action_commands(plan, action)
        if command in allowed:
            return
        message = refusal(command, plan.status, state, self.side)
        if refused_for_the_side(command, plan.status, state, self.side):
            raise Forbidden(message)
        raise Invalid(message)

    # --- the draft plan --------------------------------------------------------------------------------

    async def _check_owner(self, service: CareService, owner_id: int | None) -> None:
        if owner_id is not None and owner_id not in {user.id for user in await self.owner_choices(service)}:
            raise Invalid("Choose the responsible person from the list.")

    async def update_action(
        self,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        *,
        expected_version: int,
        changes: ActionChanges,
    ) -> Action:
        action = await self.action(plan, action_id)
        self._require(Command.EDIT_ACTION, plan, action)
        await self._check_owner(service, changes.owner_id)
        before = {
            name: getattr(action, name)
            for name in ("title", "description", "owner_id", "due_date", "priority")
        }
        saved = await update_if_version(
            self.db,
            Action,
            Action.id == action_id,
            Action.plan_id == plan.id,
            expected_version=expected_version,
            values={**changes.__dict__, "updated_at": utcnow()},
        )
        if not saved:
            raise Conflict(
                "Someone else changed this action since you opened the page. Nothing was overwritten; "
                "reload to see their change."
            )
        names = await self._names({before["owner_id"], changes.owner_id})
        for name, old in before.items():
            new = getattr(changes, name)
            if old != new:
                if name == "owner_id":
                    old, new, name = names.get(old), names.get(new), "responsible person"
                self._event(plan, action_id, "action_changed", field=name, old=_text(old), new=_text(new))
        await self.db.commit()
        return await self.action(plan, action_id)

    async def add_action(
        self, plan: ActionPlan, service: CareService, changes: ActionChanges, statement_id: int | None
    ) -> Action:
        self._require(Command.ADD_ACTION, plan)
        await self._check_owner(service, changes.owner_id)
        if statement_id is not None:
            framework = await self.framework(plan)
            if statement_id not in {statement.id for statement in framework.statements}:
                raise Invalid("Choose a statement from the framework.")
        action = Action(plan_id=plan.id, statement_id=statement_id, reason=Reason.ADDED, **changes.__dict__)
        self.db.add(action)
        await self.db.flush()
        self._event(plan, action.id, "action_added", new=action.title)
        await self.db.commit()
        return action

    async def delete_action(self, plan: ActionPlan, action_id: int) -> None:
        """Only actions people added: each issue the visit found keeps at least its proposed action."""
        action = await self.action(plan, action_id)
        self._require(Command.REMOVE_ACTION, plan, action)
        self._event(plan, None, "action_removed", old=action.title)
        await self.db.delete(action)
        await self.db.commit()

    async def plan_problems(self, plan: ActionPlan) -> list[str]:
        """What stops the plan being submitted: every action needs a named person and a timeline."""
        problems = []
        for row in await self.actions(plan):
            if row.action.owner_id is None:
                problems.append(f"“{row.action.title}” needs a responsible person.")
            if row.action.due_date < clock.today():
                problems.append(f"“{row.action.title}” has a due date in the past.")
        return problems

    async def submit(self, plan: ActionPlan, service: CareService) -> None:
        self._require(Command.SUBMIT_PLAN, plan)
        if problems := await self.plan_problems(plan):
            raise PlanIncomplete(problems)
        self._move(plan, PlanStatus.SUBMITTED)
        plan.submitted_at = utcnow()
        await self._tell(
            await council_contacts(self.db, service),
            plan,
            f"submitted:{_stamp()}",
            f"{service.name} submitted its improvement action plan for agreement",
            subject=f"Action plan for agreement: {service.name}",
        )
        await self.db.commit()

    async def request_changes(self, plan: ActionPlan, service: CareService, comment: str) -> None:
        self._require(Command.REQUEST_CHANGES, plan)
        if not comment.strip():
            raise Invalid("Say what should change.")
        self._move(plan, PlanStatus.CHANGES_REQUESTED, comment.strip())
        plan.review_comment = comment.strip()
        await self._tell(
            await provider_staff(self.db, service),
            plan,
            f"changes:{_stamp()}",
            f"The council asked for changes to the action plan for {service.name}: {comment[:200]}",
            subject=f"Changes requested to the action plan: {service.name}",
        )
        await self.db.commit()

    async def agree(self, plan: ActionPlan, service: CareService) -> None:
        self._require(Command.AGREE_PLAN, plan)
        if problems := await self.plan_problems(plan):
            raise PlanIncomplete(problems)
        settings = await council_settings(self.db, service.council_id)
        self._move(plan, PlanStatus.AGREED)
        plan.agreed_at, plan.agreed_by_id = utcnow(), self.viewer.id
        plan.follow_up_due = add_months(clock.today(), settings.follow_up_months)
        await self._tell(
            await provider_staff(self.db, service),
            plan,
            "agreed",
            f"The council agreed the action plan for {service.name}; work can start",
            subject=f"Action plan agreed: {service.name}",
        )
        await self.db.commit()

    # --- tracking -------------------------------------------------------------------------------------

    async def change_status(
        self,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        *,
        expected_version: int,
        target: ActionStatus,
        reason: str,
    ) -> Action:
        action = await self.action(plan, action_id)
        if plan.status is not PlanStatus.AGREED:
            raise Invalid(
                refusal(STATUS_COMMANDS.get(target, Command.MARK_IN_PROGRESS), plan.status, None, self.side)
            )
        try:  # the transition table the rulebook's status commands come from; its messages say more
            check_transition(action.status, target, self.side, reason)
        except TransitionError as problem:
            raise Invalid(str(problem)) from problem
        values: dict[str, object] = {"status": target, "updated_at": utcnow()}
        if target is ActionStatus.COMPLETED:
            values["completed_at"] = utcnow()
        if target is ActionStatus.VERIFIED:
            values.update(verified_at=utcnow(), verified_by_id=self.viewer.id)
        if target is ActionStatus.REOPENED:
            values["status_reason"] = reason.strip()
        was = action.status
        saved = await save_if_version(  # the same object as ``action``, now as saved
            self.db,
            Action,
            Action.id == action_id,
            Action.plan_id == plan.id,
            expected_version=expected_version,
            values=values,
        )
        if saved is None:
            raise Conflict(
                "Someone else updated this action since you opened the page. Nothing was overwritten; "
                "reload to see their change."
            )
        self._event(
            plan,
            action_id,
            "status_changed",
            field="status",
            old=was.label,
            new=target.label,
            comment=reason.strip(),
        )
        await self._tell_about_status(plan, service, saved, target, reason)
        if target is ActionStatus.VERIFIED:  # only a verification can leave nothing to verify
            await self._close_when_all_verified(plan, service)
        await self.db.commit()
        return saved

    async def _tell_about_status(
        self, plan: ActionPlan, service: CareService, action: Action, target: ActionStatus, reason: str
    ) -> None:
        key = f"action:{action.id}:{target.value}:{_stamp()}"
        if target is ActionStatus.COMPLETED and self.viewer.is_provider:
            await self._tell(
                await council_contacts(self.db, service),
                plan,
                key,
                f"{service.name} completed “{action.title}”: ready to verify",
            )
        elif target in (ActionStatus.VERIFIED, ActionStatus.REOPENED):
            words = "verified" if target is ActionStatus.VERIFIED else f"reopened ({reason.strip()[:150]})"
            await self._tell(
                await provider_staff(self.db, service), plan, key, f"The council {words} “{action.title}”"
            )

    async def _close_when_all_verified(self, plan: ActionPlan, service: CareService) -> None:
        await self.db.flush()
        unverified = await self.db.scalar(
            select(func.count(Action.id)).where(
                Action.plan_id == plan.id, Action.status != ActionStatus.VERIFIED
            )
        )
        if unverified:
            return
        self._move(plan, PlanStatus.CLOSED)
        plan.closed_at = utcnow()
        plan.follow_up_due = min(plan.follow_up_due or clock.today(), clock.today())
        await self._tell(
            [*await council_contacts(self.db, service), *await provider_staff(self.db, service)],
            plan,
            "closed",
            f"Every action for {service.name} is verified. The plan is closed and a "
            "follow-up visit is proposed.",
            subject=f"Action plan completed: {service.name}",
        )

    async def add_note(
        self,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        *,
        text: str,
        filename: str | None,
        data: bytes | None,
        submission_key: str | None = None,
    ) -> None:
        """``submission_key``: the page's key for this note; a note sent again with it (the answer
        to the first was lost) is not added a second time."""
        action = await self.action(plan, action_id)
        self._require(Command.ADD_NOTE, plan, action)
        if submission_key and await self.db.scalar(
            select(ActionNote.id).where(
                ActionNote.action_id == action.id, ActionNote.submission_key == submission_key
            )
        ):
            return
        text = text.strip()
        if not text and not data:
            raise Invalid("Write a note or attach a file.")
        if len(text) > 5_000:
            raise Invalid("A note takes at most 5,000 characters.")
        if has_control_characters(text):
            raise Invalid("The note contains a control character that cannot be stored. Remove it.")
        stored = None
        if data is not None and filename:
            stored = await store_file(
                self.db,
                filename=filename,
                data=data,
                owner_organisation_id=service.provider_id,
                uploader=self.viewer,
                settings=self.settings,
            )
        self.db.add(
            ActionNote(
                action_id=action.id,
                author_id=self.viewer.id,
                text=text,
                file_id=stored.id if stored else None,
                submission_key=submission_key or None,
            )
        )
        self._event(plan, action.id, "note_added", new=(text[:200] or (stored.filename if stored else "")))
        await self.db.commit()

    async def propose_due_date(
        self, plan: ActionPlan, service: CareService, action_id: int, *, proposed: date, reason: str
    ) -> None:
        """Providers ask; the officer decides. The current date stands until then."""
        action = await self.action(plan, action_id)
        self._require(Command.ASK_FOR_MORE_TIME, plan, action)
        if proposed <= clock.today():
            raise Invalid("Propose a date in the future.")
        if not reason.strip():
            raise Invalid("Say why more time is needed.")
        action.proposed_due_date, action.proposed_due_reason = proposed, reason.strip()
        action.version, action.updated_at = action.version + 1, utcnow()
        self._event(
            plan,
            action.id,
            "due_date_proposed",
            field="due_date",
            old=_text(action.due_date),
            new=_text(proposed),
            comment=reason.strip(),
        )
        await self._tell(
            await council_contacts(self.db, service),
            plan,
            f"due:{action.id}:{_stamp()}",
            f"{service.name} asks for more time for “{action.title}”: {proposed:%-d %B %Y}",
        )
        await self.db.commit()

    async def decide_due_date(
        self, plan: ActionPlan, service: CareService, action_id: int, *, accept: bool, comment: str
    ) -> None:
        action = await self.action(plan, action_id)
        self._require(Command.DECIDE_DUE_DATE, plan, action)
        if not accept and not comment.strip():
            raise Invalid("Say why the new date is not accepted.")
        proposed = action.proposed_due_date
        if accept:
            self._event(
                plan,
                action.id,
                "due_date_changed",
                field="due_date",
                old=_text(action.due_date),
                new=_text(proposed),
                comment=comment.strip(),
            )
            action.due_date = proposed
        else:
            self._event(
                plan,
                action.id,
                "due_date_refused",
                field="due_date",
                old=_text(action.due_date),
                new=_text(proposed),
                comment=comment.strip(),
            )
        action.proposed_due_date, action.proposed_due_reason = None, ""
        action.version, action.updated_at = action.version + 1, utcnow()
        await self._tell(
            await provider_staff(self.db, service),
            plan,
            f"due-decided:{action.id}:{_stamp()}",
            f"The council {'accepted' if accept else 'did not accept'} the new date for “{action.title}”",
        )
        await self.db.commit()

    # --- history and news ------------------------------------------------------------------------------

    async def _names(self, user_ids: set[int | None]) -> dict[int | None, str]:
        ids = {user_id for user_id in user_ids if user_id}
        if not ids:
            return {}
        return dict((await self.db.execute(select(User.id, User.full_name).where(User.id.in_(ids)))).all())

    def _move(self, plan: ActionPlan, to: PlanStatus, comment: str = "") -> None:
        self._event(
            plan, None, "plan_status", field="status", old=plan.status.label, new=to.label, comment=comment
        )
        plan.status, plan.updated_at = to, utcnow()

    def _event(
        self,
        plan: ActionPlan,
        action_id: int | None,
        event: str,
        *,
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
        comment: str = "",
    ) -> None:
        self.db.add(
            ActionEvent(
                plan_id=plan.id,
                action_id=action_id,
                actor_id=self.viewer.id,
                event=event,
                field=field,
                old_value=old,
                new_value=new,
                comment=comment,
            )
        )

    async def _tell(
        self, recipients: list[User], plan: ActionPlan, step: str, message: str, subject: str | None = None
    ) -> None:
        await notify(
            self.db,
            recipients=recipients,
            message=message,
            link=f"/plans/{plan.id}",
            dedupe_key=f"plan:{plan.id}:{step}",
            email_subject=subject,
            settings=self.settings,
        )


class PlanIncomplete(Invalid):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("The plan is not complete yet.")
        self.problems = problems


def action_state(action: Action) -> ActionState:
    return ActionState(status=action.status, reason=action.reason, proposed_due_date=action.proposed_due_date)


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    label = getattr(value, "label", None)
    return label if isinstance(label, str) else ("" if value is None else str(value))


def _stamp() -> str:
    """Repeatable steps (submitting again, reopening twice) are each news of their own."""
    return utcnow().strftime("%Y%m%d%H%M%S%f")
