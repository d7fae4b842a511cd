"""Every route that changes something refuses a request without a valid CSRF token.

The routes are read from the app, so a route added later is covered the day it lands. A route
may only be left out through CSRF_EXEMPT below, with the reason written next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.security.routes import changed_tables, database_contents, endpoints, placeholder
from tests.support import Browser, text_of

# "METHOD /path as declared" -> why it may accept a request without a token. Keep this empty unless
# there is no other way: even POST /login checks the token, because a forged log-in would sign the
# victim into an account the attacker controls.
CSRF_EXEMPT: dict[str, str] = {}

# Path parameters filled with a real record (the council admin's own); any other parameter gets a
# well-formed placeholder, because the token is checked before the handler looks anything up.
REAL_IDS: dict[str, Callable[[factories.World], Any]] = {
    "service_id": lambda world: world.alpha.id,
    "user_id": lambda world: world.officer_a.id,
}

# What error_response shows for Litestar's "CSRF token verification failed"; checking for it makes
# sure the 403 came from the CSRF check and not from a guard.
CSRF_REFUSED = "This form could not be accepted"


def _fill(endpoint_params: dict[str, type], real: dict[str, Any]) -> dict[str, Any]:
    return {name: real[name] if name in real else placeholder(kind) for name, kind in endpoint_params.items()}


async def test_every_unsafe_route_refuses_a_missing_or_forged_token(
    app: Litestar, client: Browser, db: AsyncSession, world: factories.World
) -> None:
    unsafe = [endpoint for endpoint in endpoints(app) if endpoint.unsafe]
    assert {"POST /login", "POST /logout", "POST /admin/users/new"} <= {str(e) for e in unsafe}
    assert not set(CSRF_EXEMPT) - {str(e) for e in unsafe}, "an exemption for a route that is gone"

    await client.login(world.admin_a.email)
    real = client.csrf_token
    assert real
    tampered = real[:-1] + ("0" if real[-1] != "0" else "1")
    attempts: dict[str, dict[str, Any]] = {
        "no token": {"data": {"name": "No token"}},
        "a made-up token": {"data": {"name": "Made up", "_csrf_token": "forged"}},
        "a tampered token": {"data": {"name": "Tampered", "_csrf_token": tampered}},
        "a made-up header": {"data": {"name": "Header"}, "headers": {"x-csrftoken": "forged"}},
        "a JSON body and no token": {"json": {"name": "JSON"}},
    }
    real_ids = {name: make(world) for name, make in REAL_IDS.items()}
    before = await database_contents(db)

    failures = []
    for endpoint in unsafe:
        if str(endpoint) in CSRF_EXEMPT:
            continue
        url = endpoint.url(_fill(endpoint.params, real_ids))
        for what, request in attempts.items():
            response = await client.client.request(endpoint.method, url, follow_redirects=False, **request)
            if response.status_code != 403 or CSRF_REFUSED not in response.text:
                failures.append(
                    f"{endpoint} with {what}: {response.status_code} {text_of(response.text)[:160]}"
                )
    assert not failures, "Accepted without a valid CSRF token:\n" + "\n".join(failures)
    changed = changed_tables(before, await database_contents(db))
    assert not changed, f"refused requests changed these tables: {changed}"

    # The same token, sent properly, is accepted: the refusals above were about the token.
    assert (await client.get("/services", follow_redirects=False)).status_code == 200
    assert (await client.logout()).status_code == 303
