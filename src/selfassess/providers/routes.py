"""Care service pages (everyone, scoped) and the provider register (council staff)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy import ScalarSelect
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.accounts.service import DuplicateEmail, FieldInvalid
from selfassess.errors import Invalid
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService, RegulatorRating, ServiceType
from selfassess.providers.schemas import ProviderForm, ServiceForm
from selfassess.providers.service import AddOutcome, CareServices, LinkRequestRow, ProviderLinks
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_staff, requires_provider_admin
from selfassess.web.rendering import render, see_other

FormData = URLEncodedBody[dict[str, Any]]


async def provide_care_services(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> CareServices:
    return CareServices(db_session, current_user)


care_services_dependency = {"care_services": Provide(provide_care_services)}


def _service_type(value: str | None) -> ServiceType | None:
    return ServiceType(value) if value in ServiceType._value2member_map_ else None


class ServiceController(Controller):
    path = "/services"
    tags = ["services"]
    include_in_schema = False
    dependencies = {**care_services_dependency, **service_dependency}

    async def _form_context(
        self, services: CareServices, form: Form[ServiceForm], service: CareService | None
    ):  # type: ignore[no-untyped-def]
        return {
            "form": form,
            "service": service,
            "provider_options": [(provider.id, provider.name) for provider in await services.providers()],
            "officer_options": [(officer.id, officer.full_name) for officer in await services.officers()],
            "type_options": ServiceType.options(),
            "rating_options": RegulatorRating.options(),
        }

    @get()
    async def index(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        overdue_actions: NamedDependency[ScalarSelect[int]],
        q: FromQuery[str] = "",
        type: FromQuery[str | None] = None,
        mine: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        services = await care_services.page(
            overdue_actions=overdue_actions,
            query=q,
            service_type=_service_type(type),
            assigned_to_me=mine,
            number=page,
        )
        context = {
            "services": services,
            "q": q,
            "type": type or "",
            "mine": mine,
            "type_options": ServiceType.options(),
        }
        return render(request, "providers/services.html", context, block="results")

    @get("/{service_id:int}")
    async def detail(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        service: NamedDependency[CareService],
    ) -> Template:
        return render(request, "providers/service.html", {"service": service})

    @get("/new", guards=[requires_council_staff])
    async def new(self, request: HTMXRequest, care_services: NamedDependency[CareServices]) -> Template:
        form: Form[ServiceForm] = Form.initial(
            {"assigned_officer_id": care_services.viewer.id, "regulator_rating": RegulatorRating.NOT_RATED}
        )
        return render(
            request, "providers/service_form.html", await self._form_context(care_services, form, None)
        )

    @post("/new", guards=[requires_council_staff])
    async def create(
        self, request: HTMXRequest, care_services: NamedDependency[CareServices], data: FormData
    ) -> Template | Redirect:
        form = bind(ServiceForm, data)
        if form.valid:
            assert form.data is not None
            try:
                service = await care_services.create(form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, f"Added {service.name}.", "success")
                return see_other(f"/services/{service.id}")
        context = await self._form_context(care_services, form, None)
        return render(request, "providers/service_form.html", context, status_code=422)

    @get("/{service_id:int}/edit", guards=[requires_council_staff])
    async def edit(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        service: NamedDependency[CareService],
    ) -> Template:
        form: Form[ServiceForm] = Form.initial(ServiceForm.model_construct(**service.model_dump()))
        return render(
            request, "providers/service_form.html", await self._form_context(care_services, form, service)
        )

    @post("/{service_id:int}/edit", guards=[requires_council_staff])
    async def update(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        service: NamedDependency[CareService],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ServiceForm, data)
        if form.valid:
            assert form.data is not None
            try:
                await care_services.update(service, form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, f"Saved the changes to {service.name}.", "success")
                return see_other(f"/services/{service.id}")
        context = await self._form_context(care_services, form, service)
        return render(request, "providers/service_form.html", context, status_code=422)


class ProviderRegisterController(Controller):
    """The council's register of provider organisations it works with."""

    path = "/providers"
    tags = ["services"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = care_services_dependency

    @get()
    async def index(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        providers = await care_services.provider_summaries(query=q, number=page)
        context = {
            "providers": providers,
            "q": q,
            "form": Form.initial(),
            "requests": await care_services.link_requests(),
            "may_invite_first_admin": request.user.is_council_admin,
        }
        return render(request, "providers/providers.html", context, block="results")

    @post()
    async def add(
        self,
        request: HTMXRequest,
        care_services: NamedDependency[CareServices],
        settings: NamedDependency[Settings],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ProviderForm, data)
        if form.valid:
            assert form.data is not None
            try:
                provider, outcome = await care_services.add_provider(form.data, settings)
            except FieldInvalid as problem:
                form.add_error(problem.field, str(problem))
            except DuplicateEmail as problem:
                form.add_error("admin_email", str(problem))
            else:
                message = outcome.value.format(name=provider.name)
                if outcome is AddOutcome.CREATED and form.data.admin_email:
                    message += f" We have e-mailed {form.data.admin_email} an invitation to run its accounts."
                flash(request, message, "success")
                return see_other("/providers")
        context = {
            "providers": await care_services.provider_summaries(),
            "q": "",
            "form": form,
            "requests": await care_services.link_requests(),
            "may_invite_first_admin": request.user.is_council_admin,
        }
        return render(request, "providers/providers.html", context, status_code=422)


async def provide_provider_links(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> ProviderLinks:
    return ProviderLinks(db_session, current_user)


async def provide_link_request(
    links: NamedDependency[ProviderLinks], council_id: FromPath[int]
) -> LinkRequestRow:
    """The council of the path's request to add the viewer's organisation to its register, while it
    awaits a decision (404 otherwise)."""
    return await links.waiting(council_id)


class CouncilRegistersController(Controller):
    """A provider's admins decide which councils' registers their organisation joins."""

    path = "/admin/councils"
    tags = ["services"]
    include_in_schema = False
    guards = [requires_provider_admin]
    dependencies = {"links": Provide(provide_provider_links), "link_request": Provide(provide_link_request)}

    @get()
    async def index(self, request: HTMXRequest, links: NamedDependency[ProviderLinks]) -> Template:
        return render(request, "providers/councils.html", {"rows": await links.rows()})

    @post("/{council_id:int}/accept")
    async def accept(
        self,
        request: HTMXRequest,
        links: NamedDependency[ProviderLinks],
        link_request: NamedDependency[LinkRequestRow],
    ) -> Redirect:
        await links.decide(link_request, accept=True)
        flash(
            request, f"{request.user.organisation.name} is now on {link_request.name}'s register.", "success"
        )
        return see_other("/admin/councils")

    @post("/{council_id:int}/decline")
    async def decline(
        self,
        request: HTMXRequest,
        links: NamedDependency[ProviderLinks],
        link_request: NamedDependency[LinkRequestRow],
    ) -> Redirect:
        await links.decide(link_request, accept=False)
        flash(
            request,
            f"Declined {link_request.name}'s request. They see nothing more of your organisation.",
            "success",
        )
        return see_other("/admin/councils")


route_handlers = [ServiceController, ProviderRegisterController, CouncilRegistersController]
