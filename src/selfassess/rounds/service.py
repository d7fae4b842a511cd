"""Self-assessment rounds as one viewer may see them: council staff see their own council's rounds
and completion; provider staff see the open rounds of the councils whose area their services are
in, and start their self-assessments from there. Another council's round is simply not found.

Completion is counted in SQL from one selection (`_in_round`), and the lists behind each count use
that same selection with the same filter, so a figure and its list always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import Organisation, User
from selfassess.assessments.models import AssessmentStatus, SelfAssessment
from selfassess.assessments.service import SelfAssessments
from selfassess.db import Page, built_once
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.frameworks.models import Framework, FrameworkVersion, VersionStatus
from selfassess.providers.models import CareService, ServiceType
from selfassess.rounds.models import AssessmentRound
from selfassess.rounds.rules import Progress, RoundPhase, progress_of, round_phase, round_problem
from selfassess.rounds.schemas import RoundForm
from selfassess.settings import Settings


def _latest_status(period: str | ColumnElement[str]):  # type: ignore[no-untyped-def]
    """The status of the service's self-assessment for a round: its period is the round's name (one
    round's, or ``AssessmentRound.name`` for every round at once)."""
    return (
        select(SelfAssessment.status)
        .where(SelfAssessment.service_id == CareService.id, SelfAssessment.period_label == period)
        .order_by(SelfAssessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def progress_column(round_: AssessmentRound | None = None):  # type: ignore[no-untyped-def]
    """`rules.progress_of` in SQL, written from the rule itself so the two cannot disagree: in
    ``round_``, or (None) in the ``AssessmentRound`` the statement joins."""
    # The simple CASE form evaluates the status subquery once per service, not once per branch.
    return case(
        {value: progress_of(value).value for value in AssessmentStatus},
        value=_latest_status(AssessmentRound.name if round_ is None else round_.name),
        else_=progress_of(None).value,
    )


def services_in_scope(round_: AssessmentRound):  # type: ignore[no-untyped-def]
    """The conditions that put a care service in a round: active, in the council's area, of a
    type the round covers (`services_in_joined_round` says the same of every round at once)."""
    conditions = [CareService.council_id == round_.council_id, CareService.is_active.is_(True)]
    if round_.service_types:
        conditions.append(
            CareService.service_type.in_([ServiceType(value) for value in round_.service_types])
        )
    return conditions


def services_in_joined_round(dialect: str) -> list[ColumnElement[bool]]:
    """`services_in_scope` for the ``AssessmentRound`` a statement joins, so one statement covers
    every round (a national chain's home page: a round in each of fifty councils). The round's
    types are a JSON list, read with the database's own JSON functions; empty means all types."""
    types = AssessmentRound.service_types
    listed = (func.json_array_elements_text if dialect == "postgresql" else func.json_each)(types)
    listed = listed.table_valued("value")
    return [
        CareService.council_id == AssessmentRound.council_id,
        CareService.is_active.is_(True),
        or_(
            func.json_array_length(types) == 0,
            exists(select(1).select_from(listed).where(listed.c.value == CareService.service_type)),
        ),
    ]


def not_closed(today: date) -> ColumnElement[bool]:
    """`rules.round_phase` is not CLOSED on ``today``, in SQL: its deadline has not passed."""
    return AssessmentRound.deadline >= today


def open_on(today: date) -> ColumnElement[bool]:
    """`rules.round_phase` is OPEN on ``today``, in SQL: opened, and not closed."""
    return and_(AssessmentRound.opens_on <= today, not_closed(today))


def _tallied(scope: Subquery) -> Subquery:
    """(round_id, progress, services): ``scope``'s services (one row each, with its round and
    progress) counted per round and progress, so each service's progress is worked out once."""
    return (
        select(scope.c.round_id, scope.c.progress, func.count().label("services"))
        .group_by(scope.c.round_id, scope.c.progress)
        .subquery()
    )


# A provider's home lists a round's services with their buttons when it has at most this many in it;
# above, the round shows its counts and links to the list (a national chain has hundreds).
SERVICES_LISTED_ON_HOME = 3
# Open rounds on a provider's home, the nearest deadlines first; the rest on "Your open rounds".
ROUNDS_ON_HOME = 3


@dataclass(frozen=True)
class Completion:
    """Services of a round by progress: one row of the by-provider or by-type table, or the total."""

    key: str  # provider id or service type value ("" for the total)
    label: str
    not_started: int
    in_progress: int
    submitted: int

    @property
    def total(self) -> int:
        return self.not_started + self.in_progress + self.submitted

    def count(self, progress: Progress) -> int:
        return getattr(self, progress.value)  # type: ignore[no-any-return]

    @property
    def percent_submitted(self) -> int | None:
        return round(100 * self.submitted / self.total) if self.total else None


# The round page's by-provider table is paged: a large county's round has hundreds of providers.
PROVIDERS_PER_PAGE = 50
SERVICES_PER_PAGE = 50


def _counts_by_progress(scope) -> list[ColumnElement[int]]:  # type: ignore[no-untyped-def]
    """One count per `Progress` of the services in ``scope`` (an `_in_round` CTE the statement
    materialises, so each service's progress is worked out once), labelled by its value."""
    return [func.count().filter(scope.c.progress == p.value).label(p.value) for p in Progress]


@dataclass(frozen=True)
class RoundCompletion:
    """A round page's figures: the total, by type of service, and one page of the by-provider table."""

    totals: Completion
    by_type: list[Completion]
    by_provider: Page[Completion]


@dataclass(frozen=True)
class RoundRow:
    round: AssessmentRound
    phase: RoundPhase
    framework_label: str
    completion: Completion


@dataclass(frozen=True)
class RoundServiceRow:
    service: CareService
    provider_name: str
    progress: Progress
    assessment_id: int | None


@dataclass(frozen=True)
class ProviderRoundService:
    """One of the provider's services in an open round, with what it may start from."""

    service_id: int
    service_name: str
    progress: Progress
    assessment_id: int | None
    last_submitted: str | None  # period of the latest submitted self-assessment, to start from


@dataclass(frozen=True)
class RoundHeading:
    """What the provider's home shows of an open round (not the whole record: a national chain's
    home lists fifty rounds)."""

    id: int
    name: str
    deadline: date


@dataclass(frozen=True)
class ProviderRounds:
    """The open rounds a provider's home shows, and how many are open to it in all."""

    shown: list[ProviderRound]
    open_total: int


@dataclass(frozen=True)
class ProviderRound:
    """An open round as a provider sees it on the home page: how many of its services are at each
    stage and, when they are few, the services themselves."""

    round: RoundHeading
    council_name: str
    counts: dict[Progress, int]
    services: list[ProviderRoundService]  # empty above SERVICES_LISTED_ON_HOME: the counts link to them

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _rounds_counted(council_id: int, dialect: str, today: date, current_only: bool) -> Select:  # type: ignore[type-arg]
    """The council's rounds (``current_only``: those not closed on ``today``), latest deadline
    first, with (progress, services) per progress reached, or none for a round with no services."""
    rounds = select(AssessmentRound.id).where(AssessmentRound.council_id == council_id)
    if current_only:
        rounds = rounds.where(not_closed(today))
    in_rounds = (
        select(AssessmentRound.id.label("round_id"), progress_column().label("progress"))
        .select_from(AssessmentRound)
        .join(CareService, and_(*services_in_joined_round(dialect)))
        .where(AssessmentRound.id.in_(rounds))
        .subquery()
    )
    tallies = _tallied(in_rounds)
    return (
        select(
            AssessmentRound, Framework.name, FrameworkVersion.version, tallies.c.progress, tallies.c.services
        )
        .join(FrameworkVersion, FrameworkVersion.id == AssessmentRound.framework_version_id)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .outerjoin(tallies, tallies.c.round_id == AssessmentRound.id)
        .where(AssessmentRound.id.in_(rounds))
        .order_by(AssessmentRound.deadline.desc(), AssessmentRound.id.desc())
    )


def _rounds_open_to(dialect: str, provider_id: int, today: date) -> Select:  # type: ignore[type-arg]
    """The rounds open today with one of the provider's services in them, nearest deadline first."""
    return (
        select(AssessmentRound.id)
        .join(CareService, and_(*services_in_joined_round(dialect)))
        .where(CareService.provider_id == provider_id, open_on(today))
        .group_by(AssessmentRound.id, AssessmentRound.deadline)
        .order_by(AssessmentRound.deadline, AssessmentRound.id)
    )


def _provider_services_in_rounds(dialect: str, provider_id: int, today: date, nearest: int | None = None):  # type: ignore[no-untyped-def]
    """The provider's services in each round open today, with their progress (``nearest``: in that
    many rounds only, those with the nearest deadlines; a national chain is in dozens)."""
    selection = (
        select(
            AssessmentRound.id.label("round_id"),
            CareService.id.label("service_id"),
            progress_column().label("progress"),
        )
        .select_from(AssessmentRound)
        .join(CareService, and_(*services_in_joined_round(dialect)))
        .where(
            CareService.provider_id == provider_id,
            open_on(today),
        )
    )
    if nearest is not None:
        first = _rounds_open_to(dialect, provider_id, today).limit(nearest).subquery()
        selection = selection.where(AssessmentRound.id.in_(select(first.c.id)))
    return selection.subquery()


def _provider_open_round_count(dialect: str, provider_id: int, today: date) -> Select:  # type: ignore[type-arg]
    return select(func.count()).select_from(_rounds_open_to(dialect, provider_id, today).subquery())


def _provider_rounds(dialect: str, provider_id: int, today: date, nearest: int | None = None) -> Select:  # type: ignore[type-arg]
    """The provider's open rounds in one statement (``nearest``: that many, the nearest deadlines
    first): each round's heading and council with the provider's services in it counted per progress
    ("count" rows), and the services themselves of a round that has at most SERVICES_LISTED_ON_HOME
    of them ("service" rows, as its list shows them), each service's progress worked out once (the
    selection is a CTE both read)."""
    scope = _provider_services_in_rounds(dialect, provider_id, today, nearest).element.cte("in_rounds")
    tallies = _tallied(scope)
    counts = (
        select(
            literal("count").label("kind"),
            AssessmentRound.id.label("round_id"),
            AssessmentRound.name,
            AssessmentRound.deadline,
            Organisation.name.label("council"),
            tallies.c.progress,
            tallies.c.services,
            *(null().label(name) for name in _LISTED_COLUMNS),
        )
        .join(tallies, tallies.c.round_id == AssessmentRound.id)
        .join(Organisation, Organisation.id == AssessmentRound.council_id)
    )
    few = select(scope.c.round_id).group_by(scope.c.round_id).having(func.count() <= SERVICES_LISTED_ON_HOME)
    listed = _listed_in_round(scope)
    services = select(
        literal("service"),
        listed.c.round_id,
        listed.c.round_name,
        listed.c.deadline,
        null(),
        listed.c.progress,
        null(),
        *(listed.c[name] for name in _LISTED_COLUMNS),
    ).where(listed.c.round_id.in_(few))
    every = union_all(counts, services).subquery()
    return select(every).order_by(
        every.c.deadline, every.c.round_id, every.c.kind, every.c.service_name, every.c.service_id
    )


def _provider_home_rounds(dialect: str, provider_id: int, today: date) -> Select:  # type: ignore[type-arg]
    return _provider_rounds(dialect, provider_id, today, nearest=ROUNDS_ON_HOME)


# The columns of a service in a round's list (``_listed_in_round``), after its round and progress.
_LISTED_COLUMNS = ("service_id", "service_name", "assessment_id", "last_submitted")


def _listed_in_round(scope) -> Subquery:  # type: ignore[no-untyped-def]
    """``scope``'s services (round_id, service_id, progress) as a round's list shows them: with the
    round's name and deadline, the service's name, its self-assessment for the round and the period
    of its latest submitted one (to start from)."""
    in_round = SelfAssessment.service_id == scope.c.service_id
    assessment_id = (
        select(SelfAssessment.id)
        .where(in_round, SelfAssessment.period_label == AssessmentRound.name)
        .order_by(SelfAssessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_submitted = (
        select(SelfAssessment.period_label)
        .where(in_round, SelfAssessment.status.in_([s for s in AssessmentStatus if s.is_submitted]))
        .order_by(SelfAssessment.submitted_at.desc(), SelfAssessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            scope.c.round_id,
            AssessmentRound.name.label("round_name"),
            AssessmentRound.deadline,
            scope.c.progress,
            CareService.id.label("service_id"),
            CareService.name.label("service_name"),
            assessment_id.label("assessment_id"),
            last_submitted.label("last_submitted"),
        )
        .join(CareService, CareService.id == scope.c.service_id)
        .join(AssessmentRound, AssessmentRound.id == scope.c.round_id)
        .subquery()
    )


def _provider_round_listing(dialect: str, provider_id: int, today: date) -> Subquery:
    """The provider's services in the open rounds as a round's list shows them (to filter by round
    and progress)."""
    return _listed_in_round(_provider_services_in_rounds(dialect, provider_id, today))


def _round_service(row) -> ProviderRoundService:  # type: ignore[no-untyped-def]
    """A service in a round's list, from a row of ``_listed_in_round``'s columns."""
    return ProviderRoundService(
        row.service_id, row.service_name, Progress(row.progress), row.assessment_id, row.last_submitted
    )


class Rounds:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Rounds are run by council staff.")

    # --- council side -------------------------------------------------------------------------

    async def framework_options(self) -> list[tuple[int, str]]:
        """Published versions the council may use: shipped ones and its own."""
        self._require_council_staff()
        rows = await self.db.execute(
            select(FrameworkVersion.id, Framework.name, FrameworkVersion.version)
            .join(Framework, Framework.id == FrameworkVersion.framework_id)
            .where(
                FrameworkVersion.status == VersionStatus.PUBLISHED,
                (Framework.owner_council_id.is_(None))
                | (Framework.owner_council_id == self.viewer.organisation_id),
            )
            .order_by(Framework.name, FrameworkVersion.created_at.desc())
        )
        return [(id_, f"{name} {version}") for id_, name, version in rows]

    async def open_round(self, form: RoundForm, today: date) -> AssessmentRound:
        if not self.viewer.is_council_admin:
            raise Forbidden("Only council admins open self-assessment rounds.")
        if problem := round_problem(
            name=form.name, opens_on=form.opens_on, deadline=form.deadline, today=today
        ):
            raise Invalid(problem)
        if form.framework_version_id not in {id_ for id_, _ in await self.framework_options()}:
            raise Invalid("Choose a published framework version from the list.")
        clash = await self.db.scalar(
            select(AssessmentRound.id).where(
                AssessmentRound.council_id == self.viewer.organisation_id, AssessmentRound.name == form.name
            )
        )
        if clash is not None:
            raise Invalid(f"Your council already has a round called {form.name}.")
        round_ = AssessmentRound(
            council_id=self.viewer.organisation_id,
            name=form.name,
            framework_version_id=form.framework_version_id,
            service_types=sorted({service_type.value for service_type in form.service_types}),
            opens_on=form.opens_on,
            deadline=form.deadline,
            created_by_id=self.viewer.id,
        )
        self.db.add(round_)
        await self.db.flush()
        record_audit(
            self.db, "round.opened", actor=self.viewer, subject=f"round:{round_.id}", detail=form.name
        )
        await self.db.commit()
        return round_

    async def get(self, round_id: int) -> AssessmentRound:
        self._require_council_staff()
        round_ = await self.db.scalar(
            select(AssessmentRound).where(
                AssessmentRound.id == round_id, AssessmentRound.council_id == self.viewer.organisation_id
            )
        )
        if round_ is None:
            raise NotFound("round")
        return round_

    def _in_round(self, round_: AssessmentRound) -> Select:  # type: ignore[type-arg]
        """Every service in the round with its progress: the one selection counts and lists share."""
        return select(
            CareService.id.label("service_id"),
            CareService.provider_id.label("provider_id"),
            CareService.service_type.label("service_type"),
            progress_column(round_).label("progress"),
        ).where(*services_in_scope(round_))

    async def completion(self, round_: AssessmentRound, *, provider_page: int = 1) -> RoundCompletion:
        """The round page's figures in one statement, each service's progress worked out once (a
        CTE the branches share): the total, one row per type, and one page of the by-provider
        table, providers with most services not yet submitted first (a large county's round has
        hundreds of providers)."""
        provider_page = max(1, provider_page)
        rows, providers = await self._completion_rows(round_, provider_page)
        pages = max(1, -(-providers // PROVIDERS_PER_PAGE))
        if provider_page > pages:  # a page past the end shows the last one
            provider_page = pages
            rows, providers = await self._completion_rows(round_, provider_page)
        table: dict[str, list[Completion]] = {"total": [], "type": [], "provider": []}
        for row in rows:
            label = ServiceType(row.key).label if row.kind == "type" else row.name
            counts = (row._mapping[progress.value] for progress in Progress)
            table[row.kind].append(Completion(row.key, label, *counts))
        return RoundCompletion(
            totals=table["total"][0],  # an aggregate without GROUP BY: always one row
            by_type=sorted(table["type"], key=lambda row: row.label),
            by_provider=Page(table["provider"], providers, provider_page, PROVIDERS_PER_PAGE),
        )

    async def _completion_rows(self, round_: AssessmentRound, provider_page: int):  # type: ignore[no-untyped-def]
        """(kind, key, provider name, a count per `Progress`, position) rows, and how many providers
        have services in the round (the total row's position)."""
        scope = self._in_round(round_).cte("in_round")
        counts = _counts_by_progress(scope)
        total = select(
            literal("total").label("kind"),
            literal("").label("key"),
            literal("All services").label("name"),
            *counts,
            func.count(distinct(scope.c.provider_id)).label("position"),
        )
        by_type = select(literal("type"), scope.c.service_type, literal(""), *counts, literal(0)).group_by(
            scope.c.service_type
        )
        # Grouped before the names are looked up: one row per provider to name and sort, not one per
        # service; each name is read by key (joined, PostgreSQL hashed the country's organisations).
        per_provider = (
            select(
                scope.c.provider_id,
                *counts,
                func.count().filter(scope.c.progress != Progress.SUBMITTED.value).label("not_submitted"),
            )
            .group_by(scope.c.provider_id)
            .subquery()
        )
        name = (
            select(Organisation.name).where(Organisation.id == per_provider.c.provider_id).scalar_subquery()
        )
        order = (per_provider.c.not_submitted.desc(), name, per_provider.c.provider_id)
        providers = (
            select(
                literal("provider").label("kind"),
                cast(per_provider.c.provider_id, String).label("key"),
                name.label("name"),
                *(per_provider.c[p.value] for p in Progress),
                func.row_number().over(order_by=order).label("position"),
            )
            .order_by(*order)
            .limit(PROVIDERS_PER_PAGE)
            .offset((provider_page - 1) * PROVIDERS_PER_PAGE)
            .subquery()
        )
        statement = union_all(total, by_type, select(providers)).order_by("kind", "position")
        rows = (await self.db.execute(statement)).all()
        providers_in_round = next((row.position for row in rows if row.kind == "total"), 0)
        return rows, providers_in_round

    async def services(
        self,
        round_: AssessmentRound,
        *,
        progress: Progress | None = None,
        provider_id: int | None = None,
        service_type: ServiceType | None = None,
        number: int = 1,
    ) -> Page[RoundServiceRow]:
        """The services behind a count: the same selection, with the count's filter, a page at a
        time (a county's round holds hundreds)."""
        scope = self._in_round(round_).subquery()
        chosen = []
        if progress is not None:
            chosen.append(scope.c.progress == progress.value)
        if provider_id is not None:
            chosen.append(scope.c.provider_id == provider_id)
        if service_type is not None:
            chosen.append(scope.c.service_type == service_type)
        total = await self.db.scalar(select(func.count()).select_from(scope).where(*chosen)) or 0
        number = max(1, min(number, -(-total // SERVICES_PER_PAGE) or 1))
        assessment_id = (
            select(SelfAssessment.id)
            .where(
                SelfAssessment.service_id == scope.c.service_id, SelfAssessment.period_label == round_.name
            )
            .order_by(SelfAssessment.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        statement = (
            select(CareService, Organisation.name, scope.c.progress, assessment_id)
            .join(scope, scope.c.service_id == CareService.id)
            .join(Organisation, Organisation.id == CareService.provider_id)
            .where(*chosen)
            .order_by(Organisation.name, CareService.name, CareService.id)
            .limit(SERVICES_PER_PAGE)
            .offset((number - 1) * SERVICES_PER_PAGE)
        )
        rows = [
            RoundServiceRow(service, name, Progress(value), aid)
            for service, name, value, aid in await self.db.execute(statement)
        ]
        return Page(rows, total, number, SERVICES_PER_PAGE)

    async def rows(self, today: date, *, current_only: bool = False) -> list[RoundRow]:
        """The council's rounds, latest deadline first, each with its services counted by progress,
        in one statement for every round (each service's progress worked out once, then counted by
        round and progress), not one count per round. ``current_only``: the rounds not closed yet
        (the home page's), so a closed round's services are not counted only to be left out."""
        self._require_council_staff()
        council, dialect = self.viewer.organisation_id, self.db.bind.dialect.name
        key = ("council rounds", council, dialect, today if current_only else None)
        statement = built_once(key, lambda: _rounds_counted(council, dialect, today, current_only))
        counted: dict[int, tuple[AssessmentRound, str, dict[str, int]]] = {}
        for round_, name, version, progress, services in await self.db.execute(statement):
            _, _, counts = counted.setdefault(round_.id, (round_, f"{name} {version}", {}))
            if progress is not None:  # a round with no service in it has no tally
                counts[progress] = services
        return [
            RoundRow(
                round_,
                round_phase(today, opens_on=round_.opens_on, deadline=round_.deadline),
                label,
                Completion("", "All services", *(counts.get(p.value, 0) for p in Progress)),
            )
            for round_, label, counts in counted.values()
        ]

    # --- provider side ------------------------------------------------------------------------

    def _provider_services_in_rounds(self, today: date):  # type: ignore[no-untyped-def]
        """The provider's services in each round open today, with their progress: the one selection
        the home page's counts and the lists they link to share."""
        return self._built(_provider_services_in_rounds, today)

    def _built(self, build, today: date):  # type: ignore[no-untyped-def]
        """The provider's statement ``build`` makes, built once a day (``db.built_once``): building
        them cost more CPU than running them, and its home page asks on every visit. Values that
        change within the day (the few rounds listed, a filter) are added by the caller."""
        provider, dialect = self.viewer.organisation_id, self.db.bind.dialect.name
        return built_once(
            ("provider rounds", build.__name__, provider, dialect, today),
            lambda: build(dialect, provider, today),
        )

    async def for_provider_home(self, today: date) -> ProviderRounds:
        """The ROUNDS_ON_HOME open rounds with the nearest deadlines, and how many are open in all
        (counted only when there may be more)."""
        shown = await self._provider_open_rounds(_provider_home_rounds, today)
        if len(shown) < ROUNDS_ON_HOME:
            return ProviderRounds(shown, len(shown))
        counted = await self.db.scalar(self._built(_provider_open_round_count, today))
        return ProviderRounds(shown, counted or 0)

    async def every_open_round(self, today: date) -> list[ProviderRound]:
        """Every round open today with the provider's services in it, nearest deadline first."""
        return await self._provider_open_rounds(_provider_rounds, today)

    async def _provider_open_rounds(self, build, today: date) -> list[ProviderRound]:  # type: ignore[no-untyped-def]
        """The rounds ``build`` (``_provider_rounds``) selects, each with the provider's services
        counted by progress, and listed when they are few."""
        if not self.viewer.is_provider:
            return []
        rounds: dict[int, ProviderRound] = {}
        for row in await self.db.execute(self._built(build, today)):
            if row.kind == "count":
                shown = rounds.setdefault(
                    row.round_id,
                    ProviderRound(
                        RoundHeading(row.round_id, row.name, row.deadline),
                        row.council,
                        dict.fromkeys(Progress, 0),
                        [],
                    ),
                )
                shown.counts[Progress(row.progress)] = row.services
            else:
                rounds[row.round_id].services.append(_round_service(row))
        return list(rounds.values())

    async def provider_round_services(
        self, round_: AssessmentRound, progress: Progress | None = None
    ) -> list[ProviderRoundService]:
        """The provider's services in a round from ``open_to_provider``: the list behind the home
        page's counts, by the same selection and filter."""
        listed = self._built(_provider_round_listing, clock.today())
        statement = select(listed).where(listed.c.round_id == round_.id)
        if progress is not None:
            statement = statement.where(listed.c.progress == progress.value)
        rows = await self.db.execute(statement.order_by(listed.c.service_name, listed.c.service_id))
        return [_round_service(row) for row in rows]

    async def open_to_provider(self, round_id: int) -> AssessmentRound:
        """A round open today with one of the provider's services in it (NotFound otherwise): the
        rounds its home page shows, by the same selection."""
        if not self.viewer.is_provider:
            raise Forbidden("Only the provider's own staff can fill in a self-assessment.")
        with_its_services = select(self._provider_services_in_rounds(clock.today()).c.round_id)
        round_ = await self.db.scalar(
            select(AssessmentRound).where(
                AssessmentRound.id == round_id, AssessmentRound.id.in_(with_its_services)
            )
        )
        if round_ is None:
            raise NotFound("round")
        return round_

    async def council_name(self, round_: AssessmentRound) -> str:
        name = await self.db.scalar(select(Organisation.name).where(Organisation.id == round_.council_id))
        return name or ""

    async def start(
        self, round_: AssessmentRound, service: CareService, *, carry_over: bool, settings: Settings
    ) -> SelfAssessment:
        """A provider starts the self-assessment of one of its services (found through its scope) for
        a round from ``open_to_provider``: the round's period and framework version, from last year's
        answers when asked."""
        in_scope = await self.db.scalar(
            select(CareService.id).where(CareService.id == service.id, *services_in_scope(round_))
        )
        if in_scope is None:
            raise NotFound("service")
        return await SelfAssessments(self.db, self.viewer, settings).start(
            service, round_.name, framework_version_id=round_.framework_version_id, carry_over=carry_over
        )
