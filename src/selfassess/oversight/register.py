"""The risk register: each service's risk inputs counted in SQL (one query for a whole council),
scored by ``risk.assess``, and kept in ``service_risk`` with the date its next visit is due, so the
register and the visit programme sort, filter and count in SQL. A service moving into a higher band
is reported to its officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.models import CouncilSettings, Organisation, OrganisationKind, User
from selfassess.actions.service import overdue_actions_per_service
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.db import utcnow
from selfassess.notifications.service import notify
from selfassess.oversight.models import (
    OPEN_END,
    OVERALL,
    OversightSettings,
    RatingPeriod,
    RatingSource,
    ServiceRisk,
)
from selfassess.oversight.programme import DEFAULT_INTERVALS, next_visit_due
from selfassess.oversight.risk import (
    BAND_LABELS,
    RECENT_DAYS,
    SEVERITIES,
    RiskAssessment,
    RiskInputs,
    assess,
    band_rank,
    weights_with_defaults,
)
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Concern, ConcernSource, ConcernStatus, Visit, VisitScore, VisitStatus
from selfassess.visits.tested import tested_assessment_id

CARRIED_OUT = (VisitStatus.SCORES_LOCKED, VisitStatus.DRAFT_SHARED, VisitStatus.PUBLISHED)
SERIOUS_SOURCES = (ConcernSource.SAFEGUARDING, ConcernSource.WHISTLEBLOWER)


@dataclass(frozen=True)
class CouncilOversight:
    """A council's weights and intervals, with the defaults where it has chosen nothing."""

    weights: dict[str, int]
    intervals: dict[str, int]


async def stored_oversight_settings(db: AsyncSession, council_id: int) -> OversightSettings:
    """The council's stored row, or a new one with the defaults (added when saved)."""
    stored = await db.get(OversightSettings, council_id)
    return stored if stored is not None else OversightSettings(council_id=council_id)


async def oversight_settings(db: AsyncSession, council_id: int) -> CouncilOversight:
    stored = await db.get(OversightSettings, council_id)
    if stored is None:
        return CouncilOversight(weights_with_defaults(None), dict(DEFAULT_INTERVALS))
    return CouncilOversight(
        weights_with_defaults(stored.risk_weights),
        {
            "outstanding": stored.months_outstanding,
            "good": stored.months_good,
            "requires_improvement": stored.months_requires_improvement,
            "inadequate": stored.months_inadequate,
            "not_rated": stored.months_unrated,
            "high_risk": stored.months_high_risk,
        },
    )


def _concern_key(severity: str, serious: bool, recent: bool) -> str:
    return f"concern_{severity}_{int(serious)}_{int(recent)}"


