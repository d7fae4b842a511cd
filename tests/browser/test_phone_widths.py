"""Every page of the demo, for every kind of person, on a 390 px phone: nothing scrolls sideways
(issue 11). The crawl follows the links of each person's pages from the home page and the
navigation, plus detail pages it would not reach within its bound; a failure names the page and
what sticks out. Screenshots of the pages the issue named land in artifacts/issue11/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DESKTOP, LiveServer, _new_context
from tests.browser.harness import ROOT, login, screenshot
from tests.browser.phone import PHONE, crawl, report

ISSUE_SCREENSHOTS = ROOT / "artifacts" / "issue11"
DEPUTY = "deputy@brightwater.example"

# (who, where the crawl starts, detail pages it should see even if its bound stops it first).
PEOPLE = {
    "provider-admin": (
        "manager@brightwater.example",
        ["/home", "/services/1/comparison", "/concerns/1", "/plans/1", "/visits/1/report", "/glossary"],
    ),
    "provider-user": (DEPUTY, ["/home", "/assessments/2/questions/S", "/assessments/2", "/concerns/1"]),
    "officer": (
        "officer@northbridge.example",
        ["/home", "/visits/2/questions/S", "/visits/1/report", "/concerns/1", "/oversight/report"],
    ),
    "council-admin": (
        "admin@northbridge.example",
        ["/home", "/admin/frameworks", "/admin/settings", "/admin/audit", "/admin/tokens"],
    ),
    "public": (None, ["/public", "/glossary", "/login"]),
}
PAGES_PER_PERSON = 35


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context: BrowserContext = _new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    yield page
    context.close()


@pytest.mark.parametrize("person", list(PEOPLE))
def test_no_page_scrolls_sideways_on_a_phone(person: str, phone: Page, live_server: LiveServer) -> None:
    email, starts = PEOPLE[person]
    if email:
        login(phone, email)
    result = crawl(phone, live_server.url, starts, limit=PAGES_PER_PERSON)
    assert len(result.visited) >= min(PAGES_PER_PERSON, 10), result.visited
    assert not result.problems, report(person, result)


def _shot(page: Page, name: str) -> None:
    screenshot(page, f"{name}-390", folder=ISSUE_SCREENSHOTS)


def test_a_key_question_shows_one_statement_at_a_time_on_a_phone(phone: Page) -> None:
    """The 34-statement form was 12,900 px tall at 390 px; now one statement is open at a time."""
    login(phone, DEPUTY)
    phone.goto("/assessments/2/questions/S")
    sections = phone.locator("details.statement-body")
    expect(sections).to_have_count(8)
    expect(phone.locator("details.statement-body[open]")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollHeight") < 5000
    _shot(phone, "key-question")
    sections.nth(6).locator(":scope > summary").click()
    expect(sections.nth(6)).to_have_attribute("open", "")
    expect(phone.locator("details.statement-body[open]")).to_have_count(1)
    phone.set_viewport_size(DESKTOP)
    phone.reload()
    expect(phone.locator("details.statement-body[open]")).to_have_count(8)  # a wide screen: all open


def test_screenshots_of_the_pages_people_got_lost_on(phone: Page) -> None:
    login(phone, "manager@brightwater.example")
    phone.goto("/services/1/comparison")
    expect(phone.locator(".chart--narrow svg").first).to_be_visible()
    expect(phone.locator(".chart--wide svg").first).to_be_hidden()
    _shot(phone, "comparison")
    phone.goto("/concerns/1")
    expect(phone.get_by_role("heading", name="Your responses to the council")).to_be_visible()
    _shot(phone, "provider-concern")
    phone.get_by_role("button", name="Sign out").click()
    login(phone, "officer@northbridge.example")
    for path, name in (("/services", "services"), ("/concerns", "concerns")):
        phone.goto(path)
        # Stacked rows: every column (severity and status too) is on screen, with its heading.
        rightmost = phone.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('main td'))"
            ".map(td => td.getBoundingClientRect().right))"
        )
        assert rightmost <= PHONE["width"], f"{path}: a cell ends at {rightmost}px"
        expect(phone.locator("main td[data-label]").first).to_be_visible()
        _shot(phone, name)
