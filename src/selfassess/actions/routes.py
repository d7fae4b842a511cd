"""Action plan pages: proposing a plan from a published visit, completing and agreeing it, and
working each action through to verification, updated in place with htmx; exports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import ClientRefresh, HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel
from sqlalchemy import ScalarSelect
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.actions.forms import ActionForm, CommentForm, DecisionForm, DueDateForm, StatusForm
from selfassess.actions.models import ActionPlan, PlanStatus
from selfassess.actions.rulebook import STATUS_COMMANDS, Command
from selfassess.actions.rules import ActionStatus, Priority
from selfassess.actions.service import (
    ActionChanges,
    ActionFilter,
    ActionPlans,
    ActionsShown,
    PlanFilter,
    PlanIncomplete,
    overdue_actions_per_service,
)
from selfassess.attachments.responses import download
from selfassess.errors import Conflict, Invalid, NotFound
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Visit
from selfassess.visits.routes import visit_dependencies
from selfassess.web.dependencies import record_and_parent
from selfassess.web.forms import Form, bind, day_or_none
from selfassess.web.guards import requires_council_staff
from selfassess.web.pdf import pdf_response
from selfassess.web.rendering import csv_response, form_failed, render, see_other

FormData = URLEncodedBody[dict[str, Any]]


async def provide_plans(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> ActionPlans:
    return ActionPlans(db_session, current_user, settings)


dependencies = {"plans": Provide(provide_plans)}


def provide_overdue_actions() -> ScalarSelect[int]:
    return overdue_actions_per_service(clock.today())


# Given to every page (see app.py): the services list, in the earlier providers slice, counts each
# service's overdue actions by this slice's rule.
app_dependencies = {"overdue_actions": Provide(provide_overdue_actions, sync_to_thread=False)}


async def provide_plan_and_service(
    plans: NamedDependency[ActionPlans], plan_id: FromPath[int]
) -> tuple[ActionPlan, CareService]:
    """The plan of the path and its service, scoped to the viewer (404 when the viewer may not see it)."""
    return await plans.get(plan_id)


plan_dependencies = {
    **dependencies,
    **record_and_parent(provide_plan_and_service, record="plan", parent="service"),
}


def _changes(form: ActionForm) -> ActionChanges:
    return ActionChanges(
        title=form.title,
        description=form.description or "",
        owner_id=form.owner_id,
        due_date=form.due_date,
        priority=form.priority,
    )


class ServicePlansController(Controller):
    path = "/services/{service_id:int}/plans"
    tags = ["actions"]
    include_in_schema = False
    dependencies = {**dependencies, **service_dependency}

    @get("/panel")
    async def panel(
        self, request: HTMXRequest, plans: NamedDependency[ActionPlans], service: NamedDependency[CareService]
    ) -> Template:
        return render(
            request,
            "actions/_service_panel.html",
            {"service": service, "plans": await plans.for_service(service), "today": clock.today()},
        )


class GeneratePlanController(Controller):
    path = "/visits/{visit_id:int}/plan"
    tags = ["actions"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {**dependencies, **visit_dependencies}

    @post()
    async def generate(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Redirect:
        plan = await plans.generate(visit, service)
        flash(
            request,
            f"Proposed an action plan for {service.name}. The provider has been asked to complete it.",
            "success",
        )
        return see_other(f"/plans/{plan.id}")


class PlanListController(Controller):
    path = "/plans"
    tags = ["actions"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = dependencies

    @get()
    async def index(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        overdue_only: FromQuery[bool] = False,
        status: FromQuery[str | None] = None,
        mine: FromQuery[bool] = False,
        submitted_from: FromQuery[str] = "",
        submitted_to: FromQuery[str] = "",
        on_time: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        """The open plans in the council's area (or those submitted between two dates, as the
        quarterly report counts them), those with overdue actions first."""
        chosen = PlanStatus(status) if status in PlanStatus._value2member_map_ else None
        shown = PlanFilter(
            chosen, overdue_only, mine, day_or_none(submitted_from), day_or_none(submitted_to), on_time
        )
        return render(
            request,
            "actions/plans.html",
            {
                "plans": await plans.plans(shown, number=page),
                "overdue_only": overdue_only,
                "shown": shown,
            },
            block="results",
        )

    @get("/actions")
    async def actions(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        provider: FromQuery[int | None] = None,
        overdue_on: FromQuery[str] = "",
        completed_from: FromQuery[str] = "",
        completed_to: FromQuery[str] = "",
        on_time: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        """The actions behind the quarterly report's figures: overdue at a day (by provider), or
        completed between two dates (by their due date), in the council's area."""
        shown = ActionFilter(
            provider, day_or_none(overdue_on), day_or_none(completed_from), day_or_none(completed_to), on_time
        )
        return render(
            request,
            "actions/actions.html",
            {"actions": await plans.action_list(shown, number=page), "shown": shown},
        )


