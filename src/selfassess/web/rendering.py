"""One handler serves both the whole page and, for htmx, just the part of it being swapped."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Response
from litestar.plugins.htmx import HTMXRequest, HXLocation
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER


def render(
    request: HTMXRequest,
    template_name: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The named block alone for an htmx request that targets it; the full page otherwise
    (including boosted navigation, which swaps the whole body)."""
    context = {"user": request.scope.get("user"), **(context or {})}
    if block is not None and request.htmx and not request.htmx.boosted:
        return HTMXBlockTemplate(
            template_name=template_name,
            block_name=block,
            context=context,
            status_code=status_code,
            headers=dict(headers or {}),
        )
    return Template(template_name=template_name, context=context, status_code=status_code, headers=headers)


def form_failed(
    request: HTMXRequest,
    template_name: str,
    context: Mapping[str, Any],
    *,
    page: str,
    block: str | None = None,
) -> Template:
    """A form that failed, shown again where the person was, with nothing they typed lost: 422
    (which htmx swaps, see base.html's htmx-config), the address bar kept on ``page`` (the page the
    form is on, not the POST-only address of the form), and the view on the error summary beside
    the form (``forms.error_summary`` gives it id="error-summary"; app.js focuses it and opens the
    <details> around it) instead of the top of the page, where boosted navigation would go."""
    headers = {}
    if request.htmx:
        headers["HX-Replace-Url"] = page
        if request.htmx.boosted:
            headers["HX-Reswap"] = "innerHTML show:#error-summary:top"
    return render(request, template_name, context, block=block, status_code=422, headers=headers)


def see_other(url: str, request: HTMXRequest | None = None) -> Redirect | HXLocation:
    """POST, then redirect: a reload never re-submits the form. An address with a #fragment (the
    point or action just answered) needs ``request``: the browser drops the fragment of a redirect
    that htmx follows, so htmx is told to fetch the page itself (HX-Location), which scrolls to the
    fragment and puts it in the address bar."""
    if request is not None and request.htmx and "#" in url:
        return HXLocation(redirect_to=url, target="body")
    return Redirect(path=url, status_code=HTTP_303_SEE_OTHER)


def csv_response(filename: str, header: list[str], lines: list[list[str]]) -> Response[str]:
    """Spreadsheet-safe: a cell starting with =, +, - or @ is quoted so it is never run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for line in lines:
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in line])
    return Response(
        "\ufeff" + buffer.getvalue(),  # a byte-order mark so Excel reads UTF-8
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
