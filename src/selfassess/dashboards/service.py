"""Read-only selectors for the home page: what needs each person now, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.actions.models import DONE, TO_COMPLETE, Action, ActionPlan, PlanStatus
from selfassess.actions.service import ActionPlans, PlanFilter, overdue_actions_per_service
from selfassess.assessments.models import AssessmentStatus, SelfAssessment, SelfAssessmentAnswer
from selfassess.db import Page, built_once, in_constants
from selfassess.oversight.models import RatingSource
from selfassess.oversight.quality import Filters, QualityPicture
from selfassess.providers.models import CareService, RegulatorRating
from selfassess.providers.service import CareServices
from selfassess.queues.rules import QueueKind
from selfassess.queues.service import WaitingFor
from selfassess.settings import Settings
from selfassess.visits.concerns import HIGH_OR_CRITICAL, SEVERITY_FILTERS, Concerns
from selfassess.visits.models import (
    ConcernStatus,
    Visit,
    VisitStatus,
    VisitType,
)
from selfassess.visits.service import VisitFilter, Visits

# Made once: an alias copies every column of the table.
_RATED, _SHARED = aliased(Visit, name="rated"), aliased(Visit, name="shared")


@dataclass(frozen=True)
class Market:
    """The council's area at a glance."""

    services: int
    rated: int
    good_or_better: int
    on: date

    @property
    def share_good_or_better(self) -> int | None:
        return round(100 * self.good_or_better / self.rated) if self.rated else None


@dataclass(frozen=True)
class ServiceStatus:
    """A provider's service and where it is in the cycle: the columns its card on the home page shows
    (its current self-assessment, latest published rating, open plan, draft report for comments)."""

    service_id: int
    name: str
    regulator_rating: RegulatorRating
    overdue: int  # actions of its agreed plans past their due date
    assessment_id: int | None
    assessment_period: str | None
    assessment_status: AssessmentStatus | None
    answered: int | None  # statements of the self-assessment scored so far, while it is editable
    statements: int | None
    rating_id: int | None
    rating_key: str | None
    rating_label: str | None
    rating_reason: str | None
    rated_on: date | None
    report_id: int | None  # a draft visit report shared for the provider's comments
    comments_due: date | None
    plan_id: int | None
    plan_status: PlanStatus | None
    plan_due: date | None


@dataclass(frozen=True)
class UpcomingVisit:
    """A visit on the officer's home page."""

    id: int
    scheduled_for: date
    visit_type: VisitType
    announced: bool
    service_name: str


@dataclass(frozen=True)
class DueDate:
    """A date a provider must meet: completing a plan, an action, comments on a draft report."""

    on: date
    what: str
    service: str
    href: str
    late: bool


@dataclass(frozen=True)
class Tile:
    """A number on the council's home page and the list it links to."""

    count: int
    noun: str  # made plural by the page: "self-assessment" -> "self-assessments"
    rest: str
    href: str
    alert: bool = False

    @property
    def label(self) -> str:
        noun = self.noun
        if self.count != 1 and not noun.startswith("of "):
            words = noun.split(" ")
            noun = " ".join([*words[:-1], words[-1] + "s"])
        return f"{noun} {self.rest}".strip()


