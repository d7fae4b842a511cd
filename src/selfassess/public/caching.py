"""HTTP caching for the public pages: they change only when something is published, so a browser
that already holds a page asks again with If-None-Match and gets a 304 without the page being
rendered. The version lives in the database (PublicRatings.publication_version), so every worker
and host answers alike."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Hashable

from litestar import Request, Response
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from markupsafe import Markup

from selfassess import __version__
from selfassess.kept import KeptRecently

CSRF_COOKIE = "selfassess_csrf"

# private: the page carries the visitor's own CSRF token (base.html), so no shared cache may hand it
# to someone else; no-cache: the browser revalidates every time, so a publication shows at once.
CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "HX-Request, HX-Boosted, Cookie"}


def public_etag(request: Request, version: tuple[object, ...]) -> str:
    """A weak ETag for this page as this visitor sees it: the publication version, the code's
    version (templates change with it), whether htmx asked for a fragment, and the CSRF cookie the
    page's token belongs to. The address (path and query) is the cache's own key."""
    parts = (
        __version__,
        request.headers.get("hx-request", ""),
        request.headers.get("hx-boosted", ""),
        request.cookies.get(CSRF_COOKIE, ""),
        *version,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def cache_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, **CACHE_HEADERS}


def not_modified(request: Request, etag: str) -> Response[None] | None:
    """A 304 when the browser already holds this version of the page, None when it must be rendered."""
    held = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in held or etag.removeprefix("W/") in held or "*" in held:
        return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers=cache_headers(etag))
    return None


class RenderedParts:
    """Parts of the public pages as rendered, kept by this process under a key that names everything
    they show: the council, its version read from the database on every request (`publication_version`)
    and the address's choices. A publication changes the version, so no worker can find a part from
    before it, and what no key names any more falls off the end (least recently used first). Bench
    clients and most visitors send no If-None-Match, so this, not the 304, spares the rendering."""

    def __init__(self, size: int = 512) -> None:
        self._parts: KeptRecently[Hashable, Markup] = KeptRecently(size)

    async def get(self, key: Hashable, render: Callable[[], Awaitable[str]]) -> Markup:
        """The part under ``key``, rendered by ``render`` when this process has not kept it."""
        if (part := self._parts.get(key)) is not None:
            return part
        return self._parts.keep(key, Markup(await render()))

    def clear(self) -> None:
        self._parts.clear()


RENDERED_PARTS = "public_rendered_parts"


def rendered_parts(request: Request) -> RenderedParts:
    """The application's cache of public parts (one per application, so per worker process)."""
    parts = request.app.state.get(RENDERED_PARTS)
    if parts is None:
        parts = request.app.state[RENDERED_PARTS] = RenderedParts()
    return parts
