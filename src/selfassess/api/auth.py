"""Who is calling the API: a personal access token (`Authorization: Bearer ...`) or, as before, a
signed-in browser. A token request is authenticated by the token alone and needs no CSRF token (a
browser cannot send that header cross-site on its own); a cookie request to an /api/ path that
changes something must still carry one."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.middleware.csrf import CSRFMiddleware
from litestar.security.session_auth.middleware import SessionAuthMiddleware

from selfassess.tokens.models import ApiToken
from selfassess.web.problems import TokenNotAccepted, is_api_path

# The key under which the middleware hands a presented token to the app's retrieve-user handler.
BEARER_KEY = "api_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token presented on an /api/ path; elsewhere a bearer header is ignored."""
    if not is_api_path(connection.scope["path"]):
        return None
    scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


class TokenOrSessionAuthMiddleware(SessionAuthMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        secret = bearer_secret(connection)
        if secret is None:
            return await super().authenticate_request(connection)
        token = await self.retrieve_user_handler({BEARER_KEY: secret}, connection)
        if not isinstance(token, ApiToken):
            raise TokenNotAccepted("The API token is not valid: it is unknown, has expired or was revoked.")
        return AuthenticationResult(user=token.user, auth=token)


def api_token(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiToken | None:
    auth = connection.scope.get("auth")
    return auth if isinstance(auth, ApiToken) else None


async def writes_need_permission(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A read-only token reads; a cookie session that writes proves it came from our own page."""
    if connection.scope["method"] in _SAFE_METHODS:
        return
    token = api_token(connection)
    if token is not None:
        if not token.can_write:
            raise PermissionDeniedException(
                "This API token is read-only: create a read-write token to make changes."
            )
        return
    config = connection.app.csrf_config
    if config is None:
        return
    sent = connection.headers.get(config.header_name)
    cookie = connection.cookies.get(config.cookie_name)
    checker = CSRFMiddleware(app=None, config=config)  # type: ignore[arg-type]  # only its comparison is used
    if not (sent and cookie and checker._csrf_tokens_match(sent, cookie)):
        raise PermissionDeniedException("CSRF token verification failed")