class Home:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.services = CareServices(db, viewer)

    async def council_figures(
        self, settings: Settings, waiting: WaitingFor
    ) -> tuple[Market, list[Tile], dict[QueueKind, int]]:
        """The area at a glance, the tiles across the area and "Waiting for you", in one statement
        of the lists' own counting statements. The area's figures are the quality-over-time page's
        (the council ratings in force today, by its own selection), so the two pages agree and link
        to the same lists. Each tile's number is the total of the very list it links to, counted by
        that list's own query and filter, so the two can never disagree (what waits for the officer
        personally is in "Waiting for you", counted by its lists' queries too)."""
        today = clock.today()
        to_carry_out = VisitFilter(mine=True, to_carry_out=True)
        overdue_mine, overdue_all = PlanFilter(overdue_only=True, mine=True), PlanFilter(overdue_only=True)

        def build() -> Select:  # type: ignore[type-arg]
            market = (
                QualityPicture(self.db, self.viewer, today)
                .figures_counted(Filters(), RatingSource.COUNCIL, today)
                .subquery()
            )
            # mine: the count of ``overdue_mine``'s list
            plans = ActionPlans(self.db, self.viewer, settings).counted_with_mine(overdue_all).subquery()
            visits = Visits(self.db, self.viewer, settings).counted(to_carry_out)
            concerns = Concerns(self.db, self.viewer).counted(
                status=ConcernStatus.OPEN, severities=SEVERITY_FILTERS[HIGH_OR_CRITICAL]
            )
            return (
                select(
                    visits.scalar_subquery().label("to_visit"),
                    concerns.scalar_subquery().label("serious"),
                    plans.c.total,
                    plans.c.mine,
                    *market.c,
                    *waiting.counted().selected_columns,
                )
                .select_from(plans)
                .join(market, true())
            )

        # Built once a day for each officer: it depends only on them, their council and the day.
        key = ("council figures", self.viewer.id, self.viewer.organisation_id, self.viewer.role, today)
        row = (await self.db.execute(built_once(key, build))).one()
        tiles = [
            Tile(
                row.to_visit,
                "of your visits",
                "to carry out",
                f"/visits?{to_carry_out.query}",
            ),
            Tile(
                row.mine,
                "plan",
                f"with overdue actions on your services ({row.total} in the area)",
                f"/plans?{overdue_mine.query}",
                alert=True,
            ),
            Tile(
                row.serious,
                "open high or critical concern",
                "",
                f"/concerns?status=open&severity={HIGH_OR_CRITICAL}",
                alert=True,
            ),
        ]
        market_figures = Market(services=row.services, rated=row.rated, good_or_better=row.good, on=today)
        return market_figures, tiles, waiting.read_counts(row)

    async def my_upcoming_visits(self) -> list[UpcomingVisit]:
        """The officer's next visits, with only the columns the page shows (not two whole records
        a row)."""
        rows = await self.db.execute(
            self.services.scope(
                select(Visit.id, Visit.scheduled_for, Visit.visit_type, Visit.announced, CareService.name)
                .join(CareService, CareService.id == Visit.service_id)
                .where(
                    Visit.officer_id == self.viewer.id,
                    Visit.status.in_([VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS]),
                )
                .order_by(Visit.scheduled_for)
                .limit(5)
            )
        )
        return [UpcomingVisit(*row) for row in rows]

    def _provider_listed(self) -> Select:  # type: ignore[type-arg]
        """The provider's services its home page lists (and counts): the active ones."""
        return self.services.scope(select(CareService.id).where(CareService.is_active.is_(True)))

    async def provider_figures(
        self, today: date, waiting: WaitingFor, limit: int = 20
    ) -> tuple[dict[QueueKind, int], int, list[DueDate]]:
        """For a provider: "Waiting for you" (each kind counted by its list's own statement), how
        many services its home page lists (the count of that list's selection) and every date its
        services must meet, in one statement: the counts in one row, joined to the due dates' rows.
        Built once a day per person (``db.built_once``): it depends only on them and the day."""

        def build() -> Select:  # type: ignore[type-arg]
            services = select(func.count()).select_from(self._provider_listed().subquery()).scalar_subquery()
            figures = select(*waiting.counted().selected_columns, services.label("services")).subquery()
            dates = self._due_dates(limit).subquery()
            return select(figures, dates).select_from(figures).outerjoin(dates, true())

        key = (
            "provider figures",
            self.viewer.id,
            self.viewer.organisation_id,
            self.viewer.is_provider,
            today,
        )
        rows = (await self.db.execute(built_once(key, build))).all()
        dates = sorted(
            (_due_date(row, today) for row in rows if row.kind is not None), key=lambda due: due.on
        )
        return waiting.read_counts(rows[0]), rows[0].services, dates[:limit]

    async def provider_services(
        self, today: date, *, total: int, number: int = 1, size: int = 25
    ) -> Page[ServiceStatus]:
        """For a provider: one page of its services (a national chain runs hundreds), each with its
        current self-assessment, latest published rating, open plan and overdue actions, and any
        draft report waiting for comments. ``total``: the list counted by ``provider_figures`` (a
        page past the end shows the last one). One statement picks the page's services by name from
        the list, then gives each its newest row of every kind, chosen by the database, with only the
        columns the page shows."""
        number = max(1, min(number, -(-total // size) or 1))
        if not total:
            return Page([], total, number, size)
        key = ("provider service cards", self.viewer.organisation_id, self.viewer.is_provider, today)
        cards = built_once(key, lambda: _service_cards(today, self._provider_listed()))
        rows = await self.db.execute(cards, {"size": size, "skipped": (number - 1) * size})
        return Page([ServiceStatus(**row._mapping) for row in rows], total, number, size)

    def _due_dates(self, limit: int) -> Any:
        """Every date the provider's services must meet (``provider_figures`` sorts them, earliest
        first, and keeps ``limit``): plans to complete, open actions of agreed plans (their first
        ``limit``), and comments on shared draft reports. Plans and actions start from the
        provider's own plans, by the provider copied onto the plan and its index (``in_area``), not
        through its services: a prepared statement's plan, made for any provider, would look a
        national chain's plans up service by service. The first actions are picked from the index
        alone, then their titles and services' names read for those. Shared reports are the
        country's few hundred, in a partial index (its status written into the SQL, so a prepared
        statement uses it too)."""
        theirs = self.services.in_area(ActionPlan.service_id, ActionPlan.council_id, ActionPlan.provider_id)
        plans = (
            select(
                literal("plan").label("kind"),
                ActionPlan.id.label("ref"),
                ActionPlan.id.label("plan_id"),
                cast(null(), String).label("title"),
                ActionPlan.provider_due.label("on"),
                CareService.name.label("service"),
            )
            .select_from(ActionPlan)
            .outerjoin(CareService, CareService.id == ActionPlan.service_id)
            .where(in_constants(ActionPlan.status, TO_COMPLETE), theirs)
        )
        first = (
            select(Action.id, Action.plan_id, Action.due_date, ActionPlan.service_id)
            .join(ActionPlan, ActionPlan.id == Action.plan_id)
            .where(ActionPlan.status == PlanStatus.AGREED, Action.status.not_in(DONE), theirs)
            .order_by(Action.due_date, Action.id)
            .limit(limit)
            .subquery()
        )
        actions = (
            select(
                literal("action").label("kind"),
                first.c.id.label("ref"),
                first.c.plan_id.label("plan_id"),
                Action.title.label("title"),
                first.c.due_date.label("on"),
                CareService.name.label("service"),
            )
            .select_from(first)
            .join(Action, Action.id == first.c.id)
            .outerjoin(CareService, CareService.id == first.c.service_id)
        )
        reports = self.services.scope(
            select(
                literal("report").label("kind"),
                Visit.id.label("ref"),
                cast(null(), Integer).label("plan_id"),
                cast(null(), String).label("title"),
                Visit.factual_accuracy_due.label("on"),
                CareService.name.label("service"),
            )
            .join(CareService, CareService.id == Visit.service_id)
            .where(
                in_constants(Visit.status, [VisitStatus.DRAFT_SHARED]),
                Visit.factual_accuracy_due.is_not(None),
            )
        )
        return union_all(plans, actions, reports)


def _due_date(row: Any, today: date) -> DueDate:
    if row.kind == "plan":
        what, href = "Complete the action plan", f"/plans/{row.plan_id}#actions"
    elif row.kind == "action":
        what, href = f"Action: {row.title}", f"/plans/{row.plan_id}#action-{row.ref}"
    else:
        what, href = "Comments on the draft visit report", f"/visits/{row.ref}/report#points"
    return DueDate(row.on, what, row.service, href, row.on < today)


def _service_cards(today: date, listed: Select) -> Select:  # type: ignore[type-arg]
    """The provider home's card of each service of one page of ``listed`` (by name; the ``size`` and
    ``skipped`` parameters): its newest row of every kind, chosen by the database, with only the
    columns the card shows. Built once a day (``db.built_once``: building it cost more CPU than
    running it)."""
    page = (
        listed.order_by(CareService.name, CareService.id)
        .limit(bindparam("size"))
        .offset(bindparam("skipped"))
        .subquery()
    )
    picked = (
        select(
            CareService.id.label("service_id"),
            CareService.name.label("name"),
            CareService.regulator_rating.label("regulator_rating"),
            # Each service's overdue actions come with it, by the rule of every overdue flag.
            overdue_actions_per_service(today).label("overdue"),
            _newest(SelfAssessment, SelfAssessment.created_at.desc()).label("assessment_id"),
            _newest(Visit, Visit.published_at.desc(), where=Visit.status == VisitStatus.PUBLISHED).label(
                "rating_id"
            ),
            _newest(Visit, where=Visit.status == VisitStatus.DRAFT_SHARED).label("report_id"),
            _newest(
                ActionPlan, ActionPlan.created_at.desc(), where=ActionPlan.status != PlanStatus.CLOSED
            ).label("plan_id"),
        )
        .select_from(page)
        .join(CareService, CareService.id == page.c.id)
        .subquery()
    )
    answers = SelfAssessmentAnswer.assessment_id == SelfAssessment.id
    being_worked_on = SelfAssessment.status.in_([status for status in AssessmentStatus if status.editable])
    rated, shared = _RATED, _SHARED  # the latest published visit, the draft report for comments
    return (
        select(
            picked.c.service_id,
            picked.c.name,
            picked.c.regulator_rating,
            picked.c.overdue,
            # The joined rows' ids, not the picked ones: PostgreSQL would choose each row twice.
            SelfAssessment.id.label("assessment_id"),
            SelfAssessment.period_label.label("assessment_period"),
            SelfAssessment.status.label("assessment_status"),
            # Statements scored so far, and statements in all, counted in SQL for a self-assessment
            # being worked on (the card shows them for no other).
            case(
                (
                    being_worked_on,
                    select(func.count(SelfAssessmentAnswer.score)).where(answers).scalar_subquery(),
                )
            ).label("answered"),
            case(
                (
                    being_worked_on,
                    select(func.count(SelfAssessmentAnswer.id)).where(answers).scalar_subquery(),
                )
            ).label("statements"),
            rated.id.label("rating_id"),
            rated.rating_key,
            rated.rating_label,
            rated.rating_reason,
            rated.scheduled_for.label("rated_on"),
            shared.id.label("report_id"),
            shared.factual_accuracy_due.label("comments_due"),
            ActionPlan.id.label("plan_id"),
            ActionPlan.status.label("plan_status"),
            ActionPlan.provider_due.label("plan_due"),
        )
        .outerjoin(SelfAssessment, SelfAssessment.id == picked.c.assessment_id)
        .outerjoin(rated, rated.id == picked.c.rating_id)
        .outerjoin(shared, shared.id == picked.c.report_id)
        .outerjoin(ActionPlan, ActionPlan.id == picked.c.plan_id)
        .order_by(picked.c.name, picked.c.service_id)
    )


def _newest(model: Any, *newest_first: Any, where: Any = None) -> Any:
    """The id of the newest row of ``model`` (by ``newest_first``, then id) for the CareService of
    the enclosing statement, found by the database through the table's service index, so the page
    reads one row per service however many years of history each has."""
    chosen = select(model.id).where(model.service_id == CareService.id)
    if where is not None:
        chosen = chosen.where(where)
    return chosen.order_by(*newest_first, model.id.desc()).limit(1).scalar_subquery()
