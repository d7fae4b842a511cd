"""Errors become a friendly page for people and a JSON body with a 4xx/5xx status for the API."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
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
from selfassess.web.observability import current_request_id, ensure_request_id
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
    request_id = ensure_request_id()
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
        "user": request.scope.get("user") or request.scope.get("state", {}).get(_SIGNED_IN),
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
    return Response(
        html, status_code=status_code, media_type=MediaType.HTML, headers={"X-Request-ID": request_id}
    )


# Where identify_signed_in leaves the person for an error page outside any route (scope["user"] is
# the authentication middleware's, which never ran).
_SIGNED_IN = "selfassess_signed_in"


def identify_signed_in(load_session, retrieve_user):  # type: ignore[no-untyped-def]
    """An after-exception hook. An address that matches no route (404), or no route for its method
    (405), is answered before the session and log-in middleware run, so the error page would say
    "Sign in" to someone signed in. This looks the person up from their session cookie, for the
    page's header only (no route runs, nothing is authorised by it)."""

    async def hook(exc: Exception, scope: Any) -> None:
        if scope.get("type") != "http" or scope.get("user") is not None:
            return
        if not isinstance(exc, (NotFoundException, MethodNotAllowedException)):
            return
        ensure_request_id()
        if is_api_path(scope["path"]) or scope["path"].startswith("/static/"):
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        try:
            session = await load_session(connection)
            user = await retrieve_user(session, connection) if session else None
        except Exception:  # the error page matters more than its header
            logger.warning("could not identify the person for an error page", exc_info=True)
            return
        if user is not None:
            scope.setdefault("state", {})[_SIGNED_IN] = user

    return hook


def page_for(request: Request[Any, Any, Any]) -> str | None:
    """The page a POST-only address belongs to, for a GET of it (a reload after a failed form, or a
    bookmarked action): the handler's ``opt["page"]`` (formatted with its path parameters), else the
    nearest address above it that has a page."""
    router = request.app.asgi_router
    try:
        _, handler, _, params, _ = router.handle_routing(request.url.path, "POST")
    except HTTPException:
        return None
    if page := handler.opt.get("page"):
        return str(page).format(**params)
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        try:
            router.handle_routing(candidate, "GET")
        except HTTPException:
            continue
        return candidate
    return None


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
    if (
        isinstance(exc, MethodNotAllowedException)
        and request.method in ("GET", "HEAD")
        and not wants_json(request)
        and (page := page_for(request))
    ):
        return Redirect(path=page, status_code=HTTP_303_SEE_OTHER)
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
