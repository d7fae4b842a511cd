"""Concern pages: council staff log, triage and close concerns; provider users see the ones about
their own services that are not confidential. (The JSON view lives in selfassess.api.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.choices import Choice
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.concern_rules import ConcernCommand
from selfassess.visits.concerns import (
    SEVERITY_FILTER_OPTIONS,
    SEVERITY_FILTERS,
    ConcernEntry,
    Concerns,
    Received,
    default_shared_summary,
)
from selfassess.visits.models import Concern, ConcernSource, ConcernStatus, Severity
from selfassess.visits.schemas import CloseConcernForm, ConcernForm, ConcernResponseForm, ShareConcernForm
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_staff
from selfassess.web.rendering import form_failed, render, see_other

FormData = URLEncodedBody[dict[str, Any]]

ALL_STATUSES = "all"

C = TypeVar("C", bound=Choice)
M = TypeVar("M", bound=BaseModel)


async def provide_concerns(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Concerns:
    return Concerns(db_session, current_user, settings)


concerns_dependency = {"concerns": Provide(provide_concerns)}


async def provide_entry(concerns: NamedDependency[Concerns], concern_id: FromPath[int]) -> ConcernEntry:
    """The concern of the path, scoped to the viewer before the handler runs (404 otherwise)."""
    return await concerns.get(concern_id)


concern_dependencies = {**concerns_dependency, "entry": Provide(provide_entry)}


def _choice(choice: type[C], value: str) -> C | None:
    """A filter value from the address bar; anything unknown means 'no filter', not an error."""
    return choice(value) if value in choice._value2member_map_ else None


def _form_context(
    form: Form[ConcernForm], service_id: int, service_name: str, concern: Concern | None
) -> dict[str, Any]:
    return {
        "form": form,
        "service_id": service_id,
        "service_name": service_name,
        "concern": concern,
        "source_options": ConcernSource.options(),
        "severity_options": Severity.options(),
        "always_confidential": [source.label for source in ConcernSource if source.always_confidential],
    }


async def _concern_page(
    request: HTMXRequest,
    concerns: Concerns,
    entry: ConcernEntry,
    *,
    close_form: Form[CloseConcernForm] | None = None,
    share_form: Form[ShareConcernForm] | None = None,
    response_form: Form[ConcernResponseForm] | None = None,
    failed: bool = False,
) -> Template:
    """The concern page; a form that failed comes back filled in, with its errors."""
    concern = entry.concern
    context = {
        "entry": entry,
        "close_form": close_form or Form.initial({"outcome": concern.outcome}),
        "share_form": share_form
        or Form.initial(
            {
                "shared_summary": concern.shared_summary
                or default_shared_summary(concern, entry.service_name),
                "provider_request": concern.provider_request,
                "respond_by": concern.respond_by,
            }
        ),
        "response_form": response_form or Form.initial({}),
        "responses": [] if concern.is_confidential else await concerns.responses(concern),
        "can": concerns.commands(concern),
        "ConcernCommand": ConcernCommand,
    }
    if failed:
        return form_failed(request, "visits/concern.html", context, page=f"/concerns/{entry.concern.id}")
    return render(request, "visits/concern.html", context)


async def _send_form(
    request: HTMXRequest,
    concerns: Concerns,
    entry: ConcernEntry,
    form: Form[M],
    form_name: str,
    command: Callable[[M], Awaitable[object]],
    done: str,
    *,
    anchor: str = "",
) -> Template | Redirect:
    """A form of the concern page (``form_name``, as ``_concern_page`` calls it): a valid one runs
    its command and returns to the concern saying ``done``; another comes back filled in, with its
    errors."""
    if not form.valid or form.data is None:
        return await _concern_page(request, concerns, entry, failed=True, **{form_name: form})
    await command(form.data)
    flash(request, done, "success")
    return see_other(f"/concerns/{entry.concern.id}{anchor}")


class ServiceConcernController(Controller):
    """Concerns seen from a service's page."""

    path = "/services/{service_id:int}/concerns"
    tags = ["concerns"]
    include_in_schema = False
    dependencies = {**concerns_dependency, **service_dependency}

    @get("/panel")
    async def panel(
        self, request: HTMXRequest, concerns: NamedDependency[Concerns], service: NamedDependency[CareService]
    ) -> Template:
        """The service page loads this fragment into its concerns section."""
        context = {
            "user": request.user,
            "service": service,
            "entries": await concerns.for_service(service.id),
        }
        return Template("visits/_service_concerns.html", context=context)

    @get("/new", guards=[requires_council_staff])
    async def new(
        self, request: HTMXRequest, concerns: NamedDependency[Concerns], service: NamedDependency[CareService]
    ) -> Template:
        form: Form[ConcernForm] = Form.initial({"received_on": clock.today()})
        return render(
            request, "visits/concern_form.html", _form_context(form, service.id, service.name, None)
        )

    @post("/new", guards=[requires_council_staff])
    async def create(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ConcernForm, data)
        if not form.valid:
            context = _form_context(form, service.id, service.name, None)
            return form_failed(
                request, "visits/concern_form.html", context, page=f"/services/{service.id}/concerns/new"
            )
        assert form.data is not None
        concern = await concerns.create(service, form.data)
        message = f"Logged the concern about {service.name}."
        if concern.is_confidential:
            message += " It is confidential: the provider will not see it."
        flash(request, message, "success")
        return see_other(f"/concerns/{concern.id}")


