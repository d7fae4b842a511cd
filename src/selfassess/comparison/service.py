"""The self-assessment compared with the visit, as one viewer may see it: read-only selectors.

Who may see what, on top of `CareServices`' scope (the council's area, or the provider's own services):

- a self-assessment counts once it is submitted or reviewed (never a draft, nor one returned);
- a provider compares with **published** visits only: drafts and unpublished scores stay the council's;
- council staff compare with visits whose scores are **locked or later**, never with a visit still
  being scored. With blind scoring on (the default), staff also see a provider's own scores only
  once a visit testing that self-assessment has its scores locked, the same rule as the
  self-assessment pages, so the comparison is no back door to the scores before a visit.

Pure work (gaps, ratings, kappa) is in `comparison.rules`; here we fetch the few rows a page needs,
and counting across a provider's services is done by the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, User
from selfassess.assessments.models import AssessmentStatus, SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import tested_by_a_locked_visit
from selfassess.comparison.rules import (
    Comparison,
    CycleAccuracy,
    KeyQuestionComparison,
    StatementGap,
    StatementScores,
    accuracy_direction,
    accuracy_trend,
    compare,
    weighted_kappa_of_counts,
)
from selfassess.errors import Invalid, NotFound
from selfassess.frameworks.models import Framework, FrameworkVersion
from selfassess.frameworks.scoring import Breach, OverallRating
from selfassess.frameworks.service import (
    FrameworkSummary,
    KeyQuestionView,
    LoadedFramework,
    StatementView,
    council_settings,
    load_framework,
)
from selfassess.providers.models import CareService, RegulatorRating, registered_provider_ids
from selfassess.providers.service import CareServices
from selfassess.visits.comparison_models import VisitComparison, VisitComparisonCell
from selfassess.visits.models import Visit, VisitScore, VisitStatus
from selfassess.visits.service import breach_kinds
from selfassess.visits.tested import (
    SCORES_LOCKED_OR_LATER,
    tested_assessment,
    tested_by_locked_visits,
)

SUBMITTED_STATUSES = tuple(status for status in AssessmentStatus if status.is_submitted)

AccuracyDirection = Literal["improving", "worsening", "steady", "not enough data"]


class NotComparable(Invalid):
    """The self-assessment and the visit were scored against different framework versions, so
    their statements do not line up and a comparison would mean nothing."""


def _day(value: date) -> str:
    return value.strftime("%-d %B %Y")


# --- what the pages get ------------------------------------------------------------------------


@dataclass(frozen=True)
class PairChoices:
    """The self-assessments and visits of one service this viewer may compare, newest first."""

    assessments: tuple[SelfAssessment, ...]
    visits: tuple[Visit, ...]
    framework_titles: Mapping[int, str]
    tested: Mapping[int, int | None]  # visit id -> the self-assessment it tests (visits.tested)

    @property
    def several_frameworks(self) -> bool:
        """Whether the choices span framework versions (then the lists say which is which)."""
        used = {item.framework_version_id for item in (*self.assessments, *self.visits)}
        return len(used) > 1

    @property
    def default_visit(self) -> Visit | None:
        """The latest published visit; for council staff, the latest with locked scores if none is."""
        published = [visit for visit in self.visits if visit.status is VisitStatus.PUBLISHED]
        return (published or list(self.visits) or [None])[0]

    def assessment_for(self, visit: Visit | None) -> SelfAssessment | None:
        """The latest submitted self-assessment scored on the visit's framework version (so the
        default pair can be compared), or simply the latest when none is."""
        same_version = [
            a for a in self.assessments if visit and a.framework_version_id == visit.framework_version_id
        ]
        return (same_version or list(self.assessments) or [None])[0]

    def resolve(self, assessment_id: int | None, visit_id: int | None) -> tuple[int, int] | None:
        """The pair to show: what was picked, with the other side filled in, or None when there is
        nothing to compare. Only a visit picked: the self-assessment it tested. Only a self-assessment
        picked: the latest visit that tested it, else the default visit. Ids are passed on as given,
        so one the viewer may not see is simply not found when the pair is compared."""
        if assessment_id is None and visit_id is None:
            visit = self.default_visit
            return _ids(self.assessment_for(visit), visit)
        if visit_id is None:
            testing = [v for v in self.visits if self.tested.get(v.id) == assessment_id]
            visit = (testing or [self.default_visit])[0]
            return (assessment_id, visit.id) if visit and visit.id else None
        if assessment_id is None:
            visit = next((v for v in self.visits if v.id == visit_id), None)
            tested = next((a for a in self.assessments if visit and a.id == self.tested.get(visit.id)), None)
            assessment = tested or self.assessment_for(visit)
            return (assessment.id, visit_id) if assessment and assessment.id else None
        return assessment_id, visit_id


def _ids(assessment: SelfAssessment | None, visit: Visit | None) -> tuple[int, int] | None:
    if assessment is None or visit is None or assessment.id is None or visit.id is None:
        return None
    return assessment.id, visit.id


@dataclass(frozen=True)
class StatementLine:
    statement: StatementView
    gap: StatementGap
    self_label: str
    officer_label: str


@dataclass(frozen=True)
class KeyQuestionLine:
    question: KeyQuestionView
    result: KeyQuestionComparison


@dataclass(frozen=True)
class ComparisonView:
    """Everything the comparison page shows for one pair, in the framework's order."""

    service: CareService
    assessment: SelfAssessment
    visit: Visit
    framework: LoadedFramework
    comparison: Comparison
    overrating_margin: int
    key_questions: tuple[KeyQuestionLine, ...]
    statements: tuple[StatementLine, ...]

    @property
    def regulator_rating(self) -> RegulatorRating:
        return self.service.regulator_rating

    @property
    def statement_titles(self) -> dict[str, str]:
        """By statement code, as `actions.rules.propose_actions` takes them."""
        return {line.statement.code: line.statement.title for line in self.statements}


