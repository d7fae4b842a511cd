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
from selfassess.settings import Settings
from selfassess.web.rendering import render, see_other


async def provide_practices(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> GoodPractices:
    return GoodPractices(db_session, current_user, settings)


class VisitPracticeController(Controller):
    path = "/visits/{visit_id:int}/good-practice"
    tags = ["oversight"]
    include_in_schema = False
    dependencies = {"practices": Provide(provide_practices)}

    async def _page(
        self,
        request: HTMXRequest,
        practices: GoodPractices,
        visit_id: int,
        error: str | None,
        values: dict[str, Any],
    ) -> Template:
        visit, service, findings = await practices.findings(visit_id)
        return render(
            request,
            "oversight/visit_practice.html",
            {
                "visit": visit,
                "service": service,
                "findings": findings,
                "error": error,
                "values": values,
                "consents": [(c.value, c.label) for c in Consent if c is not Consent.PENDING],
            },
            status_code=422 if error else 200,
        )

    @get()
    async def page(
        self, request: HTMXRequest, practices: NamedDependency[GoodPractices], visit_id: FromPath[int]
    ) -> Template:
        return await self._page(request, practices, visit_id, None, {})

    @post()
    async def mark(
        self,
        request: HTMXRequest,
        practices: NamedDependency[GoodPractices],
        visit_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """An officer offers a finding as good practice; the provider is asked to agree."""
        raw_statement = str(data.get("statement_id", ""))
        summary = str(data.get("summary", ""))
        try:
            if not raw_statement.isdigit():
                raise Invalid("Choose a statement scored good or better in this report.")
            await practices.mark(visit_id, int(raw_statement), summary)
        except Invalid as problem:
            return await self._page(
                request,
                practices,
                visit_id,
                str(problem),
                {"statement_id": raw_statement, "summary": summary},
            )
        flash(request, "Marked as good practice. The provider has been asked whether to share it.", "success")
        return see_other(f"/visits/{visit_id}/good-practice")

    @post("/{practice_id:int}/consent")
    async def consent(
        self,
        request: HTMXRequest,
        practices: NamedDependency[GoodPractices],
        visit_id: FromPath[int],
        practice_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        raw = str(data.get("consent", ""))
        try:
            if raw not in Consent._value2member_map_:
                raise Invalid("Choose whether to share this practice.")
            practice = await practices.answer(visit_id, practice_id, Consent(raw))
        except Invalid as problem:
            return await self._page(request, practices, visit_id, str(problem), {})
        flash(request, f"Thank you: {practice.consent.label.lower()}.", "success")
        return see_other(f"/visits/{visit_id}/good-practice")


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
