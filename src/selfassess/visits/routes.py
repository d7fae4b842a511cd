"""Visit pages: scheduling (from a concern too), blind scoring with autosave, locking, the draft
report and factual accuracy, publication."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest, HXLocation
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.assessments.service import SelfAssessments
from selfassess.errors import Conflict, Invalid
from selfassess.frameworks.sheet_routes import SheetKind, SheetText, autosave
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.forms import (
    AcceptPointForm,
    BreachForm,
    CancelForm,
    PointForm,
    RejectPointForm,
    ScoreForm,
    SummaryForm,
    VisitForm,
)
from selfassess.visits.models import BreachKind, Visit, VisitStatus, VisitType
from selfassess.visits.point_rules import PointCommand
from selfassess.visits.rating_review_routes import RatingReviewController
from selfassess.visits.rules import VisitCommand, before_visit_day, current_step, report_shared, share_problem
from selfassess.visits.service import ScoresMissing, VisitFilter, Visits
from selfassess.visits.tested import tested_assessment_ids
from selfassess.web.dependencies import record_and_parent
from selfassess.web.forms import Form, bind, day_or_none
from selfassess.web.guards import requires_council_staff, requires_provider
from selfassess.web.pdf import pdf_response
from selfassess.web.rendering import form_failed, render, see_other

FormData = URLEncodedBody[dict[str, Any]]

SCORE_SHEET = SheetKind(
    form=ScoreForm,
    texts=(
        SheetText(
            name="findings",
            label="Findings",
            heading="Findings",
            element="findings",
            lines=5,
            hint="What you found; this becomes the suggested action if the score is low.",
        ),
        SheetText(
            name="evidence_seen", label="Evidence seen", heading="Evidence seen", element="seen", lines=3
        ),
    ),
    rows_path="/visits/{parent}/scores",
    pages_path="/visits/{parent}/questions",
    row_element="score",
    form_element="score-form",
    radio_element="officer-score",
    legend="Score for",
    autosave_prefix="visit-",
)


async def provide_visits(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Visits:
    return Visits(db_session, current_user, settings)


dependencies = {"visits": Provide(provide_visits)}


async def provide_visit_and_service(
    visits: NamedDependency[Visits], visit_id: FromPath[int]
) -> tuple[Visit, CareService]:
    """The visit of the path and its service, scoped to the viewer (404 when the viewer may not see it)."""
    return await visits.get(visit_id)


visit_dependencies = {
    **dependencies,
    **record_and_parent(provide_visit_and_service, record="visit", parent="service"),
}


async def _form_context(visits: Visits, service: CareService, form: Form[VisitForm], visit: Visit | None):  # type: ignore[no-untyped-def]
    concerns = await visits.open_concerns(service)
    if visit is not None:
        concerns += [c for c in await visits.concerns(visit) if c.id not in {o.id for o in concerns}]
    return {
        "service": service,
        "visit": visit,
        "form": form,
        "type_options": VisitType.options(),
        "officer_options": [(officer.id, officer.full_name) for officer in await visits.services.officers()],
        "concerns": concerns,
        "chosen_concerns": {
            int(value) for value in form.values.get("concern_ids", []) if str(value).isdigit()
        },
    }


class ServiceVisitsController(Controller):
    path = "/services/{service_id:int}/visits"
    tags = ["visits"]
    include_in_schema = False
    dependencies = {**dependencies, **service_dependency}

    @get("/panel")
    async def panel(
        self, request: HTMXRequest, visits: NamedDependency[Visits], service: NamedDependency[CareService]
    ) -> Template:
        return render(
            request,
            "visits/_service_panel.html",
            {
                "service": service,
                "rows": await visits.for_service(service),
                "announced": await visits.announced_upcoming(service) if request.user.is_provider else [],
            },
        )

    @get("/new", guards=[requires_council_staff])
    async def new(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        service: NamedDependency[CareService],
        concern: FromQuery[int | None] = None,
        visit_type: FromQuery[str | None] = None,
    ) -> Template:
        """A concern's "schedule a reactive visit" and a plan's "schedule the follow-up" land here."""
        initial: dict[str, Any] = {
            "visit_type": visit_type
            if visit_type in VisitType._value2member_map_
            else VisitType.PROACTIVE.value,
            "officer_id": request.user.id,
            "announced": True,
        }
        if concern is not None:
            initial.update(visit_type=VisitType.REACTIVE.value, concern_ids=[concern], announced=False)
        form: Form[VisitForm] = Form.initial(initial)
        return render(request, "visits/visit_form.html", await _form_context(visits, service, form, None))

    @post("/new", guards=[requires_council_staff])
    async def create(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(VisitForm, {"announced": False, **data})
        if form.valid:
            assert form.data is not None
            try:
                visit = await visits.schedule(service, form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(
                    request,
                    f"Visit to {service.name} scheduled for {visit.scheduled_for:%-d %B %Y}.",
                    "success",
                )
                return see_other(f"/visits/{visit.id}")
        return form_failed(
            request,
            "visits/visit_form.html",
            await _form_context(visits, service, form, None),
            page=f"/services/{service.id}/visits/new",
        )


class VisitListController(Controller):
    path = "/visits"
    tags = ["visits"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = dependencies

    @get()
    async def index(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        status: FromQuery[str | None] = None,
        mine: FromQuery[bool] = False,
        to_carry_out: FromQuery[bool] = False,
        points_to_answer: FromQuery[bool] = False,
        visit_type: FromQuery[str] = "",
        carried_out: FromQuery[bool] = False,
        scheduled_from: FromQuery[str] = "",
        scheduled_to: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        """The visits a filter picks; with no filter at all, the recent and upcoming ones (a list
        that does not grow with years of history)."""
        chosen = VisitStatus(status) if status in VisitStatus._value2member_map_ else None
        shown = VisitFilter(
            chosen,
            mine,
            to_carry_out,
            points_to_answer,
            VisitType(visit_type) if visit_type in VisitType._value2member_map_ else None,
            carried_out,
            day_or_none(scheduled_from),
            day_or_none(scheduled_to),
        )
        if not set(request.query_params) - {"page"}:
            shown = VisitFilter.recent_and_upcoming(clock.today())
        return render(
            request,
            "visits/visits.html",
            {
                "rows": await visits.page(shown, number=page),
                "status": chosen,
                "shown": shown,
                "status_options": VisitStatus.options(),
            },
            block="results",
        )


class VisitController(Controller):
    path = "/visits/{visit_id:int}"
    tags = ["visits"]
    include_in_schema = False
    dependencies = visit_dependencies

    async def _overview(
        self, visits: Visits, visit: Visit, service: CareService, **extra: Any
    ) -> dict[str, Any]:
        framework = await visits.framework(visit)
        scores = await visits.scores(visit)
        context = {
            "visit": visit,
            "service": service,
            "framework": framework,
            "summary": await visits.summarise(visit, scores),
            "breaches": await visits.breaches(visit),
            "correction": await visits.rating_correction(visit),
            "breach_form": Form.initial(),
            "breach_options": BreachKind.options(),
            "concerns": await visits.concerns(visit),
            "tested": await visits.tested_assessment(visit),
            "history": await visits.history(visit) if visits.viewer.is_council_staff else [],
            "points": await visits.points(visit),
            "publish_blocker": await visits.publish_blocker(visit),
            "officer_name": (await visits.names({visit.officer_id})).get(visit.officer_id, ""),
            "plan_id": await visits.action_plan_id(visit),
            "missing": [],
            "share_problem": None,
            "before_visit_day": before_visit_day(visit.scheduled_for, clock.today()),
            "cancel_form": Form.initial(),
            "visit_can": visits.commands(visit),
            "VisitCommand": VisitCommand,
            "step": current_step(visit.status),
            "report_shared": report_shared(visit.status),
        }
        context.update(extra)
        return context

    @get()
    async def overview(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template:
        if request.user.is_provider:
            return see_other(f"/visits/{visit.id}/report")  # type: ignore[return-value]
        return render(request, "visits/overview.html", await self._overview(visits, visit, service))

    @get("/edit", guards=[requires_council_staff])
    async def edit(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template:
        form: Form[VisitForm] = Form.initial(
            {
                "visit_type": visit.visit_type.value,
                "scheduled_for": visit.scheduled_for.isoformat(),
                "announced": visit.announced,
                "officer_id": visit.officer_id,
                "concern_ids": sorted(await visits.linked_concern_ids(visit)),
            }
        )
        return render(request, "visits/visit_form.html", await _form_context(visits, service, form, visit))

    @post("/edit", guards=[requires_council_staff])
    async def update(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(VisitForm, {"announced": False, **data})
        if form.valid:
            assert form.data is not None
            try:
                await visits.update_details(visit, service, form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, "Saved the visit's details.", "success")
                return see_other(f"/visits/{visit.id}")
        return form_failed(
            request,
            "visits/visit_form.html",
            await _form_context(visits, service, form, visit),
            page=f"/visits/{visit.id}/edit",
        )

    # --- scoring ------------------------------------------------------------------------------------------

    @get("/questions/{code:str}", guards=[requires_council_staff])
    async def key_question(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        code: FromPath[str],
    ) -> Template:
        framework = await visits.framework(visit)
        question = framework.key_question(code)
        scores = await visits.scores(visit)
        codes = [q.code for q in framework.key_questions]
        position = codes.index(code)
        self_view = await _self_assessment_view(
            db_session, visits.viewer, settings, visit, service, [s.id for s in question.statements]
        )
        return render(
            request,
            "visits/key_question.html",
            {
                "visit": visit,
                "service": service,
                "sheet": SCORE_SHEET.of(visit.id),
                "framework": framework,
                "question": question,
                "scores": scores,
                "saved_by": await visits.names({score.updated_by_id for score in scores.values()}),
                "editable": VisitCommand.EDIT_SCORES in visits.commands(visit),
                "before_visit_day": before_visit_day(visit.scheduled_for, clock.today()),
                "summary": await visits.summarise(visit, scores),
                "previous": framework.key_questions[position - 1] if position > 0 else None,
                "next": framework.key_questions[position + 1] if position + 1 < len(codes) else None,
                **self_view,
            },
        )

    @get("/scores/{score_id:int}", guards=[requires_council_staff])
    async def statement(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        score_id: FromPath[int],
    ) -> Template:
        """One statement as stored now (to take a colleague's version after a conflict)."""
        framework = await visits.framework(visit)
        score = await visits.score(visit, score_id)
        return render(
            request,
            "visits/_score.html",
            {
                "visit": visit,
                "sheet": SCORE_SHEET.of(visit.id),
                "framework": framework,
                "statement": framework.statement(score.statement_id),
                "score": score,
                "saved_by": await visits.names({score.updated_by_id}),
                "editable": VisitCommand.EDIT_SCORES in visits.commands(visit),
                **await _self_assessment_view(
                    db_session, visits.viewer, settings, visit, service, [score.statement_id]
                ),
            },
        )

    @post("/scores/{score_id:int}", guards=[requires_council_staff])
    async def save_score(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        score_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        """Autosave of one statement: the score sheet's (frameworks.sheet_routes.autosave)."""
        return await autosave(
            request,
            SCORE_SHEET.of(visit.id),
            score_id,
            data,
            framework=await visits.framework(visit),
            save=partial(visits.save_score, visit, score_id),
        )

    @post("/summary", guards=[requires_council_staff])
    async def save_summary(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(SummaryForm, data)
        error = None
        if not form.valid:
            error = next(iter(form.errors.values()))
        else:
            assert form.data is not None
            try:
                await visits.save_summary(
                    visit, expected_version=form.data.version, summary=form.data.summary or ""
                )
            except (Conflict, Invalid) as problem:
                error = str(problem)
        if not request.htmx:
            flash(request, error or "Summary saved.", "error" if error else "success")
            return see_other(f"/visits/{visit.id}")
        status = 409 if error and "Someone else" in error else (422 if error else 200)
        return render(
            request, "visits/_summary_status.html", {"visit": visit, "error": error}, status_code=status
        )

    # --- breaches ---------------------------------------------------------------------------------------

    @post("/breaches", guards=[requires_council_staff])
    async def record_breach(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect | HXLocation:
        form = bind(BreachForm, data)
        if form.valid:
            assert form.data is not None
            try:
                await visits.record_breach(visit, form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(
                    request,
                    "Breach recorded. The overall rating is now requires improvement at best.",
                    "success",
                )
                return see_other(f"/visits/{visit.id}#breaches", request)
        return form_failed(
            request,
            "visits/overview.html",
            await self._overview(visits, visit, service, breach_form=form),
            page=f"/visits/{visit.id}",
        )

    @post("/breaches/{breach_id:int}/remove", guards=[requires_council_staff])
    async def remove_breach(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        breach_id: FromPath[int],
    ) -> Redirect | HXLocation:
        await visits.remove_breach(visit, breach_id)
        flash(request, "Breach removed.", "success")
        return see_other(f"/visits/{visit.id}#breaches", request)

    # --- workflow -------------------------------------------------------------------------------------------

    @post("/lock", guards=[requires_council_staff])
    async def lock(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template | Redirect:
        try:
            await visits.lock_scores(visit)
        except ScoresMissing as missing:
            return form_failed(
                request,
                "visits/overview.html",
                await self._overview(visits, visit, service, missing=missing.missing),
                page=f"/visits/{visit.id}",
            )
        if await visits.tested_assessment(visit) is None:
            flash(
                request,
                "Scores locked. There is no submitted self-assessment to show beside yours.",
                "success",
            )
        else:
            flash(request, "Scores locked. The provider's own scores are now shown beside yours.", "success")
        return see_other(f"/visits/{visit.id}")

    @post("/share", guards=[requires_council_staff])
    async def share(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template | Redirect:
        if VisitCommand.SHARE_DRAFT in visits.commands(visit) and (problem := share_problem(visit.summary)):
            return form_failed(
                request,
                "visits/overview.html",
                await self._overview(visits, visit, service, share_problem=problem),
                page=f"/visits/{visit.id}",
            )
        await visits.share_draft(visit, service)
        flash(
            request,
            f"Draft report shared with {service.name}. Factual accuracy comments are due by "
            f"{visit.factual_accuracy_due:%-d %B %Y}.",
            "success",
        )
        return see_other(f"/visits/{visit.id}")

    @post("/publish", guards=[requires_council_staff])
    async def publish(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Redirect:
        await visits.publish(visit, service)
        flash(request, f"The report on {service.name} is published.", "success")
        return see_other(f"/visits/{visit.id}")

    @post("/cancel", guards=[requires_council_staff])
    async def cancel(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(CancelForm, data)
        if not form.valid:
            return form_failed(
                request,
                "visits/overview.html",
                await self._overview(visits, visit, service, cancel_form=form),
                page=f"/visits/{visit.id}",
            )
        assert form.data is not None
        await visits.cancel(visit, form.data.reason)
        flash(request, "The visit was cancelled.", "success")
        return see_other(f"/visits/{visit.id}")

    # --- the report and factual accuracy -------------------------------------------------------------

    async def _report(
        self, visits: Visits, visit: Visit, service: CareService, **extra: Any
    ) -> dict[str, Any]:
        context = await self._overview(visits, visit, service)
        context.update(
            scores=await visits.scores(visit),
            point_form=Form.initial(),
            answer_form=Form.initial(),
            answered_point=None,
            provider_finished=await visits.provider_has_finished(visit),
            can=visits.report_commands(visit),
            point_can=visits.point_commands,
            PointCommand=PointCommand,
        )
        context.update(extra)
        return context

    @get("/report")
    async def report(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template:
        return render(request, "visits/report.html", await self._report(visits, visit, service))

    @get("/report.pdf")
    async def report_pdf(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        settings: NamedDependency[Settings],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Response[bytes]:
        """The report as a PDF, from the report page's own template."""
        context = await self._report(visits, visit, service)
        return await pdf_response(
            request,
            "visits/report.html",
            context,
            static_dir=settings.static_dir,
            filename=f"visit-report-{visit.id}.pdf",
            organisation=await visits.services.council_name(service),
            produced_on=clock.today(),
        )

    @post("/points", guards=[requires_provider], opt={"page": "/visits/{visit_id}/report#points"})
    async def raise_point(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect | HXLocation:
        form = bind(PointForm, data)
        if form.valid:
            assert form.data is not None
            try:
                await visits.raise_point(visit, statement_id=form.data.statement_id, text=form.data.text)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, "Your factual accuracy point was sent to the officer.", "success")
                return see_other(f"/visits/{visit.id}/report#points", request)
        return form_failed(
            request,
            "visits/report.html",
            await self._report(visits, visit, service, point_form=form),
            page=f"/visits/{visit.id}/report",
        )

    @post("/points/done", guards=[requires_provider], opt={"page": "/visits/{visit_id}/report#points"})
    async def points_done(
        self, request: HTMXRequest, visits: NamedDependency[Visits], visit: NamedDependency[Visit]
    ) -> Redirect | HXLocation:
        await visits.finish_points(visit)
        flash(request, "Thank you. The officer can now publish the report.", "success")
        return see_other(f"/visits/{visit.id}/report#points", request)

    async def _answer_failed(
        self, request: HTMXRequest, visits: Visits, visit: Visit, point_id: int, form: Form[Any]
    ) -> Template:
        """The officer's answer to one point, refused: the report again with the error beside that
        point's forms."""
        _, service = await visits.get(visit.id)
        return form_failed(
            request,
            "visits/report.html",
            await self._report(visits, visit, service, answer_form=form, answered_point=point_id),
            page=f"/visits/{visit.id}/report",
        )

    @post(
        "/points/{point_id:int}/accept",
        guards=[requires_council_staff],
        opt={"page": "/visits/{visit_id}/report#point-{point_id}"},
    )
    async def accept_point(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        point_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect | HXLocation:
        form = bind(AcceptPointForm, data)
        if form.valid:
            assert form.data is not None
            try:
                await visits.accept_point(
                    visit, point_id, response=form.data.response or "", new_score=form.data.new_score
                )
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, "Point accepted.", "success")
                return see_other(f"/visits/{visit.id}/report#point-{point_id}", request)
        return await self._answer_failed(request, visits, visit, point_id, form)

    @post(
        "/points/{point_id:int}/reject",
        guards=[requires_council_staff],
        opt={"page": "/visits/{visit_id}/report#point-{point_id}"},
    )
    async def reject_point(
        self,
        request: HTMXRequest,
        visits: NamedDependency[Visits],
        visit: NamedDependency[Visit],
        point_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect | HXLocation:
        form = bind(RejectPointForm, data)
        if form.valid:
            assert form.data is not None
            try:
                await visits.reject_point(visit, point_id, response=form.data.response)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, "Point answered: not accepted.", "success")
                return see_other(f"/visits/{visit.id}/report#point-{point_id}", request)
        return await self._answer_failed(request, visits, visit, point_id, form)


async def _self_assessment_view(
    db: AsyncSession,
    viewer: User,
    settings: Settings,
    visit: Visit,
    service: CareService,
    statement_ids: list[int],
) -> dict[str, Any]:
    """The provider's narrative and evidence beside the officer's scoring of ``statement_ids``, and
    their own scores only when blind scoring allows it."""
    assert visit.id is not None
    tested_id = (await tested_assessment_ids(db, [visit.id]))[visit.id]  # read once, by ``get``
    if tested_id is None:
        return {"tested": None, "answers": {}, "evidence": {}, "self_scores_visible": False}
    assessments = SelfAssessments(db, viewer, settings)
    tested, _ = await assessments.get(tested_id)
    return {
        "tested": tested,
        "answers": await assessments.answers(tested, statement_ids),
        "evidence": await assessments.evidence(tested, statement_ids=statement_ids),
        "self_scores_visible": await assessments.self_scores_visible(tested, service),
    }


route_handlers = [ServiceVisitsController, VisitListController, VisitController, RatingReviewController]
