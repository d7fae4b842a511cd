"""Pages as PDF documents: an HTML page (rendered from the page's own template on the
``pdf_base.html`` layout) laid out by WeasyPrint with the print styles and the layout's @page rules.

WeasyPrint reads only the application's own static files: a page cannot make it fetch anything else.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from litestar import Request, Response
from litestar.response import Template

from selfassess.kept import KeptRecently


def _static_fetcher(static_dir: Path, origin: str):  # type: ignore[no-untyped-def]
    from weasyprint.urls import URLFetcher

    root = static_dir.resolve()

    class StaticFiles(URLFetcher):
        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            parts = urlsplit(url)
            if url.startswith(origin) and parts.path.startswith("/static/"):
                path = (root / parts.path.removeprefix("/static/")).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return super().fetch(path.as_uri(), headers)
            raise ValueError(f"Not one of the application's static files: {url}")

    return StaticFiles(allowed_protocols=("file",))


@functools.lru_cache(maxsize=4)
def _app_stylesheet(stylesheet: Path, modified: float) -> Any:
    """The application's stylesheet parsed once per process (and again when the file changes): it
    was a fifth of each document's layout time, parsed anew for every PDF. WeasyPrint only reads a
    parsed stylesheet, so the documents laid out at once in worker threads may share it."""
    from weasyprint import CSS

    return CSS(filename=stylesheet)


def _write_pdf(html: str, static_dir: Path, origin: str) -> bytes:
    # WeasyPrint loads Pango when imported: only the PDF routes pay for that, not every start-up.
    from weasyprint import HTML

    stylesheet = static_dir / "css" / "app.css"
    return HTML(string=html, base_url=origin, url_fetcher=_static_fetcher(static_dir, origin)).write_pdf(
        stylesheets=[_app_stylesheet(stylesheet, stylesheet.stat().st_mtime)]
    )


RECENT_DOCUMENTS = 16
_recent: KeptRecently[bytes, bytes] = KeptRecently(RECENT_DOCUMENTS)


async def html_to_pdf(html: str, static_dir: Path, origin: str) -> bytes:
    """Lay out ``html`` as a PDF in a worker thread (it takes long enough to stall other requests).
    Its links resolve against ``origin`` (the site's address), so they still work in the PDF; the
    stylesheet at ``origin``/static/ is read from ``static_dir``.

    The last few documents are kept by their HTML: one downloaded again unchanged (a report sent
    round a team, a second click) is not laid out again, and a changed record makes different HTML.
    The cache is only touched on the event loop's thread, so it needs no lock."""
    stylesheet = static_dir / "css" / "app.css"
    key = hashlib.sha256(f"{origin}\n{stylesheet}\n{stylesheet.stat().st_mtime}\n{html}".encode()).digest()
    if (document := _recent.get(key)) is not None:
        return document
    return _recent.keep(key, await anyio.to_thread.run_sync(_write_pdf, html, static_dir, origin))


async def pdf_response(
    request: Request[Any, Any, Any],
    template_name: str,
    context: Mapping[str, Any],
    *,
    static_dir: Path,
    filename: str,
    organisation: str,
    produced_on: date,
) -> Response[bytes]:
    """A page as a PDF: its own template (which extends ``layout | default("base.html")``) on the
    ``pdf_base.html`` layout, whose running head names ``organisation`` (the council the document
    comes from) and the day it was produced, with page numbers in the footer."""
    context = {
        "user": request.scope.get("user"),
        **context,
        "layout": "pdf_base.html",
        "pdf_organisation": organisation,
        "produced_on": produced_on,
    }
    template = request.app.template_engine.get_template(template_name)  # type: ignore[union-attr]
    html = template.render(**Template(template_name, context=context).create_template_context(request))
    return Response(
        await html_to_pdf(html, static_dir, str(request.base_url)),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
