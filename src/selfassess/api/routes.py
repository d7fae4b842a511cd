"""/api/v1: thin controllers over the same scoped services and rules the pages use.

Nothing here decides who may see or do what: reads go through each slice's `listing()` and `get()`,
writes through the same service methods as the page handlers, so a token (or a browser session)
can read and change exactly what its owner can on the pages, and never more."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi.spec import Example
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.actions.models import Action, ActionPlan
from selfassess.actions.rules import is_overdue
from selfassess.actions.service import ActionPlans
from selfassess.api import schemas
from selfassess.api.auth import writes_need_permission
from selfassess.api.pagination import Listing, PageAsked
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import AnswerConflict, SelfAssessments
from selfassess.comparison.service import Comparisons
from selfassess.frameworks.service import LoadedFramework
from selfassess.oversight.models import ServiceRisk
from selfassess.oversight.quality import QualityPicture
from selfassess.oversight.routes import (
    provide_oversight,
    provide_picture,
    read_quality_filters,
    read_register_filters,
)
from selfassess.oversight.service import Oversight, RegisterRow
from selfassess.oversight.trend import QuarterFigures
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.settings import Settings
from selfassess.visits.concerns import Concerns
from selfassess.visits.models import Concern, Visit
from selfassess.visits.schemas import ConcernPublic
from selfassess.visits.service import Visits, latest_published_rating
from selfassess.web.dependencies import record_and_parent
from selfassess.web.guards import requires_council_staff
from selfassess.web.observability import current_request_id
from selfassess.web.problems import problem_response, problem_responses

Limit = Annotated[int, Parameter(ge=1, le=200, description="Most items in one page.")]
Cursor = Annotated[str | None, Parameter(description="`next_cursor` from the previous page.", max_length=200)]
UpdatedSince = Annotated[
    datetime | None, Parameter(description="Only items changed at or after this time (ISO 8601).")
]
Filter = Annotated[str, Parameter(max_length=200, description="A value from the page's filter list.")]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1, examples=[Example(value=3)])]
_READ_ERRORS = problem_responses(400, 401, 403, 404, 429)
_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 429)


# --- the services, built for the caller exactly as the pages build them --------------------------


def _care_services(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> CareServices:
    return CareServices(db_session, current_user)


def _assessments(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> SelfAssessments:
    return SelfAssessments(db_session, current_user, settings)


def _visits(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Visits:
    return Visits(db_session, current_user, settings)


def _plans(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> ActionPlans:
    return ActionPlans(db_session, current_user, settings)


def _comparisons(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Comparisons:
    return Comparisons(db_session, current_user)


def _concerns(db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]) -> Concerns:
    return Concerns(db_session, current_user)


def _page_asked(
    limit: FromQuery[Limit] = 50,
    cursor: FromQuery[Cursor] = None,
    updated_since: FromQuery[UpdatedSince] = None,
) -> PageAsked:
    return PageAsked(limit, cursor, updated_since)


# --- the objects of the path, fetched and scoped to the caller before the handler runs (404) ------


async def _service_in_path(
    care_services: NamedDependency[CareServices], service_id: FromPath[Id]
) -> CareService:
    return await care_services.get(service_id)


async def _listed_service_in_path(
    care_services: NamedDependency[CareServices], service_id: FromPath[Id]
) -> Row[Any]:
    """The service of the path with its provider's name and latest published rating."""
    return await care_services.listed(service_id, latest_published_rating())


async def _assessment_in_path(
    assessments: NamedDependency[SelfAssessments], assessment_id: FromPath[Id]
) -> tuple[SelfAssessment, CareService]:
    return await assessments.get(assessment_id)


async def _visit_in_path(
    visits: NamedDependency[Visits], visit_id: FromPath[Id]
) -> tuple[Visit, CareService]:
    return await visits.get(visit_id)


async def _plan_in_path(
    plans: NamedDependency[ActionPlans], plan_id: FromPath[Id]
) -> tuple[ActionPlan, CareService]:
    return await plans.get(plan_id)


dependencies = {
    "care_services": Provide(_care_services, sync_to_thread=False),
    "assessments": Provide(_assessments, sync_to_thread=False),
    "visits": Provide(_visits, sync_to_thread=False),
    "plans": Provide(_plans, sync_to_thread=False),
    "comparisons": Provide(_comparisons, sync_to_thread=False),
    "concerns": Provide(_concerns, sync_to_thread=False),
    "page_asked": Provide(_page_asked, sync_to_thread=False),
}