def _received(starts: str, ends: str, source: ConcernSource | None) -> Received | None:
    """The quarterly report's link: concerns received between two days; not dates, no limit."""
    try:
        return Received(date.fromisoformat(starts), date.fromisoformat(ends), source)
    except ValueError:
        return None


class ConcernController(Controller):
    path = "/concerns"
    tags = ["concerns"]
    include_in_schema = False
    dependencies = concern_dependencies

    @get(guards=[requires_council_staff])
    async def index(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        status: FromQuery[str] = ConcernStatus.OPEN.value,
        severity: FromQuery[str] = "",
        q: FromQuery[str] = "",
        source: FromQuery[str] = "",
        received_from: FromQuery[str] = "",
        received_to: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        received = _received(received_from, received_to, _choice(ConcernSource, source))
        entries = await concerns.page(
            status=_choice(ConcernStatus, status),
            severities=SEVERITY_FILTERS.get(severity, ()),
            query=q,
            received=received,
            number=page,
        )
        context = {
            "entries": entries,
            "received": received,
            "status": status if _choice(ConcernStatus, status) else ALL_STATUSES,
            "severity": severity if severity in SEVERITY_FILTERS else "",
            "q": q,
            "status_options": [*ConcernStatus.options(), (ALL_STATUSES, "Open and closed")],
            "severity_options": SEVERITY_FILTER_OPTIONS,
        }
        return render(request, "visits/concerns.html", context, block="results")

    @get("/{concern_id:int}")
    async def detail(
        self, request: HTMXRequest, concerns: NamedDependency[Concerns], entry: NamedDependency[ConcernEntry]
    ) -> Template:
        return await _concern_page(request, concerns, entry)

    @get("/{concern_id:int}/edit", guards=[requires_council_staff])
    async def edit(
        self, request: HTMXRequest, concerns: NamedDependency[Concerns], entry: NamedDependency[ConcernEntry]
    ) -> Template:
        form: Form[ConcernForm] = Form.initial(
            entry.concern.model_dump(include=set(ConcernForm.model_fields))
        )
        context = _form_context(form, entry.concern.service_id, entry.service_name, entry.concern)
        return render(request, "visits/concern_form.html", context)

    @post("/{concern_id:int}/edit", guards=[requires_council_staff])
    async def update(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        entry: NamedDependency[ConcernEntry],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ConcernForm, data)
        if not form.valid:
            context = _form_context(form, entry.concern.service_id, entry.service_name, entry.concern)
            return form_failed(
                request, "visits/concern_form.html", context, page=f"/concerns/{entry.concern.id}/edit"
            )
        assert form.data is not None
        await concerns.update(entry.concern, form.data)
        flash(request, "Saved the changes to the concern.", "success")
        return see_other(f"/concerns/{entry.concern.id}")

    @post("/{concern_id:int}/close", guards=[requires_council_staff])
    async def close(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        entry: NamedDependency[ConcernEntry],
        data: FormData,
    ) -> Template | Redirect:
        return await _send_form(
            request,
            concerns,
            entry,
            bind(CloseConcernForm, data),
            "close_form",
            lambda form: concerns.close(entry.concern, form.outcome),
            "Closed the concern and recorded its outcome.",
        )

    @post("/{concern_id:int}/reopen", guards=[requires_council_staff])
    async def reopen(
        self, request: HTMXRequest, concerns: NamedDependency[Concerns], entry: NamedDependency[ConcernEntry]
    ) -> Redirect:
        await concerns.reopen(entry.concern)
        flash(request, "Reopened the concern.", "success")
        return see_other(f"/concerns/{entry.concern.id}")

    @post("/{concern_id:int}/share", guards=[requires_council_staff])
    async def share(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        entry: NamedDependency[ConcernEntry],
        data: FormData,
    ) -> Template | Redirect:
        return await _send_form(
            request,
            concerns,
            entry,
            bind(ShareConcernForm, data),
            "share_form",
            lambda form: concerns.share(entry, form),
            f"Shared with {entry.service_name}'s staff; they have been told.",
        )

    @post("/{concern_id:int}/responses")
    async def respond(
        self,
        request: HTMXRequest,
        concerns: NamedDependency[Concerns],
        entry: NamedDependency[ConcernEntry],
        data: FormData,
    ) -> Template | Redirect:
        """Any provider user of the service may respond (the rulebook refuses council staff)."""
        return await _send_form(
            request,
            concerns,
            entry,
            bind(ConcernResponseForm, data),
            "response_form",
            lambda form: concerns.respond(entry, form),
            "Sent your response to the council.",
            anchor="#responses",
        )


route_handlers = [ServiceConcernController, ConcernController]
