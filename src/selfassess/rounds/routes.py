"""Self-assessment round pages: the council's rounds and their completion (council staff), opening
a round (council admins), and a provider's services in an open round, to start each one's
self-assessment (provider staff, from home)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.assessments.service import current_period
from selfassess.errors import Invalid
from selfassess.frameworks.service import council_settings
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService, ServiceType
from selfassess.rounds.models import AssessmentRound
from selfassess.rounds.rules import Progress, round_phase
from selfassess.rounds.schemas import RoundForm
from selfassess.rounds.service import Rounds
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_admin, requires_council_staff, requires_provider
from selfassess.web.rendering import render, see_other


async def provide_rounds(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Rounds:
    return Rounds(db_session, current_user)


dependencies = {"rounds": Provide(provide_rounds)}


async def provide_round(rounds: NamedDependency[Rounds], round_id: FromPath[int]) -> AssessmentRound:
    """The round of the path, when it is the viewer's council's (404 otherwise)."""
    return await rounds.get(round_id)


async def provide_open_round(rounds: NamedDependency[Rounds], round_id: FromPath[int]) -> AssessmentRound:
    """The round of the path, when it is open to the viewer's provider today (404 otherwise)."""
    return await rounds.open_to_provider(round_id)


def _choice(enum: Any, value: str | None) -> Any:
    return enum(value) if value in enum._value2member_map_ else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


class RoundsController(Controller):
    path = "/rounds"
    tags = ["rounds"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {**dependencies, "round_": Provide(provide_round)}

    @get()
    async def index(self, request: HTMXRequest, rounds: NamedDependency[Rounds]) -> Template:
        return render(request, "rounds/rounds.html", {"rows": await rounds.rows(clock.today())})

    async def _form_page(
        self, request: HTMXRequest, rounds: Rounds, form: Form[RoundForm], status: int
    ) -> Template:
        context = {
            "form": form,
            "framework_options": await rounds.framework_options(),
            "type_options": ServiceType.options(),
        }
        return render(request, "rounds/round_form.html", context, status_code=status)

    @get("/new", guards=[requires_council_admin])
    async def new(self, request: HTMXRequest, rounds: NamedDependency[Rounds]) -> Template:
        today = clock.today()
        current = (await council_settings(rounds.db, request.user.organisation_id)).framework_version_id
        form: Form[RoundForm] = Form.initial(
            {"name": current_period(today), "framework_version_id": current, "opens_on": today.isoformat()}
        )
        return await self._form_page(request, rounds, form, 200)

    @post("/new", guards=[requires_council_admin])
    async def create(
        self, request: HTMXRequest, rounds: NamedDependency[Rounds], data: URLEncodedBody[dict[str, Any]]
    ) -> Template | Redirect:
        form = bind(RoundForm, data)
        if form.valid:
            assert form.data is not None
            try:
                round_ = await rounds.open_round(form.data, clock.today())
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(
                    request,
                    f"Opened the {round_.name} round. Providers see it on their home page.",
                    "success",
                )
                return see_other(f"/rounds/{round_.id}")
        return await self._form_page(request, rounds, form, 422)

    @get("/{round_id:int}")
    async def detail(
        self,
        request: HTMXRequest,
        rounds: NamedDependency[Rounds],
        round_: NamedDependency[AssessmentRound],
        page: FromQuery[int] = 1,
    ) -> Template:
        completion = await rounds.completion(round_, provider_page=page)
        context = {
            "round": round_,
            "phase": round_phase(clock.today(), opens_on=round_.opens_on, deadline=round_.deadline),
            "totals": completion.totals,
            "by_provider": completion.by_provider,
            "by_type": completion.by_type,
            "Progress": Progress,
            "type_labels": [ServiceType(value).label for value in round_.service_types],
        }
        return render(request, "rounds/round.html", context)

    @get("/{round_id:int}/services")
    async def services(
        self,
        request: HTMXRequest,
        rounds: NamedDependency[Rounds],
        round_: NamedDependency[AssessmentRound],
        progress: FromQuery[str | None] = None,
        provider: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        chosen = {
            "progress": _choice(Progress, progress),
            "provider_id": _int(provider),
            "service_type": _choice(ServiceType, type),
        }
        rows = await rounds.services(round_, **chosen, number=page)
        # The pages' links keep the filter the address chose (as understood, not as sent).
        query = urlencode(
            {
                name: value
                for name, value in (
                    ("progress", chosen["progress"] and chosen["progress"].value),
                    ("provider", chosen["provider_id"]),
                    ("type", chosen["service_type"] and chosen["service_type"].value),
                )
                if value is not None
            }
        )
        return render(
            request, "rounds/services.html", {"round": round_, "rows": rows, "query": query, **chosen}
        )


class ProviderRoundController(Controller):
    path = "/rounds/{round_id:int}/your-services"
    tags = ["rounds"]
    include_in_schema = False
    guards = [requires_provider]
    dependencies = {**dependencies, "round_": Provide(provide_open_round)}

    @get()
    async def services(
        self,
        request: HTMXRequest,
        rounds: NamedDependency[Rounds],
        round_: NamedDependency[AssessmentRound],
        progress: FromQuery[str | None] = None,
    ) -> Template:
        """The provider's services in an open round, to start or carry on each: the list behind the
        home page's counts (a national chain has hundreds of services in its rounds)."""
        chosen = _choice(Progress, progress)
        context = {
            "round": round_,
            "council_name": await rounds.council_name(round_),
            "services": await rounds.provider_round_services(round_, chosen),
            "progress": chosen,
        }
        return render(request, "rounds/provider_services.html", context)


class ProviderOpenRoundsController(Controller):
    path = "/rounds/yours"
    tags = ["rounds"]
    include_in_schema = False
    guards = [requires_provider]
    dependencies = dependencies

    @get()
    async def open_rounds(self, request: HTMXRequest, rounds: NamedDependency[Rounds]) -> Template:
        """Every round open to the provider's services, nearest deadline first: its home shows the
        first few (a national chain is in dozens of councils' rounds at once)."""
        every_round = await rounds.every_open_round(clock.today())
        return render(request, "rounds/provider_rounds.html", {"rounds": every_round})


class RoundStartController(Controller):
    path = "/rounds/{round_id:int}/services/{service_id:int}/start"
    tags = ["rounds"]
    include_in_schema = False
    guards = [requires_provider]
    dependencies = {**dependencies, "round_": Provide(provide_open_round), **service_dependency}

    @post()
    async def start(
        self,
        request: HTMXRequest,
        rounds: NamedDependency[Rounds],
        settings: NamedDependency[Settings],
        round_: NamedDependency[AssessmentRound],
        service: NamedDependency[CareService],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Redirect:
        carry_over = data.get("carry_over") == "true"
        assessment = await rounds.start(round_, service, carry_over=carry_over, settings=settings)
        message = "Your self-assessment has started. Answers save as you type."
        if carry_over:
            message += " Last year's answers are marked “carried over” until you change them."
        flash(request, message, "success")
        return see_other(f"/assessments/{assessment.id}")


route_handlers = [
    RoundsController,
    ProviderOpenRoundsController,
    ProviderRoundController,
    RoundStartController,
]