# --- records to API shapes ------------------------------------------------------------------------


def _service(service: CareService, provider_name: str, latest_rating: str | None) -> schemas.ServiceOut:
    fields = set(schemas.ServiceOut.model_fields) - {"provider_name", "address", "latest_rating"}
    return schemas.ServiceOut(
        **service.model_dump(include=fields),
        provider_name=provider_name,
        address=service.address,
        latest_rating=latest_rating,
    )


def _assessment(assessment: SelfAssessment) -> dict[str, Any]:
    return assessment.model_dump(include=set(schemas.SelfAssessmentOut.model_fields))


def _answer(answer: SelfAssessmentAnswer, framework: LoadedFramework) -> schemas.AnswerOut:
    return schemas.AnswerOut(
        **answer.model_dump(include=set(schemas.AnswerOut.model_fields) - {"statement_code"}),
        statement_code=framework.statement(answer.statement_id).code,
    )


def _visit(visit: Visit) -> dict[str, Any]:
    return visit.model_dump(include=set(schemas.VisitOut.model_fields))


def _plan(plan: ActionPlan) -> dict[str, Any]:
    return plan.model_dump(include=set(schemas.ActionPlanOut.model_fields))


def _action(action: Action, overdue: bool) -> schemas.ActionOut:
    return schemas.ActionOut(
        **action.model_dump(include=set(schemas.ActionOut.model_fields)), overdue=overdue
    )


def _concern(concern: Concern) -> ConcernPublic:
    return ConcernPublic.model_validate(concern.model_dump(include=set(ConcernPublic.model_fields)))


# --- services ---------------------------------------------------------------------------------------


class ServicesApi(Controller):
    path = "/services"
    tags = ["services"]
    dependencies = {
        "service": Provide(_service_in_path),
        "listed_service": Provide(_listed_service_in_path),
    }

    @get(summary="Care services you can see, with their latest published rating", responses=_READ_ERRORS)
    async def list_services(
        self, care_services: NamedDependency[CareServices], page_asked: NamedDependency[PageAsked]
    ) -> Listing[schemas.ServiceOut]:
        return await page_asked.listing(
            care_services.db,
            care_services.listing(latest_published_rating()),
            updated_at=CareService.updated_at,
            row_id=CareService.id,
            item=lambda row: _service(*row),
        )

    @get("/{service_id:int}", summary="One care service", responses=_READ_ERRORS)
    async def get_service(self, listed_service: NamedDependency[Row[Any]]) -> schemas.ServiceOut:
        return _service(*listed_service)

    @get(
        "/{service_id:int}/concerns",
        summary="Concerns about one service (council staff)",
        guards=[requires_council_staff],
        responses=_READ_ERRORS,
    )
    async def service_concerns(
        self, concerns: NamedDependency[Concerns], service: NamedDependency[CareService]
    ) -> list[ConcernPublic]:
        return [_concern(entry.concern) for entry in await concerns.for_service(service.id)]

    @get(
        "/{service_id:int}/comparison",
        summary="Self-assessment against visit, statement by statement",
        description="Without ids, the latest pair the comparison page would show.",
        responses=problem_responses(400, 401, 403, 404, 409, 429),
    )
    async def comparison(
        self,
        comparisons: NamedDependency[Comparisons],
        service: NamedDependency[CareService],
        assessment_id: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        visit_id: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
    ) -> schemas.ComparisonOut:
        chosen = await comparisons.choose(service, assessment_id, visit_id)
        if chosen.problem:
            raise HTTPException(status_code=409, detail=chosen.problem)
        if chosen.view is None:
            raise NotFoundException("There is no self-assessment and visit to compare yet.")
        view, result = chosen.view, chosen.view.comparison
        return schemas.ComparisonOut(
            service_id=service.id,
            self_assessment_id=view.assessment.id,
            visit_id=view.visit.id,
            self_overall=result.self_overall.band.key if result.self_overall else None,
            officer_overall=result.officer_overall.band.key if result.officer_overall else None,
            agreement_pairs=result.agreement.pairs,
            exact_share=result.agreement.exact_share,
            within_one_share=result.agreement.within_one_share,
            key_questions=[
                schemas.KeyQuestionComparisonOut(
                    code=line.code,
                    self_percent=line.self_result.percent,
                    officer_percent=line.officer_result.percent,
                    self_rating=line.self_result.rating.band.key if line.self_result.rating else None,
                    officer_rating=line.officer_result.rating.band.key
                    if line.officer_result.rating
                    else None,
                )
                for line in result.key_questions
            ],
            statements=[
                schemas.StatementComparisonOut(
                    statement_code=gap.statement_code,
                    key_question_code=gap.key_question_code,
                    self_score=gap.self_score,
                    officer_score=gap.officer_score,
                    difference=gap.difference,
                    direction=str(gap.direction.value),
                    beyond_margin=gap.beyond_margin,
                )
                for gap in result.statements
            ],
        )


