"""Log-in, log-out, sessions and brute-force protection, through HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, LoginSession, Role
from selfassess.db import utcnow
from tests import factories
from tests.factories import PASSWORD
from tests.support import Browser, text_of


async def test_pages_need_sign_in_and_come_back_after_it(client: Browser, world: factories.World) -> None:
    response = await client.get("/services?q=Alpha", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fservices%3Fq%3DAlpha"

    response = await client.post(
        "/login?next=/services%3Fq%3DAlpha",
        {"email": world.manager_1.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/services?q=Alpha"
    page = await client.get(response.headers["location"])
    assert "Alpha House" in page.text


async def test_next_never_leads_off_site(client: Browser, world: factories.World) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await client.post(
            f"/login?next={target}",
            {"email": world.officer_a.email, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
        await client.logout()


async def test_wrong_password_is_refused_without_saying_which_half_was_wrong(
    client: Browser, world: factories.World
) -> None:
    wrong_password = await client.post(
        "/login", {"email": world.officer_a.email, "password": "not it at all"}
    )
    unknown_email = await client.post("/login", {"email": "nobody@example.org", "password": "not it at all"})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert "The e-mail address or password is not right." in response.text
    assert 'value="nobody@example.org"' in unknown_email.text, "the e-mail typed is kept"
    assert "not it at all" not in unknown_email.text, "a password is never echoed back"


async def test_blank_form_says_what_is_missing(client: Browser) -> None:
    response = await client.post("/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "E-mail address is required." in response.text
    assert "Password is required." in response.text


async def test_email_is_case_insensitive(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email.upper())


async def test_inactive_user_is_refused(client: Browser, db: AsyncSession, world: factories.World) -> None:
    world.manager_1.is_active = False
    await db.commit()
    response = await client.post("/login", {"email": world.manager_1.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "deactivated" in response.text


async def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    for _ in range(5):
        response = await client.post(
            "/login", {"email": world.officer_a.email, "password": "guess-guess-guess"}
        )
        assert response.status_code == 401
    response = await client.post("/login", {"email": world.officer_a.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.text
    assert int(response.headers["retry-after"]) > 0
    throttled = await db.scalar(select(func.count()).where(AuditEvent.event == "login.throttled"))
    assert throttled == 1
    # Another account from elsewhere is unaffected by this account's lock.
    other = await client.post(
        "/login", {"email": world.officer_b.email, "password": PASSWORD}, follow_redirects=False
    )
    assert other.status_code == 303


async def test_logout_ends_the_session_everywhere_it_was_copied(
    client: Browser,
    browsers,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    stolen_cookies = dict(client.client.cookies)
    assert (await client.get("/services", follow_redirects=False)).status_code == 200

    await client.logout()
    assert (await client.get("/services", follow_redirects=False)).status_code == 303

    async with browsers() as attacker:
        attacker.client.cookies.update(stolen_cookies)
        response = await attacker.get("/services", follow_redirects=False)
        assert response.status_code == 303, "a copy of the old session cookie must not work after log-out"


async def test_log_in_starts_a_new_session_so_a_planted_cookie_is_useless(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.get("/login")
    planted = dict(client.client.cookies)
    await client.login(world.officer_a.email)
    assert client.client.cookies.get("selfassess_session") != planted.get("selfassess_session")
    async with browsers() as attacker:
        attacker.client.cookies.update(planted)
        assert (await attacker.get("/services", follow_redirects=False)).status_code == 303
    assert await db.scalar(select(func.count()).select_from(LoginSession)) == 1


async def test_deactivating_a_user_ends_their_sessions(
    client: Browser,
    browsers,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    async with browsers() as admin:
        await admin.login(world.admin_a.email)
        response = await admin.post(
            f"/admin/users/{world.officer_a.id}",
            {
                "full_name": world.officer_a.full_name,
                "email": world.officer_a.email,
                "role": Role.OFFICER.value,
            },
        )
        assert response.status_code == 200, response.text
    assert (await client.get("/services", follow_redirects=False)).status_code == 303


async def test_log_in_and_failure_are_audited(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.post("/login", {"email": world.officer_a.email, "password": "wrong-wrong-wrong"})
    await client.login(world.officer_a.email)
    events = list(
        await db.scalars(
            select(AuditEvent.event).where(AuditEvent.event.like("login.%")).order_by(AuditEvent.id)
        )
    )
    assert events == ["login.failed", "login.succeeded"]


async def test_signed_in_header_shows_the_person_and_organisation(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    page = text_of((await client.get("/services")).text)
    assert "Mona Manager" in page
    assert "Provider One" in page


async def test_failures_from_one_address_do_not_lock_out_a_colleague_with_the_right_password(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    """20 failures from one office address: guessers there are slowed, a colleague still gets in."""
    for number in range(20):
        response = await client.post(
            "/login", {"email": f"guess{number}@example.org", "password": "nope nope"}
        )
        assert response.status_code == 401
    again = await client.post("/login", {"email": "guess3@example.org", "password": "nope nope"})
    assert again.status_code == 429, "an address that failed from here waits"
    unknown = await client.post("/login", {"email": "never-tried@example.org", "password": "nope nope"})
    assert unknown.status_code == 401, "a first try is checked, known account or not"
    after = await client.post("/login", {"email": "never-tried@example.org", "password": "nope nope"})
    assert after.status_code == 429
    async with browsers() as colleague:
        await colleague.login(world.officer_a.email)  # same address (the test client's), right password
    failed_then_right = await client.post(
        "/login", {"email": world.officer_a2.email, "password": "typo typo"}
    )
    assert failed_then_right.status_code == 401
    paused = await client.post("/login", {"email": world.officer_a2.email, "password": PASSWORD})
    assert paused.status_code == 429, "but an account that failed from the busy address waits too"


async def test_the_session_notes_when_it_was_last_used_at_most_every_few_minutes(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    long_ago = utcnow() - timedelta(hours=1)
    await db.execute(update(LoginSession).values(last_seen_at=long_ago))
    await db.commit()
    assert (await client.get("/services")).status_code == 200
    seen = await db.scalar(select(LoginSession.last_seen_at).execution_options(populate_existing=True))
    assert seen is not None and seen > long_ago + timedelta(minutes=55), "used now: noted"
    assert (await client.get("/services")).status_code == 200
    again = await db.scalar(select(LoginSession.last_seen_at).execution_options(populate_existing=True))
    assert again == seen, "used again a moment later: no write"