@dataclass(frozen=True)
class ChosenPair:
    """The choices, the pair chosen (assessment id, visit id) and its comparison; `problem` says
    why it cannot be compared (different framework versions). No pair: nothing to compare yet."""

    choices: PairChoices
    pair: tuple[int, int] | None
    view: ComparisonView | None
    problem: str | None


@dataclass(frozen=True)
class TrendEntry:
    """One row of the ratings over time: a self-assessment or a visit."""

    kind: Literal["self", "visit"]
    label: str
    when: date
    summary: FrameworkSummary


@dataclass(frozen=True)
class RatingsOverTime:
    """Entries scored against one framework version (its key questions are the table's columns)."""

    framework: LoadedFramework
    entries: tuple[TrendEntry, ...]


@dataclass(frozen=True)
class CyclePoint:
    """A self-assessment cycle: the provider's overall rating and the officer's, from the latest
    visible visit that tested that self-assessment (None when there is none yet)."""

    label: str
    self_overall: OverallRating | None
    officer_overall: OverallRating | None


@dataclass(frozen=True)
class ServiceTrend:
    ratings: tuple[RatingsOverTime, ...]  # one table per framework version, in the order first used
    cycles: tuple[CyclePoint, ...]
    accuracy: tuple[CycleAccuracy, ...]
    direction: AccuracyDirection

    @property
    def latest_framework(self) -> LoadedFramework | None:
        """The framework of the most recent entry, whose bands the trend chart draws."""
        return max(self.ratings, key=lambda table: table.entries[-1].when).framework if self.ratings else None


@dataclass(frozen=True)
class ProviderCycle:
    accuracy: CycleAccuracy
    framework_title: str
    services: int


@dataclass(frozen=True)
class ServiceAccuracy:
    service_id: int
    service_name: str
    visits: int
    pairs: int
    mean_difference: float
    overrated_share: float


@dataclass(frozen=True)
class ProviderAccuracy:
    provider: Organisation
    cycles: tuple[ProviderCycle, ...]
    services: tuple[ServiceAccuracy, ...]
    direction: AccuracyDirection

    @property
    def several_frameworks(self) -> bool:
        return len({cycle.framework_title for cycle in self.cycles}) > 1


# --- the selectors --------------------------------------------------------------------------------


