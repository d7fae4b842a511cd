"""A browser-like wrapper around Litestar's test client: cookies, CSRF tokens, log-in."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from html import unescape
from typing import Any

from httpx import ASGITransport, AsyncClient, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import PASSWORD

CSRF_COOKIE = "selfassess_csrf"


class Browser:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    @property
    def csrf_token(self) -> str | None:
        return self.client.cookies.get(CSRF_COOKIE)

    async def get(self, url: str, *, htmx: bool = False, **kwargs: Any) -> Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.client.get(url, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    async def post(
        self,
        url: str,
        data: Mapping[str, Any] | None = None,
        *,
        csrf: bool = True,
        htmx: bool = False,
        **kwargs: Any,
    ) -> Response:
        """A form post as the page would send it, with the CSRF token the page carries."""
        if csrf and self.csrf_token is None:
            await self.client.get("/login")
        form = dict(data or {})
        if csrf:
            form["_csrf_token"] = self.csrf_token
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.client.post(
            url, data=form, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
        )

    async def login(self, email: str, password: str = PASSWORD) -> Response:
        response = await self.post("/login", {"email": email, "password": password}, follow_redirects=False)
        assert response.status_code == 303, (
            f"log-in as {email} failed: {response.status_code} {response.text[:500]}"
        )
        return response

    async def logout(self) -> Response:
        return await self.post("/logout", follow_redirects=False)


_STARTED_ON_THIS_LOOP = "tests_started_on_this_loop"


@asynccontextmanager
async def started(app: Litestar) -> AsyncIterator[Litestar]:
    """Start ``app`` (its lifespan: the start-up checks, the engine) on this event loop, until the
    block ends; browsers for it then send their requests on this loop too (``browser_for``). The
    lifespan runs in a task of its own: a fixture's set-up and tear-down run in different tasks."""
    up, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            up.set()
            await stop.wait()

    serving = asyncio.create_task(serve())
    starting = asyncio.create_task(up.wait())
    await asyncio.wait({serving, starting}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():  # the start-up failed
        starting.cancel()
        serving.result()
    app.state[_STARTED_ON_THIS_LOOP] = True
    try:
        yield app
    finally:
        del app.state[_STARTED_ON_THIS_LOOP]
        stop.set()
        await serving


class _RequestTask:
    """Each request in a task of its own, as a server runs it: what the app sets in context
    variables (a request id, a form post's intent to write) ends with the request."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.create_task(self.app(scope, receive, send))


@asynccontextmanager
async def browser_for(app: Litestar) -> AsyncIterator[Browser]:
    """A browser for ``app``. An app ``started`` on this loop answers on it (no thread, no start-up
    per browser, and its engine keeps its connections); any other is started for this browser alone,
    on a loop of its own (Litestar's test client)."""
    if app.state.get(_STARTED_ON_THIS_LOOP):
        transport = ASGITransport(app=_RequestTask(app), client=("testclient", 50000))  # type: ignore[arg-type]
        async with AsyncClient(
            transport=transport,
            base_url="http://testserver.local",
            headers={"user-agent": "testclient"},
            follow_redirects=True,
        ) as client:
            yield Browser(client)
        return
    async with AsyncTestClient(app=app) as test_client:
        yield Browser(test_client)


def text_of(html: str) -> str:
    """Page text without tags or runs of white space, for readable assertions."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()


async def reload(db: AsyncSession, *records: object) -> None:
    """See what the app committed: end the test session's transaction (SQLite reads from a snapshot
    taken at the transaction's first read), then refresh."""
    await db.commit()
    for record in records:
        await db.refresh(record)
