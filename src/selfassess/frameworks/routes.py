"""Council admins import, publish and choose frameworks; council staff can read any version."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, MultipartBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.errors import Invalid
from selfassess.frameworks.models import Framework, FrameworkVersion
from selfassess.frameworks.service import FrameworkCatalogue, load_framework
from selfassess.frameworks.spec import FrameworkSpecError, parse_framework
from selfassess.web.dependencies import record_and_parent
from selfassess.web.guards import requires_council_admin, requires_council_staff
from selfassess.web.rendering import render, see_other

MAX_FRAMEWORK_FILE = 1024 * 1024  # a 34-statement framework is about 40 KB


async def provide_catalogue(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> FrameworkCatalogue:
    return FrameworkCatalogue(db_session, current_user)


async def provide_version_and_framework(
    catalogue: NamedDependency[FrameworkCatalogue], version_id: FromPath[int]
) -> tuple[FrameworkVersion, Framework]:
    """The framework version of the path and its framework, when the viewer may see them (404 otherwise)."""
    return await catalogue.get_version(version_id)


version_dependencies = {
    "catalogue": Provide(provide_catalogue),
    **record_and_parent(provide_version_and_framework, record="version", parent="framework"),
}


class FrameworkAdminController(Controller):
    path = "/admin/frameworks"
    tags = ["frameworks"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = version_dependencies

    async def _page(
        self,
        request: HTMXRequest,
        catalogue: FrameworkCatalogue,
        *,
        errors: list[str] | None = None,
        pasted: str = "",
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "frameworks/admin.html",
            {
                "versions": await catalogue.versions(),
                "current_id": await catalogue.current_version_id(),
                "errors": errors or [],
                "pasted": pasted,
            },
            status_code=status_code,
        )

    @get()
    async def index(self, request: HTMXRequest, catalogue: NamedDependency[FrameworkCatalogue]) -> Template:
        return await self._page(request, catalogue)

    @post("/import")
    async def import_file(
        self,
        request: HTMXRequest,
        catalogue: NamedDependency[FrameworkCatalogue],
        data: MultipartBody[dict[str, Any]],
    ) -> Template | Redirect:
        """A YAML file or pasted text; every problem in it is listed so it can be fixed in one go."""
        upload, pasted = data.get("file"), data.get("text")
        text = pasted if isinstance(pasted, str) else ""
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read()
            if len(raw) > MAX_FRAMEWORK_FILE:
                return await self._page(
                    request, catalogue, errors=["The file is larger than 1 MB."], status_code=422
                )
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return await self._page(
                    request, catalogue, errors=["The file must be UTF-8 text (YAML)."], status_code=422
                )
        if not text.strip():
            return await self._page(
                request, catalogue, errors=["Choose a YAML file or paste its text."], status_code=422
            )
        try:
            spec = parse_framework(text)
            version = await catalogue.import_file(spec, text)
        except FrameworkSpecError as problem:
            return await self._page(request, catalogue, errors=problem.errors, pasted=text, status_code=422)
        except Invalid as problem:
            return await self._page(request, catalogue, errors=[str(problem)], pasted=text, status_code=422)
        flash(
            request,
            f"Imported {spec.name} version {spec.version} as a draft. Check it, then publish it.",
            "success",
        )
        return see_other(f"/frameworks/{version.id}")

    @post("/{version_id:int}/publish")
    async def publish(
        self,
        request: HTMXRequest,
        catalogue: NamedDependency[FrameworkCatalogue],
        version: NamedDependency[FrameworkVersion],
        framework: NamedDependency[Framework],
    ) -> Redirect:
        await catalogue.publish(version, framework)
        flash(request, f"Version {version.version} is published. It can no longer change.", "success")
        return see_other("/admin/frameworks")

    @post("/{version_id:int}/delete")
    async def delete_draft(
        self,
        request: HTMXRequest,
        catalogue: NamedDependency[FrameworkCatalogue],
        version: NamedDependency[FrameworkVersion],
        framework: NamedDependency[Framework],
    ) -> Redirect:
        await catalogue.delete_draft(version, framework)
        flash(request, "The draft was deleted.", "success")
        return see_other("/admin/frameworks")

    @post("/{version_id:int}/choose")
    async def choose(
        self,
        request: HTMXRequest,
        catalogue: NamedDependency[FrameworkCatalogue],
        version: NamedDependency[FrameworkVersion],
    ) -> Redirect:
        await catalogue.choose(version)
        flash(
            request,
            "New self-assessments and visits will use this framework. "
            "Existing ones keep the version they were started with.",
            "success",
        )
        return see_other("/admin/frameworks")


class FrameworkController(Controller):
    path = "/frameworks/{version_id:int}"
    tags = ["frameworks"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = version_dependencies

    @get()
    async def detail(
        self,
        request: HTMXRequest,
        catalogue: NamedDependency[FrameworkCatalogue],
        db_session: NamedDependency[AsyncSession],
        version: NamedDependency[FrameworkVersion],
        framework: NamedDependency[Framework],
    ) -> Template:
        return render(
            request,
            "frameworks/detail.html",
            {
                "version": version,
                "framework_record": framework,
                "framework": await load_framework(db_session, version.id),
                "current_id": await catalogue.current_version_id(),
            },
        )

    @get("/source")
    async def source(
        self, version: NamedDependency[FrameworkVersion], framework: NamedDependency[Framework]
    ) -> Response[str]:
        safe_version = re.sub(r"[^A-Za-z0-9._-]", "_", version.version)
        return Response(
            version.source_yaml,
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{framework.slug}-{safe_version}.yaml"'},
        )


route_handlers = [FrameworkAdminController, FrameworkController]