class Comparisons:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer
        self.care_services = CareServices(db, viewer)

    # --- visibility ---------------------------------------------------------------------------

    def _visible_visit(self, status: Any = Visit.status) -> ColumnElement[bool]:
        """Visits the viewer may compare, by their ``status`` (a summary's copy of it, or the visit's)."""
        statuses = (VisitStatus.PUBLISHED,) if self.viewer.is_provider else SCORES_LOCKED_OR_LATER
        return status.in_(statuses)

    async def _visible_assessment(self, council_id: int) -> ColumnElement[bool]:
        submitted = SelfAssessment.status.in_(SUBMITTED_STATUSES)
        if self.viewer.is_provider or not (await council_settings(self.db, council_id)).blind_scoring:
            return submitted
        return and_(submitted, tested_by_a_locked_visit(SelfAssessment.id))

    async def _assessments(self, service: CareService) -> list[SelfAssessment]:
        visible = await self._visible_assessment(service.council_id)
        return list(
            await self.db.scalars(
                self.care_services.scope(
                    select(SelfAssessment)
                    .join(CareService, CareService.id == SelfAssessment.service_id)
                    .where(SelfAssessment.service_id == service.id, visible)
                    .order_by(SelfAssessment.submitted_at.desc(), SelfAssessment.id.desc())
                )
            )
        )

    async def _visits(self, service: CareService) -> list[Visit]:
        return list(
            await self.db.scalars(
                self.care_services.scope(
                    select(Visit)
                    .join(CareService, CareService.id == Visit.service_id)
                    .where(Visit.service_id == service.id, self._visible_visit())
                    .order_by(Visit.scheduled_for.desc(), Visit.id.desc())
                )
            )
        )

    async def _framework_titles(self, version_ids: set[int]) -> dict[int, str]:
        if not version_ids:
            return {}
        rows = await self.db.execute(
            select(FrameworkVersion.id, Framework.name, FrameworkVersion.version)
            .join(Framework, Framework.id == FrameworkVersion.framework_id)
            .where(FrameworkVersion.id.in_(version_ids))
        )
        return {version_id: f"{name} (version {version})" for version_id, name, version in rows}

    # --- choosing a pair ------------------------------------------------------------------------

    async def pairs(self, service: CareService) -> PairChoices:
        assessments, visits = await self._assessments(service), await self._visits(service)
        used = {item.framework_version_id for item in (*assessments, *visits)}
        # Every visit a viewer may compare has its scores locked, so its summary names what it tests.
        visit_ids = [visit.id for visit in visits if visit.id is not None]
        tested = await tested_by_locked_visits(self.db, visit_ids)
        return PairChoices(tuple(assessments), tuple(visits), await self._framework_titles(used), tested)

    async def choose(
        self, service: CareService, assessment_id: int | None = None, visit_id: int | None = None
    ) -> ChosenPair:
        """The pair picked (either side may be left out; see `PairChoices.resolve`), compared."""
        choices = await self.pairs(service)
        pair = choices.resolve(assessment_id, visit_id)
        if pair is None:
            return ChosenPair(choices, None, None, None)
        try:
            return ChosenPair(choices, pair, await self.compare_pair(service, *pair, choices=choices), None)
        except NotComparable as refusal:
            return ChosenPair(choices, pair, None, str(refusal))

    # --- one pair ------------------------------------------------------------------------------------

    async def compare_pair(
        self, service: CareService, assessment_id: int, visit_id: int, *, choices: PairChoices | None = None
    ) -> ComparisonView:
        """NotFound for a self-assessment or visit this viewer may not compare (another service's, a
        draft, an unpublished visit for a provider, a visit still being scored for staff);
        NotComparable when the two were scored against different framework versions. `choices`:
        this service's `pairs()`, when the caller has them already."""
        assessments = choices.assessments if choices else await self._assessments(service)
        assessment = next((a for a in assessments if a.id == assessment_id), None)
        if assessment is None:
            raise NotFound("self-assessment")
        visits = choices.visits if choices else await self._visits(service)
        visit = next((v for v in visits if v.id == visit_id), None)
        if visit is None:
            raise NotFound("visit")
        if assessment.framework_version_id != visit.framework_version_id:
            titles = await self._framework_titles(
                {assessment.framework_version_id, visit.framework_version_id}
            )
            raise NotComparable(
                f"The self-assessment for {assessment.period_label} was scored against "
                f"{titles[assessment.framework_version_id]}, and the visit on {_day(visit.scheduled_for)} "
                f"against {titles[visit.framework_version_id]}. Scores on different frameworks or "
                "versions cannot be compared statement by statement: choose a self-assessment and a "
                "visit scored against the same framework version."
            )
        framework = await load_framework(self.db, visit.framework_version_id)
        self_scores = (await self._self_scores([assessment.id]))[assessment.id]
        officer_scores = (await self._officer_scores([visit.id]))[visit.id]
        margin = (await council_settings(self.db, service.council_id)).overrating_margin
        breaches = (await breach_kinds(self.db, [visit.id]))[visit.id]
        comparison = _compare(framework, self_scores, officer_scores, margin, breaches)
        gaps = {gap.statement_code: gap for gap in comparison.statements}
        return ComparisonView(
            service=service,
            assessment=assessment,
            visit=visit,
            framework=framework,
            comparison=comparison,
            overrating_margin=margin,
            key_questions=tuple(
                KeyQuestionLine(question, result)
                for question, result in zip(framework.key_questions, comparison.key_questions, strict=True)
            ),
            statements=tuple(
                StatementLine(
                    statement=statement,
                    gap=gaps[statement.code],
                    self_label=framework.label_for(gaps[statement.code].self_score),
                    officer_label=framework.label_for(gaps[statement.code].officer_score),
                )
                for statement in framework.statements
            ),
        )

    async def compare_visit(self, service: CareService, visit: Visit) -> Comparison:
        """The visit against the self-assessment it tests (``visits.tested``), exactly as the
        comparison page shows the pair; against no self-scores when it tests none. The plan
        proposal turns this result into actions as it is."""
        tested = await tested_assessment(self.db, visit)
        if tested is not None and tested.id is not None and visit.id is not None:
            return (await self.compare_pair(service, tested.id, visit.id)).comparison
        framework = await load_framework(self.db, visit.framework_version_id)
        officer_scores = (await self._officer_scores([visit.id]))[visit.id] if visit.id is not None else {}
        margin = (await council_settings(self.db, service.council_id)).overrating_margin
        return _compare(framework, {}, officer_scores, margin)

    async def _self_scores(self, assessment_ids: Sequence[int]) -> dict[int, dict[int, int | None]]:
        """Scores by statement id, for each self-assessment."""
        found: dict[int, dict[int, int | None]] = {assessment_id: {} for assessment_id in assessment_ids}
        if assessment_ids:
            rows = await self.db.execute(
                select(
                    SelfAssessmentAnswer.assessment_id,
                    SelfAssessmentAnswer.statement_id,
                    SelfAssessmentAnswer.score,
                ).where(SelfAssessmentAnswer.assessment_id.in_(assessment_ids))
            )
            for assessment_id, statement_id, score in rows:
                found[assessment_id][statement_id] = score
        return found

    async def _officer_scores(self, visit_ids: Sequence[int]) -> dict[int, dict[int, int | None]]:
        """Scores by statement id, for each visit."""
        found: dict[int, dict[int, int | None]] = {visit_id: {} for visit_id in visit_ids}
        if visit_ids:
            rows = await self.db.execute(
                select(VisitScore.visit_id, VisitScore.statement_id, VisitScore.score).where(
                    VisitScore.visit_id.in_(visit_ids)
                )
            )
            for visit_id, statement_id, score in rows:
                found[visit_id][statement_id] = score
        return found

    # --- one service over time ----------------------------------------------------------------------

    async def service_trend(self, service: CareService, choices: PairChoices | None = None) -> ServiceTrend:
        """Ratings per cycle, oldest first, and how accurately the provider judged itself each time
        (each visit against the self-assessment it tested). `choices`: this service's `pairs()`,
        when the caller has them already."""
        choices = choices or await self.pairs(service)
        assessments = list(reversed(choices.assessments))
        visits = list(reversed(choices.visits))
        self_scores = await self._self_scores([a.id for a in assessments if a.id is not None])
        officer_scores = await self._officer_scores([v.id for v in visits if v.id is not None])
        breaches = await breach_kinds(self.db, [v.id for v in visits if v.id is not None])
        frameworks = {
            version_id: await load_framework(self.db, version_id)
            for version_id in dict.fromkeys(item.framework_version_id for item in (*assessments, *visits))
        }

        entries: list[tuple[int, TrendEntry]] = []
        for assessment in assessments:
            framework = frameworks[assessment.framework_version_id]
            submitted = (assessment.submitted_at or assessment.created_at).date()
            entry = TrendEntry(
                "self",
                f"Self-assessment {assessment.period_label}",
                submitted,
                framework.summarise(self_scores[assessment.id]),
            )
            entries.append((assessment.framework_version_id, entry))
        for visit in visits:
            framework = frameworks[visit.framework_version_id]
            status = "" if visit.status is VisitStatus.PUBLISHED else f" ({visit.status.label.lower()})"
            entry = TrendEntry(
                "visit",
                f"Officer's visit{status}",
                visit.scheduled_for,
                framework.summarise(officer_scores[visit.id], breaches[visit.id]),
            )
            entries.append((visit.framework_version_id, entry))
        entries.sort(key=lambda pair: (pair[1].when, pair[1].kind == "visit"))
        in_order_of_use = dict.fromkeys(version_id for version_id, _ in entries)
        ratings = tuple(
            RatingsOverTime(
                frameworks[version_id], tuple(entry for used, entry in entries if used == version_id)
            )
            for version_id in in_order_of_use
        )

        by_id = {assessment.id: assessment for assessment in assessments}
        tests = choices.tested
        tested = [(visit, by_id[tests[visit.id]]) for visit in visits if tests.get(visit.id) in by_id]
        margin = (await council_settings(self.db, service.council_id)).overrating_margin
        accuracy = accuracy_trend(
            [
                (
                    f"{assessment.period_label} (visit {_day(visit.scheduled_for)})",
                    _compare(
                        frameworks[visit.framework_version_id],
                        self_scores[assessment.id],
                        officer_scores[visit.id],
                        margin,
                        breaches[visit.id],
                    ),
                )
                for visit, assessment in tested
            ]
        )
        latest_visit_for = {assessment.id: visit for visit, assessment in tested}  # oldest first: latest wins
        cycles = tuple(
            CyclePoint(
                label=assessment.period_label,
                self_overall=frameworks[assessment.framework_version_id]
                .summarise(self_scores[assessment.id])
                .overall,
                officer_overall=(
                    frameworks[latest_visit_for[assessment.id].framework_version_id]
                    .summarise(
                        officer_scores[latest_visit_for[assessment.id].id],
                        breaches[latest_visit_for[assessment.id].id],
                    )
                    .overall
                    if assessment.id in latest_visit_for
                    else None
                ),
            )
            for assessment in assessments
        )
        return ServiceTrend(ratings, cycles, accuracy, accuracy_direction(accuracy))

    # --- one provider across its services -----------------------------------------------------------

    async def provider(self, provider_id: int) -> Organisation:
        """A provider organisation on the viewer council's register (a provider user: its own
        organisation); NotFound for any other."""
        if self.viewer.is_provider:
            visible = Organisation.id == self.viewer.organisation_id
        else:
            visible = Organisation.id.in_(registered_provider_ids(self.viewer.organisation_id))
        provider = await self.db.scalar(select(Organisation).where(Organisation.id == provider_id, visible))
        if provider is None:
            raise NotFound("provider organisation")
        return provider

    async def provider_accuracy(self, provider: Organisation) -> ProviderAccuracy:
        """How accurately a provider organisation judges itself, cycle by cycle, pooled over its
        services in the viewer's council (a provider user: its own services everywhere).

        A cycle is a self-assessment period (and framework version); every visible visit counts
        with the self-assessment it tested. The database counts each (self score, officer score)
        combination, which is all weighted kappa needs. ``provider`` comes from ``provider()``.
        """
        # Each visit's comparison summary (`comparison.summaries`) already names the self-assessment
        # it tested, its cycle and the visit's status and day, and counts the two sides' scores, so
        # this reads a few rows per visit and no visit or self-assessment.
        summary = VisitComparison
        compared = self.care_services.scope(
            select()
            .select_from(summary)
            .join(CareService, CareService.id == summary.service_id)
            # The summary's own provider_id (indexed): PostgreSQL then reads the provider's few
            # hundred summaries instead of scanning the country's 85,000 and hashing its services.
            .where(
                summary.provider_id == provider.id,
                self._visible_visit(summary.visit_status),
                summary.pairs > 0,  # so it tested a self-assessment, whose cycle it carries
            )
        )
        cycle_key = (summary.period_label, summary.framework_version_id)
        # One row per cycle and service: the table by cycle and the table by service both add these
        # up (a cycle's services are its rows), one statement over the summaries instead of two.
        first_visit: dict[tuple[str, int], date] = {}
        cycle_services: Counter[tuple[str, int]] = Counter()
        by_service: dict[tuple[str, int], list[int]] = {}
        for period, version_id, service_id, name, first, visits, pairs, total, over in await self.db.execute(
            compared.add_columns(
                *cycle_key,
                CareService.id,
                CareService.name,
                func.min(summary.scheduled_for),
                func.count(VisitComparison.visit_id),
                func.sum(VisitComparison.pairs),
                func.sum(VisitComparison.difference_total),
                func.sum(VisitComparison.overrated),
            )
            .group_by(*cycle_key, CareService.id, CareService.name)
            .order_by(CareService.name, CareService.id)  # the table by service's order, as first met
        ):
            cycle = (period, version_id)
            first_visit[cycle] = min(first, first_visit.get(cycle, first))
            cycle_services[cycle] += 1
            sums = by_service.setdefault((name, service_id), [0, 0, 0, 0])
            for index, value in enumerate((visits, pairs, total, over)):
                sums[index] += int(value)
        # How many times each (self score, officer score) pair occurs, per cycle: never listed one
        # by one (a national chain's cycle has tens of thousands of pairs).
        cells: dict[tuple[str, int], Counter[tuple[int, int]]] = defaultdict(Counter)
        cell = VisitComparisonCell
        for period, version_id, first, second, count in await self.db.execute(
            compared.join(cell, cell.visit_id == VisitComparison.visit_id)
            .add_columns(*cycle_key, cell.self_score, cell.officer_score, func.sum(cell.statements))
            .group_by(*cycle_key, cell.self_score, cell.officer_score)
        ):
            cells[(period, version_id)][(first, second)] += int(count)

        titles = await self._framework_titles({version_id for _, version_id in first_visit})
        cycles = []
        for period, version_id in sorted(first_visit, key=lambda cycle: (first_visit[cycle], cycle[0])):
            pairs = cells[(period, version_id)]
            framework = await load_framework(self.db, version_id)
            total = sum(pairs.values())
            accuracy = CycleAccuracy(
                label=period,
                pairs=total,
                mean_difference=sum((first - second) * n for (first, second), n in pairs.items()) / total,
                overrated_share=sum(n for (first, second), n in pairs.items() if first > second) / total,
                kappa=weighted_kappa_of_counts(pairs, framework.rules.values),
            )
            cycles.append(ProviderCycle(accuracy, titles[version_id], cycle_services[(period, version_id)]))

        services = tuple(
            ServiceAccuracy(service_id, name, visits, pairs, total / pairs, over / pairs)
            for (name, service_id), (visits, pairs, total, over) in by_service.items()
        )
        trend = tuple(cycle.accuracy for cycle in cycles)
        return ProviderAccuracy(provider, tuple(cycles), services, accuracy_direction(trend))


def _compare(
    framework: LoadedFramework,
    self_scores: Mapping[int, int | None],
    officer_scores: Mapping[int, int | None],
    overrating_margin: int,
    officer_breaches: set[Breach] | None = None,
) -> Comparison:
    return compare(
        [
            StatementScores(
                statement_code=statement.code,
                key_question_code=statement.key_question_code,
                self_score=self_scores.get(statement.id),
                officer_score=officer_scores.get(statement.id),
            )
            for statement in framework.statements
        ],
        [question.code for question in framework.key_questions],
        framework.rules,
        overrating_margin,
        officer_breaches or set(),
    )
