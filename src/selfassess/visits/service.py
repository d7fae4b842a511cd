"""Officer visits as one viewer may see and change them.

scheduled -> in progress -> scores locked -> draft shared (factual accuracy) -> published.
Providers see an announced visit's date, the draft report once it is shared with them, and the
published report; never a visit while it is being scored, and never an unannounced visit before
its report is shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess import clock
from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import User
from selfassess.assessments.models import AssessmentStatus, SelfAssessment
from selfassess.db import Page, built_once, save_built, save_statement, update_if_version, utcnow
from selfassess.errors import Conflict, Forbidden, Invalid, NotFound
from selfassess.frameworks.score_sheet import (
    SheetConflict,
    SheetIncomplete,
    SheetProgress,
    SheetSave,
    check_entry,
    require_on_scale,
    unscored,
)
from selfassess.frameworks.scoring import Breach
from selfassess.frameworks.service import (
    FrameworkSummary,
    LoadedFramework,
    StatementView,
    council_settings,
    load_framework,
)
from selfassess.notifications.recipients import provider_staff
from selfassess.notifications.service import notify
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.providers.support_levels import with_support_level
from selfassess.settings import Settings
from selfassess.visits.comparison_summaries import refresh_visit_comparisons
from selfassess.visits.forms import BreachForm, VisitForm
from selfassess.visits.hooks import visit_published
from selfassess.visits.models import (
    Concern,
    ConcernStatus,
    FactualAccuracyPoint,
    PointStatus,
    RatingCorrection,
    Visit,
    VisitBreach,
    VisitConcern,
    VisitEvent,
    VisitScore,
    VisitStatus,
    VisitType,
)
from selfassess.visits.point_rules import PointCommand, point_commands, report_commands, report_refusal
from selfassess.visits.publication import published_changed
from selfassess.visits.rules import (
    VisitCommand,
    VisitRole,
    report_shared,
    share_problem,
    visit_commands,
    visit_refusal,
    visit_role,
)
from selfassess.visits.tested import tested_assessment

REPORT_VISIBLE_TO_PROVIDER = tuple(status for status in VisitStatus if report_shared(status))
UPCOMING = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)
CARRIED_OUT = (VisitStatus.SCORES_LOCKED, VisitStatus.DRAFT_SHARED, VisitStatus.PUBLISHED)
NO_MORE_POINTS = "factual_accuracy.no_more_points"
# The action plans (``actions.models.ActionPlan``), named rather than imported: the actions slice
# comes after this one (README, "Slice order"); a visit's page only links to its plan.
_ACTION_PLAN = table("action_plan", column("id", Integer), column("visit_id", Integer))

RECENT_DAYS = 90  # how far back the visits list reaches when nothing is chosen

# The scoring autosave's two UPDATEs, built once (with their SQL cache keys) rather than on every
# keystroke's save, as the self-assessment's are: the score, if still at the version the page
# loaded, and its visit touched (started, when it was only scheduled), returning how many
# statements are scored.
_SAVE_SCORE = save_statement(
    VisitScore, ("id", "visit_id"), ("score", "findings", "evidence_seen", "updated_at", "updated_by_id")
)
_TOUCH_VISIT_COUNTING_SCORED = (
    update(Visit)
    .where(Visit.id == bindparam("of_visit"))
    .values(
        updated_at=bindparam("now"),
        status=case(
            (Visit.status == VisitStatus.SCHEDULED, literal(VisitStatus.IN_PROGRESS, Visit.status.type)),
            else_=Visit.status,
        ),
    )
    .returning(
        select(func.count(VisitScore.score))
        .where(VisitScore.visit_id == bindparam("of_visit"))
        .scalar_subquery()
    )
)


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    service: CareService
    officer_name: str
    scored: int
    total: int
    support_level: SupportLevel | None = None  # above routine, in the council's visits list


# Aliased once, not per request: an alias copies every column of its table each time one is made
# (about a millisecond for a user's), and these lists are asked for all day.
_OFFICER = aliased(User)


@dataclass(frozen=True)
class VisitLine:
    """One line of the council's visits list: only the columns it shows."""

    visit_id: int
    scheduled_for: date
    visit_type: VisitType
    status: VisitStatus
    officer_id: int
    service_name: str
    officer_name: str
    scored: int
    total: int
    support_level: SupportLevel | None


@dataclass(frozen=True)
class PointRow:
    point: FactualAccuracyPoint
    raised_by: str
    statement: StatementView | None


@dataclass(frozen=True)
class HistoryRow:
    event: VisitEvent
    actor: str


