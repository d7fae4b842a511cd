"""Problem details (RFC 9457): every error on an /api/ path is application/problem+json, never HTML."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"


class Problem(BaseModel):
    """What went wrong, for a program and for the person reading its log."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Conflict"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["Someone saved a different version of this statement."])
    instance: str = Field(examples=["/api/v1/self-assessments/12/answers/340"])
    request_id: str | None = Field(default=None, examples=["3f9c2a7d1e4b4c0a"])
    errors: Any = Field(default=None, description="Field-by-field problems with the request, when known.")
    current: Any = Field(default=None, description="On a 409 conflict: the record as it now stands.")


class TokenNotAccepted(NotAuthorizedException):
    """A bearer token that does not work; its message is safe to show (it names no account)."""


def not_authorized_problem(
    request: Request[Any, Any, Any], exc: NotAuthorizedException, *, request_id: str | None
) -> Response[Any]:
    detail = (
        exc.detail
        if isinstance(exc, TokenNotAccepted)
        else "Sign in, or send a personal access token as `Authorization: Bearer <token>`."
    )
    response = problem_response(request, 401, detail, request_id=request_id)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def problem_response(
    request: Request[Any, Any, Any],
    status_code: int,
    detail: str,
    *,
    request_id: str | None,
    title: str | None = None,
) -> Response[Any]:
    """The one way an API error is written; `web.errors` calls it for every /api/ path."""
    if title is None:
        try:
            title = HTTPStatus(status_code).phrase
        except ValueError:
            title = "Error"
    body = {
        "type": "about:blank",
        "title": title,
        "status": status_code,
        "detail": detail or title,
        "instance": request.url.path,
        "request_id": request_id,
    }
    return Response(body, status_code=status_code, media_type=PROBLEM_JSON)


def problem_responses(*status_codes: int) -> dict[int, Any]:
    """OpenAPI entries for the errors a route may answer with."""
    return {
        code: ResponseSpec(
            data_container=Problem, description=HTTPStatus(code).phrase, media_type=PROBLEM_JSON
        )
        for code in status_codes
    }
