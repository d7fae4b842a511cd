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


def sets_session_cookie(response: Response) -> bool:
    return any(
        header.split("=", 1)[0].strip().startswith(SESSION_COOKIE)
        for header in response.headers.get_list("set-cookie")
    )


async def test_the_session_cookie_is_sent_only_when_the_session_changes(
    client: Browser, world: factories.World
) -> None:
    """Encrypting the unchanged session into every response cost CPU on every page."""
    assert sets_session_cookie(await client.login(world.officer_a.email)), "signed in: a new session"
    for _ in range(2):
        page = await client.get("/services")
        assert page.status_code == 200 and not sets_session_cookie(page), "nothing changed: no cookie"
    done = await client.post("/notifications/read-all", follow_redirects=False)
    assert done.status_code == 303 and sets_session_cookie(done), "a message left for the next page"
    shown = await client.get(done.headers["location"])
    assert "Marked 0 notifications as read." in shown.text
    assert sets_session_cookie(shown), "the message shown is taken out of the session"
    again = await client.get(done.headers["location"])
    assert "Marked 0 notifications" not in again.text and not sets_session_cookie(again)
    assert sets_session_cookie(await client.logout()), "signed out: the session is emptied"
    assert (await client.get("/services", follow_redirects=False)).status_code in (302, 303)
