"""CSRF tokens bound to the signed-in session.

Litestar's CSRF middleware checks that the token a form sends matches the token in the CSRF
cookie (double submit). A cookie can be planted by someone else (a sibling sub-domain, a
man-in-the-middle on plain http), so for a signed-in person we also require the one token that
belongs to their server-side session: derived from the session's random id, new at every
sign-in. A planted token is worthless, and a form from before sign-in no longer works after it.
"""

from __future__ import annotations

import hashlib
import hmac
from secrets import compare_digest
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import Message, Scope
from litestar.utils.scope.state import ScopeState

_REFRESH_KEY = "selfassess_csrf_cookie"


def session_csrf_token(session_id: str, secret: str) -> str:
    """In Litestar's format (64 hex characters, then their HMAC), so its middleware accepts it."""
    token = hmac.new(secret.encode(), b"csrf-session:" + session_id.encode(), hashlib.sha256).hexdigest()
    return token + generate_csrf_hash(token=token, secret=secret)


def csrf_cookie(config: CSRFConfig, token: str) -> Cookie:
    return Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )


async def csrf_bound_to_session(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """An app-wide guard (async: see web.guards). Signed out (the sign-in page), Litestar's check is
    the whole check."""
    config = connection.app.csrf_config
    session_id = connection.scope.get("session", {}).get("sid") if connection.scope.get("user") else None
    if config is None or not isinstance(session_id, str):
        return
    expected = session_csrf_token(session_id, config.secret)
    state = ScopeState.from_scope(connection.scope)
    if connection.scope["method"] in config.safe_methods:
        if state.csrf_token != expected:  # a planted or pre-sign-in cookie: pages carry ours again
            state.csrf_token = expected
            connection.scope.setdefault("state", {})[_REFRESH_KEY] = expected
        return
    if not isinstance(state.csrf_token, str) or not compare_digest(state.csrf_token, expected):
        raise PermissionDeniedException("CSRF token verification failed")


def refresh_csrf_cookie(config: CSRFConfig):  # type: ignore[no-untyped-def]
    """A before-send hook: put the session's token back in the cookie when the guard asked."""
    name = config.cookie_name.encode()

    async def send_cookie(message: Message, scope: Scope) -> None:
        token = scope.get("state", {}).get(_REFRESH_KEY)
        if message["type"] != "http.response.start" or not token:
            return
        headers = [
            (key, value)
            for key, value in message.get("headers", [])
            if not (key.lower() == b"set-cookie" and value.split(b"=", 1)[0].strip() == name)
        ]
        headers.append((b"set-cookie", csrf_cookie(config, token).to_header(header="").encode()))
        message["headers"] = headers

    return send_cookie
