"""Council admins import services and provider organisations from a CSV file: upload (a dry run
showing what every row would do), then confirm (the file is checked again, against the records as
they are then, and imported in one transaction)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.errors import NotFound
from selfassess.providers.bulk import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    FileProblem,
    ImportKind,
    RowAction,
    read_csv,
    template_csv,
)
from selfassess.providers.bulk_import import BulkImport
from selfassess.settings import Settings
from selfassess.web.guards import requires_council_admin
from selfassess.web.rendering import csv_response, render, see_other


async def provide_bulk_import(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> BulkImport:
    return BulkImport(db_session, current_user)


def _kind(value: str) -> ImportKind:
    if value not in ImportKind._value2member_map_:
        raise NotFound()
    return ImportKind(value)


class ImportController(Controller):
    path = "/admin/import"
    tags = ["services"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = {"bulk_import": Provide(provide_bulk_import)}

    def _page(self, request: HTMXRequest, *, problem: dict[str, str] | None = None) -> Template:
        context = {
            "columns": COLUMNS,
            "kinds": list(ImportKind),
            "problem": problem or {},
            "max_mb": MAX_IMPORT_BYTES // 1024 // 1024,
        }
        return render(request, "providers/import.html", context, status_code=422 if problem else 200)

    @get()
    async def index(self, request: HTMXRequest) -> Template:
        return self._page(request)

    @get("/template/{kind:str}")
    async def template(self, kind: FromPath[str]) -> Response[str]:
        import_kind = _kind(kind.removesuffix(".csv"))
        header, example = template_csv(import_kind)
        return csv_response(f"selfassess-{import_kind.value}.csv", header, [example])

    @post("/{kind:str}")
    async def preview(
        self,
        request: HTMXRequest,
        bulk_import: NamedDependency[BulkImport],
        kind: FromPath[str],
        data: MultipartBody[dict[str, Any]],
    ) -> Template:
        import_kind = _kind(kind)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._page(request, problem={import_kind.value: "Choose a CSV file to upload."})
        try:
            raw = await upload.read()
        finally:
            await upload.close()
        try:
            rows = read_csv(raw, import_kind)
        except FileProblem as problem:
            return self._page(request, problem={import_kind.value: f"{upload.filename}: {problem}"})
        plan = await bulk_import.plan(import_kind, rows)
        return self._preview(request, plan, raw, upload.filename)

    def _preview(
        self, request: HTMXRequest, plan: Any, raw: bytes, filename: str, *, changed: bool = False
    ) -> Template:
        context = {
            "plan": plan,
            "RowAction": RowAction,
            "filename": filename,
            "content": base64.b64encode(raw).decode(),
            "changed_since_preview": changed,
        }
        return render(request, "providers/import_preview.html", context)

    @post("/{kind:str}/confirm")
    async def confirm(
        self,
        request: HTMXRequest,
        bulk_import: NamedDependency[BulkImport],
        settings: NamedDependency[Settings],
        kind: FromPath[str],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """Never trusts the preview: the file is read and planned again; if that plan is not the
        one the person saw (someone changed the records meanwhile), they see the new one first."""
        import_kind = _kind(kind)
        filename = str(data.get("filename") or "the file")[:200]
        try:
            raw = base64.b64decode(str(data.get("content") or ""), validate=True)
            rows = read_csv(raw, import_kind)
        except (binascii.Error, ValueError) as problem:
            message = str(problem) if isinstance(problem, FileProblem) else "The file did not come through."
            return self._page(request, problem={import_kind.value: f"{message} Upload it again."})
        plan = await bulk_import.plan(import_kind, rows)
        if plan.digest != data.get("digest"):
            return self._preview(request, plan, raw, filename, changed=True)
        await bulk_import.apply(plan, settings)
        counts = {action.value: count for action, count in plan.counts.items()}
        message = "Imported {name}: {create} created, {update} updated, {unchanged} unchanged.".format(
            name=filename, **counts
        )
        if counts["error"]:
            message += (
                f" {counts['error']} row(s) with errors were left out: fix them and import the file again."
            )
        if import_kind is ImportKind.PROVIDERS and any(
            row.values.get("admin_email") for row in plan.rows if row.action is RowAction.CREATE
        ):
            message += " Invitations are on their way to the new providers' first admins."
        flash(request, message, "success")
        return see_other("/services" if import_kind is ImportKind.SERVICES else "/providers")


route_handlers = [ImportController]
