"""Council admins import their area from the CQC (preview, then confirm) and see the last sync; every
service page shows what the CQC says about the service."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.errors import Invalid
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.regulator.client import RegulatorError, key_configured, open_client
from selfassess.regulator.mapping import KEY_QUESTION_CODES, RATING_LABELS, Plan, default_local_authority
from selfassess.regulator.models import ImportStatus, RegulatorImport
from selfassess.regulator.service import (
    apply_import,
    fetch_pending,
    get_import,
    import_items,
    import_overview,
    last_attempt,
    last_sync,
    parse_location_ids,
    recent_imports,
    regulator_record,
    start_import,
)
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_admin
from selfassess.web.rendering import render, see_other

FormData = URLEncodedBody[dict[str, Any]]
FETCH_PER_REQUEST = 25  # locations fetched per request while the preview fills in


class ImportForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    scope: str = Field(default="area", title="What to import", pattern="^(area|locations)$")
    local_authority: str | None = Field(default=None, title="Local authority", max_length=100)
    location_ids: str | None = Field(default=None, title="CQC location IDs", max_length=20000)


def _open(request: HTMXRequest, settings: Settings):  # type: ignore[no-untyped-def]
    """The CQC client; tests put a fake API in the app's state."""
    return request.app.state.get("open_regulator", open_client)(settings)


async def provide_batch(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User], import_id: FromPath[int]
) -> RegulatorImport:
    """The import of the path, when it is the admin's council's (404 otherwise)."""
    return await get_import(db_session, import_id, current_user.organisation_id)


class RegulatorAdminController(Controller):
    path = "/admin/regulator"
    tags = ["admin"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = {"batch": Provide(provide_batch)}

    async def _page(
        self,
        request: HTMXRequest,
        db: AsyncSession,
        settings: Settings,
        form: Form[ImportForm],
        status_code: int = 200,
    ) -> Template:
        council_id = request.user.organisation_id
        context = {
            "form": form,
            "key_configured": key_configured(settings),
            "api_base_url": settings.cqc_api_base_url,
            "last_sync": await last_sync(db),
            "last_attempt": await last_attempt(db),
            "imports": await recent_imports(db, council_id),
        }
        return render(request, "regulator/admin.html", context, status_code=status_code)

    @get()
    async def index(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Template:
        area = default_local_authority(request.user.organisation.name)
        form: Form[ImportForm] = Form.initial({"scope": "area", "local_authority": area})
        return await self._page(request, db_session, settings, form)

    @post("/imports")
    async def start(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(ImportForm, data)
        if form.valid:
            assert form.data is not None
            try:
                area = form.data.local_authority if form.data.scope == "area" else None
                if form.data.scope == "area" and not area:
                    raise Invalid("Enter the local authority as the CQC names it, for example Wigan.")
                ids = (
                    parse_location_ids(form.data.location_ids or "") if form.data.scope == "locations" else []
                )
                async with _open(request, settings) as client:
                    batch = await start_import(
                        db_session,
                        client,
                        council_id=request.user.organisation_id,
                        requested_by_id=request.user.id,
                        local_authority=area,
                        location_ids=ids,
                    )
            except (Invalid, RegulatorError) as problem:
                field = "location_ids" if form.data.scope == "locations" else "local_authority"
                form.add_error(field if isinstance(problem, Invalid) else "__all__", str(problem))
            else:
                return see_other(f"/admin/regulator/imports/{batch.id}")
        return await self._page(request, db_session, settings, form, status_code=422)

    @get("/imports/{import_id:int}")
    async def preview(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        batch: NamedDependency[RegulatorImport],
        plan: FromQuery[str] = "",
    ) -> Template:
        shown = plan if plan in Plan._value2member_map_ else ""
        context = {
            "batch": batch,
            "overview": await import_overview(db_session, batch),
            "items": await import_items(db_session, batch, plan=shown or None)
            if batch.status is not ImportStatus.FETCHING
            else [],
            "plans": list(Plan),
            "shown": shown,
            "error": None,
        }
        return render(request, "regulator/preview.html", context, block="progress")

    @post("/imports/{import_id:int}/fetch")
    async def fetch(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        batch: NamedDependency[RegulatorImport],
    ) -> Template | Redirect | ClientRedirect:
        """The next few locations; the page asks again until all are in, then shows the preview."""
        preview = f"/admin/regulator/imports/{batch.id}"
        error = None
        if batch.status is ImportStatus.FETCHING:
            try:
                async with _open(request, settings) as client:
                    await fetch_pending(db_session, batch, client, limit=FETCH_PER_REQUEST)
            except RegulatorError as problem:
                error = str(problem)
        if error is None and batch.status is not ImportStatus.FETCHING:
            return ClientRedirect(preview) if request.htmx else see_other(preview)
        if not request.htmx:
            if error:
                flash(request, error, "error")
            return see_other(preview)
        context = {
            "batch": batch,
            "overview": await import_overview(db_session, batch),
            "items": [],
            "plans": list(Plan),
            "shown": "",
            "error": error,
        }
        return render(request, "regulator/preview.html", context, block="progress")

    @post("/imports/{import_id:int}/apply")
    async def apply(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        batch: NamedDependency[RegulatorImport],
    ) -> Redirect:
        if batch.status is ImportStatus.APPLIED:
            flash(request, "This import was applied already.", "info")
            return see_other(f"/admin/regulator/imports/{batch.id}")
        try:
            report = await apply_import(db_session, batch, actor=request.user, settings=settings)
        except Invalid as problem:
            flash(request, str(problem), "error")
            return see_other(f"/admin/regulator/imports/{batch.id}")
        message = (
            f"Imported from the CQC: {report.created} new service(s), {report.matched} matched, "
            f"{report.updated} updated."
        )
        if report.failed:
            message += f" {len(report.failed)} clashed with changes made meanwhile: confirm again to finish."
        flash(request, message, "success")
        return see_other(f"/admin/regulator/imports/{batch.id}")


class RegulatorPanelController(Controller):
    """What the CQC says about a service, on its page (anyone who may see the service)."""

    path = "/services/{service_id:int}/regulator"
    include_in_schema = False
    dependencies = service_dependency

    @get("/panel")
    async def panel(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        service: NamedDependency[CareService],
    ) -> Template:
        record, fetched_at = await regulator_record(db_session, service)
        context = {
            "service": service,
            "record": record,
            "fetched_at": fetched_at,
            "questions": [
                (name.capitalize(), record.key_question_ratings[code])
                for name, code in KEY_QUESTION_CODES.items()
                if record and code in record.key_question_ratings
            ],
            "rating_labels": RATING_LABELS,
        }
        return render(request, "regulator/_panel.html", context)


route_handlers = [RegulatorAdminController, RegulatorPanelController]