# --- self-assessments ---------------------------------------------------------------------------------


class SelfAssessmentsApi(Controller):
    path = "/self-assessments"
    tags = ["self-assessments"]
    dependencies = record_and_parent(_assessment_in_path, record="assessment", parent="service")

    @get(
        summary="Self-assessments you can see (providers: all of theirs; council: submitted ones)",
        responses=_READ_ERRORS,
    )
    async def list_assessments(
        self, assessments: NamedDependency[SelfAssessments], page_asked: NamedDependency[PageAsked]
    ) -> Listing[schemas.SelfAssessmentOut]:
        return await page_asked.listing(
            assessments.db,
            assessments.listing(),
            updated_at=SelfAssessment.updated_at,
            row_id=SelfAssessment.id,
            item=lambda row: schemas.SelfAssessmentOut(**_assessment(row[0])),
        )

    @get("/{assessment_id:int}", summary="One self-assessment with its answers", responses=_READ_ERRORS)
    async def get_assessment(
        self, assessments: NamedDependency[SelfAssessments], assessment: NamedDependency[SelfAssessment]
    ) -> schemas.SelfAssessmentDetail:
        framework = await assessments.framework(assessment)
        answers = sorted((await assessments.answers(assessment)).values(), key=lambda answer: answer.id)
        return schemas.SelfAssessmentDetail(
            **_assessment(assessment), answers=[_answer(answer, framework) for answer in answers]
        )

    @put(
        "/{assessment_id:int}/answers/{answer_id:int}",
        summary="Save one answer (provider, read-write token), with the same version check as autosave",
        description="A stale `version` answers 409 with the answer as it now stands in `current`.",
        responses=_WRITE_ERRORS,
    )
    async def save_answer(
        self,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        answer_id: FromPath[Id],
        data: JSONBody[schemas.AnswerIn],
    ) -> schemas.AnswerOut:
        saved = await assessments.save_answer(
            assessment,
            answer_id,
            expected_version=data.version,
            score=data.score,
            narrative=data.narrative,
            improvement_plan=data.improvement_plan,
        )
        return _answer(saved.row, await assessments.framework(assessment))


def on_answer_conflict(request: Request[Any, Any, Any], exc: AnswerConflict) -> Response[Any]:
    """409 with the stored answer, so the caller can merge and retry with its version."""
    response = problem_response(request, 409, str(exc), request_id=current_request_id())
    current = exc.current
    response.content["current"] = {  # type: ignore[index]
        "id": current.id,
        "statement_id": current.statement_id,
        "score": current.score,
        "narrative": current.narrative,
        "improvement_plan": current.improvement_plan,
        "version": current.version,
        "updated_at": current.updated_at.isoformat(),
    }
    return response


# --- visits ----------------------------------------------------------------------------------------------


