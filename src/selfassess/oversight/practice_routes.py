"""Good practice pages: a published report's findings to offer (officer) or to agree to share
(provider), and the shared practice to browse by statement."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.errors import Invalid
from selfassess.oversight.good_practice import GoodPractices
from selfassess.oversight.models import Consent
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Visit
from selfassess.web.dependencies import record_and_parent
from selfassess.web.rendering import render, see_other


async def provide_practices(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> GoodPractices:
    return GoodPractices(db_session, current_user, settings)


async def provide_report_and_service(
    practices: NamedDependency[GoodPractices], visit_id: FromPath[int]
) -> tuple[Visit, CareService]:
    """The published report of the path and its service, when the viewer may see them (404 otherwise)."""
    return await practices.published_report(visit_id)


class VisitPracticeController(Controller):
    path = "/visits/{visit_id:int}/good-practice"
    tags = ["oversight"]
    include_in_schema = False
    dependencies = {
        "practices": Provide(provide_practices),
        **record_and_parent(provide_report_and_service, record="visit", parent="service"),
    }

    async def _page(
        self,
        request: HTMXRequest,
        practices: GoodPractices,
        visit: Visit,
        service: CareService,
        error: str | None,
        values: dict[str, Any],
    ) -> Template:
        return render(
            request,
            "oversight/visit_practice.html",
            {
                "visit": visit,
                "service": service,
                "findings": await practices.findings(visit),
                "error": error,
                "values": values,
                "consents": [(c.value, c.label) for c in Consent if c is not Consent.PENDING],
            },
            status_code=422 if error else 200,
        )

    @get()
    async def page(
        self,
        request: HTMXRequest,
        practices: NamedDependency[GoodPractices],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
    ) -> Template:
        return await self._page(request, practices, visit, service, None, {})

    @post()
    async def mark(
        self,
        request: HTMXRequest,
        practices: NamedDependency[GoodPractices],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """An officer offers a finding as good practice; the provider is asked to agree."""
        raw_statement = str(data.get("statement_id", ""))
        summary = str(data.get("summary", ""))
        try:
            if not raw_statement.isdigit():
                raise Invalid("Choose a statement scored good or better in this report.")
            await practices.mark(visit, service, int(raw_statement), summary)
        except Invalid as problem:
            return await self._page(
                request,
                practices,
                visit,
                service,
                str(problem),
                {"statement_id": raw_statement, "summary": summary},
            )
        flash(request, "Marked as good practice. The provider has been asked whether to share it.", "success")
        return see_other(f"/visits/{visit.id}/good-practice")

    @post("/{practice_id:int}/consent")
    async def consent(
        self,
        request: HTMXRequest,
        practices: NamedDependency[GoodPractices],
        visit: NamedDependency[Visit],
        service: NamedDependency[CareService],
        practice_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        raw = str(data.get("consent", ""))
        try:
            if raw not in Consent._value2member_map_:
                raise Invalid("Choose whether to share this practice.")
            practice = await practices.answer(visit, practice_id, Consent(raw))
        except Invalid as problem:
            return await self._page(request, practices, visit, service, str(problem), {})
        flash(request, f"Thank you: {practice.consent.label.lower()}.", "success")
        return see_other(f"/visits/{visit.id}/good-practice")


@get(
    "/good-practice",
    dependencies={"practices": Provide(provide_practices)},
    include_in_schema=False,
    tags=["oversight"],
)
async def shared_practice(
    request: HTMXRequest, practices: NamedDependency[GoodPractices], statement: FromQuery[str] = ""
) -> Template:
    """Shared good practice in the area, by statement."""
    options = await practices.statements_shared()
    error = None
    if statement and statement not in {code for code, _ in options}:
        error, statement = "Choose a statement from the list.", ""
    return render(
        request,
        "oversight/good_practice.html",
        {
            "items": await practices.shared(statement),
            "options": options,
            "statement": statement,
            "error": error,
        },
    )


route_handlers = [VisitPracticeController, shared_practice]
