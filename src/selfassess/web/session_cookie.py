"""The session cookie, written only when the session changed.

Litestar's cookie backend encrypts the session again and sends it in a Set-Cookie with every
response. Ours holds the log-in's random id (and a flash message for the next page), so it changes
at sign-in, at sign-out and when a message is left or shown; the other responses need not carry it.
Nothing ends sooner for it: the log-in session on the server expires a fixed time after sign-in
(accounts.service.start_session), the cookie written then has that same lifetime, and requests
never extended either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import Empty, Message, ScopeSession

# Where the session as it came in is kept for the response (serialized, to compare at the end).
_LOADED_KEY = "selfassess_session_loaded"


class UnchangedSessionNotRewritten(ClientSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        session = await super().load_from_connection(connection)
        if session:
            state = connection.scope.setdefault("state", {})
            state[_LOADED_KEY] = self.serialize_data(session)
        return session

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        loaded = connection.scope.get("state", {}).get(_LOADED_KEY)
        if (
            loaded is not None
            and scope_session
            and scope_session is not Empty
            and self.serialize_data(scope_session) == loaded
        ):
            return  # the browser's cookie already says exactly this
        await super().store_in_message(scope_session, message, connection)


@dataclass
class SessionCookieConfig(CookieBackendConfig):
    _backend_class = UnchangedSessionNotRewritten
