"""Typing is never lost: the database goes away while someone types a self-assessment answer, the
page says "Not saved yet, retrying" (never "Saved"), keeps the text, warns before leaving, and
saves it once when the database is back.

This journey needs PostgreSQL (SELFASSESS_TEST_POSTGRES_URL): its own server runs the demo on a
fresh PostgreSQL database reached through tests/faults.py's proxy, which the test cuts and restores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import make_url

from tests.browser.conftest import (
    LiveServer,
    _free_port,
    _new_context,
    _wait_until_healthy,
    running_server,
    server_environment,
)
from tests.browser.harness import login, screenshot
from tests.conftest import POSTGRES_ADMIN_URL, _create_postgres_database, _drop_postgres_database
from tests.faults import FaultProxy
from tests.mail_sink import SmtpSink

DEPUTY = "deputy@brightwater.example"
HOMECARE = "Brightwater Homecare Northbridge"


@dataclass
class ProxiedServer:
    server: LiveServer
    proxy: FaultProxy
    database_url: str  # straight to PostgreSQL, for the test's own checks

    def query(self, sql: str, *params: object) -> tuple:  # type: ignore[type-arg]
        with psycopg.connect(self.database_url) as connection:
            row = connection.execute(sql, params).fetchone()
        assert row is not None, sql
        return row


@pytest.fixture(scope="module")
def proxied_server(
    tmp_path_factory: pytest.TempPathFactory, server_mail: tuple[SmtpSink, int]
) -> Iterator[ProxiedServer]:
    if not POSTGRES_ADMIN_URL:
        pytest.skip("set SELFASSESS_TEST_POSTGRES_URL: the database is cut through a proxy to PostgreSQL")
    name, url = _create_postgres_database()
    direct = make_url(url)
    proxy = FaultProxy(direct.host or "127.0.0.1", direct.port or 5432).start()
    data_dir = tmp_path_factory.mktemp("outage-server")
    port = _free_port()
    environment = server_environment(
        data_dir,
        port,
        SELFASSESS_DATABASE_URL=direct.set(port=proxy.port).render_as_string(hide_password=False),
        SELFASSESS_SECRET_KEY="outage-browser-test-secret",
    )
    try:
        with running_server(data_dir, port, environment, server_mail[0]) as server:
            _wait_until_healthy(server)
            yield ProxiedServer(server, proxy, url)
    finally:
        proxy.close()
        _drop_postgres_database(name)


@pytest.fixture
def outage_page(browser: Browser, proxied_server: ProxiedServer) -> Iterator[Page]:
    """A page on the proxied server that fails the test on any script error (the 503s it will
    meet are the point, so the browser's and htmx's notes of them are not counted)."""
    context = _new_context(browser, proxied_server.server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error"
            and not message.text.startswith(("Failed to load resource", "Response Status Error Code 503"))
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, errors


def _leaving_would_warn(page: Page) -> bool:
    return page.evaluate(
        """() => { const leaving = new Event("beforeunload", {cancelable: true});
                   window.dispatchEvent(leaving); return leaving.defaultPrevented; }"""
    )


def test_text_typed_while_the_database_is_away_is_kept_and_saved_once(
    outage_page: Page, proxied_server: ProxiedServer
) -> None:
    page, proxy = outage_page, proxied_server.proxy
    (assessment_id,) = proxied_server.query(
        "SELECT a.id FROM self_assessment a JOIN care_service s ON s.id = a.service_id "
        "WHERE s.name = %s AND a.status = 'draft'",
        HOMECARE,
    )
    login(page, DEPUTY)
    page.goto(f"/assessments/{assessment_id}/questions/C")
    card = page.get_by_role("article", name="Kindness, compassion and dignity", exact=True)
    answer_id = int(card.locator("form[data-autosave]").get_attribute("id").rsplit("-", 1)[1])  # type: ignore[union-attr]
    status = card.locator(f"#save-status-{answer_id}")
    narrative = card.get_by_label("How you meet this statement")

    narrative.fill("Before the outage.")
    expect(status).to_have_text(re.compile(r"^\s*Saved "))
    (version_before,) = proxied_server.query(
        "SELECT version FROM self_assessment_answer WHERE id = %s", answer_id
    )

    proxy.cut()
    typed = "Before the outage. Typed while the database was away: kept, and saved once."
    narrative.fill(typed)
    expect(status).to_contain_text("Not saved yet, retrying", timeout=15000)
    expect(status).not_to_contain_text("Saved ")
    expect(narrative).to_have_value(typed)
    assert _leaving_would_warn(page), "leaving the page warns while the text is not saved"
    screenshot(page, "autosave-database-away")

    page.wait_for_timeout(2500)  # a few retries fail while it is away
    expect(status).to_contain_text("Not saved yet, retrying")
    proxy.restore()
    expect(status).to_have_text(re.compile(r"^\s*Saved "), timeout=35000)
    assert not _leaving_would_warn(page)

    narrative_stored, version_stored = proxied_server.query(
        "SELECT narrative, version FROM self_assessment_answer WHERE id = %s", answer_id
    )
    assert narrative_stored == typed
    assert version_stored == version_before + 1, "saved exactly once"
