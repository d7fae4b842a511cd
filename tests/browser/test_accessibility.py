"""Keyboard use, and an accessibility sweep of every page the app has.

The sweep reads the routes from the app, so a page added later is checked the day it lands: each
full page (not API answers, fragments or downloads) is opened as a council admin and as a provider
manager, and must pass axe-core (serious and critical problems fail) and have a label on every field.
Pages with path parameters are opened with a demo record (DEMO_RECORDS below); a parameter with no
entry there leaves its pages out of the sweep, so add one when you add such a page.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from selfassess.app import create_app
from selfassess.settings import Settings
from tests.browser.conftest import LiveServer
from tests.browser.harness import ADMIN, AXE_FILE, MANAGER, WCAG_TAGS, check_accessibility, focused, login
from tests.security.routes import Endpoint, endpoints

_ROSE_LANE = "(SELECT id FROM care_service WHERE name = 'Rose Lane House')"
_ASSESSMENT = f"(SELECT min(id) FROM self_assessment WHERE service_id = {_ROSE_LANE})"
_VISIT = f"(SELECT min(id) FROM visit WHERE service_id = {_ROSE_LANE})"

# path parameter -> SQL for a demo record that both the Northbridge admin and Brightwater's manager
# may open (Rose Lane House and what hangs off it), or that the admin alone may open.
DEMO_RECORDS = {
    "service_id": f"SELECT {_ROSE_LANE}",
    "user_id": "SELECT id FROM \"user\" WHERE email = 'manager@brightwater.example'",
    "provider_id": "SELECT id FROM organisation WHERE name = 'Brightwater Care Ltd'",
    "assessment_id": f"SELECT {_ASSESSMENT}",
    "answer_id": f"SELECT min(id) FROM self_assessment_answer WHERE assessment_id = {_ASSESSMENT}",
    "code": "SELECT code FROM key_question WHERE version_id = "
    f"(SELECT framework_version_id FROM self_assessment WHERE id = {_ASSESSMENT}) ORDER BY position LIMIT 1",
    "concern_id": f"SELECT min(id) FROM concern WHERE service_id = {_ROSE_LANE}",
    "version_id": "SELECT min(id) FROM framework_version",
    "visit_id": f"SELECT {_VISIT}",
    "score_id": f"SELECT min(id) FROM visit_score WHERE visit_id = {_VISIT}",
    "plan_id": f"SELECT min(id) FROM action_plan WHERE service_id = {_ROSE_LANE}",
    "webhook_id": "SELECT min(id) FROM webhook",
}
NOT_PAGES = ("/api/", "/schema", "/static/", "/health")
DOWNLOADS = (".pdf", ".csv")  # not pages, and a PDF is laid out for each request: never opened


@pytest.fixture(scope="module")
def page_routes() -> list[Endpoint]:
    """The app's GET routes, read from an app built here (it needs no database to list them)."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(_env_file=None, data_dir=Path(data_dir), secret_key="routes-only"))
    return [
        e
        for e in endpoints(app)
        if e.method == "GET" and not e.path.startswith(NOT_PAGES) and not e.path.endswith(DOWNLOADS)
    ]


# Guards that keep a person out: their pages are not requested for that person at all.
KEPT_OUT = {
    ADMIN: {"requires_provider"},
    MANAGER: {"requires_council_staff", "requires_council_admin"},
}


def _demo_urls(server: LiveServer, routes: list[Endpoint]) -> list[str]:
    with sqlite3.connect(server.database) as database:
        values = {}
        for name, sql in DEMO_RECORDS.items():
            row = database.execute(sql).fetchone()
            if row and row[0] is not None:
                values[name] = row[0]
    return [route.url(values) for route in routes if all(name in values for name in route.params)]


# The sweep is cut into parts (every SWEEP_PARTS-th page), so that test workers share it out.
SWEEP_PARTS = 3


@pytest.mark.parametrize("part", range(SWEEP_PARTS), ids=[f"part-{n + 1}" for n in range(SWEEP_PARTS)])
@pytest.mark.parametrize("person", [ADMIN, MANAGER], ids=["council-admin", "provider-manager"])
def test_every_page_passes_the_accessibility_checks(
    page: Page, live_server: LiveServer, page_routes: list[Endpoint], person: str, part: int
) -> None:
    # Every page here is checked, so axe-core comes with each page as it loads: sent to Chromium once,
    # not 600 kB through Playwright for every page.
    page.context.add_init_script(path=AXE_FILE)
    login(page, person)
    failures, checked = [], []
    routes = [route for route in page_routes if not route.guards & KEPT_OUT[person]]
    for url in _demo_urls(live_server, routes)[part::SWEEP_PARTS]:
        try:
            response = page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError:
            continue  # a download without a file name's ending (a framework's source)
        if (
            response is None
            or response.status != 200
            or response.request.redirected_from is not None
            or not response.headers.get("content-type", "").startswith("text/html")
            or not page.locator("main h1").count()
        ):
            continue  # not theirs, not a page (JSON, an htmx fragment), or sent elsewhere
        name = f"sweep-{person.split('@')[0]}-{url.strip('/').replace('/', '-') or 'home'}"
        try:
            # The journeys' pages get every rule; the sweep leaves out the slow ones (contrast, and
            # best practice such as landmarks), which the shared layout and styles decide anyway.
            check_accessibility(page, name, tags=WCAG_TAGS, skip_rules=("color-contrast",))
        except AssertionError as problem:
            failures.append(str(problem))
        checked.append(url)
    assert len(checked) >= 2, f"this part of the sweep found too few pages: {checked}"
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("signed_in", [False, True], ids=["sign-in-page", "signed-in-page"])
def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_main(page: Page, signed_in: bool) -> None:
    if signed_in:
        login(page, ADMIN)
        page.goto("/services")
    else:
        page.goto("/login")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content", focused(page)
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_in_viewport()  # visible when focused, for sighted keyboard users
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main", focused(page)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)"), (
        "the next Tab carries on inside the main content"
    )