class VisitsApi(Controller):
    path = "/visits"
    tags = ["visits"]
    dependencies = record_and_parent(_visit_in_path, record="visit", parent="service")

    @get(summary="Visits you can see (providers: shared and published reports)", responses=_READ_ERRORS)
    async def list_visits(
        self, visits: NamedDependency[Visits], page_asked: NamedDependency[PageAsked]
    ) -> Listing[schemas.VisitOut]:
        return await page_asked.listing(
            visits.db,
            visits.listing(),
            updated_at=Visit.updated_at,
            row_id=Visit.id,
            item=lambda row: schemas.VisitOut(**_visit(row[0])),
        )

    @get("/{visit_id:int}", summary="One visit with its scores", responses=_READ_ERRORS)
    async def get_visit(
        self, visits: NamedDependency[Visits], visit: NamedDependency[Visit]
    ) -> schemas.VisitDetail:
        framework = await visits.framework(visit)
        scores = sorted((await visits.scores(visit)).values(), key=lambda score: score.id)
        return schemas.VisitDetail(
            **_visit(visit),
            scores=[
                schemas.ScoreOut(
                    statement_id=score.statement_id,
                    statement_code=framework.statement(score.statement_id).code,
                    score=score.score,
                    findings=score.findings,
                )
                for score in scores
            ],
        )


# --- action plans ----------------------------------------------------------------------------------------


class ActionPlansApi(Controller):
    path = "/action-plans"
    tags = ["action plans"]
    dependencies = record_and_parent(_plan_in_path, record="plan", parent="service")

    @get(summary="Action plans you can see", responses=_READ_ERRORS)
    async def list_plans(
        self, plans: NamedDependency[ActionPlans], page_asked: NamedDependency[PageAsked]
    ) -> Listing[schemas.ActionPlanOut]:
        return await page_asked.listing(
            plans.db,
            plans.listing(),
            updated_at=ActionPlan.updated_at,
            row_id=ActionPlan.id,
            item=lambda row: schemas.ActionPlanOut(**_plan(row[0])),
        )

    @get("/{plan_id:int}", summary="One action plan with its actions", responses=_READ_ERRORS)
    async def get_plan(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
    ) -> schemas.ActionPlanDetail:
        rows = await plans.actions(plan)
        return schemas.ActionPlanDetail(
            **_plan(plan), actions=[_action(row.action, row.overdue) for row in rows]
        )

    @post(
        "/{plan_id:int}/actions/{action_id:int}/status",
        summary="Change an action's status (providers: progress and completion; officers: verify, reopen)",
        status_code=200,
        responses=_WRITE_ERRORS,
    )
    async def change_status(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[Id],
        data: JSONBody[schemas.StatusChangeIn],
    ) -> schemas.ActionOut:
        action = await plans.change_status(
            plan, service, action_id, expected_version=data.version, target=data.status, reason=data.reason
        )
        return _action(action, is_overdue(action.due_date, action.status, clock.today()))

    @post(
        "/{plan_id:int}/actions/{action_id:int}/notes",
        summary="Add a progress note to an action",
        status_code=201,
        responses=_WRITE_ERRORS,
    )
    async def add_note(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[Id],
        data: JSONBody[schemas.NoteIn],
    ) -> schemas.Accepted:
        await plans.add_note(plan, service, action_id, text=data.text.strip(), filename=None, data=None)
        return schemas.Accepted(detail="Note added.")

    @post(
        "/{plan_id:int}/actions/{action_id:int}/more-time",
        summary="Ask for a later due date (provider); the officer decides",
        status_code=202,
        responses=_WRITE_ERRORS,
    )
    async def request_more_time(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[Id],
        data: JSONBody[schemas.MoreTimeIn],
    ) -> schemas.Accepted:
        await plans.propose_due_date(
            plan, service, action_id, proposed=data.proposed_due_date, reason=data.reason
        )
        return schemas.Accepted(detail="More time requested; the officer will decide.")

    @post(
        "/{plan_id:int}/actions/{action_id:int}/more-time/decision",
        summary="Accept or refuse a request for more time (officers); a refusal needs a comment",
        status_code=200,
        responses=_WRITE_ERRORS,
    )
    async def decide_more_time(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[Id],
        data: JSONBody[schemas.MoreTimeDecisionIn],
    ) -> schemas.ActionOut:
        await plans.decide_due_date(plan, service, action_id, accept=data.accept, comment=data.comment)
        action = await plans.action(plan, action_id)
        return _action(action, is_overdue(action.due_date, action.status, clock.today()))


# --- concerns ---------------------------------------------------------------------------------------------