def _rating(source: RatingSource, current: bool) -> ColumnElement[str | None]:
    """The rating in force now, or the one it replaced."""
    period = aliased(RatingPeriod)
    statement = select(period.rating_key).where(
        period.service_id == CareService.id, period.source == source, period.aspect == OVERALL
    )
    if current:
        return statement.where(period.valid_to == OPEN_END).limit(1).scalar_subquery()
    return (
        statement.where(period.valid_to < OPEN_END, period.valid_to > period.valid_from)
        .order_by(period.valid_to.desc(), period.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def inputs_parameters(
    council_id: int, today: date, overrating_margin: int, service_id: int | None = None
) -> dict[str, object]:
    """The values ``inputs_statement`` is run with."""
    return {
        "council_id": council_id,
        "service_id": service_id,
        "today": today,
        "recent_since": today - timedelta(days=RECENT_DAYS),
        "assessed_since": datetime.combine(today - timedelta(days=365), time(), UTC),
        "overrating_margin": overrating_margin,
    }


@cache
def inputs_statement(one_service: bool):  # type: ignore[no-untyped-def]
    """One row per active service of the council (or the one service): everything its risk score
    is built from. Built once per shape and run with ``inputs_parameters``: building it (a dozen
    aliases and subqueries) cost more CPU than running it."""
    council_id = bindparam("council_id", type_=Integer)
    today = bindparam("today", type_=Date)
    serious = Concern.source.in_(SERIOUS_SOURCES)
    recent = Concern.received_on >= bindparam("recent_since", type_=Date)
    concern_columns = [
        func.count(
            case(
                (
                    and_(
                        Concern.severity == severity,
                        serious if is_serious else ~serious,
                        recent if is_recent else ~recent,
                    ),
                    1,
                )
            )
        ).label(_concern_key(severity, is_serious, is_recent))
        for severity in SEVERITIES
        for is_serious in (False, True)
        for is_recent in (False, True)
    ]
    # Only this council's (or this service's) open concerns are counted, not the whole country's.
    concerned = select(CareService.id).where(CareService.council_id == council_id)
    if one_service:
        concerned = concerned.where(CareService.id == bindparam("service_id", type_=Integer))
    concerns = (
        select(Concern.service_id, *concern_columns)
        .where(Concern.status == ConcernStatus.OPEN, Concern.service_id.in_(concerned))
        .group_by(Concern.service_id)
        .subquery()
    )
    overdue = overdue_actions_per_service(today)  # the services list's count, by the same rule
    last_visit = (
        select(func.max(Visit.scheduled_for))
        .where(Visit.service_id == CareService.id, Visit.status.in_(CARRIED_OUT))
        .scalar_subquery()
    )
    report = aliased(Visit)
    latest_report = (
        select(report.id)
        .where(report.service_id == CareService.id, report.status == VisitStatus.PUBLISHED)
        .order_by(report.published_at.desc(), report.id.desc())
        .limit(1)
        .correlate(CareService)
        .scalar_subquery()
    )
    overrated = (
        select(func.count(VisitScore.id))
        .join(Visit, Visit.id == VisitScore.visit_id)
        .join(
            SelfAssessmentAnswer,
            and_(
                SelfAssessmentAnswer.assessment_id == tested_assessment_id(),
                SelfAssessmentAnswer.statement_id == VisitScore.statement_id,
            ),
        )
        .where(
            Visit.id == latest_report,
            SelfAssessmentAnswer.score - VisitScore.score >= bindparam("overrating_margin", type_=Integer),
        )
        .scalar_subquery()
    )
    recent_assessment = exists().where(
        SelfAssessment.service_id == CareService.id,
        SelfAssessment.submitted_at.is_not(None),
        SelfAssessment.submitted_at >= bindparam("assessed_since", type_=DateTime(timezone=True)),
    )
    statement = (
        select(
            CareService.id,
            CareService.council_id,
            CareService.assigned_officer_id,
            CareService.created_at,
            CareService.name,
            _rating(RatingSource.COUNCIL, True).label("council_rating"),
            _rating(RatingSource.COUNCIL, False).label("council_previous"),
            _rating(RatingSource.REGULATOR, True).label("regulator_rating"),
            _rating(RatingSource.REGULATOR, False).label("regulator_previous"),
            overdue.label("overdue"),
            last_visit.label("last_visit_on"),
            overrated.label("overrated"),
            recent_assessment.label("assessment_recent"),
            *[concerns.c[column.name] for column in concern_columns],
        )
        .outerjoin(concerns, concerns.c.service_id == CareService.id)
        .where(CareService.council_id == council_id, CareService.is_active.is_(True))
    )
    if one_service:
        statement = statement.where(CareService.id == bindparam("service_id", type_=Integer))
    return statement


def inputs_from(row) -> RiskInputs:  # type: ignore[no-untyped-def]
    mapping = row._mapping
    concerns = {
        (severity, serious, recent): mapping[_concern_key(severity, serious, recent)] or 0
        for severity in SEVERITIES
        for serious in (False, True)
        for recent in (False, True)
    }
    return RiskInputs(
        concerns={key: count for key, count in concerns.items() if count},
        council_rating=mapping["council_rating"],
        council_previous=mapping["council_previous"],
        regulator_rating=mapping["regulator_rating"],
        regulator_previous=mapping["regulator_previous"],
        overdue_actions=mapping["overdue"] or 0,
        last_visit_on=mapping["last_visit_on"],
        overrated_statements=mapping["overrated"] or 0,
        self_assessment_recent=bool(mapping["assessment_recent"]),
    )


async def _margin(db: AsyncSession, council_id: int) -> int:
    settings = await db.get(CouncilSettings, council_id)
    return settings.overrating_margin if settings else 1


async def assess_service(db: AsyncSession, service: CareService, today: date) -> RiskAssessment | None:
    """One service's risk, computed now (for its page)."""
    oversight = await oversight_settings(db, service.council_id)
    margin = await _margin(db, service.council_id)
    parameters = inputs_parameters(service.council_id, today, margin, service.id)
    row = (await db.execute(inputs_statement(True), parameters)).first()
    return assess(inputs_from(row), oversight.weights, today) if row else None


async def refresh_council(db: AsyncSession, council_id: int, today: date, settings: Settings) -> int:
    """Re-assess every active service of the council and store the results; tell each service's
    officer when it moved into a higher band. Returns how many moved up. The caller commits."""
    oversight = await oversight_settings(db, council_id)
    margin = await _margin(db, council_id)
    rows = (await db.execute(inputs_statement(False), inputs_parameters(council_id, today, margin))).all()
    previous: dict[int, str] = {
        service_id: band
        for service_id, band in await db.execute(
            select(ServiceRisk.service_id, ServiceRisk.band).where(ServiceRisk.council_id == council_id)
        )
    }
    now = utcnow()
    updates: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    raised: list[tuple[int, int | None, str, str]] = []
    for row in rows:
        inputs = inputs_from(row)
        result = assess(inputs, oversight.weights, today)
        values = {
            "service_id": row.id,
            "council_id": council_id,
            "score": result.score,
            "band": result.band,
            "factors": [factor.as_dict() for factor in result.factors],
            "next_visit_due": next_visit_due(
                inputs.last_visit_on,
                inputs.council_rating,
                result.band,
                oversight.intervals,
                row.created_at.date(),
            ),
            "last_visit_on": inputs.last_visit_on,
            "assessed_at": now,
        }
        before = previous.get(row.id)
        if before is None:
            inserts.append(values)
        else:
            updates.append(values)
            if band_rank(result.band) > band_rank(before):
                raised.append((row.id, row.assigned_officer_id, row.name, result.band))
    if inserts:
        await db.execute(insert(ServiceRisk), inserts)
    if updates:
        await db.execute(update(ServiceRisk), updates)
    officers = {
        user.id: user
        for user in await db.scalars(
            select(User).where(User.id.in_({officer for _, officer, _, _ in raised if officer is not None}))
        )
    }
    for service_id, officer_id, name, band in raised:
        if officer_id not in officers:
            continue
        await notify(
            db,
            recipients=[officers[officer_id]],
            message=f"{name} moved into the {BAND_LABELS[band].lower()} risk band.",
            link=f"/services/{service_id}",
            dedupe_key=f"risk:{service_id}:{band}:{today.isoformat()}",
            email_subject=f"Risk band raised: {name}",
            settings=settings,
        )
    return len(raised)


async def refresh_all_councils(db: AsyncSession, today: date, settings: Settings) -> int:
    """The daily job: every council's services re-assessed, one council per transaction."""
    raised = 0
    councils = list(
        await db.scalars(select(Organisation.id).where(Organisation.kind == OrganisationKind.COUNCIL))
    )
    for council_id in councils:
        raised += await refresh_council(db, council_id, today, settings)
        await db.commit()
    return raised
