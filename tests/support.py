"""A browser-like wrapper around Litestar's test client: cookies, CSRF tokens, log-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from html import unescape
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import PASSWORD

CSRF_COOKIE = "selfassess_csrf"


class Browser:
    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
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


@asynccontextmanager
async def browser_for(app: Litestar) -> AsyncIterator[Browser]:
    async with AsyncTestClient(app=app) as client:
        yield Browser(client)


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
