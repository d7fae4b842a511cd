"""Personal access tokens: made on the account page, shown once, stored as a hash, revocable, and
standing for their owner on /api/ paths only, with sign-in throttling and the audit log."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, Role
from selfassess.tokens.models import ApiToken
from tests import factories
from tests.api.helpers import call, token_for
from tests.support import Browser, reload, text_of


async def test_a_token_made_on_the_account_page_is_shown_once_and_works_alone(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    account = await client.get("/account/password")
    assert 'href="/account/tokens"' in account.text
    created = await client.post(
        "/account/tokens", {"name": "Power BI", "access": "read", "expires_in_days": "30"}
    )
    assert created.status_code == 201
    secret = re.search(r'value="(sa_[^"]+)"', created.text).group(1)
    stored = await db.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.model_dump_json()
    listed = await client.get("/account/tokens")
    assert "Power BI" in text_of(listed.text) and secret not in listed.text, "shown once only"

    response = await call(client, "GET", "/api/v1/services", secret)
    assert response.status_code == 200
    assert {item["name"] for item in response.json()["items"]} == {"Alpha House", "Beta Homecare"}
    assert "set-cookie" not in {name.lower() for name in response.headers}
    await reload(db, stored)
    assert stored.last_used_at is not None
    events = set(await db.scalars(select(AuditEvent.event)))
    assert {"token.created", "token.used"} <= events


async def test_an_invalid_form_keeps_what_was_typed(client: Browser, world: factories.World) -> None:
    await client.login(world.manager_1.email)
    response = await client.post("/account/tokens", {"name": "", "access": "admin", "expires_in_days": "9"})
    assert response.status_code == 422
    assert "There is a problem" in text_of(response.text)


async def test_revoked_expired_and_unknown_tokens_get_a_problem_401(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    revoked = await token_for(db, world.manager_1)
    expired = await token_for(db, world.manager_1, days=-1)
    token = await db.scalar(select(ApiToken).where(ApiToken.expires_at > ApiToken.created_at))
    await client.login(world.manager_1.email)
    assert (
        await client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=False)
    ).status_code == 303
    for secret in (revoked, expired, "sa_not-a-token"):
        response = await call(client, "GET", "/api/v1/services", secret)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "not valid" in response.json()["detail"]
    await db.commit()
    assert await db.scalar(select(AuditEvent).where(AuditEvent.event == "token.refused"))


async def test_repeated_bad_tokens_are_throttled(client: Browser, db: AsyncSession, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.login_max_failures):
        assert (await call(client, "GET", "/api/v1/services", "sa_guess-guess")).status_code == 401
    throttled = await call(client, "GET", "/api/v1/services", "sa_guess-guess")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["status"] == 429


async def test_a_read_only_token_cannot_write_and_a_token_needs_no_csrf(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    read_only = await token_for(db, world.manager_1)
    refused = await call(
        client, "PUT", "/api/v1/self-assessments/1/answers/1", read_only, json={"version": 0}
    )
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    writer = await token_for(db, world.manager_1, write=True)
    missing = await call(client, "PUT", "/api/v1/self-assessments/1/answers/1", writer, json={"version": 0})
    assert missing.status_code == 404, "past the CSRF check, to the (absent) record"


async def test_a_cookie_session_still_needs_csrf_on_api_writes(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    response = await client.client.put("/api/v1/self-assessments/1/answers/1", json={"version": 0})
    assert response.status_code == 403 and "another site" in response.json()["detail"]


async def test_a_bearer_header_means_nothing_outside_the_api(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    secret = await token_for(db, world.officer_a)
    response = await call(client, "GET", "/services", secret, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("admin_of", ["council_a", "council_b"])
async def test_council_admins_see_and_revoke_their_councils_tokens_only(
    client: Browser, db: AsyncSession, world: factories.World, admin_of: str
) -> None:
    await token_for(db, world.officer_a)
    token = await db.scalar(select(ApiToken))
    admin = (
        world.admin_a
        if admin_of == "council_a"
        else await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)
    )
    await client.login(admin.email)
    page = await client.get("/admin/tokens")
    revoke = await client.post(f"/admin/tokens/{token.id}/revoke", follow_redirects=False)
    await reload(db, token)
    if admin_of == "council_a":
        assert "Olive Officer" in text_of(page.text) and revoke.status_code == 303
        assert token.revoked_at is not None
    else:
        assert "Olive Officer" not in page.text and revoke.status_code == 404
        assert token.revoked_at is None


async def test_officers_cannot_open_the_councils_token_list(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/tokens")).status_code == 403
