"""Restarts cost nobody anything: a request that failed because the database connection was refused
or dropped, before it changed anything, runs once more on a fresh connection.

"Before it changed anything" means: a GET or HEAD (reads; the session's last-seen touch is harmless
to repeat), or any request that had not sent a COMMIT when it failed (its transactions were rolled
back by the server, or never reached it). A request whose COMMIT may have been applied is never
repeated; it gets the 503 and the browser's own retry (with the version check) settles it.

Before the second run, the request waits a little for the database to accept connections again, so
that a restart of a few seconds passes unnoticed. Once an outage has lasted longer than that, requests
get their 503 at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY
from sqlalchemy import text

from selfassess.availability import Attempt, Unavailable, current_attempt, outages
from selfassess.maintenance import MaintenanceUnderway

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RECONNECT_WAIT_SECONDS = 3.0
_PAUSES = (0.1, 0.2, 0.3, 0.5, 0.5, 0.7, 0.7)


class RetryOnFreshConnection(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, alchemy: SQLAlchemyAsyncConfig) -> None:
        self.alchemy = alchemy

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        pristine = {**scope, "state": dict(scope.get("state", {}))}
        received: list[Message] = []
        held: list[Message] = []
        attempt = Attempt()

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
            return message

        async def holding_send(message: Message) -> None:
            if held or (message["type"] == "http.response.start" and self._may_repeat(scope, attempt)):
                held.append(message)
            else:
                await send(message)

        token = current_attempt.set(attempt)
        try:
            await next_app(scope, recording_receive, holding_send)
        finally:
            current_attempt.reset(token)
        if not held:
            return
        await self._close_session(scope)
        if not await self._database_answers():
            for message in held:
                await send(message)
            return
        scope.clear()  # the same dict object: hooks bound to it (closing the new session) still apply
        scope.update({**pristine, "state": _fresh_state(pristine["state"])})
        replay = list(received)

        async def replaying_receive() -> Message:
            return replay.pop(0) if replay else await receive()

        await next_app(scope, replaying_receive, send)

    @staticmethod
    def _may_repeat(scope: Scope, attempt: Attempt) -> bool:
        if attempt.failure is not Unavailable.UNREACHABLE:
            return False
        return scope["method"] in _SAFE_METHODS or not attempt.commit_sent

    async def _close_session(self, scope: Scope) -> None:
        """The response that would have closed the failed run's session is not sent: close it here."""
        from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state

        session = get_aa_scope_state(scope, self.alchemy.session_scope_key)
        if session is None:
            return
        with contextlib.suppress(Exception):  # a dead connection may fail to roll back; it is discarded
            await session.close()
        delete_aa_scope_state(scope, self.alchemy.session_scope_key)

    async def _database_answers(self) -> bool:
        """Wait (briefly, and only early in an outage) until a fresh connection works."""
        if outages.age() > RECONNECT_WAIT_SECONDS:
            return False
        deadline = time.monotonic() + RECONNECT_WAIT_SECONDS
        for pause in (0.0, *_PAUSES):
            await asyncio.sleep(pause)
            try:
                async with self.alchemy.get_engine().connect() as connection:
                    await connection.execute(text("SELECT 1"))
                return True
            except MaintenanceUnderway:
                return False
            except Exception:  # noqa: BLE001  (still away: wait a little more)
                if time.monotonic() > deadline:
                    return False
        return False


def _fresh_state(state: dict[str, Any]) -> dict[str, Any]:
    """Litestar caches the parsed body, form, dependencies and flash messages per run; start anew."""
    return {key: value for key, value in state.items() if key != CONNECTION_STATE_KEY}
