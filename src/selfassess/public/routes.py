"""The public pages: councils that publish, their services' published ratings, one service's history."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.providers.models import ServiceType
from selfassess.public.caching import cache_headers, not_modified, public_etag, rendered_parts
from selfassess.public.service import (
    RATING_KEYS,
    PublicEntry,
    PublicRatings,
    PublicService,
    PublishingCouncil,
)
from selfassess.web.rendering import render

RATING_OPTIONS = [
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
]


async def provide_public(db_session: NamedDependency[AsyncSession]) -> PublicRatings:
    return PublicRatings(db_session)


async def provide_council(public: NamedDependency[PublicRatings], slug: FromPath[str]) -> PublishingCouncil:
    """The council of the path, when it publishes its ratings (404 otherwise), with its version."""
    return await public.council(slug)


async def provide_entry(
    public: NamedDependency[PublicRatings],
    council: NamedDependency[PublishingCouncil],
    service_id: FromPath[int],
) -> PublicEntry:
    """The service of the path, when it is active in that council's area (404 otherwise)."""
    return await public.service(council.council, service_id)


class PublicController(Controller):
    path = "/public"
    tags = ["public"]
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {
        "public": Provide(provide_public),
        "council": Provide(provide_council),
        "entry": Provide(provide_entry),
    }

    @get()
    async def councils(
        self, request: HTMXRequest, public: NamedDependency[PublicRatings]
    ) -> Template | Response[None]:
        etag = public_etag(request, await public.publication_version())
        if unchanged := not_modified(request, etag):
            return unchanged
        councils = await public.councils()
        return render(request, "public/councils.html", {"councils": councils}, headers=cache_headers(etag))

    @get("/{slug:str}")
    async def council(
        self,
        request: HTMXRequest,
        public: NamedDependency[PublicRatings],
        council: NamedDependency[PublishingCouncil],
        q: FromQuery[str] = "",
        type: FromQuery[str | None] = None,
        rating: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template | Response[None]:
        etag = public_etag(request, council.version)
        if unchanged := not_modified(request, etag):
            return unchanged
        service_type = ServiceType(type) if type in ServiceType._value2member_map_ else None
        chosen_rating = rating if rating in RATING_KEYS else None
        choices = {"q": q, "type": service_type.value if service_type else "", "rating": chosen_rating or ""}

        async def results() -> str:
            services = await public.services(
                council.council, query=q, service_type=service_type, rating=chosen_rating, number=page
            )
            context = {"council": council.council, "services": services, **choices}
            return _render_part(request, "public/_council_results.html", context)

        key = ("council", council.council.id, council.version, *choices.values(), page)
        return render(
            request,
            "public/council.html",
            {
                "council": council.council,
                "results": await rendered_parts(request).get(key, results),
                **choices,
                "type_options": ServiceType.options(),
                "rating_options": RATING_OPTIONS,
            },
            block="results",
            headers=cache_headers(etag),
        )

    @get("/{slug:str}/services/{service_id:int}")
    async def service(
        self,
        request: HTMXRequest,
        public: NamedDependency[PublicRatings],
        council: NamedDependency[PublishingCouncil],
        entry: NamedDependency[PublicEntry],
    ) -> Template | Response[None]:
        # A suspension of placements is decided in oversight, not published: part of the version.
        etag = public_etag(request, (*council.version, entry.placements_suspended))
        if unchanged := not_modified(request, etag):
            return unchanged

        async def content() -> str:
            published = await public.reports(entry.service)
            latest = published[0] if published else None
            context = {
                "council": council.council,
                "entry": PublicService(entry.service, entry.provider_name, latest),
                "published": published,
                "placements_suspended": entry.placements_suspended,
            }
            return _render_part(request, "public/_service_content.html", context)

        key = ("service", council.council.id, entry.service.id, council.version, entry.placements_suspended)
        return render(
            request,
            "public/service.html",
            {
                "council": council.council,
                "service": entry.service,
                "content": await rendered_parts(request).get(key, content),
            },
            headers=cache_headers(etag),
        )


def _render_part(request: HTMXRequest, template_name: str, context: dict[str, Any]) -> str:
    """A part of a page alone, to be kept (``RenderedParts``) and placed in its page."""
    return request.app.template_engine.get_template(template_name).render(**context)


@get("/glossary", opt={"exclude_from_auth": True}, include_in_schema=False, tags=["public"])
async def glossary(request: HTMXRequest) -> Template:
    """The words and measures the pages use, in plain English, for everyone (signed in or not)."""
    return render(request, "public/glossary.html", {})


route_handlers = [PublicController, glossary]
