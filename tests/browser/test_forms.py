"""Forms that fail in place: the error is in view, beside the form, and the address bar keeps the
page's own address (so a reload shows the page again, not "That action is not allowed here").

These journeys use the demo's reactive visit to Brightwater Homecare Northbridge, brought to a
shared draft report by ``tests/browser/draft_report.py``; no other browser test touches it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.harness import MANAGER, OFFICER, check_accessibility, login, screenshot
from tests.browser.phone import PHONE

ROOT = Path(__file__).resolve().parents[2]
ISSUE_SHOTS = ROOT / "artifacts" / "issue11"


@pytest.fixture(scope="module")
def shared_draft(live_server: LiveServer) -> int:
    """The visit's id, brought to a shared draft once for this worker's server (a process that
    imports the app: a few seconds)."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.browser.draft_report"],
        cwd=live_server.data_dir,
        env={**live_server.environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stderr
    return int(finished.stdout.strip().splitlines()[-1])


def _in_viewport(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
                           return box.top >= 0 && box.bottom <= window.innerHeight; }""",
        selector,
    )


def _fits_a_phone(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_empty_factual_accuracy_point_fails_in_view(page: Page, new_page, shared_draft: int) -> None:  # type: ignore[no-untyped-def]
    visit = shared_draft
    login(page, MANAGER)
    page.goto(f"/visits/{visit}/report")
    page.get_by_role("button", name="Send to the officer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Your factual accuracy point is required.")
    expect(summary).to_be_focused()  # once htmx has settled the swap
    screenshot(page, "failed-point-after", folder=ISSUE_SHOTS, full_page=False)  # what is in view
    assert _in_viewport(page, ".error-summary"), "the error summary is out of sight"
    expect(page).to_have_url(re.compile(rf"/visits/{visit}/report$"))

    # Reloading shows the report again, not an error page.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft visit report")
    screenshot(page, "provider-point-failed")
    check_accessibility(page, "provider-point-failed")

    # A point sent, then accepted by the officer: the officer lands back on that point.
    page.get_by_label("Your factual accuracy point").fill("The visit was on a Tuesday, not a Monday.")
    page.get_by_role("button", name="Send to the officer").click()
    expect(page.locator(".flashes")).to_contain_text("Your factual accuracy point was sent")
    officer = new_page()
    login(officer, OFFICER)
    officer.goto(f"/visits/{visit}/report")
    point = officer.locator(".points > li").filter(has_text="not a Monday")
    point.get_by_role("button", name="Do not accept").click()
    expect(officer.locator(".error-summary")).to_contain_text("Reason for not accepting is required.")
    assert _in_viewport(officer, ".error-summary"), "the officer's error is beside the point"
    expect(officer).to_have_url(re.compile(rf"/visits/{visit}/report$"))
    point.get_by_role("button", name="Accept point").click()
    expect(officer).to_have_url(re.compile(rf"/visits/{visit}/report#point-\d+$"))
    accepted = officer.locator(".points > li").filter(has_text="not a Monday")
    expect(accepted).to_contain_text("Accepted")
    expect(accepted).to_be_in_viewport()


def test_the_visit_warns_of_its_date_and_fits_a_phone(page: Page, shared_draft: int) -> None:
    """The demo's reactive visit is dated six days ahead."""
    visit = shared_draft
    login(page, OFFICER)
    page.goto(f"/visits/{visit}")
    expect(page.locator("main")).to_contain_text("which is after today")
    screenshot(page, "officer-visit-dated-ahead")
    page.set_viewport_size(PHONE)
    assert _fits_a_phone(page)
    screenshot(page, "officer-visit-dated-ahead-phone")
    page.goto(f"/visits/{visit}/report")
    assert _fits_a_phone(page)
    screenshot(page, "officer-draft-report-phone")


def test_asking_for_more_time_without_a_date_keeps_the_section_open(page: Page) -> None:
    """Rose Lane House's agreed plan; not the action the joint plan journey works on."""
    login(page, MANAGER)
    page.goto("/services")
    page.get_by_role("link", name="Rose Lane House").click()
    page.locator("#plans-panel").get_by_role("link", name=re.compile("^Plan of ")).click()
    card = (
        page.locator(".action-card")
        .filter(has_not_text="Follow audit actions through to completion")
        .filter(has=page.get_by_text("Ask for more time"))
        .first
    )
    card.locator("summary.action-header").click()  # the cards start collapsed
    card.get_by_text("Ask for more time").click()
    card.get_by_label("Why more time is needed").fill("The new rota starts in March.")
    card.get_by_role("button", name="Send the request").click()
    summary = page.locator(".action-card .error-summary")
    expect(summary).to_contain_text("New due date is required.")
    expect(summary).to_be_focused()
    assert page.evaluate("() => document.activeElement.closest('details').open")
    kept = page.locator("textarea[name=reason]").filter(has_text="The new rota starts in March.")
    expect(kept).to_have_count(1)  # what was typed is still there
    screenshot(page, "provider-more-time-failed")
    summary.get_by_role("link").click()
    expect(page.locator("input[type=date][aria-invalid=true]")).to_be_focused()