class ConcernsApi(Controller):
    path = "/concerns"
    tags = ["concerns"]
    guards = [requires_council_staff]

    @get(summary="Concerns about your council's services (council staff)", responses=_READ_ERRORS)
    async def list_concerns(
        self, concerns: NamedDependency[Concerns], page_asked: NamedDependency[PageAsked]
    ) -> Listing[ConcernPublic]:
        return await page_asked.listing(
            concerns.db,
            concerns.listing(),
            updated_at=Concern.updated_at,
            row_id=Concern.id,
            item=lambda row: _concern(row[0]),
        )


# --- market oversight (council staff) -------------------------------------------------------------


def _figures(point: QuarterFigures) -> schemas.QuarterFiguresOut:
    return schemas.QuarterFiguresOut(
        rated=point.rated, good_or_better=point.good, unrated=point.unrated, percent=point.percent
    )


def _refused(errors: list[str]) -> None:
    """A filter the page would explain in place is a 400 here, with the same words."""
    if errors:
        raise HTTPException(status_code=400, detail=" ".join(errors))


class QualityApi(Controller):
    path = "/quality"
    tags = ["oversight"]
    guards = [requires_council_staff]
    dependencies = {"picture": Provide(provide_picture)}

    @get(
        summary="Share of your council's services rated good or better, quarter by quarter (council staff)",
        responses=_READ_ERRORS,
    )
    async def quality(
        self,
        picture: NamedDependency[QualityPicture],
        service_type: FromQuery[Filter] = "",
        town: FromQuery[Filter] = "",
        provider_id: FromQuery[Filter] = "",
        key_question: FromQuery[Filter] = "",
    ) -> schemas.QualityOut:
        chosen, _fields = await read_quality_filters(
            picture, service_type, town, provider_id, key_question, with_options=False
        )
        _refused(chosen.errors)
        figures = await picture.picture(chosen.filters)
        regulator = figures.regulator.points if figures.regulator else [None] * len(figures.quarters)
        return schemas.QualityOut(
            services=figures.services,
            key_question=chosen.filters.key_question,
            quarters=[
                schemas.QualityQuarterOut(
                    quarter=council.quarter.key,
                    as_at=council.on,
                    council=_figures(council),
                    regulator=_figures(other) if other else None,
                )
                for council, other in zip(figures.council.points, regulator, strict=True)
            ],
        )


def _risk(row: RegisterRow) -> schemas.RiskOut:
    return schemas.RiskOut(
        service_id=row.service_id,
        service_name=row.service_name,
        provider_name=row.provider_name,
        score=row.score,
        band=row.band,
        factors=[schemas.RiskFactorOut.model_validate(factor) for factor in row.factors],
        next_visit_due=row.next_visit_due,
        support_level=row.support_level.value if row.support_level else None,
        assessed_at=row.assessed_at,
    )


class RiskRegisterApi(Controller):
    path = "/risk-register"
    tags = ["oversight"]
    guards = [requires_council_staff]
    dependencies = {"oversight": Provide(provide_oversight)}

    @get(
        summary="Each service's latest risk score, explained factor by factor (council staff)",
        description="Ordered by when each score was assessed, so `updated_since` picks up re-assessments.",
        responses=_READ_ERRORS,
    )
    async def risk_register(
        self,
        oversight: NamedDependency[Oversight],
        page_asked: NamedDependency[PageAsked],
        band: FromQuery[Filter] = "",
        officer_id: FromQuery[Filter] = "",
        service_type: FromQuery[Filter] = "",
        provider_id: FromQuery[Filter] = "",
    ) -> Listing[schemas.RiskOut]:
        filters, errors, _fields = await read_register_filters(
            oversight, band, officer_id, service_type, provider_id, with_band=True, with_options=False
        )
        _refused(errors)
        return await page_asked.listing(
            oversight.db,
            oversight.listing(filters),
            updated_at=ServiceRisk.assessed_at,
            row_id=ServiceRisk.service_id,
            item=lambda values: _risk(RegisterRow(*values)),
        )


api_router = Router(
    path="/api/v1",
    route_handlers=[
        ServicesApi,
        SelfAssessmentsApi,
        VisitsApi,
        ActionPlansApi,
        ConcernsApi,
        QualityApi,
        RiskRegisterApi,
    ],
    dependencies=dependencies,
    guards=[writes_need_permission],
    exception_handlers={AnswerConflict: on_answer_conflict},
    opt={"exclude_from_csrf": True},  # writes_need_permission checks it for cookie sessions
    security=[{"bearerAuth": []}],
)