class ScoreConflict(SheetConflict[VisitScore]):
    """The score sheet's conflict, for an officer's visit score."""


class ScoresMissing(SheetIncomplete):
    """The score sheet's unfinished answer, for a visit whose scores cannot be locked yet."""


@dataclass(frozen=True)
class VisitFilter:
    """Which visits a list shows: the /visits page lists them and the home page counts them, with
    the same conditions, so a tile's number is always its list's length."""

    status: VisitStatus | None = None
    mine: bool = False
    to_carry_out: bool = False
    points_to_answer: bool = False
    # The quarterly report's counts link here: visits of one type carried out between two dates.
    visit_type: VisitType | None = None
    carried_out: bool = False
    scheduled_from: date | None = None
    scheduled_to: date | None = None

    @classmethod
    def recent_and_upcoming(cls, today: date) -> VisitFilter:
        """The visits list with nothing chosen: visits from ``RECENT_DAYS`` ago onwards, so that the
        list and its count cover a few months, however many years of visits the council keeps."""
        return cls(scheduled_from=today - timedelta(days=RECENT_DAYS))

    def conditions(self, viewer: User) -> list[Any]:
        conditions: list[Any] = (
            [Visit.status == self.status] if self.status else [Visit.status != VisitStatus.CANCELLED]
        )
        if self.visit_type is not None:
            conditions.append(Visit.visit_type == self.visit_type)
        if self.carried_out:
            conditions.append(Visit.status.in_(CARRIED_OUT))
        if self.scheduled_from is not None:
            conditions.append(Visit.scheduled_for >= self.scheduled_from)
        if self.scheduled_to is not None:
            conditions.append(Visit.scheduled_for <= self.scheduled_to)
        if self.mine:
            conditions.append(Visit.officer_id == viewer.id)
        if self.to_carry_out:
            conditions.append(Visit.status.in_([VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS]))
        if self.points_to_answer:
            conditions.append(
                exists().where(
                    FactualAccuracyPoint.visit_id == Visit.id, FactualAccuracyPoint.status == PointStatus.OPEN
                )
            )
        return conditions

    @property
    def over_all_dates(self) -> VisitFilter:
        """The same visits whenever they were: the list's "All dates" link."""
        return replace(self, scheduled_from=None, scheduled_to=None)

    @property
    def query(self) -> str:
        """The list's address: /visits?{query}."""
        values = {"status": self.status.value if self.status else ""}
        values |= {
            name: "true"
            for name in ("mine", "to_carry_out", "points_to_answer", "carried_out")
            if getattr(self, name)
        }
        if self.visit_type is not None:
            values["visit_type"] = self.visit_type.value
        for name in ("scheduled_from", "scheduled_to"):
            if (day := getattr(self, name)) is not None:
                values[name] = day.isoformat()
        return urlencode(values)


