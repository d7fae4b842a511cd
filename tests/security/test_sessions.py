"""Cookie flags and HSTS. Session fixation, log-out everywhere and the log-in rate limit are
tested in tests/accounts/test_login.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.app import create_app
from selfassess.settings import Settings
from tests import factories
from tests.support import CSRF_COOKIE, Browser

SESSION_COOKIE = "selfassess_session"


def cookie_flags(response: Response, name: str) -> set[str]:
    """The attributes of one Set-Cookie, lower-cased: {"httponly", "secure", "samesite=lax", ...}."""
    for header in response.headers.get_list("set-cookie"):
        cookie, _, attributes = header.partition(";")
        if cookie.split("=", 1)[0].strip().startswith(name):
            return {part.strip().lower() for part in attributes.split(";") if part.strip()}
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


@pytest.fixture(scope="session")
def https_app(settings: Settings) -> Litestar:
    """The same service as deployed behind a TLS-terminating proxy."""
    return create_app(settings.model_copy(update={"base_url": "https://selfassess.example.gov.uk"}))


@pytest.fixture
async def https_client(https_app: Litestar, db: AsyncSession) -> AsyncIterator[Browser]:
    async with AsyncTestClient(app=https_app, base_url="https://testserver.local") as client:
        yield Browser(client)


async def test_cookies_are_httponly_and_samesite_lax(client: Browser, world: factories.World) -> None:
    first = await client.get("/login")
    signed_in = await client.login(world.officer_a.email)
    for response, name in ((first, CSRF_COOKIE), (signed_in, SESSION_COOKIE)):
        flags = cookie_flags(response, name)
        assert {"httponly", "samesite=lax", "path=/"} <= flags, (name, flags)
        assert "secure" not in flags, "plain http (local use): a Secure cookie would never come back"
    assert "strict-transport-security" not in signed_in.headers


async def test_behind_https_cookies_are_secure_and_hsts_is_sent(
    https_client: Browser, world: factories.World
) -> None:
    first = await https_client.get("/login")
    signed_in = await https_client.login(world.officer_a.email)
    for response, name in ((first, CSRF_COOKIE), (signed_in, SESSION_COOKIE)):
        flags = cookie_flags(response, name)
        assert {"secure", "httponly", "samesite=lax"} <= flags, (name, flags)
    page = await https_client.get("/services")
    assert page.status_code == 200, "the secure cookies work over https"
    for response in (first, page, await https_client.get("/no/such/page")):
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
