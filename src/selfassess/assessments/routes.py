"""Self-assessment pages: the service panel, the key-question forms with autosave, evidence,
submission, the council's review, and a printable copy."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.assessments.models import SelfAssessment
from selfassess.assessments.rules import AssessmentCommand
from selfassess.assessments.schemas import AnswerForm, NoteForm, ReturnForm, ReviewForm, StartForm
from selfassess.assessments.service import Incomplete, SelfAssessments, current_period
from selfassess.attachments.responses import download
from selfassess.errors import Invalid
from selfassess.frameworks.sheet_routes import SheetKind, SheetText, autosave
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.web.dependencies import record_and_parent
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_staff
from selfassess.web.pdf import pdf_response
from selfassess.web.rendering import form_failed, render, see_other

FormData = URLEncodedBody[dict[str, Any]]


ANSWER_SHEET = SheetKind(
    form=AnswerForm,
    texts=(
        SheetText(
            name="narrative",
            label="How you meet this statement",
            heading="How the service meets it",
            element="narrative",
            lines=6,
            hint="What you do, how you know it works, and what people tell you.",
        ),
        SheetText(
            name="improvement_plan",
            label="What you plan to improve (optional)",
            heading="Plans to improve",
            element="plan",
            lines=3,
        ),
    ),
    rows_path="/assessments/{parent}/answers",
    pages_path="/assessments/{parent}/questions",
    row_element="statement",
    form_element="answer-form",
    radio_element="score",
    legend="Your score for",
    autosave_prefix="",
    marks="assessments/_marks.html",
)


async def provide_assessments(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> SelfAssessments:
    return SelfAssessments(db_session, current_user, settings)


dependencies = {"assessments": Provide(provide_assessments)}


async def provide_assessment_and_service(
    assessments: NamedDependency[SelfAssessments], assessment_id: FromPath[int]
) -> tuple[SelfAssessment, CareService]:
    """The self-assessment of the path and its service, scoped to the viewer (404 when the viewer may
    not see it)."""
    return await assessments.get(assessment_id)


assessment_dependencies = {
    **dependencies,
    **record_and_parent(provide_assessment_and_service, record="assessment", parent="service"),
}


class ServiceAssessmentsController(Controller):
    path = "/services/{service_id:int}/assessments"
    tags = ["assessments"]
    include_in_schema = False
    dependencies = {**dependencies, **service_dependency}

    @get("/panel")
    async def panel(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        service: NamedDependency[CareService],
    ) -> Template:
        rows = await assessments.for_service(service)
        period = current_period(clock.today())
        can_start = not any(
            row.assessment.status.editable or row.assessment.period_label == period for row in rows
        )
        previous = await assessments.last_submitted(service) if can_start else None
        return render(
            request,
            "assessments/_service_panel.html",
            {
                "service": service,
                "rows": rows,
                "can_start": can_start,
                "period": period,
                "previous": previous,
            },
        )

    @post("/")
    async def start(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Redirect:
        form = bind(StartForm, data)
        if not form.valid:
            raise Invalid(next(iter(form.errors.values())))
        assert form.data is not None
        assessment = await assessments.start(service, form.data.period_label, carry_over=form.data.carry_over)
        flash(request, "Your self-assessment has started. Answers save as you type.", "success")
        return see_other(f"/assessments/{assessment.id}")


class AssessmentController(Controller):
    path = "/assessments/{assessment_id:int}"
    tags = ["assessments"]
    include_in_schema = False
    dependencies = assessment_dependencies

    async def _overview_context(
        self, assessments: SelfAssessments, assessment: SelfAssessment, service: CareService
    ) -> dict[str, Any]:
        framework = await assessments.framework(assessment)
        answers = await assessments.answers(assessment)
        visible = await assessments.self_scores_visible(assessment, service)
        summary = framework.summarise({sid: answer.score for sid, answer in answers.items()})
        return {
            "assessment": assessment,
            "service": service,
            "framework": framework,
            "summary": summary,
            "scores_visible": visible,
            "history": await assessments.history(assessment),
            "missing": [],
            "return_form": Form.initial(),
            "can": assessments.commands(assessment),
            "AssessmentCommand": AssessmentCommand,
            "carried_over": sum(1 for answer in answers.values() if answer.carried_over),
        }

    @get()
    async def overview(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
    ) -> Template:
        return render(
            request,
            "assessments/overview.html",
            await self._overview_context(assessments, assessment, service),
        )

    @get("/questions/{code:str}")
    async def key_question(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
        code: FromPath[str],
    ) -> Template:
        framework = await assessments.framework(assessment)
        question = framework.key_question(code)
        answers = await assessments.answers(assessment)
        position = [q.code for q in framework.key_questions].index(code)
        questions = framework.key_questions
        return render(
            request,
            "assessments/key_question.html",
            {
                "assessment": assessment,
                "service": service,
                "sheet": ANSWER_SHEET.of(assessment.id),
                "framework": framework,
                "question": question,
                "answers": answers,
                "evidence": await assessments.evidence(assessment),
                "saved_by": await assessments.saved_by_names(list(answers.values())),
                "scores_visible": await assessments.self_scores_visible(assessment, service),
                "editable": AssessmentCommand.EDIT in assessments.commands(assessment),
                "summary": framework.summarise({sid: answer.score for sid, answer in answers.items()}),
                "previous": questions[position - 1] if position > 0 else None,
                "next": questions[position + 1] if position + 1 < len(questions) else None,
            },
        )

    async def _statement_context(
        self, assessments: SelfAssessments, assessment: SelfAssessment, answer_id: int
    ) -> dict[str, Any]:
        framework = await assessments.framework(assessment)
        answer = await assessments.answer(assessment, answer_id)
        _, service = await assessments.get(assessment.id)
        return {
            "assessment": assessment,
            "sheet": ANSWER_SHEET.of(assessment.id),
            "framework": framework,
            "statement": framework.statement(answer.statement_id),
            "answer": answer,
            "evidence": await assessments.evidence(assessment, answer.id),
            "saved_by": await assessments.saved_by_names([answer]),
            "scores_visible": await assessments.self_scores_visible(assessment, service),
            "editable": AssessmentCommand.EDIT in assessments.commands(assessment),
        }

    @get("/answers/{answer_id:int}")
    async def statement(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        answer_id: FromPath[int],
    ) -> Template:
        """One statement as stored now (used to take the other person's version after a conflict)."""
        context = await self._statement_context(assessments, assessment, answer_id)
        return render(request, "assessments/_statement.html", context)

    @post("/answers/{answer_id:int}")
    async def save(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        answer_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        """Autosave of one statement: the score sheet's (frameworks.sheet_routes.autosave)."""
        return await autosave(
            request,
            ANSWER_SHEET.of(assessment.id),
            answer_id,
            data,
            framework=await assessments.framework(assessment),
            save=partial(assessments.save_answer, assessment, answer_id),
        )

    # --- evidence ---------------------------------------------------------------------------------

    async def _evidence_response(
        self,
        request: HTMXRequest,
        assessments: SelfAssessments,
        assessment: SelfAssessment,
        answer_id: int,
        *,
        error: str | None = None,
        note: Form[NoteForm] | None = None,
    ) -> Template | Redirect:
        context = await self._statement_context(assessments, assessment, answer_id)
        if not request.htmx:  # a browser without JavaScript posted the form itself
            if error:
                flash(request, error, "error")
            statement = context["statement"]
            return see_other(context["sheet"].page_url(statement.key_question_code, answer_id))
        context.update(evidence_error=error, note=note or Form.initial())
        return render(request, "assessments/_evidence.html", context, status_code=422 if error else 200)

    @post("/answers/{answer_id:int}/evidence/note")
    async def add_note(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        answer_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(NoteForm, data)
        if not form.valid:
            return await self._evidence_response(
                request, assessments, assessment, answer_id, error=next(iter(form.errors.values())), note=form
            )
        assert form.data is not None
        try:
            await assessments.add_note(
                assessment, answer_id, text=form.data.text, category=form.data.category
            )
        except Invalid as problem:
            return await self._evidence_response(
                request, assessments, assessment, answer_id, error=str(problem), note=form
            )
        return await self._evidence_response(request, assessments, assessment, answer_id)

    @post("/answers/{answer_id:int}/evidence/file")
    async def add_file(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
        answer_id: FromPath[int],
        data: MultipartBody[dict[str, Any]],
    ) -> Template | Redirect:
        upload = data.get("file")
        category = data.get("category") or None
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Invalid("Choose a file to attach.")
            await assessments.add_file(
                assessment,
                service,
                answer_id,
                filename=upload.filename,
                data=await upload.read(),
                category=category if isinstance(category, str) else None,
            )
        except Invalid as problem:
            return await self._evidence_response(
                request, assessments, assessment, answer_id, error=str(problem)
            )
        return await self._evidence_response(request, assessments, assessment, answer_id)

    @post("/evidence/{item_id:int}/delete")
    async def remove_evidence(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        item_id: FromPath[int],
    ) -> Template | Redirect:
        answer_id = await assessments.remove_evidence(assessment, item_id)
        return await self._evidence_response(request, assessments, assessment, answer_id)

    @get("/evidence/{item_id:int}/download")
    async def download_evidence(
        self,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        item_id: FromPath[int],
    ) -> Response[bytes]:
        stored, content = await assessments.evidence_file(assessment, item_id)
        return download(stored, content)

    # --- status -------------------------------------------------------------------------------------

    async def _check_context(
        self, assessments: SelfAssessments, assessment: SelfAssessment, service: CareService
    ) -> dict[str, Any]:
        context = await self._overview_context(assessments, assessment, service)
        context.update(
            answers=await assessments.answers(assessment),
            evidence=await assessments.evidence(assessment),
            missing=await assessments.missing(assessment),
        )
        return context

    @get("/check")
    async def check_answers(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment_id: FromPath[int],
    ) -> Template | Redirect:
        """Check your answers: every statement's score and narrative, key question by key question,
        each with a link to change it, and what is still missing, before the one-way submission."""
        assessment, service = await assessments.get(assessment_id)
        if AssessmentCommand.SUBMIT not in assessments.commands(assessment):
            return see_other(f"/assessments/{assessment.id}")
        return render(
            request, "assessments/check.html", await self._check_context(assessments, assessment, service)
        )

    @post("/submit", opt={"page": "/assessments/{assessment_id}/check"})
    async def submit(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
    ) -> Template | Redirect:
        try:
            await assessments.submit(assessment, service)
        except Incomplete:
            return form_failed(
                request,
                "assessments/check.html",
                await self._check_context(assessments, assessment, service),
                page=f"/assessments/{assessment.id}/check",
            )
        flash(request, f"Submitted. {service.name}'s self-assessment is now with the council.", "success")
        return see_other(f"/assessments/{assessment.id}/submitted")

    @get("/submitted")
    async def submitted(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment_id: FromPath[int],
    ) -> Template:
        """The confirmation: what happens next, after the one-way step."""
        assessment, service = await assessments.get(assessment_id)
        return render(
            request,
            "assessments/submitted.html",
            await self._overview_context(assessments, assessment, service),
        )

    @post("/return", guards=[requires_council_staff])
    async def return_for_information(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ReturnForm, data)
        if form.valid:
            assert form.data is not None
            await assessments.return_for_information(assessment, service, form.data.comment)
            flash(request, f"Returned to {service.name} for more information.", "success")
            return see_other(f"/assessments/{assessment.id}")
        context = await self._overview_context(assessments, assessment, service)
        context["return_form"] = form
        return form_failed(
            request, "assessments/overview.html", context, page=f"/assessments/{assessment.id}"
        )

    @post("/review", guards=[requires_council_staff])
    async def mark_reviewed(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Redirect:
        form = bind(ReviewForm, data)
        await assessments.mark_reviewed(assessment, service, (form.data.comment if form.data else None) or "")
        flash(request, "Marked as reviewed.", "success")
        return see_other(f"/assessments/{assessment.id}")

    @get("/print")
    async def printable(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        assessment: NamedDependency[SelfAssessment],
        service: NamedDependency[CareService],
    ) -> Template:
        context = await self._overview_context(assessments, assessment, service)
        context.update(
            answers=await assessments.answers(assessment),
            evidence=await assessments.evidence(assessment),
        )
        return render(request, "assessments/print.html", context)

    @get("/print.pdf")
    async def printable_pdf(
        self,
        request: HTMXRequest,
        assessments: NamedDependency[SelfAssessments],
        settings: NamedDependency[Settings],
        assessment_id: FromPath[int],
    ) -> Response[bytes]:
        """The printable version as a PDF: the same template."""
        assessment, service = await assessments.get(assessment_id)
        context = await self._overview_context(assessments, assessment, service)
        context.update(
            answers=await assessments.answers(assessment),
            evidence=await assessments.evidence(assessment),
        )
        return await pdf_response(
            request,
            "assessments/print.html",
            context,
            static_dir=settings.static_dir,
            filename=f"self-assessment-{assessment.id}.pdf",
            organisation=await assessments.services.council_name(service),
            produced_on=clock.today(),
        )


class ReviewQueueController(Controller):
    path = "/reviews"
    tags = ["assessments"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = dependencies

    @get()
    async def index(
        self, request: HTMXRequest, assessments: NamedDependency[SelfAssessments], page: FromQuery[int] = 1
    ) -> Template:
        return render(
            request, "assessments/reviews.html", {"rows": await assessments.awaiting_review(number=page)}
        )


route_handlers = [ServiceAssessmentsController, AssessmentController, ReviewQueueController]
