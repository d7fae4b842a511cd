"""What every page shares: errors, CSRF, security headers, request ids, health."""

from __future__ import annotations

import gc
import hashlib
import os
import re
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from selfassess.app import create_app, create_served_app
from selfassess.db import head_revision
from selfassess.settings import Settings
from selfassess.web.static_assets import static_url_for
from tests import factories
from tests.support import Browser, started, text_of


async def test_unknown_page_is_a_friendly_404(client: Browser, world: factories.World) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    await client.login(world.officer_a.email)
    response = await client.get("/services/999999")
    assert response.status_code == 404
    assert "We could not find that service." in text_of(response.text)


async def test_forms_without_a_valid_csrf_token_are_refused(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    missing = await client.post("/services/new", {"name": "No token"}, csrf=False)
    assert missing.status_code == 403
    wrong = await client.post("/providers", {"name": "Wrong token", "_csrf_token": "forged"}, csrf=False)
    assert wrong.status_code == 403
    assert "Sorry" not in wrong.text
    logout_without_token = await client.post("/logout", csrf=False)
    assert logout_without_token.status_code == 403
    assert (await client.get("/services", follow_redirects=False)).status_code == 200, "still signed in"


async def test_csrf_header_is_accepted_as_htmx_sends_it(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    response = await client.client.post(
        "/providers", data={"name": "Via header"}, headers={"x-csrftoken": client.csrf_token or ""}
    )
    assert response.status_code == 200
    assert "Added Via header" in text_of(response.text)


async def test_security_headers_on_pages_and_errors(client: Browser) -> None:
    for response in (await client.get("/login"), await client.get("/nowhere")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in (await client.get("/login")).text, "no inline script"


async def test_request_ids_are_echoed_or_made(client: Browser) -> None:
    made = await client.get("/login")
    assert len(made.headers["x-request-id"]) == 32
    echoed = await client.get("/login", headers={"X-Request-ID": "lb-1234567890"})
    assert echoed.headers["x-request-id"] == "lb-1234567890"
    refused = await client.get("/login", headers={"X-Request-ID": "<script>"})
    assert refused.headers["x-request-id"] != "<script>"


async def test_health_reports_database_and_migrations(client: Browser, settings: Settings) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["migrations"] == {
        "current": head_revision(settings),
        "head": head_revision(settings),
        "up_to_date": True,
    }


async def test_health_fails_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        database_url="postgresql://nobody@127.0.0.1:1/none",
        data_dir=tmp_path,
        secret_key="x" * 32,
    )
    app: Litestar = create_unstarted(settings)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")


def create_unstarted(settings: Settings) -> Litestar:
    """An app whose start-up check is skipped, to see how it answers with no database."""
    from selfassess.app import create_app

    app = create_app(settings)
    app.on_startup.clear()
    return app


async def test_static_assets_are_served_without_sign_in(client: Browser) -> None:
    response = await client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]
    assert (await client.get("/static/css/app.css")).status_code == 200


async def test_pages_name_static_files_by_content_which_browsers_keep_for_a_year(
    client: Browser, settings: Settings
) -> None:
    page = await client.get("/login")
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(addresses) == 4, addresses  # icon, stylesheet, two scripts
    for address in addresses:
        path, version = address.removeprefix("/static/").split("?v=")
        assert version == hashlib.sha256((settings.static_dir / path).read_bytes()).hexdigest()[:12]
        answer = await client.client.get(address)
        assert answer.status_code == 200
        directives = {part.strip() for part in answer.headers["cache-control"].split(",")}
        assert directives == {"public", "max-age=31536000", "immutable"}
        assert "set-cookie" not in answer.headers  # a shared cache may keep it


def test_a_changed_file_gets_a_new_address(tmp_path: Path) -> None:
    static_url = static_url_for(tmp_path)
    (tmp_path / "app.css").write_text("body { color: black }")
    before = static_url("app.css")
    assert before == static_url("app.css")
    (tmp_path / "app.css").write_text("body { color: navy }")
    os.utime(tmp_path / "app.css", ns=(0, 10**18))  # a new modification time, as an edit leaves
    assert static_url("app.css") != before


def test_templates_name_static_files_only_through_static_url(repo_root: Path) -> None:
    """An address without its digest would be kept for a year whatever the file becomes."""
    written = [
        f"{template.relative_to(repo_root)}: {line.strip()}"
        for template in (repo_root / "templates").rglob("*.html")
        for line in template.read_text().splitlines()
        if "/static/" in line
    ]
    assert not written, written


async def test_background_refresh_after_sign_out_never_navigates_away(client: Browser) -> None:
    polled = await client.get("/notifications/badge", htmx=True, headers={"X-Background": "true"})
    assert polled.status_code == 204 and "hx-redirect" not in polled.headers
    navigated = await client.get("/notifications/badge", htmx=True)
    assert navigated.headers.get("hx-redirect", "").startswith("/login")


async def test_a_served_worker_freezes_what_it_made_at_start_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of the garbage collector's full collections, which stop the worker's event loop."""
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # this test process stays as it is
    app = create_served_app(settings)
    assert not frozen
    async with app.lifespan():
        assert frozen == [True]


async def test_a_stopped_app_closes_its_database_connections(settings: Settings) -> None:
    """Stopping the app closes every pooled connection: left to the garbage collector, they were
    reported (and failed a test) whenever it ran, in whatever test that happened to be. Two apps
    in turn: the database plugin's own clean-up finds the engine only under a process's first app's
    state key ("db_engine"; the next are "db_engine_1", ...)."""
    for _ in range(2):
        app = create_app(settings.model_copy(update={"database_pool_size": 2}))
        async with started(app):
            (engine,) = [value for value in app.state.values() if isinstance(value, AsyncEngine)]
            assert engine.pool.checkedin() == 1, "the start-up check's connection, back in the pool"
        assert engine.pool.checkedin() == 0