class PlanController(Controller):
    path = "/plans/{plan_id:int}"
    tags = ["actions"]
    include_in_schema = False
    dependencies = plan_dependencies

    async def _context(
        self,
        plans: ActionPlans,
        plan: ActionPlan,
        service: CareService,
        shown: ActionsShown = ActionsShown.ALL,
        **extra: Any,
    ) -> dict:
        framework = await plans.framework(plan)
        context = await self._cards_context(plans, plan, service, shown)
        context.update(
            framework=framework,
            notes=await plans.notes(plan),
            owner_options=await self._owner_options(plans, service),
            statement_options=[
                (statement.id, f"{statement.code} {statement.title}") for statement in framework.statements
            ],
            history=await plans.history(plan),
            new_action=Form.initial({"priority": Priority.MEDIUM.value}),
            problems=[],
            comment_form=Form.initial(),
            action_forms={},
            action_errors={},
        )
        context.update(extra)
        return context

    async def _cards_context(
        self, plans: ActionPlans, plan: ActionPlan, service: CareService, shown: ActionsShown
    ) -> dict:
        """What an action card, the summary table and the progress line need: the whole page has
        these and more; the answer to a change on one card, only these."""
        shown_counts, progress = await plans.counts(plan)
        return {
            "plan": plan,
            "service": service,
            "shown": shown,
            "shown_counts": shown_counts,
            "rows": await plans.actions(plan, shown=shown),
            "progress": progress,
            "priorities": Priority.options(),
            "today": clock.today(),
            # What the page offers comes from the rulebook the service enforces.
            "can": plans.plan_commands(plan),
            "can_on": lambda action: plans.action_commands(plan, action),
            "Command": Command,
            "status_commands": [(status, command) for status, command in STATUS_COMMANDS.items()],
            "failed": None,  # which of an action card's forms was refused, see _card
            "failed_form": Form.initial(),
            "empty_form": Form.initial(),
        }

    @staticmethod
    async def _owner_options(plans: ActionPlans, service: CareService) -> list[tuple[int | None, str]]:
        return [
            (
                owner.id,
                owner.full_name
                if owner.organisation_id == service.provider_id
                else f"{owner.full_name} (council)",
            )
            for owner in await plans.owner_choices(service)
        ]

    async def _card(
        self,
        request: HTMXRequest,
        plans: ActionPlans,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        *,
        status_code: int = 200,
        error: str | None = None,
        form: Form[ActionForm] | None = None,
        failed: str | None = None,
        failed_form: Form[Any] | None = None,
    ) -> Template:
        """One action's card. ``failed`` names the card's form that was refused ("more_time",
        "reopen"): that form is shown open, with its error summary and what was typed."""
        # The summary sent with the card keeps the filter the page shows (its address says which).
        context = await self._cards_context(plans, plan, service, _shown_on_page(request))
        row = next((row for row in context["rows"] if row.action.id == action_id), None)
        if row is None:  # the page's filter leaves it out
            row = next(iter(await plans.actions(plan, action_id=action_id)), None)
        if row is None:
            raise NotFound("action")
        # Only a card that can be edited shows the people to choose from (the rulebook says which).
        editable = Command.EDIT_ACTION in plans.action_commands(plan, row.action)
        context.update(
            notes=await plans.notes(plan, action_id=action_id),
            owner_options=await self._owner_options(plans, service) if editable else [],
            row=row,
            card_error=error if failed is None else None,
            card_form=form,
            failed=failed,
            failed_form=failed_form or Form.initial(),
        )
        # The header's "Waiting for you" count asks again (queues come after actions in the slice order).
        return render(
            request,
            "actions/_action_response.html",
            context,
            status_code=status_code,
            headers={"HX-Trigger": "waiting-changed"},
        )

    @get()
    async def detail(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        show: FromQuery[str | None] = None,
    ) -> Template:
        """The plan; ``show`` filters its actions (mine, overdue, waiting for verification), and the
        filter's links ask for just the actions part."""
        return render(
            request,
            "actions/plan.html",
            await self._context(plans, plan, service, _shown(show)),
            block="plan_actions",
        )

    # --- the draft -------------------------------------------------------------------------------------

    @post("/actions/{action_id:int}")
    async def update_action(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        await plans.action(plan, action_id)  # an action not on this plan: 404, htmx or not
        form = bind(ActionForm, data)
        error = None
        if form.valid and form.data is not None and form.data.version is not None:
            try:
                await plans.update_action(
                    plan, service, action_id, expected_version=form.data.version, changes=_changes(form.data)
                )
            except Conflict as conflict:
                current = await plans.action(plan, action_id)
                form.values["version"] = current.version  # saving again now replaces theirs, knowingly
                return await self._card(
                    request, plans, plan, service, action_id, status_code=409, error=str(conflict), form=form
                )
            except Invalid as problem:
                error = str(problem)
        else:
            error = next(iter(form.errors.values()), "Reload the page and try again.")
        if not request.htmx:
            flash(request, error or "Saved.", "error" if error else "success")
            return see_other(f"/plans/{plan.id}#action-{action_id}")
        return await self._card(
            request,
            plans,
            plan,
            service,
            action_id,
            status_code=422 if error else 200,
            error=error,
            form=form if error else None,
        )

    @post("/actions")
    async def add_action(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ActionForm, data)
        if form.valid:
            assert form.data is not None
            try:
                action = await plans.add_action(plan, service, _changes(form.data), form.data.statement_id)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, "Action added.", "success")
                return see_other(f"/plans/{plan.id}#action-{action.id}")
        return form_failed(
            request,
            "actions/plan.html",
            await self._context(plans, plan, service, new_action=form),
            page=f"/plans/{plan.id}",
        )

    @post("/actions/{action_id:int}/delete")
    async def delete_action(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        action_id: FromPath[int],
    ) -> Redirect:
        await plans.delete_action(plan, action_id)
        flash(request, "Action removed.", "success")
        return see_other(f"/plans/{plan.id}")

    @post("/submit")
    async def submit(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Template | Redirect:
        try:
            await plans.submit(plan, service)
        except PlanIncomplete as incomplete:
            return form_failed(
                request,
                "actions/plan.html",
                await self._context(plans, plan, service, problems=incomplete.problems),
                page=f"/plans/{plan.id}",
            )
        flash(request, "Plan sent to the council for agreement.", "success")
        return see_other(f"/plans/{plan.id}")

    @post("/request-changes", guards=[requires_council_staff])
    async def request_changes(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(CommentForm, data)
        if not form.valid:
            return form_failed(
                request,
                "actions/plan.html",
                await self._context(plans, plan, service, comment_form=form),
                page=f"/plans/{plan.id}",
            )
        assert form.data is not None
        await plans.request_changes(plan, service, form.data.comment)
        flash(request, "Sent back to the provider with your comments.", "success")
        return see_other(f"/plans/{plan.id}")

    @post("/agree", guards=[requires_council_staff])
    async def agree(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Template | Redirect:
        try:
            await plans.agree(plan, service)
        except PlanIncomplete as incomplete:
            return form_failed(
                request,
                "actions/plan.html",
                await self._context(plans, plan, service, problems=incomplete.problems),
                page=f"/plans/{plan.id}",
            )
        flash(request, "Plan agreed. Both sides can now update the actions.", "success")
        return see_other(f"/plans/{plan.id}")

    # --- tracking ---------------------------------------------------------------------------------------

    async def _update_action(
        self,
        request: HTMXRequest,
        plans: ActionPlans,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        form_model: type[BaseModel],
        data: dict[str, Any],
        change: Callable[[ActionPlan, CareService, Any], Awaitable[object]],
        failed: str | None = None,
    ) -> Template | Redirect | ClientRefresh:
        """The shape every in-place action update shares: check the form, make the change, and
        answer with the refreshed card (or the reason it was refused, next to the action)."""
        form = bind(form_model, data)
        error, status_code = None, 200
        if not form.valid:
            await plans.action(plan, action_id)  # an action not on this plan: 404, htmx or not
            error, status_code = next(iter(form.errors.values())), 422
        else:  # each change reads the action first: NotFound (404) for one not on this plan
            try:
                await change(plan, service, form.data)
            except Conflict as conflict:
                error, status_code = str(conflict), 409
            except Invalid as problem:
                error, status_code = str(problem), 422
                form.add_error("__all__", error)
        return await self._after_update(
            request,
            plans,
            plan,
            service,
            action_id,
            error,
            status_code,
            failed=failed if status_code == 422 else None,
            failed_form=form,
        )

    @post("/actions/{action_id:int}/status")
    async def change_status(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect | ClientRefresh:
        return await self._update_action(
            request,
            plans,
            plan,
            service,
            action_id,
            StatusForm,
            data,
            lambda plan, service, form: plans.change_status(
                plan,
                service,
                action_id,
                expected_version=form.version,
                target=form.status,
                reason=form.reason or "",
            ),
            failed="reopen" if data.get("status") == ActionStatus.REOPENED.value else None,
        )

    async def _after_update(
        self,
        request: HTMXRequest,
        plans: ActionPlans,
        plan: ActionPlan,
        service: CareService,
        action_id: int,
        error: str | None,
        status_code: int,
        *,
        failed: str | None = None,
        failed_form: Form[Any] | None = None,
    ) -> Template | Redirect | ClientRefresh:
        if not request.htmx:
            flash(request, error or "Saved.", "error" if error else "success")
            return see_other(f"/plans/{plan.id}#action-{action_id}")
        if plan.status is PlanStatus.CLOSED and not error:
            flash(
                request,
                "Every action is verified: the plan is closed and a follow-up visit is proposed.",
                "success",
            )
            refresh = ClientRefresh()  # the whole page changes, not just this action
            refresh.status_code = 200
            return refresh
        return await self._card(
            request,
            plans,
            plan,
            service,
            action_id,
            status_code=status_code,
            error=error,
            failed=failed,
            failed_form=failed_form,
        )

    @post("/actions/{action_id:int}/notes")
    async def add_note(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[int],
        data: MultipartBody[dict[str, Any]],
    ) -> Template | Redirect:
        await plans.action(plan, action_id)  # an action not on this plan: 404, htmx or not
        upload, text = data.get("file"), data.get("text")
        has_file = isinstance(upload, UploadFile) and bool(upload.filename)
        error, status_code = None, 200
        try:
            await plans.add_note(
                plan,
                service,
                action_id,
                text=text if isinstance(text, str) else "",
                filename=upload.filename if has_file else None,
                data=await upload.read() if has_file else None,
                submission_key=_submission_key(data.get("submission_key")),
            )
        except Invalid as problem:
            error, status_code = str(problem), 422
        return await self._after_update(request, plans, plan, service, action_id, error, status_code)

    @post("/actions/{action_id:int}/due-date")
    async def propose_due_date(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect | ClientRefresh:
        return await self._update_action(
            request,
            plans,
            plan,
            service,
            action_id,
            DueDateForm,
            data,
            lambda plan, service, form: plans.propose_due_date(
                plan, service, action_id, proposed=form.proposed_due_date, reason=form.reason
            ),
            failed="more_time",
        )

    @post("/actions/{action_id:int}/due-date/decision", guards=[requires_council_staff])
    async def decide_due_date(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
        action_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect | ClientRefresh:
        return await self._update_action(
            request,
            plans,
            plan,
            service,
            action_id,
            DecisionForm,
            data,
            lambda plan, service, form: plans.decide_due_date(
                plan, service, action_id, accept=form.decision == "accept", comment=form.comment or ""
            ),
        )

    @get("/notes/{note_id:int}/download")
    async def download_note_file(
        self, plans: NamedDependency[ActionPlans], plan: NamedDependency[ActionPlan], note_id: FromPath[int]
    ) -> Response[bytes]:
        stored, content = await plans.note_file(plan, note_id)
        return download(stored, content)

    # --- exports -----------------------------------------------------------------------------------------

    @get("/print")
    async def printable(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Template:
        return render(request, "actions/print.html", await self._context(plans, plan, service))

    @get("/print.pdf")
    async def printable_pdf(
        self,
        request: HTMXRequest,
        plans: NamedDependency[ActionPlans],
        settings: NamedDependency[Settings],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Response[bytes]:
        """The printable plan as a PDF: the same template."""
        return await pdf_response(
            request,
            "actions/print.html",
            await self._context(plans, plan, service),
            static_dir=settings.static_dir,
            filename=f"action-plan-{plan.id}.pdf",
            organisation=await plans.services.council_name(service),
            produced_on=clock.today(),
        )

    @get("/export.csv")
    async def export_csv(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Response[str]:
        header = [
            "Statement",
            "Action",
            "Details",
            "Why",
            "Priority",
            "Responsible person",
            "Due date",
            "Status",
            "Overdue",
            "Completed",
            "Verified",
        ]
        lines = [
            [
                f"{row.statement.code} {row.statement.title}" if row.statement else "",
                row.action.title,
                row.action.description,
                row.action.reason.label,
                row.action.priority.label,
                row.owner_name or "",
                row.action.due_date.isoformat(),
                row.action.status.label,
                "yes" if row.overdue else "no",
                row.action.completed_at.date().isoformat() if row.action.completed_at else "",
                row.action.verified_at.date().isoformat() if row.action.verified_at else "",
            ]
            for row in await plans.actions(plan)
        ]
        return csv_response(f"action-plan-{service.id}-{plan.id}.csv", header, lines)

    @get("/history.csv")
    async def history_csv(
        self,
        plans: NamedDependency[ActionPlans],
        plan: NamedDependency[ActionPlan],
        service: NamedDependency[CareService],
    ) -> Response[str]:
        header = ["When (UTC)", "Who", "What happened", "Action", "Field", "From", "To", "Comment"]
        lines = [
            [
                row.event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                row.actor or "",
                row.event.event.replace("_", " "),
                row.action_title or "",
                row.event.field or "",
                row.event.old_value or "",
                row.event.new_value or "",
                row.event.comment,
            ]
            for row in await plans.history(plan)
        ]
        return csv_response(f"action-plan-{service.id}-{plan.id}-history.csv", header, lines)


def _shown(value: str | None) -> ActionsShown:
    """An unknown filter shows every action rather than an error."""
    return ActionsShown(value) if value in ActionsShown._value2member_map_ else ActionsShown.ALL


def _shown_on_page(request: HTMXRequest) -> ActionsShown:
    """The filter of the page an htmx request comes from (htmx sends its address)."""
    address = request.htmx.current_url if request.htmx else None
    values = parse_qs(urlsplit(address).query).get("show", []) if address else []
    return _shown(values[0] if values else None)


def _submission_key(value: Any) -> str | None:
    """The page's key for one note (a UUID); anything else is ignored, not refused."""
    return value if isinstance(value, str) and 0 < len(value) <= 36 else None


route_handlers = [ServicePlansController, GeneratePlanController, PlanListController, PlanController]
