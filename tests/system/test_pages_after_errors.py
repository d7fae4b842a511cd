"""What people see around errors: a reload of a POST-only address, error pages for someone signed in,
references on every error, an expired sign-in form, and small header details (CSV, /health)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, browser_for, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_a_get_of_a_post_only_address_goes_to_its_page(
    client: Browser, db: AsyncSession, world: factories.World, settings
) -> None:  # type: ignore[no-untyped-def]
    assessment, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    await client.login(world.officer_a.email)
    expected = {
        f"/visits/{visit.id}/lock": f"/visits/{visit.id}",
        f"/visits/{visit.id}/share": f"/visits/{visit.id}",
        f"/visits/{visit.id}/points": f"/visits/{visit.id}/report#points",
        f"/visits/{visit.id}/points/7/accept": f"/visits/{visit.id}/report#point-7",
        f"/assessments/{assessment.id}/submit": f"/assessments/{assessment.id}/check",
        f"/assessments/{assessment.id}/return": f"/assessments/{assessment.id}",
        f"/services/{world.alpha.id}/visits/new": None,  # has a page of its own (GET): not a 405
    }
    for address, page in expected.items():
        response = await client.get(address, follow_redirects=False)
        if page is None:
            assert response.status_code == 200, address
            continue
        assert response.status_code == 303, (address, response.status_code)
        assert response.headers["location"] == page, address


async def test_an_error_outside_any_route_shows_who_is_signed_in_and_a_reference(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    page = text_of(missing.text)
    assert "Page not found" in page
    assert world.officer_a.full_name in page and "Sign out" in page and "Sign in" not in page
    reference = re.search(r"Reference: ([0-9a-f]{32})", page)
    assert reference and missing.headers["x-request-id"] == reference.group(1)

    wrong_method = await client.post(f"/services/{world.alpha.id}/visits/panel")
    assert wrong_method.status_code == 405
    assert "Sign out" in wrong_method.text and "Reference:" in wrong_method.text

    await client.logout()
    signed_out = text_of((await client.get("/no/such/page")).text)
    assert "Sign in" in signed_out and "Reference:" in signed_out


async def test_an_expired_sign_in_form_says_so_and_keeps_the_email(
    app: Litestar, db: AsyncSession, world: factories.World
) -> None:
    async with browser_for(app) as browser:
        await browser.get("/login")
        expired = await browser.post(
            "/login?next=/visits",
            {"email": world.officer_a.email, "password": "whatever", "_csrf_token": "x" * 128},
            csrf=False,
        )
        assert expired.status_code == 403
        page = text_of(expired.text)
        assert "Please sign in again" in page and "the sign-in page had expired" in page
        assert "You do not have access" not in page
        assert f'value="{world.officer_a.email}"' in expired.text
        forms = re.findall(r"<form[^>]*>", expired.text)
        assert any("/login?next=/visits" in form for form in forms), forms
        # The page carries a fresh token that works.
        response = await browser.post(
            "/login", {"email": world.officer_a.email, "password": factories.PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303


async def test_health_sets_no_cookie_and_csv_has_one_charset(
    client: Browser, db: AsyncSession, world: factories.World, settings
) -> None:  # type: ignore[no-untyped-def]
    health = await client.client.get("/health")
    assert "set-cookie" not in health.headers

    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S1": 2})
    await client.login(world.officer_a.email)
    plan = await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)
    plan_address = plan.headers["location"]
    export = await client.get(f"{plan_address}/export.csv")
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