class Visits:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings
        self.services = CareServices(db, viewer)

    # --- who sees what ----------------------------------------------------------------------------

    def _visible(self):  # type: ignore[no-untyped-def]
        if self.viewer.is_provider:
            return Visit.status.in_(REPORT_VISIBLE_TO_PROVIDER)
        return Visit.id.is_not(None)

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Visits are recorded by council staff.")

    def role(self, visit: Visit) -> VisitRole:
        """The viewer's part in this visit, as the rulebook (visits/rules.py) knows it."""
        return visit_role(self.viewer, visit.officer_id)

    def commands(self, visit: Visit) -> frozenset[VisitCommand]:
        """What the viewer may do to this visit now: what the page offers and the handlers accept."""
        return visit_commands(visit.status, self.role(visit))

    def require(self, visit: Visit, command: VisitCommand) -> None:
        """Refuse a command the rulebook does not allow (Forbidden for providers, Invalid otherwise)."""
        if command in self.commands(visit):
            return
        role = self.role(visit)
        raise (Forbidden if role is VisitRole.PROVIDER else Invalid)(visit_refusal(command, role))

    def _with_progress(self):  # type: ignore[no-untyped-def]
        officer = _OFFICER
        return (
            select(
                Visit, CareService, officer.full_name, func.count(VisitScore.score), func.count(VisitScore.id)
            )
            .join(CareService, CareService.id == Visit.service_id)
            .join(officer, officer.id == Visit.officer_id)
            .outerjoin(VisitScore, VisitScore.visit_id == Visit.id)
            .group_by(Visit.id, CareService.id, officer.full_name)
        )

    # --- reads ------------------------------------------------------------------------------------------

    def listing(self) -> Select:  # type: ignore[type-arg]
        """Every visit the viewer may read (for the API's lists)."""
        return self.services.scope(
            select(Visit).join(CareService, CareService.id == Visit.service_id).where(self._visible())
        )

    async def for_service(self, service: CareService) -> list[VisitRow]:
        rows = await self.db.execute(
            self._with_progress()
            .where(Visit.service_id == service.id, self._visible())
            .order_by(Visit.scheduled_for.desc(), Visit.id.desc())
        )
        return [VisitRow(*row) for row in rows]

    async def announced_upcoming(self, service: CareService) -> list[Visit]:
        """What a provider may know ahead: the dates of announced visits."""
        return list(
            await self.db.scalars(
                select(Visit)
                .where(Visit.service_id == service.id, Visit.announced.is_(True), Visit.status.in_(UPCOMING))
                .order_by(Visit.scheduled_for)
            )
        )

    def _in_area(self) -> ColumnElement[bool]:
        return self.services.in_area(Visit.service_id, Visit.council_id)

    def counted(self, shown: VisitFilter) -> Select:  # type: ignore[type-arg]
        """The statement that counts the list ``shown`` picks: the home page's tile runs it with its
        other figures in one statement."""
        self._require_council_staff()
        return self.services.scope(
            select(func.count(Visit.id))
            .join(CareService, CareService.id == Visit.service_id)
            .where(self._in_area(), *shown.conditions(self.viewer))
        )

    async def total(self, shown: VisitFilter) -> int:
        """The length of the list ``shown`` picks."""
        return await self.db.scalar(self.counted(shown)) or 0

    async def totals_by_type(self, shown: VisitFilter) -> dict[VisitType, int]:
        """The length of the list ``shown`` picks for each type of visit (``replace(shown,
        visit_type=kind)``), in one statement: the quarterly report's visit counts."""
        self._require_council_staff()
        every_type = replace(shown, visit_type=None)
        viewer = self.viewer
        rows = await self.db.execute(
            built_once(  # building it cost more than running it: once per viewer and filter
                ("visit totals by type", viewer.id, viewer.organisation_id, viewer.role, every_type),
                lambda: self.services.scope(
                    select(Visit.visit_type, func.count(Visit.id))
                    .join(CareService, CareService.id == Visit.service_id)
                    .where(self._in_area(), *every_type.conditions(viewer))
                    .group_by(Visit.visit_type)
                ),
            )
        )
        counts = dict(rows.all())
        return {kind: counts.get(kind, 0) for kind in VisitType}

    async def page(self, shown: VisitFilter, *, number: int = 1, size: int = 25) -> Page[VisitLine]:
        """The council's visits that ``shown`` picks, the viewer's own first, then by date: only the
        columns the list shows."""
        conditions = shown.conditions(self.viewer)
        total = await self.total(shown)
        number = max(1, min(number, -(-total // size) or 1))
        mine_first = case((Visit.officer_id == self.viewer.id, 0), else_=1)
        order = (mine_first, Visit.scheduled_for, Visit.id)
        # The page's visits are picked first, so scores are counted for those 25 visits only and
        # not for every visit of the council's history.
        shown_ids = (
            self.services.scope(
                select(Visit.id)
                .join(CareService, CareService.id == Visit.service_id)
                .where(self._in_area(), *conditions)
            )
            .order_by(*order)
            .limit(size)
            .offset((number - 1) * size)
            .correlate(None)
        )
        officer = _OFFICER
        rows = await self.db.execute(
            with_support_level(
                select(
                    Visit.id,
                    Visit.scheduled_for,
                    Visit.visit_type,
                    Visit.status,
                    Visit.officer_id,
                    CareService.name,
                    officer.full_name,
                    func.count(VisitScore.score),
                    func.count(VisitScore.id),
                )
                .join(CareService, CareService.id == Visit.service_id)
                .join(officer, officer.id == Visit.officer_id)
                .outerjoin(VisitScore, VisitScore.visit_id == Visit.id)
                .group_by(Visit.id, CareService.name, officer.full_name),
                self.viewer,
                grouped=True,
            )
            .where(Visit.id.in_(shown_ids))
            .order_by(*order)
        )
        return Page([VisitLine(*row) for row in rows], total=total, number=number, size=size)

    async def get(self, visit_id: int) -> tuple[Visit, CareService]:
        row = (
            await self.db.execute(
                self.services.scope(
                    select(Visit, CareService)
                    .join(CareService, CareService.id == Visit.service_id)
                    .where(Visit.id == visit_id, self._visible())
                )
            )
        ).first()
        if row is None:
            raise NotFound("visit")
        return row[0], row[1]

    async def framework(self, visit: Visit) -> LoadedFramework:
        return await load_framework(self.db, visit.framework_version_id)

    async def scores(self, visit: Visit) -> dict[int, VisitScore]:
        """Scores by statement id."""
        rows = await self.db.scalars(
            select(VisitScore)
            .where(VisitScore.visit_id == visit.id)
            .execution_options(populate_existing=True)
        )
        return {score.statement_id: score for score in rows}

    async def breaches(self, visit: Visit) -> list[VisitBreach]:
        return list(
            await self.db.scalars(
                select(VisitBreach).where(VisitBreach.visit_id == visit.id).order_by(VisitBreach.id)
            )
        )

    async def rating_correction(self, visit: Visit) -> RatingCorrection | None:
        """The corrected overall rating of a published visit, while it waits for an admin's review."""
        if not self.viewer.is_council_staff:
            return None
        return await self.db.scalar(
            select(RatingCorrection).where(
                RatingCorrection.visit_id == visit.id, RatingCorrection.republished_at.is_(None)
            )
        )

    async def summarise(self, visit: Visit, scores: dict[int, VisitScore] | None = None) -> FrameworkSummary:
        """Key question and overall ratings as the report gives them: the breaches found limit the
        overall rating."""
        framework = await self.framework(visit)
        scores = await self.scores(visit) if scores is None else scores
        return framework.summarise(
            {sid: score.score for sid, score in scores.items()},
            (await breach_kinds(self.db, [visit.id]))[visit.id],
        )

    async def score(self, visit: Visit, score_id: int) -> VisitScore:
        score = await self.db.scalar(
            select(VisitScore)
            .where(VisitScore.id == score_id, VisitScore.visit_id == visit.id)
            .execution_options(populate_existing=True)
        )
        if score is None:
            raise NotFound("statement")
        return score

    async def names(self, user_ids: set[int | None]) -> dict[int, str]:
        ids = {user_id for user_id in user_ids if user_id}
        if not ids:
            return {}
        return dict((await self.db.execute(select(User.id, User.full_name).where(User.id.in_(ids)))).all())

    async def concerns(self, visit: Visit) -> list[Concern]:
        """The concerns the visit follows up; a provider never sees confidential ones."""
        statement = (
            select(Concern)
            .join(VisitConcern, VisitConcern.concern_id == Concern.id)
            .where(VisitConcern.visit_id == visit.id)
            .order_by(Concern.received_on)
        )
        if self.viewer.is_provider:
            statement = statement.where(Concern.is_confidential.is_(False))
        return list(await self.db.scalars(statement))

    async def open_concerns(self, service: CareService) -> list[Concern]:
        self._require_council_staff()
        return list(
            await self.db.scalars(
                select(Concern)
                .where(Concern.service_id == service.id, Concern.status == ConcernStatus.OPEN)
                .order_by(Concern.received_on.desc())
            )
        )

    async def tested_assessment(self, visit: Visit) -> SelfAssessment | None:
        return await tested_assessment(self.db, visit)

    async def points(self, visit: Visit) -> list[PointRow]:
        framework = await self.framework(visit)
        rows = await self.db.execute(
            select(FactualAccuracyPoint, User.full_name)
            .join(User, User.id == FactualAccuracyPoint.raised_by_id)
            .where(FactualAccuracyPoint.visit_id == visit.id)
            .order_by(FactualAccuracyPoint.created_at, FactualAccuracyPoint.id)
        )
        return [
            PointRow(point, name, framework.statement(point.statement_id) if point.statement_id else None)
            for point, name in rows
        ]

    async def history(self, visit: Visit) -> list[HistoryRow]:
        rows = await self.db.execute(
            select(VisitEvent, User.full_name)
            .join(User, User.id == VisitEvent.actor_id)
            .where(VisitEvent.visit_id == visit.id)
            .order_by(VisitEvent.occurred_at, VisitEvent.id)
        )
        return [HistoryRow(event, name) for event, name in rows]

    async def action_plan_id(self, visit: Visit) -> int | None:
        return await self.db.scalar(select(_ACTION_PLAN.c.id).where(_ACTION_PLAN.c.visit_id == visit.id))

    async def provider_has_finished(self, visit: Visit) -> bool:
        return bool(
            await self.db.scalar(
                select(func.count(VisitEvent.id)).where(
                    VisitEvent.visit_id == visit.id, VisitEvent.event == NO_MORE_POINTS
                )
            )
        )

    async def publish_blocker(self, visit: Visit) -> str | None:
        """Why the report cannot be published yet, or None when it can."""
        if VisitCommand.PUBLISH not in visit_commands(visit.status, VisitRole.OFFICER):
            return visit_refusal(VisitCommand.PUBLISH, VisitRole.OFFICER)
        open_points = await self.db.scalar(
            select(func.count(FactualAccuracyPoint.id)).where(
                FactualAccuracyPoint.visit_id == visit.id, FactualAccuracyPoint.status == PointStatus.OPEN
            )
        )
        if open_points:
            plural = "s" if open_points > 1 else ""
            return f"Respond to the provider's {open_points} open factual accuracy point{plural}."
        due = visit.factual_accuracy_due
        if due is not None and clock.today() <= due and not await self.provider_has_finished(visit):
            return (
                f"The provider has until {due:%-d %B %Y} to raise factual accuracy points, "
                "unless they say they have no more."
            )
        return None

    # --- writes: scheduling and scoring -------------------------------------------------------------------

    async def schedule(self, service: CareService, form: VisitForm) -> Visit:
        """The visit is scored against the framework version of the self-assessment it tests (the
        latest submitted one), or the council's current framework when there is none."""
        self._require_council_staff()
        await self._check_form(service, form)
        tested = await self.db.scalar(
            select(SelfAssessment)
            .where(
                SelfAssessment.service_id == service.id,
                SelfAssessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED]),
            )
            .order_by(SelfAssessment.submitted_at.desc(), SelfAssessment.id.desc())
            .limit(1)
        )
        version_id = (
            tested.framework_version_id
            if tested
            else (await council_settings(self.db, service.council_id)).framework_version_id
        )
        if version_id is None:
            raise Invalid("Your council has not chosen a framework yet (Frameworks, under admin).")
        framework = await load_framework(self.db, version_id)
        visit = Visit(
            service_id=service.id,
            council_id=service.council_id,
            framework_version_id=version_id,
            self_assessment_id=tested.id if tested else None,
            visit_type=form.visit_type,
            scheduled_for=form.scheduled_for,
            announced=form.announced,
            officer_id=form.officer_id,
        )
        self.db.add(visit)
        await self.db.flush()
        self.db.add_all(
            VisitScore(visit_id=visit.id, statement_id=statement.id) for statement in framework.statements
        )
        self.db.add_all(
            VisitConcern(visit_id=visit.id, concern_id=concern_id) for concern_id in set(form.concern_ids)
        )
        self._event(visit, "scheduled", f"{form.visit_type.label} visit on {form.scheduled_for:%-d %B %Y}")
        if visit.announced:
            await self._tell(
                await provider_staff(self.db, service),
                visit,
                "scheduled",
                f"/services/{service.id}",
                f"The council will visit {service.name} on {visit.scheduled_for:%-d %B %Y} "
                f"({visit.visit_type.label.lower()} visit)",
                subject=f"Council visit to {service.name} on {visit.scheduled_for:%-d %B %Y}",
            )
        await self.db.commit()
        return visit

    async def linked_concern_ids(self, visit: Visit) -> set[int]:
        return set(
            await self.db.scalars(select(VisitConcern.concern_id).where(VisitConcern.visit_id == visit.id))
        )

    async def update_details(self, visit: Visit, service: CareService, form: VisitForm) -> None:
        self.require(visit, VisitCommand.EDIT_DETAILS)
        existing = await self.linked_concern_ids(visit)
        await self._check_form(service, form, already_linked=existing)
        visit.visit_type, visit.scheduled_for = form.visit_type, form.scheduled_for
        visit.announced, visit.officer_id, visit.updated_at = form.announced, form.officer_id, utcnow()
        for concern_id in existing - set(form.concern_ids):
            await self.db.delete(await self.db.get_one(VisitConcern, (visit.id, concern_id)))
        self.db.add_all(
            VisitConcern(visit_id=visit.id, concern_id=concern_id)
            for concern_id in set(form.concern_ids) - existing
        )
        self._event(visit, "details_changed", "")
        await self.db.commit()

    async def _check_form(
        self, service: CareService, form: VisitForm, already_linked: set[int] | None = None
    ) -> None:
        if form.officer_id not in {officer.id for officer in await self.services.officers()}:
            raise Invalid("Choose an officer from your council.")
        allowed = {concern.id for concern in await self.open_concerns(service)} | (already_linked or set())
        if not set(form.concern_ids) <= allowed:
            raise Invalid("Choose concerns about this service from the list.")
        if form.visit_type is VisitType.REACTIVE and not form.concern_ids:
            raise Invalid("A reactive visit responds to concerns: choose at least one.")

    async def save_score(
        self,
        visit: Visit,
        score_id: int,
        *,
        expected_version: int,
        score: int | None,
        findings: str,
        evidence_seen: str,
    ) -> SheetSave[VisitScore]:
        self.require(visit, VisitCommand.EDIT_SCORES)
        framework = await self.framework(visit)
        check_entry(score, (findings, evidence_seen), framework.rules.values)
        now = utcnow()
        saved = await save_built(
            self.db,
            _SAVE_SCORE,
            VisitScore,
            keys={"id": score_id, "visit_id": visit.id},
            expected_version=expected_version,
            values={
                "score": score,
                "findings": findings,
                "evidence_seen": evidence_seen,
                "updated_at": now,
                "updated_by_id": self.viewer.id,
            },
        )
        if saved is None:
            current = await self.score(visit, score_id)
            raise ScoreConflict(
                current, (await self.names({current.updated_by_id})).get(current.updated_by_id or 0)
            )
        started = visit.status is VisitStatus.SCHEDULED
        # the progress shown after the save, counted as the visit is touched
        scored = await self.db.scalar(_TOUCH_VISIT_COUNTING_SCORED, {"of_visit": visit.id, "now": now})
        if started:
            self._event(visit, "scoring_started", "")
        await self.db.commit()
        return SheetSave(saved, SheetProgress(scored, framework.statement_count))  # nothing to read again

    async def save_summary(self, visit: Visit, *, expected_version: int, summary: str) -> None:
        self.require(visit, VisitCommand.SAVE_SUMMARY)
        saved = await update_if_version(
            self.db,
            Visit,
            Visit.id == visit.id,
            expected_version=expected_version,
            values={"summary": summary, "updated_at": utcnow()},
        )
        if not saved:
            raise Conflict("Someone else changed the summary since you opened this page. Reload to see it.")
        await self.db.commit()
        await self.db.refresh(visit)

    async def record_breach(self, visit: Visit, form: BreachForm) -> VisitBreach:
        """The overall rating is then requires improvement at best, and the report says why."""
        self.require(visit, VisitCommand.RECORD_BREACH)
        breach = VisitBreach(
            visit_id=visit.id,
            kind=form.kind,
            standard=form.standard,
            finding=form.finding,
            recorded_by_id=self.viewer.id,
        )
        self.db.add(breach)
        visit.updated_at = utcnow()
        self._event(visit, "breach_recorded", f"{form.kind.label}: {form.standard}"[:200])
        await self.db.commit()
        return breach

    async def remove_breach(self, visit: Visit, breach_id: int) -> None:
        self.require(visit, VisitCommand.REMOVE_BREACH)
        breach = await self.db.scalar(
            select(VisitBreach).where(VisitBreach.id == breach_id, VisitBreach.visit_id == visit.id)
        )
        if breach is None:
            raise NotFound("breach")
        await self.db.delete(breach)
        visit.updated_at = utcnow()
        self._event(visit, "breach_removed", f"{breach.kind.label}: {breach.standard}"[:200])
        await self.db.commit()

    async def missing(self, visit: Visit) -> list[tuple[StatementView, int]]:
        framework = await self.framework(visit)
        return unscored(framework.statements, await self.scores(visit))

    async def lock_scores(self, visit: Visit) -> None:
        """From here the provider's own scores are shown to the officer (blind scoring ends)."""
        self.require(visit, VisitCommand.LOCK_SCORES)
        if missing := await self.missing(visit):
            raise ScoresMissing(missing)
        visit.status, visit.scores_locked_at, visit.updated_at = VisitStatus.SCORES_LOCKED, utcnow(), utcnow()
        self._event(visit, "scores_locked", "")
        await refresh_visit_comparisons(self.db, visit.service_id)
        await self.db.commit()

    async def share_draft(self, visit: Visit, service: CareService) -> None:
        self.require(visit, VisitCommand.SHARE_DRAFT)
        if problem := share_problem(visit.summary):
            raise Invalid(problem)
        days = (await council_settings(self.db, service.council_id)).factual_accuracy_days
        visit.status, visit.shared_at = VisitStatus.DRAFT_SHARED, utcnow()
        visit.factual_accuracy_due = clock.today() + timedelta(days=days)
        visit.updated_at = utcnow()
        self._event(
            visit, "draft_shared", f"Factual accuracy comments due by {visit.factual_accuracy_due:%-d %B %Y}"
        )
        await self._tell(
            await provider_staff(self.db, service),
            visit,
            "draft_shared",
            f"/visits/{visit.id}/report",
            f"The draft report on {service.name} is ready. Tell the council of any factual errors by "
            f"{visit.factual_accuracy_due:%-d %B %Y}.",
            subject=f"Draft visit report for factual accuracy: {service.name}",
        )
        await refresh_visit_comparisons(self.db, service.id)  # the summaries carry the visit's status
        await self.db.commit()

    async def publish(self, visit: Visit, service: CareService) -> None:
        self.require(visit, VisitCommand.PUBLISH)
        if blocker := await self.publish_blocker(visit):
            raise Invalid(blocker)
        visit.status, visit.published_at, visit.published_by_id = (
            VisitStatus.PUBLISHED,
            utcnow(),
            self.viewer.id,
        )
        visit.updated_at = utcnow()
        await self._keep_published_ratings(visit)
        await visit_published.announce(self.db, visit)  # oversight records the ratings in force
        self._event(visit, "published", "")
        record_audit(
            self.db, "visit.published", actor=self.viewer, subject=f"visit:{visit.id}", detail=service.name
        )
        await self._tell(
            await provider_staff(self.db, service),
            visit,
            "published",
            f"/visits/{visit.id}/report",
            f"The council published its report on {service.name}",
            subject=f"Visit report published: {service.name}",
        )
        await refresh_visit_comparisons(self.db, service.id)
        await published_changed(self.db, service.council_id)
        await self.db.commit()

    async def _keep_published_ratings(self, visit: Visit) -> None:
        framework = await self.framework(visit)
        keep_published_ratings(visit, framework, await self.summarise(visit))

    async def cancel(self, visit: Visit, reason: str) -> None:
        self.require(visit, VisitCommand.CANCEL)
        visit.status, visit.updated_at = VisitStatus.CANCELLED, utcnow()
        self._event(visit, "cancelled", reason)
        await refresh_visit_comparisons(self.db, visit.service_id)
        await self.db.commit()

    # --- factual accuracy --------------------------------------------------------------------------------

    def report_commands(self, visit: Visit) -> frozenset[PointCommand]:
        return report_commands(
            visit.status, visit.factual_accuracy_due, clock.today(), provider=self.viewer.is_provider
        )

    def point_commands(self, point: FactualAccuracyPoint) -> frozenset[PointCommand]:
        return point_commands(point.status, council_staff=self.viewer.is_council_staff)

    def _require_provider_comments_open(self, visit: Visit) -> None:
        """Raising a point and finishing are allowed together (the rulebook's report commands)."""
        if PointCommand.RAISE in self.report_commands(visit):
            return
        message = report_refusal(visit.status, visit.factual_accuracy_due, provider=self.viewer.is_provider)
        raise (Invalid if self.viewer.is_provider else Forbidden)(message)

    async def raise_point(self, visit: Visit, *, statement_id: int | None, text: str) -> FactualAccuracyPoint:
        self._require_provider_comments_open(visit)
        if statement_id is not None and statement_id not in (await self.scores(visit)):
            raise Invalid("Choose a statement from the report.")
        score = (await self.scores(visit))[statement_id].score if statement_id else None
        point = FactualAccuracyPoint(
            visit_id=visit.id,
            statement_id=statement_id,
            raised_by_id=self.viewer.id,
            text=text,
            score_before=score,
        )
        self.db.add(point)
        self._event(visit, "point_raised", text[:200])
        visit.updated_at = utcnow()  # a point on its report changes the visit, as its history shows
        await self.db.flush()
        await self._tell(
            [await self.db.get_one(User, visit.officer_id)],
            visit,
            f"point:{point.id}",
            f"/visits/{visit.id}/report#points",
            f"{self.viewer.full_name} raised a factual accuracy point on the draft report",
            subject="Factual accuracy point raised",
        )
        await self.db.commit()
        return point

    async def finish_points(self, visit: Visit) -> None:
        """The provider says it has nothing (more) to raise, so the report can be published early."""
        self._require_provider_comments_open(visit)
        self._event(visit, NO_MORE_POINTS, "")
        visit.updated_at = utcnow()
        await self.db.commit()

    async def _open_point(self, visit: Visit, point_id: int) -> FactualAccuracyPoint:
        self._require_council_staff()
        point = await self.db.scalar(
            select(FactualAccuracyPoint).where(
                FactualAccuracyPoint.id == point_id, FactualAccuracyPoint.visit_id == visit.id
            )
        )
        if point is None:
            raise NotFound("factual accuracy point")
        if PointCommand.ACCEPT not in self.point_commands(point):
            raise Invalid("This point has already been answered.")
        return point

    async def accept_point(
        self, visit: Visit, point_id: int, *, response: str, new_score: int | None
    ) -> None:
        """Accepting may change the statement's score; the change is kept with the point and in history."""
        point = await self._open_point(visit, point_id)
        if new_score is not None:
            if point.statement_id is None:
                raise Invalid("This point is not about one statement, so no score can change with it.")
            framework = await self.framework(visit)
            require_on_scale(new_score, framework.rules.values)
            score = (await self.scores(visit))[point.statement_id]
            if score.score != new_score:
                statement = framework.statement(point.statement_id)
                self._event(
                    visit,
                    "score_changed",
                    f"{statement.code}: {score.score} -> {new_score} after factual accuracy point",
                )
                score.score, score.version, score.updated_at = new_score, score.version + 1, utcnow()
                score.updated_by_id = self.viewer.id
            point.score_after = new_score
        await self._resolve(point, PointStatus.ACCEPTED, response)
        await refresh_visit_comparisons(self.db, visit.service_id)
        visit.updated_at = utcnow()
        await self.db.commit()

    async def reject_point(self, visit: Visit, point_id: int, *, response: str) -> None:
        point = await self._open_point(visit, point_id)
        if not response.strip():
            raise Invalid("Give the reason for not accepting the point.")
        await self._resolve(point, PointStatus.REJECTED, response)
        visit.updated_at = utcnow()
        await self.db.commit()

    async def _resolve(self, point: FactualAccuracyPoint, status: PointStatus, response: str) -> None:
        point.status, point.response = status, response.strip()
        point.resolved_by_id, point.resolved_at, point.updated_at = self.viewer.id, utcnow(), utcnow()
        self._event_for(point.visit_id, f"point_{status.value}", point.response[:200])
        await notify(
            self.db,
            recipients=[await self.db.get_one(User, point.raised_by_id)],
            message=f"The officer answered your factual accuracy point: {status.label.lower()}",
            link=f"/visits/{point.visit_id}/report#points",
            dedupe_key=f"point:{point.id}:{status.value}",
            settings=self.settings,
        )

    # --- history ------------------------------------------------------------------------------------------

    def _event(self, visit: Visit, event: str, detail: str) -> None:
        self._event_for(visit.id, event, detail)

    def _event_for(self, visit_id: int, event: str, detail: str) -> None:
        self.db.add(VisitEvent(visit_id=visit_id, actor_id=self.viewer.id, event=event, detail=detail))

    async def _tell(
        self,
        recipients: list[User],
        visit: Visit,
        step: str,
        link: str,
        message: str,
        subject: str | None = None,
    ) -> None:
        await notify(
            self.db,
            recipients=recipients,
            message=message,
            link=link,
            dedupe_key=f"visit:{visit.id}:{step}",
            email_subject=subject,
            settings=self.settings,
        )


def latest_published_rating() -> ScalarSelect[str | None]:
    """The rating of a service's most recently published visit, correlated to CareService: the
    API's services list asks it (through ``CareServices.listing``, an earlier slice's query)."""
    return (
        select(Visit.rating_key)
        .where(Visit.service_id == CareService.id, Visit.status == VisitStatus.PUBLISHED)
        .order_by(Visit.published_at.desc(), Visit.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def breach_kinds(db: AsyncSession, visit_ids: Sequence[int]) -> dict[int, set[Breach]]:
    """The kinds of breach recorded at each visit, as the scoring rules take them (one query)."""
    found: dict[int, set[Breach]] = {visit_id: set() for visit_id in visit_ids}
    if visit_ids:
        rows = await db.execute(
            select(VisitBreach.visit_id, VisitBreach.kind)
            .where(VisitBreach.visit_id.in_(visit_ids))
            .distinct()
        )
        for visit_id, kind in rows:
            found[visit_id].add(kind.breach)
    return found


def published_ratings(framework: LoadedFramework, summary: FrameworkSummary) -> dict[str, object]:
    """The visit's columns that keep its ratings as published. One shape for publishing, the
    correction of published ratings and the benchmark's generated data."""
    overall = summary.overall
    return {
        "rating_key": overall.band.key if overall else None,
        "rating_label": overall.band.label if overall else None,
        "rating_percent": overall.percent if overall else None,
        "rating_reason": overall.reason if overall else None,
        "key_question_ratings": [
            {
                "code": question.code,
                "title": question.title,
                "key": result.rating.band.key if result.rating else None,
                "label": result.rating.band.label if result.rating else None,
                "percent": result.percent,
                "position": result.rating.position.value if result.rating else None,
            }
            for question, result in zip(framework.key_questions, summary.key_questions, strict=True)
        ],
    }


def keep_published_ratings(visit: Visit, framework: LoadedFramework, summary: FrameworkSummary) -> None:
    for field, value in published_ratings(framework, summary).items():
        setattr(visit, field, value)
