"""Static files at addresses that carry a digest of their content.

Pages name the stylesheet and scripts with ``static_url``, so a browser may keep each file for a
year without asking again (each page used to fetch all of them anew), and a release that changes a
file changes its address. The files are also served without a cookie: a shared cache may keep them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

PREFIX = "/static"
# Safe only because every address a page writes carries the file's digest (``static_url``).
KEPT_FOR_A_YEAR = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)


def static_router(directory: Path) -> Router:
    return create_static_files_router(
        path=PREFIX,
        directories=[directory],
        cache_control=KEPT_FOR_A_YEAR,
        opt={"exclude_from_auth": True, "exclude_from_csrf": True},
        include_in_schema=False,
    )


def static_url_for(directory: Path):  # type: ignore[no-untyped-def]
    """The template function: ``static_url("css/app.css")`` is ``/static/css/app.css?v=<digest>``."""

    def static_url(path: str) -> str:
        file = directory / path
        return f"{PREFIX}/{path}?v={_digest(file, file.stat().st_mtime_ns)}"

    return static_url


@lru_cache(maxsize=64)
def _digest(file: Path, modified: int) -> str:
    """Read once per file (and again when it changes, as in development)."""
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]
