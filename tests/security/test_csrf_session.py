"""CSRF tokens belong to the signed-in session: a new one at sign-in, a planted one worthless."""

from __future__ import annotations

from litestar.middleware.csrf import generate_csrf_token

from tests import factories
from tests.support import CSRF_COOKIE, Browser

REFUSED = "This form could not be accepted"


async def test_sign_in_issues_a_new_csrf_token(client: Browser, world: factories.World) -> None:
    await client.get("/login")
    before = client.csrf_token
    await client.login(world.officer_a.email)
    after = client.csrf_token
    assert before and after and before != after
    page = await client.get("/services")
    assert after in page.text, "pages carry the session's token"
    await client.logout()
    await client.login(world.officer_a.email)
    assert client.csrf_token not in (before, after), "every sign-in has its own"


async def test_a_planted_token_is_refused_even_when_cookie_and_form_agree(
    app, client: Browser, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    """Someone who can set a cookie (a sibling sub-domain) plants a valid token pair of their own."""
    await client.login(world.officer_a.email)
    assert app.csrf_config is not None
    planted = generate_csrf_token(app.csrf_config.secret)  # well-formed, correctly signed
    client.client.cookies.set(CSRF_COOKIE, planted, domain="testserver.local")
    response = await client.client.post(
        "/providers", data={"name": "Planted Ltd", "_csrf_token": planted}, follow_redirects=False
    )
    assert response.status_code == 403 and REFUSED in response.text
    page = await client.get("/providers")
    assert planted not in page.text, "the next page carries the session's token again"
    assert client.csrf_token != planted, "and puts it back in the cookie"
    accepted = await client.post("/providers", {"name": "Honest Ltd"}, follow_redirects=False)
    assert accepted.status_code == 303


async def test_a_token_from_before_sign_in_does_not_work_after_it(
    client: Browser, world: factories.World
) -> None:
    await client.get("/login")
    old = client.csrf_token
    await client.login(world.officer_a.email)
    assert old is not None
    client.client.cookies.set(CSRF_COOKIE, old, domain="testserver.local")  # kept, or fixed by someone
    response = await client.client.post(
        "/providers", data={"name": "Old Token Ltd", "_csrf_token": old}, follow_redirects=False
    )
    assert response.status_code == 403 and REFUSED in response.text
