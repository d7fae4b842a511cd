"""Errors become a friendly page for people and a JSON body with a 4xx/5xx status for the API."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_204_NO_CONTENT,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from selfassess.availability import Unavailable, current_attempt, outages, unavailable_because
from selfassess.errors import Conflict, Forbidden, Invalid, NotFound
from selfassess.maintenance import MaintenanceUnderway
from selfassess.web.observability import current_request_id
from selfassess.web.problems import is_api_path, not_authorized_problem, problem_response

logger = logging.getLogger("selfassess.errors")

_TITLES = {
    400: "Something in the request was not right",
    401: "Please sign in",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "Someone else changed this",
    413: "That file or form is too large",
    422: "Check what you entered",
    429: "Too many requests",
    500: "Sorry, something went wrong on our side",
    503: "The service is unavailable",
}


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request[Any, Any, Any], status_code: int, message: str, *, title: str | None = None
) -> Response[Any]:
    request_id = current_request_id()
    if is_api_path(request.url.path):
        return problem_response(request, status_code, message, request_id=request_id, title=title)
    if wants_json(request):
        return Response(
            {"status_code": status_code, "detail": message, "request_id": request_id},
            status_code=status_code,
            media_type=MediaType.JSON,
        )
    title = title or _TITLES.get(status_code, "Something went wrong")
    # An htmx request that swaps part of a page gets a message, not a whole page inside the page.
    partial = request.headers.get("hx-request") and not request.headers.get("hx-boosted")
    template_name = "errors/_message.html" if partial else "errors/error.html"
    context = {
        "user": request.scope.get("user"),
        "status_code": status_code,
        "title": title,
        "message": message,
        "request_id": request_id,
    }
    try:
        template = request.app.template_engine.get_template(template_name)  # type: ignore[union-attr]
        html = template.render(**Template(template_name, context=context).create_template_context(request))
    except Exception:  # the error page must never fail: fall back to plain HTML
        logger.exception("could not render the error page")
        html = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>Reference: {request_id}</p>"
    return Response(html, status_code=status_code, media_type=MediaType.HTML)


def on_not_authorized(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    if is_api_path(request.url.path):
        return not_authorized_problem(request, exc, request_id=current_request_id())
    if wants_json(request):
        return error_response(request, 401, "Sign in to use this.")
    if request.headers.get("x-background"):
        # A background refresh (such as the notifications badge) must never navigate away from a
        # page the person may be typing in; the next thing they do will ask them to sign in.
        return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?next={quote(target, safe='')}" if request.method == "GET" and target != "/" else "/login"
    if request.headers.get("hx-request"):
        return ClientRedirect(redirect_to=login)
    return Redirect(path=login, status_code=HTTP_303_SEE_OTHER)


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException) and not wants_json(request):
        return error_response(request, HTTP_400_BAD_REQUEST, "Some of the values sent were not valid.")
    if isinstance(exc, PermissionDeniedException):
        message = exc.detail or "You do not have access to this page."
        if message == "CSRF token verification failed":
            message = (
                "This form could not be accepted: the page was open too long, or the form came from "
                "another site. Go back, reload the page and send it again."
            )
        return error_response(request, HTTP_403_FORBIDDEN, message)
    if exc.status_code >= 500:
        logger.error("HTTP %s: %s", exc.status_code, exc.detail)
    message = exc.detail if exc.detail and exc.detail != _default_detail(exc.status_code) else ""
    response = error_response(request, exc.status_code, message)
    if isinstance(exc.extra, dict) and wants_json(request):
        response.content["errors"] = exc.extra  # type: ignore[index]
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _default_detail(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


_DOMAIN_STATUS = (
    (NotFound, HTTP_404_NOT_FOUND),
    (Forbidden, HTTP_403_FORBIDDEN),
    (Conflict, HTTP_409_CONFLICT),
    (Invalid, HTTP_400_BAD_REQUEST),
)


def on_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = next(code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind))
    return error_response(request, status, str(exc))


def on_data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[Any]:
    """A value the database refuses (too long, out of range) that a form check did not catch:
    the request was wrong, not the service, and the transaction has been rolled back."""
    logger.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
    return error_response(
        request, HTTP_400_BAD_REQUEST, "A value could not be stored. Check what you entered and try again."
    )


def on_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "The problem has been logged. Please try again; if it keeps happening, tell your council's "
        "quality team and quote the reference below.",
    )


_UNAVAILABLE = {
    # reason: (title, message, seconds to wait before trying again)
    Unavailable.MAINTENANCE: (
        "Maintenance, back shortly",
        "selfassess is being restored from a backup. Try again in a minute; you will need to sign in again.",
        30,
    ),
    Unavailable.UNREACHABLE: (
        "The service is unavailable",
        "selfassess cannot reach its database just now. Try again in a few seconds; what you saved "
        "before is safe.",
        5,
    ),
    Unavailable.BUSY: (
        "The service is unavailable",
        "selfassess is too busy to answer just now. Try again in a few seconds; what you saved "
        "before is safe.",
        5,
    ),
}


def on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 with Retry-After when the database is away, restarting, busy or under maintenance (the
    request changed nothing); any other database error is a bug (500)."""
    reason = unavailable_because(exc)
    if reason is None:
        return on_server_error(request, exc)
    outages.failed(reason, exc)
    attempt = current_attempt.get()
    if attempt is not None:
        attempt.failure = reason  # the retry middleware may run the request once more
    title, message, retry_after = _UNAVAILABLE[reason]
    response = error_response(request, 503, message, title=title)
    response.headers["Retry-After"] = str(retry_after)
    return response


exception_handlers: dict[Any, Any] = {
    NotAuthorizedException: on_not_authorized,
    HTTPException: on_http_exception,
    NotFound: on_domain_error,
    Forbidden: on_domain_error,
    Conflict: on_domain_error,
    Invalid: on_domain_error,
    DataError: on_data_error,
    DBAPIError: on_database_error,
    PoolTimeout: on_database_error,
    MaintenanceUnderway: on_database_error,
    Exception: on_server_error,
}
