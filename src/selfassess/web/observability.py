"""Request ids and structured (JSON-lines) logs, so one request can be followed across workers."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import inspect

from selfassess.db import writes_expected

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

access_log = logging.getLogger("selfassess.access")


def current_request_id() -> str | None:
    return _request_id.get()


def ensure_request_id() -> str:
    """The request's id; a request that matched no route never met the middleware, so it gets one
    here (an unknown address's 404 carries a reference like any other error)."""
    request_id = _request_id.get()
    if request_id is None:
        request_id = uuid.uuid4().hex
        _request_id.set(request_id)
    return request_id


class RequestContextMiddleware(ASGIMiddleware):
    """Takes a load balancer's X-Request-ID when it looks sane, else makes one; echoes it back
    and writes one access-log line per request. Also marks requests that may write (see
    db.writes_expected), as it wraps everything, the log-in check included."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        try:
            if scope["method"] in _SAFE_METHODS:
                await next_app(scope, receive, send_with_id)
            else:
                with writes_expected():
                    await next_app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(scope.get("user")),
                },
            )
            _request_id.reset(token)


def _user_id(user: Any) -> Any:
    """The identity SQLAlchemy already knows, without loading anything from a closed session."""
    state = inspect(user, raiseerr=False) if user is not None else None
    return state.identity[0] if state is not None and state.identity else None


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(*, debug: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("selfassess")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
