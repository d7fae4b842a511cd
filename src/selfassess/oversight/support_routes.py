"""Provider quality support levels: the council's list and decisions, the service page's section
(council staff and the provider itself), and the council's oversight settings."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Organisation, User
from selfassess.councils.service import save_council_settings
from selfassess.errors import Invalid
from selfassess.oversight.register import oversight_settings, stored_oversight_settings
from selfassess.oversight.risk import DEFAULT_WEIGHTS, WEIGHT_LABELS
from selfassess.oversight.support import ProviderSupports
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.levels import SupportLevel, is_escalated
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_admin, requires_council_staff
from selfassess.web.rendering import render, see_other


async def provide_supports(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> ProviderSupports:
    return ProviderSupports(db_session, current_user, settings)


async def provide_provider(
    supports: NamedDependency[ProviderSupports], provider_id: FromPath[int]
) -> Organisation:
    """The provider of the path, when it is on the viewer's council's register (404 otherwise)."""
    return await supports.registered_provider(provider_id)


class DecisionForm(BaseModel):
    level: SupportLevel = Field(title="Level")
    reason: str = Field(title="Why", min_length=1, max_length=5000)
    step_down_conditions: str | None = Field(default=None, title="Conditions to step down", max_length=5000)
    review_on: date | None = Field(default=None, title="Review date")


class SupportController(Controller):
    path = "/oversight/support"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {"supports": Provide(provide_supports), "provider": Provide(provide_provider)}

    @get()
    async def providers(
        self,
        request: HTMXRequest,
        supports: NamedDependency[ProviderSupports],
        escalated: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        """Every provider on the register and its support level; escalated ones only on request."""
        return render(
            request,
            "oversight/support.html",
            {"rows": await supports.lines(escalated_only=escalated, number=page), "escalated": escalated},
        )

    async def _provider_page(
        self,
        request: HTMXRequest,
        supports: ProviderSupports,
        provider: Organisation,
        form: Form[DecisionForm],
        status: int,
    ) -> Template:
        return render(
            request,
            "oversight/support_provider.html",
            {
                "provider": provider,
                "history": await supports.history(provider),
                "form": form,
                "levels": SupportLevel.options(),
            },
            status_code=status,
        )

    @get("/providers/{provider_id:int}")
    async def provider(
        self,
        request: HTMXRequest,
        supports: NamedDependency[ProviderSupports],
        provider: NamedDependency[Organisation],
    ) -> Template:
        return await self._provider_page(request, supports, provider, Form.initial(), 200)

    @post("/providers/{provider_id:int}")
    async def decide(
        self,
        request: HTMXRequest,
        supports: NamedDependency[ProviderSupports],
        provider: NamedDependency[Organisation],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        form = bind(DecisionForm, data)
        if form.valid and form.data is not None:
            try:
                decision = await supports.decide(
                    provider,
                    level=form.data.level,
                    reason=form.data.reason,
                    step_down_conditions=form.data.step_down_conditions or "",
                    review_on=form.data.review_on,
                    today=clock.today(),
                )
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, f"Recorded: {decision.level.label}.", "success")
                return see_other(f"/oversight/support/providers/{provider.id}")
        return await self._provider_page(request, supports, provider, form, 422)


@get(
    "/services/{service_id:int}/support/panel",
    dependencies={"supports": Provide(provide_supports), **service_dependency},
    include_in_schema=False,
    tags=["oversight"],
)
async def support_panel(
    request: HTMXRequest, supports: NamedDependency[ProviderSupports], service: NamedDependency[CareService]
) -> Template:
    """The service page's support level: council staff and the service's own provider (found
    through the viewer's scope, so nobody else)."""
    decision = await supports.for_service(service)
    return render(
        request,
        "oversight/_support_panel.html",
        {
            "service": service,
            "decision": decision,
            "escalated": is_escalated(decision.level if decision else None),
        },
    )


# --- the council's oversight settings ----------------------------------------------------------


class IntervalsForm(BaseModel):
    months_outstanding: int = Field(title="Months between visits: outstanding", ge=1, le=60)
    months_good: int = Field(title="Months between visits: good", ge=1, le=60)
    months_requires_improvement: int = Field(title="Months between visits: requires improvement", ge=1, le=60)
    months_inadequate: int = Field(title="Months between visits: inadequate", ge=1, le=60)
    months_unrated: int = Field(title="Months between visits: not yet rated", ge=1, le=60)
    months_high_risk: int = Field(title="Months between visits at high risk", ge=1, le=60)
    publish_suspensions: bool = Field(default=False, title="Publish suspensions of new placements")


_INTERVAL_FIELDS = {
    "months_outstanding": "outstanding",
    "months_good": "good",
    "months_requires_improvement": "requires_improvement",
    "months_inadequate": "inadequate",
    "months_unrated": "not_rated",
    "months_high_risk": "high_risk",
}


class OversightSettingsController(Controller):
    path = "/admin/oversight"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_admin]

    def _page(self, request: HTMXRequest, form: Form[IntervalsForm], status: int = 200) -> Template:
        return render(
            request,
            "oversight/settings.html",
            {
                "form": form,
                "weights": [(key, WEIGHT_LABELS[key], DEFAULT_WEIGHTS[key]) for key in DEFAULT_WEIGHTS],
            },
            status_code=status,
        )

    @get()
    async def page(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
    ) -> Template:
        chosen = await oversight_settings(db_session, current_user.organisation_id)
        stored = await stored_oversight_settings(db_session, current_user.organisation_id)
        values: dict[str, Any] = {name: chosen.intervals[key] for name, key in _INTERVAL_FIELDS.items()}
        values["publish_suspensions"] = stored.publish_suspensions
        values.update({f"weight_{key}": value for key, value in chosen.weights.items()})
        return self._page(request, Form.initial(values))

    @post()
    async def save(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        form = bind(IntervalsForm, {"publish_suspensions": False, **data})
        weights: dict[str, int] = {}
        for key in DEFAULT_WEIGHTS:
            raw = str(data.get(f"weight_{key}", "")).strip()
            form.values[f"weight_{key}"] = raw
            if not raw.isdigit() or int(raw) > 1000:
                form.add_error(
                    f"weight_{key}", f"“{WEIGHT_LABELS[key]}” must be a whole number from 0 to 1000."
                )
            else:
                weights[key] = int(raw)
        if not form.valid or form.data is None:
            return self._page(request, form, 422)
        await save_council_settings(
            db_session,
            await stored_oversight_settings(db_session, current_user.organisation_id),
            {**form.data.model_dump(), "risk_weights": weights},
            actor=current_user,
            event="settings.oversight_changed",
        )
        flash(request, "Oversight settings saved. They apply from the next risk assessment.", "success")
        return see_other("/admin/oversight")


route_handlers = [SupportController, support_panel, OversightSettingsController]
