""" "Waiting for you", walked in a real browser by each side: the provider opens an overdue action
from its list and marks it complete; the officer finds it waiting, verifies it and the plan's
header and the header's count change in place; the officer works through the rest of the list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, LiveServer, _wait_until_healthy, demo_server
from tests.browser.harness import MANAGER, OFFICER, check_accessibility, login, screenshot, settle
from tests.browser.phone import PHONE


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> Iterator[LiveServer]:
    """A server of its own: this walk verifies the demo's one overdue action, which the plan journey
    in test_cycle must still find overdue, whichever worker runs the two and in whichever order."""
    with demo_server(tmp_path_factory, demo_data, "waiting-server") as server:
        _wait_until_healthy(server)
        yield server


def waiting_count(page: Page) -> int:
    text = page.locator("#waiting-count").inner_text().strip()
    return int(re.match(r"\d+", text).group(0)) if text else 0


def verified(page: Page) -> int:
    found = re.search(r"(\d+) verified", page.locator("#plan-progress").inner_text())
    return int(found.group(1)) if found else 0


def fits(page: Page, name: str) -> None:
    """Screenshots at desktop and phone width; no sideways scrolling on the phone."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    try:
        screenshot(page, f"{name}-390")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide on a phone"
    finally:
        page.set_viewport_size(DESKTOP)


def open_tile(page: Page, label: str) -> None:
    page.goto("/home")
    page.locator("#waiting-tiles").get_by_role("link", name=re.compile(label)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    settle(page)


def test_provider_and_officer_walk_their_waiting_lists(page: Page, new_page: Callable[[], Page]) -> None:
    title = "Make time-critical medicines safe"
    login(page, MANAGER)
    expect(page.locator("#waiting-tiles")).to_contain_text(re.compile("actions? due soon or overdue"))
    expect(page.get_by_role("heading", name="Due dates")).to_be_visible()
    expect(page.locator("main")).to_contain_text(re.compile(r"\d+ of 34 answered"))
    fits(page, "provider-home")
    open_tile(page, "actions? due soon or overdue")
    expect(page.locator("main")).to_contain_text(re.compile(r"\d+ days? overdue"))
    check_accessibility(page, "provider-waiting")
    before = waiting_count(page)
    page.get_by_role("link", name=title).click()
    card = page.get_by_role("group", name=title)
    expect(card).to_have_attribute("open", "")  # the link opened the exact action
    card.get_by_role("button", name="Mark completed").click()
    expect(card.locator(".tag").first).to_have_text(re.compile(r"^Completed"))
    expect(page.locator("#plan-progress")).to_contain_text("waiting for verification")
    expect(page.locator("#waiting-count")).to_have_text(
        re.compile(str(before - 1) if before > 1 else r"^\s*$")
    )

    officer = new_page()
    login(officer, OFFICER)
    expect(officer.locator("#waiting-tiles")).to_contain_text(re.compile("2 actions to verify"))
    fits(officer, "officer-home")
    open_tile(officer, "actions? to verify")
    check_accessibility(officer, "officer-waiting")
    fits(officer, "officer-waiting")
    officer.get_by_role("link", name=title).click()
    card = officer.get_by_role("group", name=title)
    expect(card).to_have_attribute("open", "")
    fits(officer, "officer-plan")
    count, done = waiting_count(officer), verified(officer)
    card.get_by_role("button", name="Verify").click()
    expect(card.locator(".tag").first).to_have_text("Verified by officer")
    expect(card).to_contain_text(re.compile(r"Verified\s*by Owen Clarke on \d+ \w+ \d{4}"))
    # No reload: the plan's header and the header's count say so at once.
    expect(officer.locator("#plan-progress")).to_contain_text(f"{done + 1} verified")
    expect(officer.locator("#waiting-count")).to_contain_text(str(count - 1))

    # The rest of the list: the action the deputy completed, then the request for more time.
    open_tile(officer, "actions? to verify")
    officer.locator(".waiting-list").get_by_role("link").first.click()
    card = officer.locator("details.action-card[open]")
    card.get_by_role("button", name="Verify").click()
    expect(card.locator(".tag").first).to_have_text("Verified by officer")
    open_tile(officer, "requests? for more time")
    officer.locator(".waiting-list").get_by_role("link").first.click()
    card = officer.locator("details.action-card[open]")
    card.get_by_role("button", name="Accept the new date").click()
    expect(card).not_to_contain_text("New date asked for")
    officer.goto("/waiting?kind=actions_to_verify")
    expect(officer.locator("main")).to_contain_text("Nothing is waiting for you here.")
    officer.goto("/waiting?kind=due_date_requests")
    expect(officer.locator("main")).to_contain_text("Nothing is waiting for you here.")
